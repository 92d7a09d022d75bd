// RPC server side: rpc_check, the RPC thread pool and its FIFO ownership, dispatch and
// completion, rpc_undefined. Layer: rpc. Calls the FIFO, kern (threads, scheduler), the
// dispatch table (rpc/table.hpp, installed by boot) and trace.
//
// Ownership: at most one RPC thread of a core consumes its FIFO (the owner). All of a
// core's RPC threads and its scheduler run on one host thread at a time, so the owner
// field is core-local. rpc_check hands ownership to the thread it wakes or creates; an
// owner gives it up when the FIFO is empty (after arming the doorbell), and when it blocks
// inside a service (rpc_thread_blocking), so the next requests go to another thread.
#include <cstdio>
#include <new>

#include <fmt/format.h>

#include "hal/clock.hpp"
#include "hal/fault.hpp"
#include "kern/cluster.hpp"
#include "kern/sched.hpp"
#include "kern/thread.hpp"
#include "mm/kmem.hpp"
#include "rpc/rpc.hpp"
#include "rpc/state.hpp"
#include "rpc/table.hpp"
#include "rpc/trace.hpp"

namespace mkh::rpc {

namespace {

RpcCoreState& core_state(kern::Core* core) { return rpc_cluster_state(core->m_cxy)->m_cores[core->m_lid]; }

bool stopping(kern::Core* core) { return hal::local_load(core->m_stop, std::memory_order_relaxed) != 0; }

void take_ownership(RpcCoreState& s, kern::Thread* thread) {
  s.m_owner = thread;
  fifo_disarm(&s.m_fifo);
}

// Gives ownership up (the owner blocks inside a service); the doorbell is armed first, so
// a request posted from now on rings, and one already there is seen by rpc_check at the
// scheduling point that follows.
void release_ownership(RpcCoreState& s) {
  fifo_arm_and_recheck(&s.m_fifo);
  s.m_owner = nullptr;
}

// Polls the FIFO for the core's spin budget while nothing else can run on the core (the
// "server core polling" fast path: producers find the doorbell disarmed and do not IPI). The
// head slot's sequence is polled through hal::poll_word, whose loop has a fixed place (as
// the client's wait: decisions.md); a stop is seen within 16 polls.
bool poll_for_work(kern::Core* core, RpcCoreState& s) {
  const uint64_t spin_ns = hal::local_load(core->m_idle_spin_ns, std::memory_order_relaxed);
  if (spin_ns == 0 || core->m_sched.others_ready_hint()) return false;
  uint64_t published = 0;
  const uint64_t* sequence = fifo_head_sequence(&s.m_fifo, &published);
  return hal::spin_until_word(sequence, published, spin_ns, [&] { return stopping(core); }) && !stopping(core);
}

// The parked RPC threads of a core (m_idle_nr is also read by the machine at shutdown).
void park(RpcCoreState& s, kern::Thread* thread) {
  s.m_idle[s.m_idle_nr] = thread;
  hal::local_store(s.m_idle_nr, s.m_idle_nr + 1, std::memory_order_relaxed);
}
kern::Thread* unpark(RpcCoreState& s) {
  hal::local_store(s.m_idle_nr, s.m_idle_nr - 1, std::memory_order_relaxed);
  return s.m_idle[s.m_idle_nr];
}

enum class BatchEnd { kDrained, kBatchDone, kLostOwnership };

BatchEnd serve_batch(RpcCoreState& s, kern::Thread* self, uint32_t batch) {
  for (uint32_t served = 0; served < batch; ++served) {
    RpcCall call;
    if (!fifo_pop(&s.m_fifo, &call)) return BatchEnd::kDrained;
    rpc_serve(call);
    if (s.m_owner != self) return BatchEnd::kLostOwnership;  // it blocked inside the service
  }
  return BatchEnd::kBatchDone;
}

void rpc_thread_loop(void* arg) {
  auto* core = static_cast<kern::Core*>(arg);
  RpcCoreState& s = core_state(core);
  kern::Thread* self = kern::thread_current();
  const uint32_t batch = rpc_cluster_state(core->m_cxy)->m_batch;
  for (;;) {
    if (s.m_owner == nullptr) take_ownership(s, self);
    if (s.m_owner == self) {
      const BatchEnd end = serve_batch(s, self, batch);
      if (end == BatchEnd::kBatchDone) {
        kern::sched_yield();  // fairness: the core's other threads run, ownership is kept
        continue;
      }
      if (end == BatchEnd::kDrained) {
        // Poll a while (the doorbell stays disarmed: producers do not IPI), then arm it
        // and look once more before giving ownership up.
        if (poll_for_work(core, s)) continue;
        if (fifo_arm_and_recheck(&s.m_fifo)) {
          fifo_disarm(&s.m_fifo);
          continue;
        }
        s.m_owner = nullptr;
      }
    }
    // Not the owner: park, or leave when the pool has a parked thread already (surplus
    // threads are reclaimed) or the machine stops.
    if (stopping(core) || s.m_idle_nr >= 1) break;
    park(s, self);
    kern::thread_block(kern::thread_current_xptr(), kern::THREAD_BLOCKED_IDLE);
    kern::sched_yield();  // rpc_check unblocks it, with ownership handed over
  }
  if (s.m_owner == self) release_ownership(s);
  --s.m_threads_nr;
  hal::stat_add(s.m_threads_reclaimed, uint64_t(1));
}

// A new RPC thread of `core`, counted in its pool.
Result<kern::Thread*> create_rpc_thread(kern::Core* core, RpcCoreState& s) {
  char name[kern::kThreadNameSize];
  std::snprintf(name, sizeof name, "rpc%u.%lu", core->m_lid, static_cast<unsigned long>(s.m_threads_created));
  kern::Thread* thread =
      TRY(hal::fault_inject(hal::FaultSite::kRpcThreadCreate)
              ? Result<kern::Thread*>(error(Errno::kNoMem))
              : kern::thread_create(kern::ThreadType::RPC, rpc_thread_loop, core, core->m_lid, name));
  ++s.m_threads_nr;
  hal::stat_add(s.m_threads_created, uint64_t(1));
  return thread;
}

// The RPC threads of `core` blocked inside a service (waiting for a nested call's response,
// a lock...): they do not count against the pool's bound, so nested calls that come back
// to this core find a thread to serve them however many wait at once (a parked thread is
// blocked IDLE only; one woken and not yet run counts again).
uint32_t blocked_in_service(kern::Core* core) {
  uint32_t blocked = 0;
  core->m_sched.for_each_thread(
      [](kern::Thread* thread, void* count) {
        const uint32_t causes = hal::local_load(thread->m_blocked);
        if (thread->m_type == kern::ThreadType::RPC && (causes & ~kern::THREAD_BLOCKED_IDLE) != 0)
          ++*static_cast<uint32_t*>(count);
      },
      &blocked);
  return blocked;
}

}  // namespace

Result<void> rpc_core_init(kern::Core* core) {
  RpcCoreState& s = core_state(core);
  kern::Thread* thread = TRY(create_rpc_thread(core, s));
  kern::thread_block(hal::Xptr<kern::Thread>(core->m_cxy, thread), kern::THREAD_BLOCKED_IDLE);
  park(s, thread);
  return {};
}

void rpc_check(kern::Core* core) {
  RpcCoreState& s = core_state(core);
  core->m_retry_soon = 0;
  if (stopping(core)) {
    // Every parked RPC thread leaves.
    while (s.m_idle_nr > 0)
      kern::thread_unblock(hal::Xptr<kern::Thread>(core->m_cxy, unpark(s)), kern::THREAD_BLOCKED_IDLE);
    return;
  }
  if (s.m_owner != nullptr) return;
  // Nothing to serve: make sure the doorbell is armed before the core may go idle. A ring
  // can come late (its producer was preempted between publishing and ringing) and disarm
  // the doorbell for an item already served; the next item would then not ring. So an
  // idle core re-arms here, at every scheduling point, and looks once more.
  if (!fifo_ready(&s.m_fifo)) {
    if (hal::local_load(s.m_fifo.m_armed, std::memory_order_relaxed) != 0) return;
    hal::stat_add(s.m_doorbell_rearms, uint64_t(1));
    if (!fifo_arm_and_recheck(&s.m_fifo)) return;
  }
  if (s.m_idle_nr > 0) {
    kern::Thread* thread = unpark(s);
    take_ownership(s, thread);
    kern::thread_unblock(hal::Xptr<kern::Thread>(core->m_cxy, thread), kern::THREAD_BLOCKED_IDLE);
    return;
  }
  const uint32_t bound = rpc_cluster_state(core->m_cxy)->m_pool_bound;
  if (s.m_threads_nr >= kMaxRpcThreadsPerCore ||
      (s.m_threads_nr >= bound && s.m_threads_nr - blocked_in_service(core) >= bound)) {
    hal::stat_add(s.m_pool_exhausted, uint64_t(1));
    if (s.m_pool_bound_reported == 0) {
      s.m_pool_bound_reported = 1;
      fmt::print(stderr, "mkh: rpc: core {:#04x}/{}: all {} RPC threads are busy; requests wait\n", core->m_cxy,
                 core->m_lid, s.m_threads_nr);
    }
    return;
  }
  auto thread = create_rpc_thread(core, s);
  if (!thread) {
    // No memory for a thread: the request waits. A ring may have disarmed the doorbell,
    // and nothing else might bring another scheduling point: re-arm it (the next post
    // rings), and make the idle thread wake up by itself to retry (tests/model: the
    // CREATE_FAILS_ONCE runs).
    (void)fifo_arm_and_recheck(&s.m_fifo);
    core->m_retry_soon = 1;
    return;
  }
  take_ownership(s, *thread);
}

void rpc_thread_blocking(kern::Thread* thread) {
  RpcCoreState& s = rpc_cluster_state(thread->m_cxy)->m_cores[thread->m_lid];
  if (s.m_owner == thread) release_ownership(s);
}

void rpc_serve(const RpcCall& call) {
  // The service reads its call from the slot's copy; the descriptor is first touched to
  // write the results.
  const hal::Xptr<RpcDesc> desc(call.desc);
  if (call.flow != 0)
    trace_record(hal::local_cxy(), hal::cpu().lid, TraceKind::kServerBegin, uint16_t(call.index), call.flow);

  // Counted before the service runs: from its result stores to the decrement the client
  // polls that same line, and every instruction in between gives it a chance to steal it.
  RpcIndexStats& stats = local_rpc_state()->m_stats[rpc_stat_slot(call.index)];
  hal::stat_add(stats.served, uint64_t(1));
  const Errno failure = rpc_dispatch(call);
  if (failure != Errno::kOk) hal::stat_add(stats.errors, uint64_t(1));
  if (call.flow != 0)
    trace_record(hal::local_cxy(), hal::cpu().lid, TraceKind::kServerEnd, uint16_t(call.index), call.flow);

  hal::fault_point(hal::FaultPoint::kServedNotCompleted);
  // Completion: the last response wakes the client only if it sleeps (waiter bit). Once
  // the count is zero a client that does not sleep may return, and its descriptor (its
  // stack) is gone; one that sleeps stays blocked until this unblock, so its descriptor
  // and thread are alive for these last accesses.
  const uint32_t before = hal::remote_atomic_add(desc.field(&RpcDesc::response), ~0u);
  if ((before & kRpcResponseCount) == 1 && (before & kRpcResponseWaiter) != 0) {
    const auto client = hal::Xptr<kern::Thread>(hal::remote_load(desc.field(&RpcDesc::thread)));
    hal::fault_point(hal::FaultPoint::kDecrementedNotUnblocked);
    if (client) kern::thread_unblock(client, kern::THREAD_BLOCKED_RPC);
  }
}

Result<void> rpc_cluster_init(const MachineConfig& config) {
  RpcClusterState& rpc = *new (local_rpc_state()) RpcClusterState();
  rpc.m_fifo_slots_nr = config.rpc_fifo_slots;
  rpc.m_pool_bound = config.rpc_pool_bound;
  rpc.m_batch = config.rpc_batch;
  rpc.m_full_retries = config.rpc_full_retries;
  const uint32_t cores = config.topology.cores_per_cluster;
  const uint64_t bytes = uint64_t(config.rpc_fifo_slots) * sizeof(FifoSlot) * cores;
  uint32_t order = 0;
  while ((hal::kPageSize << order) < bytes) ++order;
  mm::Page* page = TRY(mm::kmem_alloc_pages(order));
  auto* slots = static_cast<FifoSlot*>(mm::kmem_page_base(page));
  for (uint32_t lid = 0; lid < cores; ++lid)
    fifo_init(&rpc.m_cores[lid].m_fifo, slots + uint64_t(lid) * config.rpc_fifo_slots, config.rpc_fifo_slots);
  return {};
}

}  // namespace mkh::rpc
