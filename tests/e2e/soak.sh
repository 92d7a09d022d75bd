#!/usr/bin/env bash
# mkh soak: bad input (exit 2 with a message that names the problem), short runs that pass
# ("soak: OK", exit 0) with and without faults, JSON, and two deterministic runs of one seed
# that print the same figures (the "time:" line aside). Usage: soak.sh path/to/mkh
set -u
mkh=$1
. "$(dirname "${BASH_SOURCE[0]}")/lib/check.sh"

check help 0 '--deterministic' -- "$mkh" soak --help
check listed 0 'soak' -- "$mkh" --help
check both 2 'exactly one of --seconds N and --ops N \(both given\)' -- "$mkh" soak --seconds 1 --ops 10 --seed 1
check neither 2 'exactly one of --seconds N and --ops N \(neither given\)' -- "$mkh" soak --seed 1
check ops-zero 2 '--ops: Value 0 not in range 1 to' -- "$mkh" soak --ops 0 --seed 1
check ops-negative 2 '--ops' -- "$mkh" soak --ops -5 --seed 1
check ops-huge 2 '--ops: Value 99999999999 not in range' -- "$mkh" soak --ops 99999999999 --seed 1
check seconds-huge 2 '--seconds: Value 999999 not in range' -- "$mkh" soak --seconds 999999 --seed 1
check seed-missing 2 '--seed' -- "$mkh" soak --ops 10
check seed-typo 2 '--seeds' -- "$mkh" soak --ops 10 --seed 1 --seeds 3
check seed-negative 2 '--seed' -- "$mkh" soak --ops 10 --seed -1
check faults-probability 2 "mkh: --faults: fault 'ppm': probability 2 is not in \[0, 1\]" -- "$mkh" soak --ops 10 --seed 1 --faults ppm=2
check faults-unknown 2 "mkh: --faults: unknown fault 'bogus'" -- "$mkh" soak --ops 10 --seed 1 --faults bogus=1
check faults-form 2 "mkh: --faults: fault item 'ppm' is not KEY=VALUE" -- "$mkh" soak --ops 10 --seed 1 --faults ppm
check faults-fifo 2 'mkh: --faults: RPC FIFO of 3 slots' -- "$mkh" soak --ops 10 --seed 1 --faults fifo=3
check deterministic-seconds 2 '--deterministic needs --ops N' -- "$mkh" soak --deterministic --seconds 1 --seed 1
check topology-zero 2 "mkh: --topology: topology '0x1:1': X \(clusters per row\) must be at least 1" -- "$mkh" soak --topology 0x1:1 --ops 10 --seed 1
check topology-cores 2 'at most 1024' -- "$mkh" soak --topology 16x16:8 --ops 10 --seed 1
check bank 2 '--bank-mib: Value 0 not in range' -- "$mkh" soak --bank-mib 0 --ops 10 --seed 1

check short 0 '^soak: OK$' -- "$mkh" soak --ops 500 --seed 1
check short-figures 0 '^invariant checks: [0-9]+ passed$' -- "$mkh" soak --ops 500 --seed 1 --topology 2x1:2
check one-core 0 '^soak: OK$' -- "$mkh" soak --ops 300 --seed 2 --topology 1x1:1
check faults 0 '^faults injected: ppm [1-9]' -- "$mkh" soak --ops 500 --seed 3 --faults ppm=0.1,kcm=0.1,fifo=2,pool=2
check timed 0 '^soak: OK$' -- "$mkh" soak --seconds 1 --seed 4
check json 0 '^\{.*"replay": "mkh soak --ops 200 --seed 5 .*"ok": true.*"invariant_checks": \{"passed": [1-9][0-9]*, "failed": 0\}' -- "$mkh" soak --ops 200 --seed 5 --json

# Deterministic: the same seed prints the same figures; only the "time:" line may differ.
total=$((total + 1))
first=$("$mkh" soak --ops 2000 --seed 6 --topology 2x2:2 --faults ppm=0.05,points=0.02 --deterministic 2>/dev/null)
status1=$?
second=$("$mkh" soak --ops 2000 --seed 6 --topology 2x2:2 --faults ppm=0.05,points=0.02 --deterministic 2>/dev/null)
status2=$?
if [ "$status1" -ne 0 ] || [ "$status2" -ne 0 ]; then
  echo "FAIL deterministic: exits $status1 and $status2"; failures=$((failures + 1))
elif ! diff <(grep -v '^time:' <<<"$first") <(grep -v '^time:' <<<"$second"); then
  echo "FAIL deterministic: two runs of seed 6 differ"; failures=$((failures + 1))
elif ! grep -q '^rpcs: sent [1-9]' <<<"$first"; then
  echo "FAIL deterministic: no figures"; echo "$first" | tail -5; failures=$((failures + 1))
else
  echo "ok   deterministic"
fi

finish
