// The soak's private state, shared by soak.cpp (master, figures, final invariants) and
// workload.cpp (workers and children) and by nothing else: the record of one run, the
// counted RPC call and the invariant checks. Layer: soak. Calls the typed RPC clients and
// fmt. The bookkeeping (counters, worker records, messages) is harness memory on the host
// heap, like the RPC tour's; every descriptor an RPC carries lives in a bank (a kernel
// thread's stack), and kernel state of other clusters is read through hal::remote_* only.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "hal/xptr.hpp"
#include "libk/host_mutex.hpp"
#include "mkh/soak.hpp"
#include "rpc/catalog.hpp"
#include "rpc/marshal.hpp"

namespace mkh::soak::detail {

constexpr uint32_t kChildSlots = 4;    // a worker's children not yet finished or killed
constexpr uint32_t kTries = 100'000;   // a creation at setup or a free, retried on kNoMem/kAgain
constexpr uint32_t kErrnoSlots = 128;  // Linux errno values are below this

// A worker's record of one child thread: (generation << 2) | phase. The child and its
// worker settle it by compare-and-swap, so a child that runs late (killed while it ran,
// or its slot reused since) changes nothing.
enum ChildPhase : uint64_t { kSlotFree = 0, kSlotRunning = 1, kSlotFinished = 2, kSlotKilled = 3 };
inline uint64_t slot_word(uint64_t generation, ChildPhase phase) { return (generation << 2) | phase; }

struct WorkerState {
  // set by run_soak before the master starts
  uint32_t index = 0;
  hal::lid_t lid = 0;
  uint64_t budget = 0;  // operations to run (unless timed)
  // published by the worker before it arrives at the gate (0: never created)
  std::atomic<hal::xptr_t> thread{0};
  // the child slots: the worker and its children
  std::atomic<uint64_t> children[kChildSlots] = {};
  // the worker's own
  hal::xptr_t child_thread[kChildSlots] = {};
  uint64_t child_generation = 0;
};

struct SoakRun {
  // immutable once the master runs
  const SoakOptions* options = nullptr;
  std::vector<uint32_t> clusters;
  uint32_t cores_per_cluster = 0;
  uint64_t seed = 0;
  bool timed = false;
  uint32_t worker_count = 0;
  std::unique_ptr<WorkerState[]> workers;
  std::unique_ptr<uint32_t[]> leader_cluster;  // a leader's argument: its cluster's index
  // Per core (cluster index * C + lid): RPC threads that chains may still hold blocked.
  std::unique_ptr<std::atomic<int32_t>[]> chain_units;

  // the master's wake-up flag (in its stack) and thread, set before it creates anything
  std::atomic<hal::xptr_t> master_thread{0};
  std::atomic<hal::xptr_t> master_flags{0};  // the master's two event flags (soak.cpp)
  std::atomic<uint32_t> arrived{0};
  std::atomic<uint32_t> finished{0};
  std::atomic<bool> stop{false};         // timed runs: set by the host at the deadline
  std::atomic<bool> master_done{false};  // the snapshot is taken
  std::atomic<uint64_t> progress{0};     // completed calls and operations, for the watchdog

  // counts (relaxed: read once every thread has finished)
  std::atomic<uint64_t> ops[kOpKinds] = {};
  std::atomic<uint64_t> window_requests{0}, window_posted{0}, window_completed{0};
  std::atomic<uint64_t> multicast_posts{0}, chain_levels{0}, chains_without_token{0};
  std::atomic<uint64_t> children_created{0}, children_finished{0}, children_killed{0}, child_pings{0};
  std::atomic<uint64_t> pages_allocated{0}, pages_released{0}, objects_allocated{0}, objects_freed{0};
  std::atomic<uint64_t> posts[rpc::kRpcStatSlots] = {};          // calls the soak made, by index
  std::atomic<uint64_t> client_errors[rpc::kRpcStatSlots] = {};  // errors its calls returned
  std::atomic<uint64_t> chain_posts_min{0}, chain_posts_max{0};  // a failed chain stops early
  std::atomic<uint64_t> errors[kErrnoSlots] = {};
  std::atomic<uint64_t> checks{0}, failures{0};
  libk::HostMutex messages_lock;
  std::vector<std::string> messages GUARDED_BY(messages_lock);

  // written by the master before master_done
  SoakCounts snapshot;
  bool snapshot_taken = false;
  std::chrono::steady_clock::time_point ended;  // timing only: not a figure of the workload
};

extern std::atomic<SoakRun*> g_run;  // one machine, hence one soak, per process

inline void bump(std::atomic<uint64_t>& counter, uint64_t n = 1) { counter.fetch_add(n, std::memory_order_relaxed); }
inline uint64_t read(const std::atomic<uint64_t>& counter) { return counter.load(std::memory_order_relaxed); }

void violation(SoakRun& run, std::string message);

// One invariant check: counted; a violation (described lazily) when it does not hold.
template <typename... Args>
bool check(SoakRun& run, bool holds, fmt::format_string<Args...> what, Args&&... args) {
  bump(run.checks);
  if (!holds) violation(run, fmt::format(what, std::forward<Args>(args)...));
  return holds;
}

// What a soak call may get back: kAgain (a FIFO stayed full), and kNoMem where the server
// allocates (injected or real exhaustion). Anything else is a violation.
bool expected_error(Errno e, bool allocates);

// A blocking call through the typed client, counted: posts and errors by index, errors by
// Errno. MKH_CHAIN counts its own posts (its servers post the nested levels). Counted once
// the call returns: rpc_send is a deletion point, where a killed child is destroyed without
// posting; a call that returns has posted (or had its post refused, or was served directly).
template <uint32_t kIndex, typename... Args>
auto call(SoakRun& run, hal::cxy_t cxy, Args... args) {
  constexpr uint32_t slot = rpc::rpc_stat_slot(kIndex);
  auto result = rpc::rpc_call<kIndex>(cxy, args...);
  if constexpr (kIndex != rpc::RPC_MKH_CHAIN) bump(run.posts[slot]);
  if (!result) {
    bump(run.client_errors[slot]);
    bump(run.errors[std::min<uint32_t>(uint32_t(result.error()), kErrnoSlots - 1)]);
  }
  bump(run.progress);
  return result;
}

// The gate's counts (soak.cpp): the last worker to arrive, and the last to finish, wakes
// the master. A worker that cannot be created counts as both.
void worker_arrived(SoakRun& run);
void worker_finished(SoakRun& run);

// The kernel threads' side (workload.cpp): the workers of the caller's cluster, and the
// entry of a leader, which creates its cluster's workers (argument: the cluster's index).
void create_workers_here(SoakRun& run, uint32_t cluster_index);
void leader_entry(void* raw);

}  // namespace mkh::soak::detail
