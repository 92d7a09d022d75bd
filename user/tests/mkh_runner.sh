#!/usr/bin/env bash
# The `mkh exec` runner of the user programs' referee (user/tests/check.sh), the twin of
# qemu_runner.sh: MKH IMAGE [--env K=V]... PROGRAM [ARG...], the exit status mkh's (the
# program's). mkh's own report of a signal ("mkh: exec: PATH: killed by signal N") is dropped
# from stderr, as qemu_runner.sh drops qemu's: it is the runner speaking, not the program.
set -uo pipefail
mkh=$1 image=$2
shift 2
{ "$mkh" exec --disk "$image" "$@" 2>&1 1>&3 3>&- | grep -v '^mkh: exec: .*: killed by signal' >&2; } 3>&1
exit "${PIPESTATUS[0]}"
