#!/usr/bin/env bash
# A fuzzer's bounded run (ctest fuzz.fat32, fuzz.elf): the seed corpus (every file of SEEDS
# but its README.txt) copied into a work folder of the build tree (tests/ is never written),
# then libFuzzer for SECONDS over it. Exit 0 when no input crashed, broke an invariant or hung;
# else libFuzzer's exit, the input kept in WORK/artifacts/. A script of tests/fuzz/.
#
# Usage: run.sh FUZZER SEEDS WORK SECONDS [MAX_LEN]
set -euo pipefail
fuzzer=$1 seeds=$2 work=$3 seconds=$4
# -max_len: FAT32's seeds reach the first directory clusters of a small volume (~300 KiB).
max_len=${5:-524288}
rm -rf "$work"
mkdir -p "$work/corpus" "$work/artifacts"
find "$seeds" -maxdepth 1 -type f ! -name README.txt -exec cp -t "$work/corpus/" {} +
# -timeout: seconds for one input before it counts as a hang; -rss_limit_mb: the FAT32
# harness's banks and the sanitizers' shadow with room to spare.
exec "$fuzzer" -max_total_time="$seconds" -max_len="$max_len" -timeout=20 -rss_limit_mb=4096 -seed=1 \
  -print_final_stats=1 -artifact_prefix="$work/artifacts/" "$work/corpus"
