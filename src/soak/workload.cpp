// The soak's workload (soak.hpp): the worker kernel threads, one per core, that draw the
// operations and check every answer, the children they create, and the leaders that create
// a cluster's workers. Layer: soak. Calls the typed RPC clients (PMEM, KCM, THREAD, MKH
// services), rpc_send and rpc_multicast, kern threads and the scheduler; it counts into the
// run's record (run.hpp).
#include <algorithm>
#include <atomic>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "kern/cluster.hpp"
#include "kern/sched.hpp"
#include "kern/thread.hpp"
#include "libk/random.hpp"
#include "mm/memory.hpp"
#include "rpc/rpc.hpp"
#include "rpc/services/kcm.hpp"
#include "rpc/services/mkh.hpp"
#include "rpc/services/pmem.hpp"
#include "rpc/services/thread.hpp"
#include "soak/run.hpp"

namespace mkh::soak::detail {

namespace {

using rpc::RpcDesc;

constexpr uint32_t kMaxWindow = 16;    // non-blocking descriptors in flight per window
constexpr uint32_t kMaxMulticast = 8;  // clusters per multicast
constexpr uint32_t kMaxChainDepth = 6;
constexpr uint32_t kMaxPageOrder = 3;       // PMEM_GET_PAGES of 1 to 8 pages
constexpr uint32_t kMaxHeld = 6;            // pages and objects a worker holds at once
constexpr uint32_t kPatienceYields = 1000;  // yields before a worker kills a child it waits for
constexpr uint64_t kGenerationMask = (uint64_t(1) << 40) - 1;

class Random : public libk::SplitMix64 {
 public:
  using SplitMix64::SplitMix64;
  uint64_t value() { return next() >> 2; }  // a ping payload: value + 1 does not wrap
};

// The seed of one stream (1: workers, 2: children) and one member of it.
uint64_t stream_seed(uint64_t seed, uint64_t stream, uint64_t member) {
  Random mix(seed ^ (stream << 56));
  return mix.next() ^ Random(member + 0x632be59bd9b4e019ull).next();
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
      : m_run(run),
        m_state(state),
        m_random(stream_seed(run.seed, 1, state.index)),
        m_clusters(uint32_t(run.clusters.size())) {}

  void run_ops() {
    for (uint64_t done = 0; m_run.timed ? !m_run.stop.load(std::memory_order_relaxed) : done < m_state.budget; ++done) {
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
      if (!check(m_run, left == 0, "window MKH_PING to {:#x}: response count {} (served more than once?)", servers[i],
                 left))
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
    uint32_t order[kMaxXSize * kMaxYSize];  // every cluster of the largest machine
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
    check(m_run, (desc.response & rpc::kRpcResponseCount) == 0,
          "multicast to {} clusters returned with {} responses due", k, desc.response & rpc::kRpcResponseCount);
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
    auto created =
        call<rpc::RPC_THREAD_KERNEL_CREATE>(m_run, server, kern::ThreadType::DEV, kern::ThreadEntry(&child_entry),
                                            reinterpret_cast<void*>(child_ticket(m_state.index, slot, generation)));
    if (!created) {
      m_state.children[slot].store(kSlotFree);
      check(m_run, expected_error(created.error(), true), "THREAD_KERNEL_CREATE on {:#x}: {}", server,
            errno_name(created.error()));
      return;
    }
    check(m_run, created->cxy() == server, "THREAD_KERNEL_CREATE on {:#x}: thread {:#x} is elsewhere", server,
          created->raw());
    bump(m_run.children_created);
    m_state.child_thread[slot] = created->raw();
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
    if (!killed)
      check(m_run, killed.error() == Errno::kSrch || killed.error() == Errno::kInval || killed.error() == Errno::kAgain,
            "THREAD_KILL of {:#x}: {}", thread, errno_name(killed.error()));
    // Settled once: as killed here, or as finished by the child (a kill after its last
    // scheduling point lets it finish); a child counts in exactly one of the two.
    if (killed || killed.error() != Errno::kAgain) {
      uint64_t expected = word;
      if ((word & 3) == kSlotRunning &&
          m_state.children[slot].compare_exchange_strong(expected, (word & ~3ull) | kSlotKilled))
        bump(m_run.children_killed);
    }
  }

  // Pages (PMEM_GET_PAGES / PMEM_RELEASE_PAGES) or objects (KCM_ALLOC / KCM_FREE) of a
  // random cluster: allocate one, or release one held (in random order), all freed at the end.
  void pages_or_objects(bool page) {
    const hal::cxy_t server = any_cluster();
    const uint32_t size = page ? m_random.below(kMaxPageOrder + 1) : m_random.below(mm::kKcmTypeCount);
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
      auto got = call<rpc::RPC_KCM_ALLOC>(m_run, server, mm::KcmType(size));
      if (!got) {
        check(m_run, expected_error(got.error(), true), "KCM_ALLOC of type {} on {:#x}: {}", size, server,
              errno_name(got.error()));
        return;
      }
      if (!check(m_run, got->cxy() == server && !got->is_null(), "KCM_ALLOC of type {} on {:#x}: object {:#x}", size,
                 server, got->raw()))
        return;
      bump(m_run.objects_allocated);
      m_held[m_held_nr++] = Held{false, server, reinterpret_cast<uint64_t>(got->host_ptr()), size};
    }
  }

  void release(uint32_t i) {
    const Held held = m_held[i];
    m_held[i] = m_held[--m_held_nr];
    for (uint32_t attempt = 0; attempt < kTries; ++attempt) {
      auto freed =
          held.page
              ? call<rpc::RPC_PMEM_RELEASE_PAGES>(m_run, held.cxy, reinterpret_cast<mm::Page*>(held.pointer))
              : call<rpc::RPC_KCM_FREE>(m_run, held.cxy, reinterpret_cast<void*>(held.pointer), mm::KcmType(held.type));
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

}  // namespace

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

}  // namespace mkh::soak::detail
