#!/usr/bin/env bash
# A referee case under `mkh exec`: the case's commands run one after the other on one scratch
# copy of the default disk (disk/ with /bin and /tests: what qemu's cases see in their scratch
# directory), each a boot of the machine, and the transcript must be the expected file — the
# one qemu-riscv32's run of the same case matches. Then the disk must pass fsck.fat -n.
# Usage: mkh_case.sh MKH DISK_IMAGE CASE EXPECTED
set -uo pipefail
mkh=$1 image=$2 case_file=$3 expected=$4
if [ ! -e "$image" ]; then echo "SKIP: $image is not built"; exit 77; fi
scratch=$(mktemp "${TMPDIR:-/tmp}/mkh-case.XXXXXX.img")
trap 'rm -f "$scratch"' EXIT
cp "$image" "$scratch"
# Programs are named by their path on the disk: PROGRAM_ROOT is empty (not a directory).
here=$(dirname "${BASH_SOURCE[0]}")
bash "$here/check.sh" "$(realpath "$here/mkh_runner.sh") $(realpath "$mkh") $scratch" "" "$case_file" "$expected"
status=$?
# What the programs wrote must leave a volume dosfstools accepts.
if [ "$status" = 0 ] && command -v fsck.fat >/dev/null && ! fsck.fat -n "$scratch" >"$scratch.fsck" 2>&1; then
  echo "FAIL: fsck.fat -n finds damage on the disk after the case:"
  head -20 "$scratch.fsck"
  status=1
fi
rm -f "$scratch.fsck"
exit "$status"
