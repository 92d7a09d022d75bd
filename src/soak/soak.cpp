// The soak (soak.hpp): master, leader, worker and child kernel threads, the operations and
// their checks, the snapshot and the final invariants. Layer: soak. The bookkeeping
// (counters, worker records, messages) is harness memory on the host heap, like the RPC
// tour's; every descriptor an RPC carries lives in a bank (a kernel thread's stack), and
// kernel state of other clusters is read through hal::remote_* only.
//
// Threads. run_soak spawns one master kernel thread (cluster 0, core 0) before
// Machine::start(). The master creates the workers of its own cluster with thread_create
// and, through THREAD_KERNEL_CREATE, one leader in every other cluster, which creates that
// cluster's workers, one per core. Each worker arrives at a gate blocked; the master opens
// it once all have arrived, waits until all have finished and every thread they created
// is gone, then takes the snapshot of the figures from inside the machine.
#include "soak/soak.hpp"

#include <algorithm>
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include <fmt/format.h>

#include "hal/fault.hpp"
#include "kern/cluster.hpp"
#include "kern/sched.hpp"
#include "kern/thread.hpp"
#include "mkh/machine.hpp"
#include "rpc/catalog.hpp"
#include "rpc/rpc.hpp"
#include "rpc/services/kcm.hpp"
#include "rpc/services/mkh.hpp"
#include "rpc/services/pmem.hpp"
#include "rpc/services/thread.hpp"

namespace mkh::soak {

std::string_view op_kind_name(OpKind kind) {
  switch (kind) {
#define MKH_X(name, label) \
  case OpKind::name:       \
    return label;
    MKH_SOAK_OPS(MKH_X)
#undef MKH_X
    case OpKind::kCount:
      break;
  }
  return "?";
}

uint64_t SoakCounts::ops_total() const {
  uint64_t total = 0;
  for (uint64_t n : ops) total += n;
  return total;
}

namespace {

using rpc::RpcDesc;

constexpr uint32_t kMaxWindow = 16;        // non-blocking descriptors in flight per window
constexpr uint32_t kMaxMulticast = 8;      // clusters per multicast
constexpr uint32_t kMaxChainDepth = 6;
constexpr uint32_t kMaxPageOrder = 3;      // PMEM_GET_PAGES of 1 to 8 pages
constexpr uint32_t kChildSlots = 4;        // a worker's children not yet finished or killed
constexpr uint32_t kMaxHeld = 6;           // pages and objects a worker holds at once
constexpr uint32_t kTries = 100'000;       // a creation at setup or a free, retried on kNoMem/kAgain
constexpr uint32_t kPatienceYields = 1000; // yields before a worker kills a child it waits for
constexpr uint32_t kMaxMessages = 20;      // violations kept as text
constexpr uint32_t kErrnoSlots = 128;      // Linux errno values are below this
constexpr uint64_t kGenerationMask = (uint64_t(1) << 40) - 1;

// splitmix64: small, and the same sequence with every standard library.
class Random {
 public:
  explicit Random(uint64_t seed) : m_state(seed) {}
  uint64_t next() {
    uint64_t z = (m_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  uint32_t below(uint32_t n) { return uint32_t(next() % n); }
  uint64_t value() { return next() >> 2; }  // a ping payload: value + 1 does not wrap

 private:
  uint64_t m_state;
};

// The seed of one stream (1: workers, 2: children) and one member of it.
uint64_t stream_seed(uint64_t seed, uint64_t stream, uint64_t member) {
  Random mix(seed ^ (stream << 56));
  return mix.next() ^ Random(member + 0x632be59bd9b4e019ull).next();
}

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
  std::atomic<hal::xptr_t> master_flag{0};
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
  std::mutex messages_lock;
  std::vector<std::string> messages;

  // written by the master before master_done
  SoakCounts snapshot;
  bool snapshot_taken = false;
  std::chrono::steady_clock::time_point ended;  // timing only: not a figure of the workload
};

std::atomic<SoakRun*> g_run{nullptr};  // one machine, hence one soak, per process

void bump(std::atomic<uint64_t>& counter, uint64_t n = 1) { counter.fetch_add(n, std::memory_order_relaxed); }
uint64_t read(const std::atomic<uint64_t>& counter) { return counter.load(std::memory_order_relaxed); }

void violation(SoakRun& run, std::string message) {
  bump(run.failures);
  std::lock_guard<std::mutex> guard(run.messages_lock);
  if (run.messages.size() < kMaxMessages) run.messages.push_back(std::move(message));
}

// One invariant check: counted; a violation (described lazily) when it does not hold.
template <typename... Args>
bool check(SoakRun& run, bool holds, fmt::format_string<Args...> what, Args&&... args) {
  bump(run.checks);
  if (!holds) violation(run, fmt::format(what, std::forward<Args>(args)...));
  return holds;
}

// What a soak call may get back: kAgain (a FIFO stayed full), and kNoMem where the server
// allocates (injected or real exhaustion). Anything else is a violation.
bool expected_error(Errno e, bool allocates) { return e == Errno::kAgain || (allocates && e == Errno::kNoMem); }

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

void count_error(SoakRun& run, uint32_t index, Errno e) {
  bump(run.client_errors[rpc::rpc_stat_slot(index)]);
  bump(run.errors[std::min<uint32_t>(uint32_t(e), kErrnoSlots - 1)]);
}

// A ping whose answer is checked; from workers and children.
void checked_ping(SoakRun& run, hal::cxy_t server, uint64_t value) {
  auto answer = call<rpc::RPC_MKH_PING>(run, server, value);
  if (!answer) {
    check(run, answer.error() == Errno::kAgain, "MKH_PING to {:#x}: {} (only EAGAIN may come back)", server,
          errno_name(answer.error()));
    return;
  }
  check(run, *answer == value + 1, "MKH_PING to {:#x}: answered {} for {}", server, *answer, value);
}

void post_master(SoakRun& run) {
  // Safe although the master may see the flag and go on before the unblock: it waits for
  // every kernel thread of the soak, this one included, to be gone before it returns.
  kern::thread_post_flag(hal::Xptr<uint32_t>(run.master_flag.load()),
                         hal::Xptr<kern::Thread>(run.master_thread.load()), kern::THREAD_BLOCKED_WAIT);
}
void worker_arrived(SoakRun& run) {
  if (run.arrived.fetch_add(1) + 1 == run.worker_count) post_master(run);
}
void worker_finished(SoakRun& run) {
  if (run.finished.fetch_add(1) + 1 == run.worker_count) post_master(run);
}

// ---- children: kernel threads created by THREAD_KERNEL_CREATE on any cluster ----------

// A child's argument: its worker, slot and generation (never a pointer to the slot's
// current contents, which a worker reuses).
uint64_t child_ticket(uint32_t worker, uint32_t slot, uint64_t generation) {
  return (uint64_t(worker) << 48) | (uint64_t(slot) << 40) | generation;
}

void child_entry(void* raw) {
  SoakRun& run = *g_run.load(std::memory_order_acquire);
  const auto ticket = reinterpret_cast<uint64_t>(raw);
  const auto worker = uint32_t(ticket >> 48);
  const auto slot = uint32_t((ticket >> 40) & 0xff);
  const uint64_t generation = ticket & kGenerationMask;
  Random random(stream_seed(run.seed, 2, ticket));
  const uint32_t pings = 1 + random.below(3);
  for (uint32_t i = 0; i < pings; ++i) {
    const hal::cxy_t server = run.clusters[random.below(uint32_t(run.clusters.size()))];
    checked_ping(run, server, random.value());
    bump(run.child_pings);
    kern::sched_yield();  // a kill requested meanwhile takes effect here
  }
  uint64_t expected = slot_word(generation, kSlotRunning);
  if (run.workers[worker].children[slot].compare_exchange_strong(expected, slot_word(generation, kSlotFinished)))
    bump(run.children_finished);
}

// ---- workers -----------------------------------------------------------------------------

class Worker {
 public:
  Worker(SoakRun& run, WorkerState& state)
      : m_run(run), m_state(state), m_random(stream_seed(run.seed, 1, state.index)),
        m_clusters(uint32_t(run.clusters.size())) {}

  void run_ops() {
    for (uint64_t done = 0; m_run.timed ? !m_run.stop.load(std::memory_order_relaxed) : done < m_state.budget;
         ++done) {
      OpKind kind = draw();
      switch (kind) {
        case OpKind::kPing: {
          const hal::cxy_t server = any_cluster();
          checked_ping(m_run, server, m_random.value());
          break;
        }
        case OpKind::kWindow: window(); break;
        case OpKind::kMulticast: multicast(); break;
        case OpKind::kChain: kind = chain(); break;
        case OpKind::kThread: thread(); break;
        case OpKind::kPages: pages_or_objects(true); break;
        case OpKind::kObjects: pages_or_objects(false); break;
        case OpKind::kCount: break;
      }
      bump(m_run.ops[uint32_t(kind)]);
      bump(m_run.progress);
    }
    while (m_held_nr > 0) release(m_held_nr - 1);
  }

 private:
  struct Held {
    bool page;  // else a kcm object
    hal::cxy_t cxy;
    uint64_t pointer;  // local to cxy
    uint32_t type;
  };

  OpKind draw() {
    // Weights in percent, in OpKind order.
    static constexpr uint32_t kWeights[kOpKinds] = {20, 15, 10, 15, 10, 15, 15};
    uint32_t r = m_random.below(100);
    for (uint32_t kind = 0; kind < kOpKinds; ++kind) {
      if (r < kWeights[kind]) return OpKind(kind);
      r -= kWeights[kind];
    }
    return OpKind::kPing;
  }

  hal::cxy_t any_cluster() { return m_run.clusters[m_random.below(m_clusters)]; }

  // Non-blocking pings, then a wait (by yielding) until every descriptor is answered. The
  // descriptors are in this worker's stack, so in its cluster's bank; workers are never
  // killed, so the stack outlives them.
  void window() {
    const uint32_t size = 1 + m_random.below(kMaxWindow);
    RpcDesc descs[kMaxWindow];
    bool posted[kMaxWindow] = {};
    hal::cxy_t servers[kMaxWindow];
    for (uint32_t i = 0; i < size; ++i) {
      RpcDesc& d = descs[i];
      servers[i] = any_cluster();
      d.index = rpc::RPC_MKH_PING;
      d.blocking = 0;
      d.args[0] = m_random.value();
      bump(m_run.posts[rpc::rpc_stat_slot(rpc::RPC_MKH_PING)]);
      bump(m_run.window_requests);
      auto sent = rpc::rpc_send(servers[i], &d);
      if (!sent) {
        count_error(m_run, rpc::RPC_MKH_PING, sent.error());
        check(m_run, sent.error() == Errno::kAgain, "window MKH_PING to {:#x}: post returned {}", servers[i],
              errno_name(sent.error()));
        continue;
      }
      posted[i] = true;
      bump(m_run.window_posted);
    }
    for (uint32_t i = 0; i < size; ++i) {
      if (!posted[i]) continue;
      const RpcDesc& d = descs[i];
      uint32_t left = 0, spins = 0;
      while ((left = hal::local_load(d.response)) == 1) {
        kern::sched_yield();
        hal::cpu_relax(spins);
      }
      if (!check(m_run, left == 0, "window MKH_PING to {:#x}: response count {} (served more than once?)",
                 servers[i], left))
        continue;
      bump(m_run.window_completed);
      bump(m_run.progress);
      check(m_run, d.error == 0 && d.args[1] == d.args[0] + 1, "window MKH_PING to {:#x}: answered {} for {}, error {}",
            servers[i], d.args[1], d.args[0], d.error);
    }
  }

  // One MKH_PING to k distinct clusters, one descriptor, one shared response count.
  void multicast() {
    const uint32_t k = 1 + m_random.below(std::min(m_clusters, kMaxMulticast));
    uint32_t order[1u << 8];
    for (uint32_t i = 0; i < m_clusters; ++i) order[i] = i;
    hal::cxy_t targets[kMaxMulticast];
    for (uint32_t i = 0; i < k; ++i) {  // a partial Fisher-Yates shuffle
      std::swap(order[i], order[i + m_random.below(m_clusters - i)]);
      targets[i] = m_run.clusters[order[i]];
    }
    RpcDesc desc;
    desc.index = rpc::RPC_MKH_PING;
    desc.args[0] = m_random.value();
    bump(m_run.posts[rpc::rpc_stat_slot(rpc::RPC_MKH_PING)], k);
    bump(m_run.multicast_posts, k);
    auto result = rpc::rpc_multicast(targets, k, &desc);
    bump(m_run.progress);
    check(m_run, (desc.response & rpc::kRpcResponseCount) == 0, "multicast to {} clusters returned with {} responses due",
          k, desc.response & rpc::kRpcResponseCount);
    if (!result) {
      count_error(m_run, rpc::RPC_MKH_PING, result.error());
      check(m_run, result.error() == Errno::kAgain, "multicast MKH_PING to {} clusters: {}", k,
            errno_name(result.error()));
      return;
    }
    check(m_run, desc.args[1] == desc.args[0] + 1, "multicast MKH_PING to {} clusters: answered {} for {}", k,
          desc.args[1], desc.args[0]);
  }

  // A nested MKH_CHAIN S -> O -> S -> ... of `depth` levels, when the pool budget allows it;
  // else a ping (drawn in any case, so the worker's draws do not depend on the budget).
  //
  // Why a budget. Level i of a chain is served on S when i is even, on O when odd, and every
  // level but the deepest waits for the next one inside its RPC thread; a nested call keeps
  // the core index (the client's lid mod C), so at its deepest point a chain holds
  // depth/2 + 1 RPC threads of core (S, lid) and (depth+1)/2 of core (O, lid), all depth+1
  // when S == O. With a pool bound P, chains in flight that together want P threads of one
  // core can deadlock legitimately: each waits for a thread that another one holds. So every
  // core has P - 1 units: a chain takes its share on both its cores before it starts, or
  // does not start. That leaves each core one RPC thread for the other requests, whose
  // services never block, so everything completes; with P = 1 no chain runs at all.
  OpKind chain() {
    const uint32_t depth = 1 + m_random.below(kMaxChainDepth);
    const uint32_t s = m_random.below(m_clusters);
    const uint32_t o = m_clusters == 1 ? s : (s + 1 + m_random.below(m_clusters - 1)) % m_clusters;
    const hal::cxy_t ping_server = any_cluster();
    const uint64_t ping_value = m_random.value();

    const uint32_t lid = m_state.lid;
    std::atomic<int32_t>& at_s = m_run.chain_units[s * m_run.cores_per_cluster + lid];
    std::atomic<int32_t>& at_o = m_run.chain_units[o * m_run.cores_per_cluster + lid];
    const auto need_s = int32_t(s == o ? depth + 1 : depth / 2 + 1);
    const auto need_o = int32_t(s == o ? 0 : (depth + 1) / 2);
    if (!take_units(at_s, need_s)) return no_token(ping_server, ping_value);
    if (!take_units(at_o, need_o)) {
      at_s.fetch_add(need_s);
      return no_token(ping_server, ping_value);
    }
    bump(m_run.chain_levels, depth + 1);
    bump(m_run.chain_posts_max, depth + 1);
    const hal::cxy_t first = m_run.clusters[s];
    auto result = call<rpc::RPC_MKH_CHAIN>(m_run, first, depth, hal::cxy_t(m_run.clusters[o]));
    at_s.fetch_add(need_s);
    at_o.fetch_add(need_o);
    bump(m_run.chain_posts_min, result ? depth + 1 : 1);
    if (!result) {
      check(m_run, result.error() == Errno::kAgain, "MKH_CHAIN of depth {} from {:#x}: {}", depth, first,
            errno_name(result.error()));
    } else {
      check(m_run, *result == depth + 1, "MKH_CHAIN of depth {} from {:#x}: answered {}", depth, first, *result);
    }
    return OpKind::kChain;
  }

  static bool take_units(std::atomic<int32_t>& units, int32_t n) {
    int32_t have = units.load();
    while (have >= n)
      if (units.compare_exchange_weak(have, have - n)) return true;
    return false;
  }

  OpKind no_token(hal::cxy_t server, uint64_t value) {
    bump(m_run.chains_without_token);
    checked_ping(m_run, server, value);
    return OpKind::kPing;
  }

  // THREAD_KERNEL_CREATE of a child on a random cluster; sometimes THREAD_KILL of it, at
  // once (it may be running, blocked in an RPC, or not started) or once it has finished.
  void thread() {
    const hal::cxy_t server = any_cluster();
    const uint32_t kill_mode = m_random.below(4);  // 0, 1: let it run; 2: kill at once; 3: kill late
    const uint32_t slot = free_slot();
    const uint64_t generation = ++m_state.child_generation & kGenerationMask;
    m_state.children[slot].store(slot_word(generation, kSlotRunning));
    auto created = call<rpc::RPC_THREAD_KERNEL_CREATE>(
        m_run, server, uint32_t(kern::ThreadType::DEV), kern::ThreadEntry(&child_entry),
        reinterpret_cast<void*>(child_ticket(m_state.index, slot, generation)));
    if (!created) {
      m_state.children[slot].store(kSlotFree);
      check(m_run, expected_error(created.error(), true), "THREAD_KERNEL_CREATE on {:#x}: {}", server,
            errno_name(created.error()));
      return;
    }
    check(m_run, hal::GET_CXY(*created) == server, "THREAD_KERNEL_CREATE on {:#x}: thread {:#x} is elsewhere", server,
          *created);
    bump(m_run.children_created);
    m_state.child_thread[slot] = *created;
    if (kill_mode < 2) return;
    if (kill_mode == 3)
      for (uint32_t i = 0; i < kPatienceYields && phase(slot) == kSlotRunning; ++i) kern::sched_yield();
    kill(slot);
  }

  uint64_t phase(uint32_t slot) const { return m_state.children[slot].load() & 3; }

  // A slot whose child has finished or was killed; when all four children still run after
  // a while, the first one is killed (it may be gone already: killed through a stale
  // pointer of another worker that met its descriptor).
  uint32_t free_slot() {
    for (uint32_t round = 0;; ++round) {
      for (uint32_t slot = 0; slot < kChildSlots; ++slot)
        if (phase(slot) != kSlotRunning) return slot;
      if (round >= kPatienceYields) {
        kill(0);
        round = 0;
      }
      kern::sched_yield();
    }
  }

  // THREAD_KILL of the child in `slot`. OK: it is destroyed once it holds no RPC (the slot
  // is settled now). Documented errors: ESRCH when it has exited or is being deleted,
  // EINVAL when its descriptor has been reused by an RPC thread since; EAGAIN when the
  // FIFO stayed full. A child gone without finishing was killed through another pointer.
  void kill(uint32_t slot) {
    const hal::xptr_t thread = m_state.child_thread[slot];
    const uint64_t word = m_state.children[slot].load();
    auto killed = call<rpc::RPC_THREAD_KILL>(m_run, hal::GET_CXY(thread), hal::GET_PTR<kern::Thread>(thread));
    if (killed) bump(m_run.children_killed);
    else
      check(m_run,
            killed.error() == Errno::kSrch || killed.error() == Errno::kInval || killed.error() == Errno::kAgain,
            "THREAD_KILL of {:#x}: {}", thread, errno_name(killed.error()));
    if (killed || killed.error() != Errno::kAgain) {
      uint64_t expected = word;
      if ((word & 3) == kSlotRunning) m_state.children[slot].compare_exchange_strong(expected, (word & ~3ull) | kSlotKilled);
    }
  }

  // Pages (PMEM_GET_PAGES / PMEM_RELEASE_PAGES) or objects (KCM_ALLOC / KCM_FREE) of a
  // random cluster: allocate one, or release one held (in random order), all freed at the end.
  void pages_or_objects(bool page) {
    const hal::cxy_t server = any_cluster();
    const uint32_t size = page ? m_random.below(kMaxPageOrder + 1) : m_random.below(kern::kKcmTypeCount);
    const bool release_one = m_random.below(2) == 0;
    const uint32_t pick = m_random.below(kMaxHeld);
    uint32_t mine[kMaxHeld], mine_nr = 0;
    for (uint32_t i = 0; i < m_held_nr; ++i)
      if (m_held[i].page == page) mine[mine_nr++] = i;
    if (mine_nr > 0 && release_one) return release(mine[pick % mine_nr]);
    if (m_held_nr == kMaxHeld) return release(pick % m_held_nr);
    if (page) {
      auto got = call<rpc::RPC_PMEM_GET_PAGES>(m_run, server, size);
      if (!got) {
        check(m_run, expected_error(got.error(), true), "PMEM_GET_PAGES of order {} on {:#x}: {}", size, server,
              errno_name(got.error()));
        return;
      }
      if (!check(m_run, *got != nullptr, "PMEM_GET_PAGES of order {} on {:#x}: no page and no error", size, server))
        return;
      bump(m_run.pages_allocated);
      m_held[m_held_nr++] = Held{true, server, reinterpret_cast<uint64_t>(*got), 0};
    } else {
      auto got = call<rpc::RPC_KCM_ALLOC>(m_run, server, size);
      if (!got) {
        check(m_run, expected_error(got.error(), true), "KCM_ALLOC of type {} on {:#x}: {}", size, server,
              errno_name(got.error()));
        return;
      }
      if (!check(m_run, hal::GET_CXY(*got) == server && *got != hal::XPTR_NULL,
                 "KCM_ALLOC of type {} on {:#x}: object {:#x}", size, server, *got))
        return;
      bump(m_run.objects_allocated);
      m_held[m_held_nr++] = Held{false, server, reinterpret_cast<uint64_t>(hal::GET_PTR(*got)), size};
    }
  }

  void release(uint32_t i) {
    const Held held = m_held[i];
    m_held[i] = m_held[--m_held_nr];
    for (uint32_t attempt = 0; attempt < kTries; ++attempt) {
      auto freed = held.page ? call<rpc::RPC_PMEM_RELEASE_PAGES>(m_run, held.cxy, reinterpret_cast<mm::Page*>(held.pointer))
                             : call<rpc::RPC_KCM_FREE>(m_run, held.cxy, reinterpret_cast<void*>(held.pointer), held.type);
      if (freed) {
        bump(held.page ? m_run.pages_released : m_run.objects_freed);
        return;
      }
      if (!check(m_run, freed.error() == Errno::kAgain, "{} of {:#x} on {:#x}: {}",
                 held.page ? "PMEM_RELEASE_PAGES" : "KCM_FREE", held.pointer, held.cxy, errno_name(freed.error())))
        return;
      kern::sched_yield();
    }
    violation(m_run, fmt::format("{} of {:#x} on {:#x}: still EAGAIN after {} tries",
                                 held.page ? "PMEM_RELEASE_PAGES" : "KCM_FREE", held.pointer, held.cxy, kTries));
  }

  SoakRun& m_run;
  WorkerState& m_state;
  Random m_random;
  const uint32_t m_clusters;
  Held m_held[kMaxHeld] = {};
  uint32_t m_held_nr = 0;
};

void worker_entry(void* raw) {
  auto& state = *static_cast<WorkerState*>(raw);
  SoakRun& run = *g_run.load(std::memory_order_acquire);
  // The gate: blocked before arriving, so the master's unblock cannot come too early; the
  // master unblocks only a thread that is blocked waiting for it, so it never touches a
  // worker that has gone.
  const auto self = kern::thread_current_xptr();
  state.thread.store(self.raw());
  kern::thread_block(self, kern::THREAD_BLOCKED_WAIT);
  worker_arrived(run);
  kern::sched_yield();  // returns once the gate is open
  if (run.options->test_park_first_worker && state.index == 0) {
    kern::thread_block(self, kern::THREAD_BLOCKED_GLOBAL);
    kern::sched_yield();  // for good: the watchdog reports a hang, shutdown abandons it
  }
  Worker(run, state).run_ops();
  worker_finished(run);
}

// Creates the workers of cluster `cluster_index` (the caller runs there), one per core,
// retrying while memory is short (injected faults); a worker that cannot be created counts
// as arrived and finished, and as a violation.
void create_workers_here(SoakRun& run, uint32_t cluster_index) {
  for (hal::lid_t lid = 0; lid < run.cores_per_cluster; ++lid) {
    WorkerState& state = run.workers[cluster_index * run.cores_per_cluster + lid];
    const std::string name = fmt::format("soak{}", state.index);
    Errno last = Errno::kOk;
    for (uint32_t attempt = 0; attempt < kTries; ++attempt) {
      auto thread = kern::thread_create(kern::ThreadType::DEV, worker_entry, &state, lid, name);
      if (thread) {
        last = Errno::kOk;
        break;
      }
      last = thread.error();
      if (last != Errno::kNoMem) break;
      kern::sched_yield();
    }
    if (last == Errno::kOk) continue;
    violation(run, fmt::format("setup: cannot create worker {} on cluster {:#x} core {}: {}", state.index,
                               hal::local_cxy(), lid, errno_name(last)));
    worker_arrived(run);
    worker_finished(run);
  }
}

void leader_entry(void* raw) {
  create_workers_here(*g_run.load(std::memory_order_acquire), *static_cast<uint32_t*>(raw));
}

// Kernel threads alive other than idle and RPC threads, from the cores' counters. Read in
// an order that may count a thread going away as still there, never the reverse:
// destroyed before created, RPC threads reclaimed before created.
int64_t live_kernel_threads(const SoakRun& run) {
  int64_t live = 0;
  for (uint32_t cxy : run.clusters) {
    for (hal::lid_t lid = 0; lid < run.cores_per_cluster; ++lid) {
      const auto stats = kern::core_xptr(cxy, lid).field(&kern::Core::m_stats);
      rpc::RpcCoreState& pool = LOCAL_CLUSTER->m_rpc.m_cores[lid];
      const uint64_t destroyed = hal::remote_load(stats.field(&kern::CoreStats::threads_destroyed));
      const uint64_t reclaimed = hal::remote_load(kern::cluster_field(cxy, &pool.m_threads_reclaimed));
      const uint64_t rpc_created = hal::remote_load(kern::cluster_field(cxy, &pool.m_threads_created));
      const uint64_t created = hal::remote_load(stats.field(&kern::CoreStats::threads_created));
      live += int64_t(created - destroyed) - int64_t(rpc_created - reclaimed) - 1;  // - the idle thread
    }
  }
  return live;
}

std::string slot_name(uint32_t slot) {
  return slot + 1 == rpc::kRpcStatSlots ? std::string("OUT_OF_RANGE") : std::string(rpc::rpc_name(rpc::rpc_slot_index(slot)));
}

// The RPC counters of every index with activity, summed over the clusters (kernel side).
std::vector<SoakRpcFigures> read_rpc_figures(const std::vector<uint32_t>& clusters) {
  std::vector<SoakRpcFigures> out;
  for (uint32_t slot = 0; slot < rpc::kRpcStatSlots; ++slot) {
    SoakRpcFigures f;
    f.index = slot + 1 == rpc::kRpcStatSlots ? ~0u : rpc::rpc_slot_index(slot);
    f.name = slot_name(slot);
    rpc::RpcIndexStats& local = LOCAL_CLUSTER->m_rpc.m_stats[slot];
    for (uint32_t cxy : clusters) {
      f.sent += hal::remote_load(kern::cluster_field(cxy, &local.sent));
      f.served += hal::remote_load(kern::cluster_field(cxy, &local.served));
      f.errors += hal::remote_load(kern::cluster_field(cxy, &local.errors));
      f.send_failures += hal::remote_load(kern::cluster_field(cxy, &local.send_failures));
      f.direct += hal::remote_load(kern::cluster_field(cxy, &local.direct));
      f.fifo_full_retries += hal::remote_load(kern::cluster_field(cxy, &local.fifo_full_retries));
    }
    if (f.sent + f.served + f.send_failures + f.direct != 0) out.push_back(std::move(f));
  }
  return out;
}

// The same from a machine report (host side, after shutdown).
std::vector<SoakRpcFigures> rpc_figures_of(const MachineReport& report) {
  std::map<uint32_t, SoakRpcFigures> by_slot;
  for (const ClusterReport& c : report.clusters) {
    for (const RpcIndexReport& r : c.rpc) {
      SoakRpcFigures& f = by_slot[rpc::rpc_stat_slot(r.index)];
      f.index = r.index;
      f.name = r.name;
      f.sent += r.sent;
      f.served += r.served;
      f.errors += r.errors;
      f.send_failures += r.send_failures;
      f.direct += r.direct;
      f.fifo_full_retries += r.fifo_full_retries;
    }
  }
  std::vector<SoakRpcFigures> out;
  for (auto& [slot, f] : by_slot) out.push_back(std::move(f));
  return out;
}

// The counts the workload determines, from the soak's counters and the given RPC figures.
SoakCounts counts_of(SoakRun& run, std::vector<SoakRpcFigures> rpc, const SoakFaults& faults) {
  SoakCounts c;
  c.workers = run.worker_count;
  for (uint32_t kind = 0; kind < kOpKinds; ++kind) c.ops[kind] = read(run.ops[kind]);
  c.window_requests = read(run.window_requests);
  c.multicast_posts = read(run.multicast_posts);
  c.chain_levels = read(run.chain_levels);
  c.chains_without_token = read(run.chains_without_token);
  c.children_created = read(run.children_created);
  c.children_finished = read(run.children_finished);
  c.children_killed = read(run.children_killed);
  c.child_pings = read(run.child_pings);
  c.pages_allocated = read(run.pages_allocated);
  c.objects_allocated = read(run.objects_allocated);
  for (const SoakRpcFigures& f : rpc) {
    c.rpc_sent += f.sent;
    c.rpc_served += f.served;
    c.rpc_send_failures += f.send_failures;
    c.rpc_direct += f.direct;
    c.fifo_full_retries += f.fifo_full_retries;
  }
  c.rpc = std::move(rpc);
  for (uint32_t e = 1; e < kErrnoSlots; ++e)
    if (const uint64_t n = read(run.errors[e]); n != 0) c.errors_returned.push_back(SoakErrorCount{Errno(e), n});
  c.faults = faults;
  c.invariant_checks = read(run.checks);
  return c;
}

void master_entry(void* raw) {
  SoakRun& run = *static_cast<SoakRun*>(raw);
  uint32_t flag = 0;
  const hal::Xptr<uint32_t> flag_xp(hal::local_cxy(), &flag);
  run.master_flag.store(flag_xp.raw());
  run.master_thread.store(kern::thread_current_xptr().raw());

  for (uint32_t ci = 0; ci < run.clusters.size(); ++ci) {
    const hal::cxy_t cxy = run.clusters[ci];
    if (cxy == hal::local_cxy()) {
      create_workers_here(run, ci);
      continue;
    }
    Errno last = Errno::kOk;
    for (uint32_t attempt = 0; attempt < kTries; ++attempt) {
      auto leader = call<rpc::RPC_THREAD_KERNEL_CREATE>(run, cxy, uint32_t(kern::ThreadType::DEV),
                                                        kern::ThreadEntry(&leader_entry), &run.leader_cluster[ci]);
      last = leader ? Errno::kOk : leader.error();
      if (!expected_error(last, true)) break;
      kern::sched_yield();
    }
    if (last == Errno::kOk) continue;
    violation(run, fmt::format("setup: cannot create the worker leader of cluster {:#x}: {}", cxy, errno_name(last)));
    for (uint32_t lid = 0; lid < run.cores_per_cluster; ++lid) {
      worker_arrived(run);
      worker_finished(run);
    }
  }

  kern::thread_wait_flag(flag_xp, kern::THREAD_BLOCKED_WAIT);  // every worker arrived
  for (uint32_t w = 0; w < run.worker_count; ++w)
    if (const hal::xptr_t thread = run.workers[w].thread.load(); thread != hal::XPTR_NULL)
      kern::thread_unblock(hal::Xptr<kern::Thread>(thread), kern::THREAD_BLOCKED_WAIT);
  kern::thread_wait_flag(flag_xp, kern::THREAD_BLOCKED_WAIT);  // every worker finished

  // The children (and the last workers) end on their cores: wait until only this thread
  // is left, yielding, so that every figure of the workload is final.
  uint32_t spins = 0;
  while (live_kernel_threads(run) > 1) {
    kern::sched_yield();
    hal::cpu_relax(spins);
  }
  const SoakFaults faults{hal::fault_count(hal::FaultSite::kPpmAlloc), hal::fault_count(hal::FaultSite::kKcmAlloc),
                          hal::fault_count(hal::FaultSite::kRpcThreadCreate), hal::fault_count(hal::FaultSite::kPoint)};
  run.snapshot = counts_of(run, read_rpc_figures(run.clusters), faults);
  run.snapshot_taken = true;
  run.ended = std::chrono::steady_clock::now();
  run.master_done.store(true, std::memory_order_release);
}

// ---- the invariants after shutdown ---------------------------------------------------

const SoakRpcFigures* find_index(const std::vector<SoakRpcFigures>& rpc, uint32_t index) {
  for (const SoakRpcFigures& f : rpc)
    if (f.index == index) return &f;
  return nullptr;
}

void check_final(SoakRun& run, const MachineReport& boot, const MachineReport& report) {
  const SoakOptions& options = *run.options;
  check(run, run.finished.load() == run.worker_count, "{} of {} workers finished", run.finished.load(),
        run.worker_count);
  uint64_t ops = 0;
  for (const auto& n : run.ops) ops += read(n);
  if (!run.timed) check(run, ops == options.ops, "{} operations done of {} asked", ops, options.ops);

  // Every request served exactly once, none after the workload, all accounted for.
  const std::vector<SoakRpcFigures> rpc = rpc_figures_of(report);
  static const SoakRpcFigures kNone{};
  for (const SoakRpcFigures& f : rpc)
    check(run, f.sent == f.served, "{}: {} requests sent, {} served", f.name, f.sent, f.served);
  if (run.snapshot_taken) {
    for (const SoakRpcFigures& f : rpc) {
      const SoakRpcFigures* at_end = find_index(run.snapshot.rpc, f.index);
      const SoakRpcFigures& then = at_end != nullptr ? *at_end : kNone;
      check(run, then.sent == f.sent && then.served == f.served,
            "{}: {} sent and {} served at the end of the workload, {} and {} at shutdown", f.name, then.sent,
            then.served, f.sent, f.served);
    }
  }
  uint64_t other_sent = 0;
  for (const SoakRpcFigures& f : rpc) {
    const bool ours = f.index == rpc::RPC_PMEM_GET_PAGES || f.index == rpc::RPC_PMEM_RELEASE_PAGES ||
                      f.index == rpc::RPC_THREAD_KERNEL_CREATE || f.index == rpc::RPC_THREAD_KILL ||
                      f.index == rpc::RPC_KCM_ALLOC || f.index == rpc::RPC_KCM_FREE || f.index == rpc::RPC_MKH_PING ||
                      f.index == rpc::RPC_MKH_CHAIN;
    if (!ours) other_sent += f.sent + f.send_failures + f.direct;
  }
  check(run, other_sent == 0, "{} requests of indexes the soak never sends", other_sent);
  for (uint32_t index : {uint32_t(rpc::RPC_PMEM_GET_PAGES), uint32_t(rpc::RPC_PMEM_RELEASE_PAGES),
                         uint32_t(rpc::RPC_THREAD_KERNEL_CREATE), uint32_t(rpc::RPC_THREAD_KILL),
                         uint32_t(rpc::RPC_KCM_ALLOC), uint32_t(rpc::RPC_KCM_FREE), uint32_t(rpc::RPC_MKH_PING)}) {
    const SoakRpcFigures* found = find_index(rpc, index);
    const SoakRpcFigures& f = found != nullptr ? *found : kNone;
    const uint32_t slot = rpc::rpc_stat_slot(index);
    const int64_t skew = index == rpc::RPC_MKH_PING ? options.test_ping_skew : 0;
    const uint64_t posted = uint64_t(int64_t(read(run.posts[slot])) + skew);
    // A call is posted (sent), refused (FIFO full), or served directly (a local call of a
    // service that allows it).
    check(run, f.sent + f.send_failures + f.direct == posted,
          "{}: the soak made {} calls, the machine counted {} sent, {} refused and {} direct", rpc::rpc_name(index),
          posted, f.sent, f.send_failures, f.direct);
    if (index == rpc::RPC_MKH_PING)
      check(run, f.errors == 0, "MKH_PING: servers returned {} errors", f.errors);
    else
      check(run, f.errors + f.send_failures == read(run.client_errors[slot]),
            "{}: callers got {} errors, servers returned {} and {} posts were refused", rpc::rpc_name(index),
            read(run.client_errors[slot]), f.errors, f.send_failures);
  }
  {
    const SoakRpcFigures* found = find_index(rpc, rpc::RPC_MKH_CHAIN);
    const uint64_t posted = found != nullptr ? found->sent + found->send_failures + found->direct : 0;
    check(run, posted >= read(run.chain_posts_min) && posted <= read(run.chain_posts_max),
          "MKH_CHAIN: {} posts counted, the chains asked for {} to {}", posted, read(run.chain_posts_min),
          read(run.chain_posts_max));
  }

  // Every response received, every resource given back.
  check(run, read(run.window_posted) == read(run.window_completed), "{} window descriptors posted, {} answered",
        read(run.window_posted), read(run.window_completed));
  check(run, read(run.pages_allocated) == read(run.pages_released), "{} page blocks allocated, {} released",
        read(run.pages_allocated), read(run.pages_released));
  check(run, read(run.objects_allocated) == read(run.objects_freed), "{} objects allocated, {} freed",
        read(run.objects_allocated), read(run.objects_freed));
  check(run, read(run.children_finished) + read(run.children_killed) >= read(run.children_created),
        "{} threads created, {} finished and {} killed", read(run.children_created), read(run.children_finished),
        read(run.children_killed));
  check(run, report.threads_left == 0, "{} threads left at shutdown", report.threads_left);
  for (std::size_t i = 0; i < report.clusters.size() && i < boot.clusters.size(); ++i) {
    const ClusterReport& now = report.clusters[i];
    const ClusterReport& then = boot.clusters[i];
    check(run, now.pages_leaked == 0, "cluster {:#x}: {} pages leaked", now.cxy, now.pages_leaked);
    for (std::size_t t = 0; t < now.kcm.size() && t < then.kcm.size(); ++t) {
      // At boot the idle threads' descriptors are in use; shutdown destroys them.
      const uint64_t expected =
          then.kcm[t].in_use - (t == uint32_t(mm::KcmType::THREAD) ? then.threads_alive : uint64_t(0));
      check(run, now.kcm[t].in_use == expected, "cluster {:#x}: kcm {}: {} objects in use, {} expected", now.cxy,
            now.kcm[t].type, now.kcm[t].in_use, expected);
    }
  }
}

}  // namespace

tl::expected<SoakFigures, std::string> run_soak(const SoakOptions& options) {
  if ((options.ops == 0) == (options.seconds == 0))
    return tl::unexpected(std::string("give exactly one of a number of operations and a duration"));
  if (options.config.deterministic && options.seconds != 0)
    return tl::unexpected(std::string("a deterministic soak needs a number of operations (time does not replay)"));
  auto booted = Machine::boot(options.config);
  if (!booted) return tl::unexpected("boot: " + booted.error());
  Machine& machine = **booted;
  const MachineReport boot_report = machine.report();

  SoakRun run;
  run.options = &options;
  run.clusters = machine.clusters();
  run.cores_per_cluster = options.config.topology.cores_per_cluster;
  run.seed = options.config.seed;
  run.timed = options.seconds != 0;
  run.worker_count = options.config.topology.cores();
  run.workers = std::make_unique<WorkerState[]>(run.worker_count);
  for (uint32_t w = 0; w < run.worker_count; ++w) {
    run.workers[w].index = w;
    run.workers[w].lid = w % run.cores_per_cluster;
    run.workers[w].budget = options.ops / run.worker_count + (w < options.ops % run.worker_count ? 1 : 0);
  }
  run.leader_cluster = std::make_unique<uint32_t[]>(run.clusters.size());
  for (uint32_t ci = 0; ci < run.clusters.size(); ++ci) run.leader_cluster[ci] = ci;
  run.chain_units = std::make_unique<std::atomic<int32_t>[]>(run.worker_count);
  for (uint32_t core = 0; core < run.worker_count; ++core)
    run.chain_units[core].store(int32_t(options.config.rpc_pool_bound) - 1);
  g_run.store(&run, std::memory_order_release);

  // Allocation faults are on from boot: retried like every creation of the setup.
  auto master = machine.spawn(run.clusters.front(), 0, master_entry, &run, "soak-master");
  for (uint32_t attempt = 1; !master && master.error() == Errno::kNoMem && attempt < kTries; ++attempt)
    master = machine.spawn(run.clusters.front(), 0, master_entry, &run, "soak-master");
  if (!master) {
    machine.shutdown();
    g_run.store(nullptr);
    return tl::unexpected(fmt::format("cannot start the soak master: {}", errno_name(master.error())));
  }
  const auto started = std::chrono::steady_clock::now();
  machine.start();

  // The host watches: the deadline of a timed run, and progress (a hang).
  const auto hang_timeout = options.config.deterministic ? options.hang_timeout * 6 : options.hang_timeout;
  uint64_t last_progress = run.progress.load();
  auto last_change = started;
  bool hung = false;
  while (!run.master_done.load(std::memory_order_acquire)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    const auto now = std::chrono::steady_clock::now();
    if (run.timed && now - started >= std::chrono::seconds(options.seconds)) run.stop.store(true);
    if (const uint64_t progress = run.progress.load(); progress != last_progress) {
      last_progress = progress;
      last_change = now;
    } else if (now - last_change >= hang_timeout) {
      hung = true;
      break;
    }
  }
  SoakFigures figures;
  figures.seconds =
      std::chrono::duration<double>((hung ? std::chrono::steady_clock::now() : run.ended) - started).count();
  if (hung) {
    violation(run, fmt::format("hang: no operation completed machine-wide for {} s ({} of {} workers finished)",
                               hang_timeout.count(), run.finished.load(), run.worker_count));
    for (uint32_t cxy : run.clusters)
      for (uint32_t lid = 0; lid < run.cores_per_cluster; ++lid) figures.core_displays += machine.display_core(cxy, lid);
  }
  const MachineReport report = machine.shutdown(hung ? std::chrono::seconds(2) : std::chrono::seconds(10));
  g_run.store(nullptr);

  check_final(run, boot_report, report);
  figures.snapshot_taken = run.snapshot_taken;
  figures.counts = run.snapshot_taken
                       ? run.snapshot
                       : counts_of(run, rpc_figures_of(report),
                                   SoakFaults{report.faults.ppm, report.faults.kcm, report.faults.rpc_thread,
                                              report.faults.points});
  figures.invariant_checks = read(run.checks);
  figures.invariant_failures = read(run.failures);
  figures.violations = run.messages;
  return figures;
}

}  // namespace mkh::soak
