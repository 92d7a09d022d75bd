# Shared by the e2e scripts (sourced, not a test): check NAME EXPECTED_EXIT PATTERN --
# command... runs the command and passes when it exits EXPECTED_EXIT and its output (stdout
# and stderr) matches the extended regex PATTERN; finish prints the tally and fails if any
# check failed.
failures=0
total=0
check() {
  local name=$1 expected=$2 pattern=$3
  shift 4
  total=$((total + 1))
  local output status
  output=$("$@" 2>&1)
  status=$?
  if [ "$status" -ne "$expected" ]; then
    echo "FAIL $name: exit $status, expected $expected"; echo "$output" | tail -5; failures=$((failures + 1)); return
  fi
  if ! grep -qE -- "$pattern" <<<"$output"; then
    echo "FAIL $name: output lacks /$pattern/"; echo "$output" | tail -5; failures=$((failures + 1)); return
  fi
  echo "ok   $name"
}
finish() {
  echo "$((total - failures)) passed, $failures failed"
  [ "$failures" -eq 0 ]
}
