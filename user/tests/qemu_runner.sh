#!/usr/bin/env bash
# The qemu-riscv32 runner of the user programs' referee (user/tests/check.sh): takes the
# arguments `mkh exec` takes — [--env K=V]... PROGRAM [ARG...] — and runs PROGRAM under
# qemu-riscv32 with exactly that environment (nothing of the host's), the exit status its own
# (128+signal when the program is killed). qemu's own report of an uncaught signal ("qemu:
# uncaught target signal ...") is dropped from stderr: it is the runner speaking, not the
# program. Skips (77) when qemu-riscv32 is missing.
set -uo pipefail
# Found here, by the host's PATH: the program's environment may hold a PATH of its own.
qemu=$(command -v qemu-riscv32) || { echo "SKIP: qemu-riscv32 is not installed (make deps installs qemu-user)"; exit 77; }
environment=()
while [ $# -gt 0 ] && [ "$1" = --env ]; do
  environment+=("$2")
  shift 2
done
# qemu turns an uncaught signal into the same signal on itself: bash sees 128+signal, and
# reports it on its own stderr ("... Aborted  env -i ..."), kept out of the program's by the
# group's redirection; the program's stderr goes through a file. A descriptor the runner
# inherited (ctest leaves one open) is closed: a program starts with 0, 1 and 2, as under mkh.
errors=$(mktemp)
trap 'rm -f "$errors"' EXIT
{ env -i "${environment[@]}" "$qemu" "$@" 2>"$errors" 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&-; } 2>/dev/null
status=$?
grep -v '^qemu: uncaught target signal' "$errors" >&2
exit "$status"
