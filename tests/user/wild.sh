#!/usr/bin/env bash
# Programs that run wild are contained, and malformed executables refused: each, under `mkh exec`, ends with the signal Linux
# sends (the status 128 + signal, as under qemu-riscv32 for those the referee can run), the
# kernel goes on, and every page they held is back in its cluster's ppm at shutdown (mkh exec
# reports leaked pages on stderr). eat_memory and thread_bomb are mkh's alone: under qemu
# they would take the host's memory and threads.
# Usage: wild.sh MKH PROGRAM_DIR
set -uo pipefail
mkh=$1 dir=$2
mkfs=$(command -v mkfs.fat || echo /sbin/mkfs.fat)
if ! command -v mcopy >/dev/null 2>&1 || [ ! -x "$mkfs" ]; then
  echo "SKIP: dosfstools or mtools is not installed (make deps installs them)"
  exit 77
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/mkh-wild.XXXXXX")
trap 'rm -rf "$work"' EXIT
"$mkfs" -C -F 32 "$work/disk.img" 65536 >/dev/null
failed=0
# program, expected status, whether qemu-riscv32 referees it
while read -r name want referee; do
  MTOOLS_SKIP_CHECK=1 mcopy -i "$work/disk.img" "$dir/$name" "::/$name"
  "$mkh" exec --disk "$work/disk.img" "/$name" >"$work/out" 2>"$work/err"
  got=$?
  if [ "$got" != "$want" ]; then
    echo "FAIL: $name: mkh exec exited $got, expected $want"; cat "$work/err"; failed=1
  elif grep -q "leaked" "$work/err"; then
    echo "FAIL: $name: pages were not given back"; cat "$work/err"; failed=1
  else
    echo "ok: $name exited $got under mkh exec"
  fi
  if [ "$referee" = yes ] && command -v qemu-riscv32 >/dev/null 2>&1; then
    qemu-riscv32 "$dir/$name" >/dev/null 2>&1
    q=$?
    if [ "$q" != "$want" ]; then echo "FAIL: $name: qemu-riscv32 exited $q, expected $want"; failed=1; fi
  fi
done <<'PROGRAMS'
jump_to_data 139 yes
write_code 139 yes
recurse 139 yes
illegal 132 yes
eat_memory 137 no
thread_bomb 139 no
PROGRAMS
# Malformed executables are refused with ENOEXEC, creating nothing (no page leaked): a program
# cut short, a file of another machine (the host's own true), an empty file.
head -c 100 "$dir/illegal" >"$work/truncated"
: >"$work/empty"
for name in truncated host empty; do
  case $name in host) source=/usr/bin/true ;; *) source=$work/$name ;; esac
  MTOOLS_SKIP_CHECK=1 mcopy -o -i "$work/disk.img" "$source" "::/$name"
  "$mkh" exec --disk "$work/disk.img" "/$name" >"$work/out" 2>"$work/err"
  got=$?
  if [ "$got" != 1 ] || ! grep -q "^mkh: exec: /$name: ENOEXEC" "$work/err" || grep -q leaked "$work/err"; then
    echo "FAIL: $name: expected exit 1 and ENOEXEC, got $got:"; cat "$work/err"; failed=1
  else
    echo "ok: $name refused with ENOEXEC"
  fi
done
exit $failed
