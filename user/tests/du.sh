#!/usr/bin/env bash
# du and stat's blocks on FAT, refereed by mtools' mdu (which counts clusters): an image of
# 4 KiB clusters made by mkfs.fat, a tree copied in by mcopy (an empty file, files of one
# cluster and of several, a folder grown past one cluster, an empty folder); `du -a -B 4096 /`
# under mkh exec prints what `mdu -a ::/` prints, line for line, and stat's %b and %o are the
# file's clusters in 512-byte blocks and the cluster size, as Linux's vfat gives them.
# Usage: du.sh MKH PROGRAM_DIR
set -uo pipefail
mkh=$1 dir=$2
mkfs=$(command -v mkfs.fat || echo /sbin/mkfs.fat)
if ! command -v mdu >/dev/null 2>&1 || [ ! -x "$mkfs" ]; then
  echo "SKIP: dosfstools or mtools is not installed (make deps installs them)"
  exit 77
fi
export MTOOLS_SKIP_CHECK=1
work=$(mktemp -d "${TMPDIR:-/tmp}/mkh-du.XXXXXX")
trap 'rm -rf "$work"' EXIT
status=0
fail() { echo "FAIL: $1"; status=1; }
"$mkfs" -C -F 32 -s 8 "$work/disk.img" 300000 >/dev/null
mkdir -p "$work/tree/bin" "$work/tree/data/many" "$work/tree/empty"
cp "$dir/bin/du" "$dir/bin/stat" "$work/tree/bin/"
: >"$work/tree/data/zero"
printf x >"$work/tree/data/one"
head -c 4096 /dev/zero >"$work/tree/data/cluster"
head -c 4097 /dev/zero >"$work/tree/data/cluster_and_a_byte"
head -c 50000 /dev/zero >"$work/tree/data/many/big"
for i in $(seq 1 150); do printf '%s' "$i" >"$work/tree/data/many/file_$i"; done
mcopy -s -i "$work/disk.img" "$work/tree/bin" "$work/tree/data" "$work/tree/empty" ::/

mdu -a -i "$work/disk.img" ::/ | sed -E 's|^::(/.*) ([0-9]+)$|\2\t\1|' >"$work/mdu.txt"
"$mkh" exec --disk "$work/disk.img" /bin/du -a -B 4096 / >"$work/du.txt" 2>"$work/err" || fail "du exited $?: $(cat "$work/err")"
if diff "$work/mdu.txt" "$work/du.txt" >"$work/diff"; then
  echo "du -a -B 4096 /: $(wc -l <"$work/du.txt") lines, as mdu -a counts them"
else
  fail "du and mdu differ (< mdu, > du):"$'\n'"$(cat "$work/diff")"
fi

"$mkh" exec --disk "$work/disk.img" /bin/stat -c '%n %s %b %o' /data/zero /data/one /data/cluster_and_a_byte \
  /data/many/big >"$work/stat.txt" 2>&1
expected=$'/data/zero 0 0 4096\n/data/one 1 8 4096\n/data/cluster_and_a_byte 4097 16 4096\n/data/many/big 50000 104 4096'
[ "$(cat "$work/stat.txt")" = "$expected" ] || fail "stat's blocks:"$'\n'"$(cat "$work/stat.txt")"$'\nnot\n'"$expected"
[ "$status" = 0 ] && echo "stat: the clusters in 512-byte blocks, the cluster as I/O block"
exit "$status"
