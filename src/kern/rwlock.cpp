// rwlock: readers share, writers exclude, hand-over on release. Layer: kern.
// Calls remote_busylock, xlist, thread_block/unblock, sched_yield.
#include "kern/rwlock.hpp"

#include "kern/sched.hpp"
#include "kern/thread.hpp"

namespace mkh::kern {

namespace {

using Field = uint32_t RemoteRwlock::*;

// Enters when `may_enter` holds (under the busylock); otherwise queues on `waiting` and
// deschedules until the releaser has admitted it (and updated the counts for it).
template <typename MayEnter>
void enter(hal::Xptr<RemoteRwlock> lock, hal::XlistEntry RemoteRwlock::*waiting, Field count, MayEnter may_enter) {
  const auto busy = lock.field(&RemoteRwlock::m_lock);
  const auto counter = lock.field(count);
  if (thread_current() == nullptr) {
    uint32_t spins = 0;
    for (;;) {
      remote_busylock_acquire(busy);
      const bool admitted = may_enter();
      if (admitted) hal::remote_atomic_add(counter, 1u);
      remote_busylock_release(busy);
      if (admitted) return;
      hal::cpu_relax(spins);
    }
  }
  thread_hold_lock(thread_current());  // waiting, then holding: not to be destroyed
  remote_busylock_acquire(busy);
  if (may_enter()) {
    hal::remote_atomic_add(counter, 1u);
    remote_busylock_release(busy);
    return;
  }
  const auto self = thread_current_xptr();
  hal::xlist_add_last(lock.field(waiting), self.field(&Thread::m_wait_entry));
  thread_block(self, THREAD_BLOCKED_LOCK);
  remote_busylock_release(busy);
  sched_yield();
}

// Admits the first waiter of `waiting` (all of them when `all`); returns how many.
uint32_t admit(hal::Xptr<RemoteRwlock> lock, hal::XlistEntry RemoteRwlock::*waiting, Field count, bool all) {
  const auto root = lock.field(waiting);
  uint32_t admitted = 0;
  while (!hal::xlist_is_empty(root) && (all || admitted == 0)) {
    const auto entry = hal::xlist_first(root);
    hal::xlist_unlink(entry);
    hal::remote_atomic_add(lock.field(count), 1u);
    thread_unblock(hal::xlist_element(entry, &Thread::m_wait_entry), THREAD_BLOCKED_LOCK);
    ++admitted;
  }
  return admitted;
}

}  // namespace

void remote_rwlock_init(hal::Xptr<RemoteRwlock> lock) {
  hal::remote_store(lock.field(&RemoteRwlock::m_lock).field(&hal::RemoteBusylock::m_taken), 0u);
  hal::remote_store(lock.field(&RemoteRwlock::m_readers), 0u);
  hal::remote_store(lock.field(&RemoteRwlock::m_writer), 0u);
  hal::xlist_root_init(lock.field(&RemoteRwlock::m_waiting_readers));
  hal::xlist_root_init(lock.field(&RemoteRwlock::m_waiting_writers));
}

void remote_rwlock_rd_acquire(hal::Xptr<RemoteRwlock> lock) {
  enter(lock, &RemoteRwlock::m_waiting_readers, &RemoteRwlock::m_readers, [&] {
    return hal::remote_load(lock.field(&RemoteRwlock::m_writer)) == 0 &&
           hal::xlist_is_empty(lock.field(&RemoteRwlock::m_waiting_writers));
  });
}

void remote_rwlock_wr_acquire(hal::Xptr<RemoteRwlock> lock) {
  enter(lock, &RemoteRwlock::m_waiting_writers, &RemoteRwlock::m_writer, [&] {
    return hal::remote_load(lock.field(&RemoteRwlock::m_writer)) == 0 &&
           hal::remote_load(lock.field(&RemoteRwlock::m_readers)) == 0;
  });
}

void remote_rwlock_rd_release(hal::Xptr<RemoteRwlock> lock) {
  const auto busy = lock.field(&RemoteRwlock::m_lock);
  thread_release_lock(thread_current());
  remote_busylock_acquire(busy);
  // The last reader out lets one waiting writer in.
  if (hal::remote_atomic_add(lock.field(&RemoteRwlock::m_readers), ~0u) == 1)
    admit(lock, &RemoteRwlock::m_waiting_writers, &RemoteRwlock::m_writer, false);
  remote_busylock_release(busy);
}

void remote_rwlock_wr_release(hal::Xptr<RemoteRwlock> lock) {
  const auto busy = lock.field(&RemoteRwlock::m_lock);
  thread_release_lock(thread_current());
  remote_busylock_acquire(busy);
  hal::remote_store(lock.field(&RemoteRwlock::m_writer), 0u);
  // Waiting readers first (they were held back by this writer), else the next writer.
  if (admit(lock, &RemoteRwlock::m_waiting_readers, &RemoteRwlock::m_readers, true) == 0)
    admit(lock, &RemoteRwlock::m_waiting_writers, &RemoteRwlock::m_writer, false);
  remote_busylock_release(busy);
}

}  // namespace mkh::kern
