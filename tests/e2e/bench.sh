#!/usr/bin/env bash
# Smoke runs of the benchmarks: `mkh bench core` and `mkh bench rpc` with one round, as text
# and as JSON (every key there, every figure a number, times and rates above zero). The
# benches check every answer they get and exit 1 naming the measure when one is lost or
# wrong; a run that hangs (a message lost for good) is stopped by timeout and fails.
# Usage: bench.sh path/to/mkh
set -u
mkh=$1
. "$(dirname "${BASH_SOURCE[0]}")/lib/check.sh"
limit=300

# bench_json WHICH KEY... runs `mkh bench WHICH --rounds 1 --json` and prints "json ok" when
# its output is one JSON object holding every KEY as a positive number.
bench_json() {
  local which=$1
  shift
  timeout "$limit" "$mkh" bench "$which" --rounds 1 --json >"$work/$which.json" || return
  python3 - "$work/$which.json" "$@" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
for key in sys.argv[2:]:
    value = report[key]
    assert isinstance(value, (int, float)) and value > 0, (key, value)
if "spin_sweep" in report:
    assert [p["spin_us"] for p in report["spin_sweep"]] == [0, 20, 50, 200], report["spin_sweep"]
    for point in report["spin_sweep"]:
        assert point["rtt_ns"] > 0 and point["cpu_us_per_call"] > 0, point
print("json ok")
PY
}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

check core-text 0 '^  kcm 64-byte alloc\+free +[0-9.]+ ns$' -- timeout "$limit" "$mkh" bench core --rounds 1
check core-json 0 '^json ok$' -- bench_json core rounds fiber_switch_ns thread_switch_ns \
  block_unblock_run_spinning_ns block_unblock_run_sleeping_ns ppm_alloc_free_ns kcm_alloc_free_ns \
  ratio_sleeping_over_spinning
check rpc-text 0 '^  rpc_rtt_ns +[0-9.]+$' -- timeout "$limit" "$mkh" bench rpc --rounds 1
check rpc-json 0 '^json ok$' -- bench_json rpc rounds spin_us floor_rtt_ns rpc_rtt_ns atomic_queue_rtt_ns \
  futex_rtt_ns rpc_sleep_rtt_ns condvar_rtt_ns rpc_nb_mops atomic_queue_stream_mops rpc_nb_n1_mops \
  atomic_queue_stream_n1_mops shared_cpu_rpc_ns shared_cpu_futex_ns multicast4_ns ratio_rpc_over_floor \
  ratio_rpc_over_atomic_queue ratio_rpc_sleep_over_futex ratio_rpc_nb_over_atomic_queue_stream \
  ratio_shared_cpu_rpc_over_futex spin_sweep_pause_us

finish
