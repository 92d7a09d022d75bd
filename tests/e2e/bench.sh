#!/usr/bin/env bash
# Smoke runs of the benchmarks: `mkh bench core`, `mkh bench rpc`, `mkh bench fs` and `mkh
# bench user` (small sizes) with one round, as text and as JSON (every key there, every
# figure a number, times and rates above zero; with one round, a ratio is the ratio of its
# two figures). The benches check every answer they get (bench fs: every byte read, and
# what mkh wrote read back by mtools; bench user: the same output under mkh and qemu, every
# page table entry answered) and exit 1 naming the measure when one is lost or wrong; a run
# that hangs (a message lost for good) is stopped by timeout and fails. Never a timed
# assertion.
# Usage: bench.sh path/to/mkh
set -u
mkh=$1
. "$(dirname "${BASH_SOURCE[0]}")/lib/check.sh"
limit=300

# The options that keep a smoke run small. bench fs makes its image (512 MiB) under $TMPDIR:
# here, so that a run stopped by timeout leaves nothing behind; its banks are small (it
# populates them at each of its boots: 2 x 256 MiB took 7 s of a run's 8 here).
declare -A small=([fs]="--mib 4 --files 100 --bank-mib 32" [user]="--bench-rounds 2 --fault-pages 64 --execs 3")

# bench_json WHICH KEY... runs `mkh bench WHICH --rounds 1 --json` (and the small options of
# WHICH) and prints "json ok" when its output is one JSON object holding every KEY as a
# positive number.
bench_json() {
  local which=$1
  shift
  # shellcheck disable=SC2086  # the small options are words
  TMPDIR=$work timeout "$limit" "$mkh" bench "$which" --rounds 1 --json ${small[$which]:-} >"$work/$which.json" || return
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
# bench fs: one round, so each ratio is the quotient of the round's two figures (as printed,
# to three decimals).
for ratio, mkh, peer in [("ratio_read_cold_over_mcopy", "read_cold_mibs", "mcopy_read_mibs"),
                         ("ratio_write_over_mcopy", "write_mibs", "mcopy_write_mibs"),
                         ("ratio_create_over_mcopy", "create_files_per_s", "mcopy_create_files_per_s"),
                         ("ratio_over_qemu", "mips", "qemu_mips"),
                         ("ratio_fault_over_zero", "fault_ns", "page_zero_ns"),
                         ("ratio_rpc_over_floor", "rpc_rtt_ns", "floor_rtt_ns"),
                         ("ratio_rpc_over_floor_byref", "rpc_rtt_ns", "floor_byref_rtt_ns"),
                         ("ratio_rpc_over_floor_slot", "rpc_rtt_ns", "floor_slot_rtt_ns"),
                         ("ratio_floor_slot_over_atomic_queue", "floor_slot_rtt_ns", "atomic_queue_rtt_ns"),
                         ("ratio_floor_placed_slowest_over_fastest", "floor_placed_slowest_rtt_ns",
                          "floor_placed_fastest_rtt_ns"),
                         ("ratio_rpc_over_floor_placed_fastest", "rpc_rtt_ns", "floor_placed_fastest_rtt_ns"),
                         ("ratio_rpc_over_atomic_queue", "rpc_rtt_ns", "atomic_queue_rtt_ns"),
                         ("ratio_rpc_over_atomic_queue_mpmc_byref", "rpc_rtt_ns",
                          "atomic_queue_mpmc_byref_rtt_ns"),
                         ("ratio_rpc_sleep_over_futex", "rpc_sleep_rtt_ns", "futex_rtt_ns"),
                         ("ratio_rpc_sleep_over_futex_median", "rpc_sleep_rtt_median_ns",
                          "futex_sleep_rtt_median_ns")]:
    if ratio in report:
        expected = report[mkh] / report[peer]
        assert abs(report[ratio] - expected) <= 0.002 + 0.002 * expected, (ratio, report[ratio], expected)
# bench rpc: the placement each round saw (read from its floor) and the measures not pinned.
if "placement_fast_rounds" in report:
    assert len(report["per_round"]) == report["rounds"], report["per_round"]
    for r in report["per_round"]:
        assert r["placement"] in ("fast", "slow", "loaded") and r["floor_rtt_ns"] > 0 and r["rpc_rtt_ns"] > 0, r
    placed = [r["placement"] for r in report["per_round"]]
    assert report["placement_fast_rounds"] == placed.count("fast"), report
    assert report["placement_slow_rounds"] == placed.count("slow"), report
    assert report["placement_loaded_rounds"] == placed.count("loaded"), report
    assert report["unpinned_measures"] == len(report["unpinned"]), report
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
check rpc-json 0 '^json ok$' -- bench_json rpc rounds spin_us floor_rtt_ns floor_byref_rtt_ns floor_slot_rtt_ns rpc_rtt_ns \
  atomic_queue_rtt_ns atomic_queue_mpmc_byref_rtt_ns futex_rtt_ns rpc_sleep_rtt_ns futex_sleep_rtt_median_ns \
  rpc_sleep_rtt_median_ns ratio_rpc_sleep_over_futex_median condvar_rtt_ns rpc_nb_mops \
  atomic_queue_stream_mops rpc_nb_n1_mops atomic_queue_stream_n1_mops shared_cpu_rpc_ns shared_cpu_futex_ns \
  multicast4_ns ratio_rpc_over_floor ratio_rpc_over_floor_byref ratio_rpc_over_floor_slot \
  ratio_floor_slot_over_atomic_queue ratio_rpc_over_atomic_queue floor_placed_fastest_rtt_ns \
  floor_placed_slowest_rtt_ns ratio_floor_placed_slowest_over_fastest ratio_rpc_over_floor_placed_fastest \
  ratio_rpc_over_atomic_queue_mpmc_byref ratio_rpc_sleep_over_futex ratio_rpc_nb_over_atomic_queue_stream \
  ratio_shared_cpu_rpc_over_futex spin_sweep_pause_us
check fs-text 0 '^  read_cold_mibs +[0-9.]+$' -- env TMPDIR="$work" timeout "$limit" "$mkh" bench fs --rounds 1 --mib 2 \
  --files 20 --bank-mib 32
check fs-json 0 '^json ok$' -- bench_json fs rounds mib files read_cold_mibs read_warm_mibs mcopy_read_mibs \
  write_mibs mcopy_write_mibs create_files_per_s mcopy_create_files_per_s random_read_cold_per_s \
  random_read_warm_per_s mcopy_empty_ms ratio_read_cold_over_mcopy ratio_read_warm_over_mcopy ratio_write_over_mcopy \
  ratio_create_over_mcopy

# bench user needs the user programs (riscv64-unknown-elf-gcc, picolibc) and qemu-riscv32.
if [ -x "$(dirname "$mkh")/user/bin/bench" ] && command -v qemu-riscv32 >/dev/null; then
  # shellcheck disable=SC2086  # the small options are words
  check user-text 0 '^  mips +[0-9.]+$' -- env TMPDIR="$work" timeout "$limit" "$mkh" bench user --rounds 1 \
    ${small[user]}
  check user-json 0 '^json ok$' -- bench_json user rounds bench_rounds instructions host_cpus mips qemu_mips \
    ratio_over_qemu fault_ns fault_remote_ns fault_copy_ns copy_hit_ns page_zero_ns rpc_ping_ns ratio_fault_over_zero \
    ratio_copy_over_remote host_fault_ns exec_per_s \
    qemu_exec_per_s
else
  echo "skip user: no user/bin/bench beside $mkh or no qemu-riscv32 (make deps installs them)"
fi

finish
