#!/usr/bin/env bash
# ls refereed by GNU's ls (coreutils): the same tree in a host folder and, copied by mtools'
# mcopy, on a FAT32 image of 4 KiB clusters; each listing of it by mkh's /bin/ls under
# `mkh exec` is byte for byte GNU's (stdout, stderr and status), in the C locale and UTC:
# the sort orders, -a -A -d -F -R, the columns (down then across, tabs as GNU pads them) at
# three widths, and the long format with the owner and group left out (-g -o: the host's
# files belong to whoever runs the test, mkh's to 0); then names quoted on a terminal. FAT's folders are not ext4's, so the
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
# Names the shell would read otherwise (as FAT allows them), for the listings on a terminal.
mkdir -p "$tree/quoting" "$tree/dirs/a folder" "$tree/dirs/plain"
for name in 'a b' "it's" 'x$y' plain '#start' 'mid#dle' '~home' 'a~b' "two''" "q'!" 'x`y' 'semi;colon' 'k=v' \
  'br[ack]et' 'ca^ret' '(paren)' 'amp&' 'bang!' 'curly{}' 'comma,plus+'; do
  : >"$tree/quoting/$name"
done
: >"$tree/dirs/a folder/inner file"
: >"$tree/dirs/plain/inner"
find "$tree/quoting" "$tree/dirs" -type f -exec touch -d '2021-03-04 05:06:08' {} +
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
# On a terminal of 80 columns (script(1)): the names the shell would read otherwise quoted as
# GNU's ls quotes them there, the others with a space before them in columns and -l (none
# with -1), no quoting with -N; the folders' headings quoted too.
on_terminal() { script -qec "stty cols 80; $1" /dev/null </dev/null | tr -d '\r'; }
compare_on_terminal() {
  (cd "$work/tree" && on_terminal "ls $*") >"$work/gnu.out"
  on_terminal "$mkh exec --disk $work/disk.img --env TZ=UTC /bin/ls $*" >"$work/mkh.out"
  if [[ $* != -N* ]] && ! grep -q "'a " "$work/gnu.out"; then  # 'a b' or 'a folder'
    fail "ls $* on a terminal: GNU's ls quoted nothing:"$'\n'"$(cat "$work/gnu.out")"
  elif ! diff "$work/gnu.out" "$work/mkh.out" >"$work/diff"; then
    fail "ls $* on a terminal (< GNU, > mkh):"$'\n'"$(cat "$work/diff")"
  fi
  compared=$((compared + 1))
}
if command -v script >/dev/null; then
  compare_on_terminal data/quoting
  compare_on_terminal -1 data/quoting
  compare_on_terminal -goF data/quoting
  compare_on_terminal -N data/quoting
  compare_on_terminal -R data/dirs
  # The bytes FAT cannot hold (control bytes, bytes past ASCII, " * ? | < > \): mkh's ls run
  # by qemu-riscv32 in host folders of random names, against GNU's there; and each name it
  # quotes, read back by bash, is the name. GNU's own quoting of a name that holds a ' and
  # ends in an unprintable byte is not the name read back (docs/decisions.md, "ls on a
  # terminal"): such names are in a folder of their own, checked by the reading back alone.
  if command -v qemu-riscv32 >/dev/null; then
    mkdir "$work/bytes" "$work/unread"
    python3 - "$work/bytes" "$work/unread" <<'PY'
import os, random, sys
random.seed(5)
alphabet = [bytes([b]) for b in range(1, 256) if b != ord("/")] + [b"a", b"'", b" "] * 40
for _ in range(400):
    name = b"".join(random.choice(alphabet) for _ in range(random.randint(1, 6)))
    if name in (b".", b".."):
        continue
    unread = b"'" in name and (name[-1] < 0x20 or name[-1] >= 0x7f)
    open(os.path.join(os.fsencode(sys.argv[2 if unread else 1]), name), "wb").close()
PY
    for options in -C -1 -N; do
      (cd "$work/bytes" && on_terminal "ls $options") >"$work/gnu.out"
      (cd "$work/bytes" && on_terminal "qemu-riscv32 $dir/bin/ls $options") >"$work/mkh.out"
      diff "$work/gnu.out" "$work/mkh.out" >"$work/diff" ||
        fail "ls $options of random names on a terminal, under qemu-riscv32 (< GNU, > mkh):"$'\n'"$(cat -v "$work/diff")"
      compared=$((compared + 1))
    done
    for folder in bytes unread; do
      (cd "$work/$folder" && on_terminal "qemu-riscv32 $dir/bin/ls -1") |
        while IFS= read -r shown; do eval "printf '%s\\n' $shown"; done | od -An -c >"$work/read.txt"
      (cd "$work/$folder" && printf '%s\n' *) | od -An -c >"$work/names.txt"
      cmp -s "$work/names.txt" "$work/read.txt" || fail "ls -1 of random names on a terminal: the names read back by bash differ"
    done
  fi
else
  echo "ls: script (util-linux) is not installed: no listing on a terminal"
fi
echo "ls: $compared listings as GNU's ls writes them"

# -l's total: the 1 KiB blocks of the clusters the files hold (0, 1, 1, 3 and 489 clusters of 4 KiB).
total=$("$mkh" exec --disk "$work/disk.img" /bin/ls -l /data/files | head -1)
[ "$total" = "total $(((0 + 1 + 1 + 3 + 489) * 4))" ] || fail "ls -l /data/files: '$total'"
# mkh's disk has no /etc/passwd nor /etc/group: owners are numbers, right-aligned as GNU's.
long=$("$mkh" exec --disk "$work/disk.img" /bin/ls -ld /data)
[ "$long" = "drwxr-xr-x 8 0 0 4096 Feb 22  2022 /data" ] || fail "ls -ld /data: '$long'"
exit "$status"
