#!/usr/bin/env bash
# The qemu-riscv32 runner of the user programs' referee (user/tests/check.sh): takes the
# arguments `mkh exec` takes — [--env K=V]... PROGRAM [ARG...] — and runs PROGRAM under
# qemu-riscv32 with exactly that environment (nothing of the host's), the exit status its own
# (128+signal when the program is killed). qemu's own report of an uncaught signal ("qemu:
# uncaught target signal ...") is dropped from stderr: it is the runner speaking, not the
# program. Skips (77) when qemu-riscv32 is missing.
set -uo pipefail
command -v qemu-riscv32 >/dev/null || { echo "SKIP: qemu-riscv32 is not installed (make deps installs qemu-user)"; exit 77; }
environment=()
while [ $# -gt 0 ] && [ "$1" = --env ]; do
  environment+=("$2")
  shift 2
done
# qemu turns an uncaught signal into the same signal on itself: bash sees 128+signal.
{ env -i "${environment[@]}" qemu-riscv32 "$@" 2>&1 1>&3 3>&- | grep -v '^qemu: uncaught target signal' >&2; } 3>&1
exit "${PIPESTATUS[0]}"
