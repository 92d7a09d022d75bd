#!/usr/bin/env bash
# mkh boot's outputs: the RPC tour in the report, the --stats table (every served service
# seen from every cluster, zero errors), --json (valid JSON, zero errors, the tour), and
# --trace (valid Chrome trace JSON with client and server slices and flow arrows), and a
# topology of more clusters than an RPC pool holds threads (the tour once deadlocked there).
# Usage: boot_outputs.sh path/to/mkh
set -u
mkh=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
fail() { echo "FAIL $*"; failures=$((failures + 1)); }

"$mkh" boot --topology 2x2:2 --bank-mib 16 --stats >"$work/stats.txt" 2>&1 || fail "boot --stats exited $?"
grep -q '^errors: 0$' "$work/stats.txt" || fail "boot --stats does not report zero errors"
grep -q 'RPC tour: .* 0 wrong answers' "$work/stats.txt" || fail "no RPC tour line"
# The table's columns: cxy index service | sent served direct errors retries failed | p50 p99.
for service in PMEM_GET_PAGES PMEM_RELEASE_PAGES THREAD_KERNEL_CREATE THREAD_KILL KCM_ALLOC KCM_FREE SCHED_DISPLAY; do
  rows=$(awk -v service="$service" '$3 == service && $4 == "|" && $5 > 0 && $6 > 0 && $8 == 0' "$work/stats.txt" | wc -l)
  [ "$rows" -eq 4 ] || fail "$service: sent, served and with zero errors in $rows of 4 clusters"
done

"$mkh" boot --topology 12x11:1 --bank-mib 16 --rounds 10 --laps 2 >"$work/big.txt" 2>&1 || fail "boot 12x11:1 exited $?"
grep -q '^errors: 0$' "$work/big.txt" || fail "boot 12x11:1 does not report zero errors"

"$mkh" boot --topology 2x1:2 --bank-mib 16 --json >"$work/report.json" 2>"$work/json.err" || fail "boot --json exited $?"
python3 - "$work/report.json" <<'PY' || fail "--json output"
import json, sys
report = json.load(open(sys.argv[1]))
assert report["total_errors"] == 0, report["total_errors"]
assert report["rpc_tour"]["calls"] > 0 and report["rpc_tour"]["wrong_answers"] == 0
assert len(report["clusters"]) == 2
for cluster in report["clusters"]:
    served = {r["name"]: r["served"] for r in cluster["rpc"]}
    for name in ("PMEM_GET_PAGES", "KCM_ALLOC", "THREAD_KERNEL_CREATE", "SCHED_DISPLAY"):
        assert served.get(name, 0) > 0, (cluster["cxy"], name)
PY

"$mkh" boot --topology 2x1:1 --bank-mib 16 --trace "$work/trace.json" >/dev/null 2>&1 || fail "boot --trace exited $?"
python3 - "$work/trace.json" <<'PY' || fail "--trace output"
import json, sys
events = json.load(open(sys.argv[1]))["traceEvents"]
clients = [e for e in events if e.get("ph") == "X" and e.get("cat") == "rpc.client"]
servers = [e for e in events if e.get("ph") == "X" and e.get("cat") == "rpc.server"]
starts = {e["id"] for e in events if e.get("ph") == "s"}
ends = {e["id"] for e in events if e.get("ph") == "f"}
assert clients and servers, (len(clients), len(servers))
assert starts & ends, "no flow arrow from a client to a server"
PY

"$mkh" boot --trace /nonexistent-dir/trace.json >"$work/bad.txt" 2>&1
status=$?
[ "$status" -eq 2 ] || fail "--trace into a missing directory exited $status, expected 2 (checked before booting)"
grep -q -- "--trace /nonexistent-dir/trace.json" "$work/bad.txt" || fail "--trace error does not name the file"

total=5
echo "$((total - (failures > total ? total : failures))) passed, $failures failed"
[ "$failures" -eq 0 ]
