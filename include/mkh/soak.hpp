// The soak of the RPC layer (`mkh soak`): random concurrent workloads from a worker kernel
// thread on every core, invariant checks while they run and after shutdown, figures.
// Public API, implemented by the soak layer (src/soak/, above boot): it drives the machine
// through the Machine API and calls the typed RPC clients, kern threads and fault counters.
// Same seed + same topology => same operations per worker; with MachineConfig::deterministic
// the same interleaving too, hence the same figures (SoakCounts) run after run.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mkh/config.hpp"
#include "mkh/result.hpp"

namespace mkh::soak {

struct SoakOptions {
  MachineConfig config;  // topology, bank, faults, seed (of the workload too), deterministic
  uint64_t ops = 0;      // > 0: this many operations machine-wide, split among the workers
  uint32_t seconds = 0;  // else: run this long (refused with config.deterministic)
  // No operation completed machine-wide for this long: a hang, reported with every core's
  // display. A deterministic run (one host thread for every core) gets 6 times as long.
  std::chrono::seconds hang_timeout{20};
  // Test hook: added to the MKH_PING posts the soak expects the machine to have counted,
  // so that a test sees the accounting invariant fail. 0 outside tests.
  int64_t test_ping_skew = 0;
  // Test hook: worker 0 parks for good instead of running, so that the watchdog must
  // report a hang (and shutdown abandon it).
  bool test_park_first_worker = false;
};

// The operations a worker draws.
#define MKH_SOAK_OPS(X)      \
  X(kPing, "ping")           \
  X(kWindow, "window")       \
  X(kMulticast, "multicast") \
  X(kChain, "chain")         \
  X(kThread, "thread")       \
  X(kPages, "pages")         \
  X(kObjects, "objects")

enum class OpKind : uint32_t {
#define MKH_X(name, label) name,
  MKH_SOAK_OPS(MKH_X)
#undef MKH_X
      kCount
};
inline constexpr uint32_t kOpKinds = uint32_t(OpKind::kCount);
std::string_view op_kind_name(OpKind kind);

// One RPC index machine-wide: client-side counts summed over the clients' clusters,
// server-side ones over the servers'.
struct SoakRpcFigures {
  uint32_t index = 0;
  std::string name;
  uint64_t sent = 0;
  uint64_t served = 0;
  uint64_t errors = 0;         // returned by servers
  uint64_t send_failures = 0;  // posts given up on a full FIFO (kAgain)
  uint64_t direct = 0;         // local calls served directly by the caller (no FIFO)
  uint64_t fifo_full_retries = 0;
  friend bool operator==(const SoakRpcFigures&, const SoakRpcFigures&) = default;
};

struct SoakErrorCount {
  Errno error = Errno::kOk;
  uint64_t count = 0;
  friend bool operator==(const SoakErrorCount&, const SoakErrorCount&) = default;
};

// The figures the workload determines: equal between two deterministic runs of one seed.
// Taken inside the machine by the soak's master thread once every worker and every thread
// they created has finished, so that idle scheduling steps afterwards do not change them.
struct SoakCounts {
  uint32_t workers = 0;
  uint64_t ops[kOpKinds] = {};
  uint64_t window_requests = 0;       // non-blocking descriptors posted
  uint64_t multicast_posts = 0;       // clusters addressed by multicasts
  uint64_t chain_levels = 0;          // depth + 1 of every chain asked for
  uint64_t chains_without_token = 0;  // chains drawn but not run (pool budget), a ping instead
  uint64_t children_created = 0;      // kernel threads created by THREAD_KERNEL_CREATE
  uint64_t children_finished = 0;
  uint64_t children_killed = 0;  // THREAD_KILL answered OK
  uint64_t child_pings = 0;
  uint64_t pages_allocated = 0;     // PMEM_GET_PAGES that succeeded (all released)
  uint64_t objects_allocated = 0;   // KCM_ALLOC that succeeded (all freed)
  std::vector<SoakRpcFigures> rpc;  // indexes with any activity
  uint64_t rpc_sent = 0;
  uint64_t rpc_served = 0;
  uint64_t rpc_send_failures = 0;
  uint64_t rpc_direct = 0;
  uint64_t fifo_full_retries = 0;
  std::vector<SoakErrorCount> errors_returned;  // to the soak's callers, by Errno
  FaultReport faults;                           // injected from boot to the snapshot
  uint64_t invariant_checks = 0;                // made while the workload ran

  uint64_t ops_total() const;
  friend bool operator==(const SoakCounts&, const SoakCounts&) = default;
};

struct SoakFigures {
  SoakCounts counts;              // at the end of the workload (see SoakCounts)
  bool snapshot_taken = false;    // false after a hang: counts then come from shutdown
  uint64_t invariant_checks = 0;  // every check, the final ones included (passed + failed)
  uint64_t invariant_failures = 0;
  std::vector<std::string> violations;  // the first ones, one line each
  std::string core_displays;            // after a hang: the scheduler state of every core
  double seconds = 0;                   // from Machine::start() to the end of the workload
  bool ok() const { return invariant_failures == 0; }
};

// Boots a machine with options.config, runs the soak, shuts the machine down and checks the
// final invariants. The error says why the soak could not run (bad options: kInval; the
// boot's error; the master thread's); invariant violations are in the figures.
Result<SoakFigures, Error> run_soak(const SoakOptions& options);

}  // namespace mkh::soak
