#!/usr/bin/env bash
# ls refereed by GNU's ls (coreutils): the same tree in a host folder and, copied by mtools'
# mcopy, on a FAT32 image of 4 KiB clusters; each listing of it by mkh's /bin/ls under
# `mkh exec` is byte for byte GNU's (stdout, stderr and status), in the C locale and UTC:
# the sort orders, -a -A -d -F -R, the columns (down then across, tabs as GNU pads them) at
# three widths, and the long format with the owner and group left out (-g -o: the host's
# files belong to whoever runs the test, mkh's to 0). FAT's folders are not ext4's, so the
# long listings are of files; their "total" (the 1 KiB blocks of the clusters held) is
# checked against the files' sizes.
# Usage: ls.sh MKH PROGRAM_DIR
set -uo pipefail
mkh=$1 dir=$2
mkfs=$(command -v mkfs.fat || echo /sbin/mkfs.fat)
if ! command -v mcopy >/dev/null 2>&1 || [ ! -x "$mkfs" ]; then
  echo "SKIP: dosfstools or mtools is not installed (make deps installs them)"
  exit 77
fi
export MTOOLS_SKIP_CHECK=1 LC_ALL=C TZ=UTC
work=$(mktemp -d "${TMPDIR:-/tmp}/mkh-ls.XXXXXX")
trap 'rm -rf "$work"' EXIT
status=0
fail() { echo "FAIL: $1"; status=1; }

# The tree: files of several sizes and times (one of them recent, shown with its hour),
# names with spaces, capitals and dots, nested folders, an empty one, enough names for columns.
tree=$work/tree/data
mkdir -p "$tree/files" "$tree/sub/deeper" "$tree/empty" "$tree/many"
: >"$tree/files/empty"
printf 'x' >"$tree/files/one byte"
head -c 4096 /dev/zero >"$tree/files/Cluster"
head -c 10000 /dev/zero >"$tree/files/three.clusters"
head -c 2000000 /dev/zero >"$tree/files/big"
printf 'hidden\n' >"$tree/.hidden"
printf 'a\n' >"$tree/sub/a.txt"
printf 'b\n' >"$tree/sub/deeper/b.txt"
for i in $(seq 1 40); do printf '%s' "$i" >"$tree/many/name_$i$(printf '%*s' $((i % 7)) '' | tr ' ' x)"; done
touch -d '2001-02-03 04:05:06' "$tree/files/empty"
touch -d '1999-12-31 23:59:58' "$tree/files/one byte"
touch -d '2024-01-01 00:00:00' "$tree/files/Cluster"
touch -d '2020-06-15 12:00:00' "$tree/files/three.clusters"
touch -d "@$(($(date +%s) / 2 * 2 - 86400))" "$tree/files/big"
find "$tree" -type d -exec touch -d '2022-02-22 22:22:22' {} +
chmod -R 0755 "$tree" # what Linux's vfat shows, and mkh

"$mkfs" -C -F 32 -s 8 "$work/disk.img" 300000 >/dev/null
mkdir -p "$work/bin"
cp "$dir/bin/ls" "$work/bin/"
mcopy -s -m -i "$work/disk.img" "$work/bin" "$work/tree/data" ::/

compared=0
# compare [COLUMNS=N] ARG...: `ls ARG...` in the tree's root, by GNU and by mkh.
compare() {
  local columns=80
  if [[ $1 == COLUMNS=* ]]; then
    columns=${1#COLUMNS=}
    shift
  fi
  (cd "$work/tree" && COLUMNS=$columns ls "$@" >"$work/gnu.out" 2>"$work/gnu.err")
  echo "[exit $?]" >>"$work/gnu.out"
  "$mkh" exec --disk "$work/disk.img" --env COLUMNS="$columns" --env TZ=UTC /bin/ls "$@" >"$work/mkh.out" \
    2>"$work/mkh.err"
  echo "[exit $?]" >>"$work/mkh.out"
  if ! diff "$work/gnu.out" "$work/mkh.out" >"$work/diff" || ! diff "$work/gnu.err" "$work/mkh.err" >>"$work/diff"; then
    fail "COLUMNS=$columns ls $* (< GNU, > mkh):"$'\n'"$(cat "$work/diff")"
  fi
  compared=$((compared + 1))
}

cd "$work/tree" || exit 1
compare data
compare -a data
compare -A data
compare -1 data/many
compare -F data data/sub
compare -R data
compare -r data/many
compare -d data data/sub data/files/empty
compare -t data/files
compare -tr data/files
compare -S data/files
compare -Sr data/files
for columns in 1 30 120; do
  compare COLUMNS=$columns -C data/many
  compare COLUMNS=$columns -CF data
done
compare -go data/files
compare -gho data/files
compare -goF data/files/big "data/files/one byte" data/files/empty
compare -goR data/sub/deeper
compare data/missing data/files/empty
echo "ls: $compared listings as GNU's ls writes them"

# -l's total: the 1 KiB blocks of the clusters the files hold (0, 1, 1, 3 and 489 clusters of 4 KiB).
total=$("$mkh" exec --disk "$work/disk.img" /bin/ls -l /data/files | head -1)
[ "$total" = "total $(((0 + 1 + 1 + 3 + 489) * 4))" ] || fail "ls -l /data/files: '$total'"
# mkh's disk has no /etc/passwd nor /etc/group: owners are numbers, right-aligned as GNU's.
long=$("$mkh" exec --disk "$work/disk.img" /bin/ls -ld /data)
[ "$long" = "drwxr-xr-x 6 0 0 4096 Feb 22  2022 /data" ] || fail "ls -ld /data: '$long'"
exit "$status"
