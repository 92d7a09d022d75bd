#!/usr/bin/env bash
# Runs a static RV32 program under the interpreter's harness (rv32run) and under the referee,
# qemu-riscv32, and compares their stdout byte for byte and their exit status. Exits 77
# (skipped) when qemu-riscv32 is absent (make deps installs Debian's qemu-user).
# Usage: compare.sh RV32RUN PROGRAM [RV32RUN OPTION...]
set -uo pipefail
runner=$1 program=$2
shift 2
if ! command -v qemu-riscv32 >/dev/null 2>&1; then
  echo "SKIP: qemu-riscv32 is not installed (make deps installs qemu-user)"
  exit 77
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/mkh-user-compare.XXXXXX")
trap 'rm -rf "$work"' EXIT
qemu-riscv32 "$program" >"$work/qemu.out" 2>"$work/qemu.err"
qemu_status=$?
"$runner" "$@" "$program" >"$work/mkh.out" 2>"$work/mkh.err"
mkh_status=$?
name=$(basename "$program")
failed=0
# A test program that dies under the referee, or prints nothing, is itself broken: the
# comparison would prove nothing.
if [ "$qemu_status" -ge 128 ] || [ ! -s "$work/qemu.out" ]; then
  echo "FAIL: $name: under qemu-riscv32 it printed $(wc -c <"$work/qemu.out") bytes and exited $qemu_status"
  cat "$work/qemu.err"
  failed=1
fi
if ! cmp -s "$work/qemu.out" "$work/mkh.out"; then
  echo "FAIL: $name: stdout differs from qemu-riscv32's (< qemu, > interpreter):"
  diff "$work/qemu.out" "$work/mkh.out" | head -20
  failed=1
fi
if [ "$qemu_status" -ne "$mkh_status" ]; then
  echo "FAIL: $name: exit status $mkh_status, qemu-riscv32's $qemu_status"
  failed=1
fi
cat "$work/mkh.err"
if [ "$failed" -eq 0 ]; then
  echo "ok: $name: $(wc -c <"$work/mkh.out") bytes and exit status $mkh_status as qemu-riscv32"
fi
exit "$failed"
