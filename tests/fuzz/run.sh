#!/usr/bin/env bash
# The FAT32 fuzzer's bounded run (ctest fuzz.fat32): the seed corpus copied into a work folder
# of the build tree (tests/ is never written), then libFuzzer for SECONDS over it. Exit 0 when
# no input crashed, broke an invariant or hung; else libFuzzer's exit, the input kept in
# WORK/artifacts/. A script of tests/fuzz/.
#
# Usage: run.sh FUZZER SEEDS WORK SECONDS
set -euo pipefail
fuzzer=$1 seeds=$2 work=$3 seconds=$4
rm -rf "$work"
mkdir -p "$work/corpus" "$work/artifacts"
cp "$seeds"/*.img "$work/corpus/"
# -max_len: the seeds reach the first directory clusters of a small volume (~300 KiB);
# -timeout: seconds for one input before it counts as a hang; -rss_limit_mb: the banks and
# the sanitizers' shadow with room to spare.
exec "$fuzzer" -max_total_time="$seconds" -max_len=524288 -timeout=20 -rss_limit_mb=4096 -seed=1 \
  -print_final_stats=1 -artifact_prefix="$work/artifacts/" "$work/corpus"
