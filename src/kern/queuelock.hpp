// queuelock and remote_queuelock: a lock whose waiters block (cause LOCK) and deschedule;
// the releaser hands the lock straight to the first waiter (FIFO, no barging).
// Layer: kern. A short remote_busylock guards the lock state and the xlist of waiting
// threads, so threads of any cluster may wait on a lock in any cluster. May block: never
// take one while holding a busylock. A host thread outside any core (no current thread)
// cannot deschedule and spins instead.
#pragma once

#include <cstdint>

#include "hal/busylock.hpp"
#include "hal/xlist.hpp"
#include "hal/xptr.hpp"
#include "libk/thread_annotations.hpp"

namespace mkh::kern {

struct RemoteQueuelock {
  hal::RemoteBusylock m_lock;
  // guarded by m_lock
  uint32_t m_taken = 0;
  hal::XlistEntry m_waiting;  // threads, by their m_wait_entry
};

// Must be called once, by the lock's owner cluster, before any use.
void remote_queuelock_init(hal::Xptr<RemoteQueuelock> lock);
void remote_queuelock_acquire(hal::Xptr<RemoteQueuelock> lock);
void remote_queuelock_release(hal::Xptr<RemoteQueuelock> lock);
bool remote_queuelock_is_taken(hal::Xptr<RemoteQueuelock> lock);

// The local form, for data that never leaves its cluster; the same protocol underneath.
class CAPABILITY("queuelock") Queuelock {
 public:
  void init() { remote_queuelock_init(self()); }
  void acquire() ACQUIRE() { remote_queuelock_acquire(self()); }
  void release() RELEASE() { remote_queuelock_release(self()); }
  bool is_taken() { return remote_queuelock_is_taken(self()); }

 private:
  hal::Xptr<RemoteQueuelock> self() { return hal::Xptr<RemoteQueuelock>(hal::local_cxy(), &m_state); }
  RemoteQueuelock m_state;
};

class SCOPED_CAPABILITY QueuelockGuard {
 public:
  explicit QueuelockGuard(Queuelock& lock) ACQUIRE(lock) : m_lock(lock) { m_lock.acquire(); }
  ~QueuelockGuard() RELEASE() { m_lock.release(); }
  QueuelockGuard(const QueuelockGuard&) = delete;
  QueuelockGuard& operator=(const QueuelockGuard&) = delete;

 private:
  Queuelock& m_lock;
};

}  // namespace mkh::kern
