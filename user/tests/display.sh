#!/usr/bin/env bash
# /bin/display (mkh's display call): a core's scheduler, every core's, the caller's vsegs, on
# the kernel console (the host's stderr under `mkh exec`), nothing on the program's stdout; a
# core the machine has not is EINVAL. Under qemu-riscv32, display says that the kernel has no
# such call.
# Usage: display.sh MKH DISK_IMAGE DISPLAY_PROGRAM
set -uo pipefail
mkh=$1 image=$2 display_program=$3
[ -e "$image" ] || { echo "SKIP: $image is not built"; exit 77; }
scratch=$(mktemp -d "${TMPDIR:-/tmp}/mkh-display.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
cp "$image" "$scratch/disk.img"
status=0
fail() { echo "FAIL: $1"; status=1; }
# run EXPECTED_STATUS ARG...: /bin/display ARG... on a 2x2 machine of 2 cores a cluster, its
# stderr in $scratch/err; it must print nothing on stdout.
run() {
  local expected=$1
  shift
  "$mkh" exec --topology 2x2:2 --disk "$scratch/disk.img" /bin/display "$@" >"$scratch/out" 2>"$scratch/err"
  local ended=$?
  [ "$ended" = "$expected" ] || fail "display $* exited $ended, not $expected:"$'\n'"$(cat "$scratch/err")"
  [ -s "$scratch/out" ] && fail "display $* printed on its stdout: $(cat "$scratch/out")"
}
header='core 0x[0-9a-f]{2}/[0-9]: [0-9]+ thread\(s\), idle=[01] ipi_pending=[01] switches=[0-9]+'

run 0 sched
cores=$(grep -Ec "^$header\$" "$scratch/err")
[ "$cores" = 8 ] || fail "display sched showed $cores cores, not the 8 of 2x2:2:"$'\n'"$(cat "$scratch/err")"
grep -Eq '^  [0-9]+ display +trdid=0x[0-9a-f]{8} type=user ' "$scratch/err" ||
  fail "display sched did not show its own thread, named TID display"
grep -Eq '^  rpc[0-9.]+ +trdid=0x[0-9a-f]{8} type=rpc .*\(running\)$' "$scratch/err" ||
  fail "display sched did not show the RPC thread that serves it running"

run 0 sched 0x10 1
[ "$(grep -Ec "^$header\$" "$scratch/err")" = 1 ] && grep -q '^core 0x10/1: ' "$scratch/err" ||
  fail "display sched 0x10 1 did not show core 1 of cluster 0x10 alone:"$'\n'"$(cat "$scratch/err")"

run 0 vsegs
grep -Eq '^process 0x[0-9a-f]+: vsegs$' "$scratch/err" && grep -Eq '^  0x[0-9a-f]{8}-0x[0-9a-f]{8} code +r-x cluster 0x' "$scratch/err" &&
  grep -Eq '^  0x[0-9a-f]{8}-0x[0-9a-f]{8} stack +rw- cluster 0x' "$scratch/err" ||
  fail "display vsegs did not show its code and stack:"$'\n'"$(cat "$scratch/err")"

run 1 sched 0x2 0
grep -qx 'display: core 0 of cluster 0x2: Invalid argument' "$scratch/err" || fail "cluster 0x2 (absent): $(cat "$scratch/err")"
run 1 sched 0x11 2
grep -qx 'display: core 2 of cluster 0x11: Invalid argument' "$scratch/err" || fail "core 2 (absent): $(cat "$scratch/err")"
run 2 sched 1
grep -qx 'usage: display sched \[CXY LID\] | display vsegs' "$scratch/err" || fail "no usage: $(cat "$scratch/err")"
[ "$status" = 0 ] && echo "display: every core, one core, the vsegs, on the kernel console; absent cores EINVAL"

if command -v qemu-riscv32 >/dev/null; then
  said=$(qemu-riscv32 "$display_program" vsegs 2>&1)
  ended=$?
  [ "$ended" = 1 ] && [ "$said" = "display: vsegs: Function not implemented" ] ||
    fail "display under qemu-riscv32 exited $ended saying '$said'"
  [ "$status" = 0 ] && echo "display under qemu-riscv32: no such call, said so"
fi
exit "$status"
