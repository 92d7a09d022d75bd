// queuelock: take or queue, release hands over to the first waiter. Layer: kern.
// Calls remote_busylock, xlist, thread_block/unblock, sched_yield.
#include "kern/queuelock.hpp"

#include "kern/sched.hpp"
#include "kern/thread.hpp"

namespace mkh::kern {

void remote_queuelock_init(hal::Xptr<RemoteQueuelock> lock) {
  hal::remote_store(lock.field(&RemoteQueuelock::m_lock).field(&hal::RemoteBusylock::m_taken), 0u);
  hal::remote_store(lock.field(&RemoteQueuelock::m_taken), 0u);
  hal::xlist_root_init(lock.field(&RemoteQueuelock::m_waiting));
}

void remote_queuelock_acquire(hal::Xptr<RemoteQueuelock> lock) {
  const auto busy = lock.field(&RemoteQueuelock::m_lock);
  const auto taken = lock.field(&RemoteQueuelock::m_taken);
  Thread* self = thread_current();
  if (self == nullptr) {
    // Not a kernel thread: it cannot deschedule, so it polls.
    uint32_t spins = 0;
    for (;;) {
      remote_busylock_acquire(busy);
      const bool free = hal::remote_load(taken) == 0;
      if (free) hal::remote_store(taken, 1u);
      remote_busylock_release(busy);
      if (free) return;
      hal::cpu_relax(spins);
    }
  }
  thread_hold_lock(self);  // waiting, then holding: not to be destroyed
  remote_busylock_acquire(busy);
  if (hal::remote_load(taken) == 0) {
    hal::remote_store(taken, 1u);
    remote_busylock_release(busy);
    return;
  }
  const auto self_xp = thread_current_xptr();
  hal::xlist_add_last(lock.field(&RemoteQueuelock::m_waiting), self_xp.field(&Thread::m_wait_entry));
  // Blocked while the list is still locked: the releaser's unblock cannot come first.
  thread_block(self_xp, THREAD_BLOCKED_LOCK);
  remote_busylock_release(busy);
  sched_yield();
  // Runs again only once the releaser handed the lock over (m_taken stayed 1).
}

void remote_queuelock_release(hal::Xptr<RemoteQueuelock> lock) {
  const auto busy = lock.field(&RemoteQueuelock::m_lock);
  const auto waiting = lock.field(&RemoteQueuelock::m_waiting);
  thread_release_lock(thread_current());
  remote_busylock_acquire(busy);
  if (hal::xlist_is_empty(waiting)) {
    hal::remote_store(lock.field(&RemoteQueuelock::m_taken), 0u);
    remote_busylock_release(busy);
    return;
  }
  const auto entry = hal::xlist_first(waiting);
  hal::xlist_unlink(entry);
  const auto next = hal::xlist_element(entry, &Thread::m_wait_entry);
  thread_unblock(next, THREAD_BLOCKED_LOCK);  // hand-over: m_taken stays 1
  remote_busylock_release(busy);
}

bool remote_queuelock_is_taken(hal::Xptr<RemoteQueuelock> lock) {
  return hal::remote_load(lock.field(&RemoteQueuelock::m_taken)) != 0;
}

}  // namespace mkh::kern
