// Scheduler: thread lists, selection, the scheduling loop step, yield, the idle thread's
// loop and IPIs. Layer: kern. Calls hal (fiber, IPI, remote access) and thread_destroy.
#include "kern/sched.hpp"

#include <atomic>

#include "kern/cluster.hpp"
#include "kern/thread.hpp"
#include "kern/timer.hpp"

namespace mkh::kern {

namespace {

std::atomic<SchedulingPointHook> g_scheduling_point_hook{nullptr};
std::atomic<RpcBlockingHook> g_rpc_blocking_hook{nullptr};

Thread* entry_thread(libk::ListEntry* entry) { return libk::list_element(entry, &Thread::m_sched_entry); }

// Sequentially consistent: pairs with thread_unblock's read of the core's m_idle (see there).
// A thread to delete is selectable once its blocked word is clear (thread_request_delete
// clears the killable causes), and core_step then destroys it instead of running it.
bool is_runnable(const Thread* thread) { return hal::local_load(thread->m_blocked, std::memory_order_seq_cst) == 0; }

bool is_kernel_type(ThreadType type) { return type != ThreadType::USER; }

}  // namespace

void set_scheduling_point_hook(SchedulingPointHook hook) { g_scheduling_point_hook.store(hook); }
void set_rpc_blocking_hook(RpcBlockingHook hook) { g_rpc_blocking_hook.store(hook); }

void Sched::init() {
  hal::BusylockGuard guard(m_lock);
  libk::list_root_init(&m_kernel_root);
  libk::list_root_init(&m_user_root);
  m_kernel_cursor = &m_kernel_root;
  m_user_cursor = &m_user_root;
}

void Sched::register_thread(Thread* thread) {
  hal::BusylockGuard guard(m_lock);
  libk::list_add_last(is_kernel_type(thread->m_type) ? &m_kernel_root : &m_user_root, &thread->m_sched_entry);
  hal::local_store(m_threads_nr, m_threads_nr + 1);
  if (hal::local_load(thread->m_blocked) == 0) std::atomic_ref<uint32_t>(m_ready_nr).fetch_add(1);
}

void Sched::unregister_thread(Thread* thread) {
  hal::BusylockGuard guard(m_lock);
  if (hal::local_load(thread->m_blocked) == 0) std::atomic_ref<uint32_t>(m_ready_nr).fetch_sub(1);
  libk::ListEntry* entry = &thread->m_sched_entry;
  if (m_kernel_cursor == entry) m_kernel_cursor = entry->pred;
  if (m_user_cursor == entry) m_user_cursor = entry->pred;
  libk::list_unlink(entry);
  hal::local_store(m_threads_nr, m_threads_nr - 1);
}

void Sched::for_each_thread(void (*visit)(Thread* thread, void* context), void* context) {
  hal::BusylockGuard guard(m_lock);
  for (auto* root : {&m_kernel_root, &m_user_root})
    for (libk::ListEntry* entry = root->next; entry != root; entry = entry->next) visit(entry_thread(entry), context);
  if (Thread* idle = hal::local_load(m_idle)) visit(idle, context);
}

bool Sched::visit_thread(const Thread* candidate, void (*visit)(Thread* thread, void* context), void* context) {
  hal::BusylockGuard guard(m_lock);
  Thread* found = nullptr;
  if (candidate != nullptr && candidate == hal::local_load(m_idle)) found = hal::local_load(m_idle);
  for (auto* root : {&m_kernel_root, &m_user_root})
    for (libk::ListEntry* entry = root->next; entry != root && found == nullptr; entry = entry->next)
      if (entry_thread(entry) == candidate) found = entry_thread(entry);
  if (found == nullptr) return false;
  visit(found, context);
  return true;
}

void Sched::count_ready(hal::Xptr<Core> core, int32_t delta) {
  hal::remote_atomic_add(core.field(&Core::m_sched).field(&Sched::m_ready_nr), uint32_t(delta));
}

Thread* Sched::select_in(libk::ListEntry* root, libk::ListEntry*& cursor, bool rpc_only) {
  // Round robin: start after the last thread selected from this list.
  libk::ListEntry* entry = cursor;
  do {
    entry = entry->next;
    if (entry == root) continue;
    if (is_runnable(entry_thread(entry)) && (!rpc_only || entry_thread(entry)->m_type == ThreadType::RPC)) {
      cursor = entry;
      return entry_thread(entry);
    }
  } while (entry != cursor);
  return nullptr;
}

Thread* Sched::select(bool rpc_only) {
  hal::BusylockGuard guard(m_lock);
  if (Thread* thread = select_in(&m_kernel_root, m_kernel_cursor, rpc_only)) return thread;
  return rpc_only ? nullptr : select_in(&m_user_root, m_user_cursor, false);
}

bool Sched::has_runnable(const Thread* except) {
  hal::BusylockGuard guard(m_lock);
  for (auto* root : {&m_kernel_root, &m_user_root})
    for (libk::ListEntry* entry = root->next; entry != root; entry = entry->next)
      if (entry_thread(entry) != except && is_runnable(entry_thread(entry))) return true;
  return false;
}

Core* core_current() {
  // A host thread acting for a cluster (hal::ClusterScope) is not running a core, even while
  // that cluster's core 0 runs a thread on its own host thread.
  if (hal::cpu().cxy == hal::kInvalidCxy || hal::cpu().drives_core == 0) return nullptr;
  Core* core = &cluster_at(hal::cpu().cxy)->m_cores[hal::cpu().lid];
  return hal::local_load(core->m_sched.m_current, std::memory_order_relaxed) != nullptr ? core : nullptr;
}

void send_ipi(hal::cxy_t cxy, hal::lid_t lid) {
  const auto core = core_xptr(cxy, lid);
  hal::ipi_send(core.field(&Core::m_ipi));
  if (hal::cpu().cxy != hal::kInvalidCxy)
    hal::stat_add(cluster_at(hal::cpu().cxy)->m_cores[hal::cpu().lid].m_stats.ipis_sent, uint64_t(1));
}

Step core_step(Core* core) {
  if (SchedulingPointHook hook = g_scheduling_point_hook.load(std::memory_order_relaxed)) hook(core);
  timers_expire(core);

  Sched& sched = core->m_sched;
  Thread* next = sched.select(hal::local_load(core->m_stop, std::memory_order_relaxed) != 0);
  const Step step = next != nullptr ? Step::kRanThread : Step::kRanIdle;
  if (next == nullptr) {
    next = hal::local_load(sched.m_idle, std::memory_order_relaxed);
    if (next == nullptr) return Step::kStopped;
  }
  if (thread_deletable(next)) {
    thread_destroy(next);
    return Step::kRanThread;
  }

  hal::local_store(sched.m_current, next, std::memory_order_relaxed);
  next->m_state = ThreadState::kRunning;
  hal::stat_add(next->m_switches, uint64_t(1));
  hal::stat_add(core->m_stats.switches, uint64_t(1));
  const bool timed = next->m_type == ThreadType::USER;  // two TSC reads: on a user thread's turn only
  if (timed) {
    next->m_turn_start = hal::ticks();
    load_tick(&core->m_load, hal::local_load(sched.m_ready_nr, std::memory_order_relaxed), next->m_turn_start);
  }
  next->m_fiber.resume();
  if (timed) next->m_run_ticks += turn_ticks(next);
  hal::local_store(sched.m_current, static_cast<Thread*>(nullptr), std::memory_order_relaxed);

  if (next->m_fiber.finished() || next->m_state == ThreadState::kExited || thread_deletable(next)) {
    thread_destroy(next);
  } else {
    next->m_state = ThreadState::kReady;
  }
  return step;
}

void sched_yield() {
  Thread* self = thread_current();
  KASSERT(self != nullptr, "sched_yield outside a thread");
  KASSERT(hal::cpu().busylocks == 0, "thread {} deschedules holding {} busylock(s)", self->m_name,
          hal::cpu().busylocks);
  if (self->m_type == ThreadType::RPC && hal::local_load(self->m_blocked) != 0)
    if (RpcBlockingHook hook = g_rpc_blocking_hook.load(std::memory_order_relaxed)) hook(self);
  self->m_fiber.suspend();
}

}  // namespace mkh::kern
