#!/usr/bin/env bash
# Checks that the default disk image holds the user programs (user/CMakeLists.txt): every
# program built under PROGRAM_ROOT/bin and PROGRAM_ROOT/tests is at /bin/NAME and /tests/NAME
# of IMAGE, byte for byte (read back by mtools' mcopy), and the volume passes fsck.fat -n.
# Usage: check_disk.sh MCOPY FSCK_FAT IMAGE PROGRAM_ROOT
set -euo pipefail
mcopy=$1 fsck_fat=$2 image=$3 root=$4
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
count=0
for program in "$root"/bin/* "$root"/tests/*; do
  name=${program#"$root"/}
  MTOOLS_SKIP_CHECK=1 "$mcopy" -n -i "$image" "::/$name" "$scratch/copy"
  if ! cmp -s "$program" "$scratch/copy"; then
    echo "FAIL: /$name on $image differs from $program"
    exit 1
  fi
  count=$((count + 1))
done
"$fsck_fat" -n "$image" >/dev/null
echo "the disk image holds the $count user programs byte for byte; fsck.fat -n finds nothing"
