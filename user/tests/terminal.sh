#!/usr/bin/env bash
# The standard streams on a terminal, each program on a pseudo-terminal made by script(1)
# (util-linux): `abi terminal` must print the same bytes under qemu-riscv32 and under mkh exec
# (what TCGETS and TIOCGWINSZ answer on each stream); then `make run`'s session, /bin/sh -l
# under mkh exec: it runs /etc/profile (the motd) first, then reads commands from the
# terminal, prompts and prints each command's output as it runs (its stdout buffered by
# lines, as on a terminal), and exits with the status `exit` gave it.
# Usage: terminal.sh MKH DISK_IMAGE ABI_PROGRAM
set -uo pipefail
mkh=$1 image=$2 abi=$3
command -v script >/dev/null || { echo "SKIP: script (util-linux) is not installed"; exit 77; }
if ! command -v qemu-riscv32 >/dev/null; then
  echo "SKIP: qemu-riscv32 is not installed (make deps installs qemu-user)"
  exit 77
fi
[ -e "$image" ] && [ -e "$abi" ] || { echo "SKIP: $image or $abi is not built"; exit 77; }
scratch=$(mktemp -d "${TMPDIR:-/tmp}/mkh-terminal.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
cp "$image" "$scratch/disk.img"
on_terminal() { script -qec "$1" /dev/null </dev/null | tr -d '\r'; }
on_terminal "env -i qemu-riscv32 $abi terminal" >"$scratch/qemu.txt"
on_terminal "$mkh exec --disk $scratch/disk.img /tests/abi terminal" >"$scratch/mkh.txt"
status=0
if ! grep -q '^fd 1: TCGETS 0:' "$scratch/qemu.txt"; then
  echo "FAIL: qemu-riscv32 saw no terminal on stdout:"; cat "$scratch/qemu.txt"; status=1
elif diff -u "$scratch/qemu.txt" "$scratch/mkh.txt"; then
  echo "abi terminal: the same bytes under mkh exec as under qemu-riscv32"
else
  echo "FAIL: abi terminal differs (above: - qemu-riscv32, + mkh exec)"; status=1
fi
# The session `make run` starts: a login shell, which runs /etc/profile (the motd) first.
printf 'echo hi; cd /etc\npwd\nexit 3\n' |
  timeout 120 script -qec "$mkh exec --disk $scratch/disk.img /bin/sh -l" /dev/null | tr -d '\r' >"$scratch/sh.txt"
shell_status=${PIPESTATUS[1]}
motd=$(head -n 1 "$(dirname "$0")/../../disk/etc/motd")
if [ "$shell_status" = 3 ] && grep -qxF "$motd" "$scratch/sh.txt" && grep -qx '\$ hi' "$scratch/sh.txt" &&
  grep -qx '\$ /etc' "$scratch/sh.txt"; then
  echo "sh -l on a terminal: the motd, prompts, line-buffered output, exit 3"
else
  echo "FAIL: sh -l on a terminal exited $shell_status (expected 3) or lacks the motd, '\$ hi' or '\$ /etc':"
  cat "$scratch/sh.txt"; status=1
fi
exit "$status"
