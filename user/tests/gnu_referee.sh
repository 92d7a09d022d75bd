# Sourced by the scripts that referee one of mkh's programs against GNU's own (sed.sh, ed.sh,
# diff.sh): the qemu-riscv32 that runs mkh's program as mkh does (skipped without it), a
# scratch folder $work removed at the end, the C locale and UTC, and the tally.
# Usage: source gnu_referee.sh NAME
qemu=$(command -v qemu-riscv32) || { echo "SKIP: qemu-riscv32 is not installed (make deps installs qemu-user)"; exit 77; }
export LC_ALL=C TZ=UTC
work=$(mktemp -d "${TMPDIR:-/tmp}/mkh-$1.XXXXXX")
trap 'rm -rf "$work"' EXIT
status=0 compared=0

# judge WHAT [FOLDERS]: compares $work/gnu.out with mkh.out and gnu.err with mkh.err (and the
# folders $work/gnu and $work/mkh when FOLDERS is given); says what differs as a failure of
# WHAT. Counts the comparison.
judge() {
  local differences
  differences=$(cd "$work" && diff gnu.out mkh.out; diff gnu.err mkh.err; if [ -n "${2:-}" ]; then diff -r gnu mkh; fi)
  if [ -n "$differences" ]; then
    echo "FAIL: $1 (< GNU, > mkh):"
    echo "$differences"
    status=1
  fi
  compared=$((compared + 1))
}
