#!/usr/bin/env bash
# The referees judged: each script of tests/fs/ run against the mtools stand-in of `mkh fs`
# (standin.py) must pass, and must fail when the stand-in is made wrong on purpose (a flipped
# byte in what it reads, an entry it does not list, a cluster it leaks). Runs without mkh.
# Usage: selfcheck.sh
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
standin=$here/standin.py
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
total=0
# expect NAME STATUS command...: passes when the command exits 0 (STATUS pass) or not (fail).
expect() {
  local name=$1 want=$2 log
  shift 2
  total=$((total + 1))
  log=$("$@" 2>&1)
  local status=$?
  if { [ "$want" = pass ] && [ "$status" -eq 0 ]; } || { [ "$want" = fail ] && [ "$status" -eq 1 ]; }; then
    echo "ok   $name"
  else
    echo "FAIL $name: exit $status"
    echo "$log" | tail -15
    failures=$((failures + 1))
  fi
}
export MKH_FS_MTOOLS_NAMES=1
expect "readback passes a right reader" pass python3 "$here/readback.py" "$standin" --only c4k
expect "readback fails a wrong byte" fail env MKH_STANDIN_FAULT=flip-byte python3 "$here/readback.py" "$standin" --only c1k
expect "readback fails a missing entry" fail env MKH_STANDIN_FAULT=drop-entry python3 "$here/readback.py" "$standin" --only c32k
expect "writes passes a right writer" pass python3 "$here/writes.py" "$standin"
expect "writes fails a leaked cluster" fail env MKH_STANDIN_FAULT=leak-cluster python3 "$here/writes.py" "$standin"
expect "differential passes a right writer" pass python3 "$here/differential.py" "$standin" --seed 3 --ops 300
expect "differential fails a leaked cluster" fail env MKH_STANDIN_FAULT=leak-cluster \
  python3 "$here/differential.py" "$standin" --seed 4 --ops 100 --keep "$work/differential"
expect "badimages passes a careful reader" pass python3 "$here/badimages.py" "$standin"
echo "$((total - failures)) passed, $failures failed"
[ "$failures" -eq 0 ]
