// rwlock and remote_rwlock: many readers or one writer; waiters block (cause LOCK) and
// deschedule. Layer: kern. A waiting writer stops new readers from entering (no writer
// starvation); a releasing writer admits every waiting reader first, then a writer.
// Like the queuelock, ownership is handed over by the releaser, and a host thread outside
// any core polls instead of descheduling.
#pragma once

#include <cstdint>

#include "hal/busylock.hpp"
#include "hal/xlist.hpp"
#include "hal/xptr.hpp"
#include "libk/thread_annotations.hpp"

namespace mkh::kern {

struct RemoteRwlock {
  hal::RemoteBusylock m_lock;
  // guarded by m_lock
  uint32_t m_readers = 0;  // readers inside
  uint32_t m_writer = 0;   // 1 while a writer is inside
  hal::XlistEntry m_waiting_readers;
  hal::XlistEntry m_waiting_writers;
};

void remote_rwlock_init(hal::Xptr<RemoteRwlock> lock);
void remote_rwlock_rd_acquire(hal::Xptr<RemoteRwlock> lock);
void remote_rwlock_rd_release(hal::Xptr<RemoteRwlock> lock);
void remote_rwlock_wr_acquire(hal::Xptr<RemoteRwlock> lock);
void remote_rwlock_wr_release(hal::Xptr<RemoteRwlock> lock);

class CAPABILITY("rwlock") Rwlock {
 public:
  void init() { remote_rwlock_init(self()); }
  void rd_acquire() ACQUIRE_SHARED() { remote_rwlock_rd_acquire(self()); }
  void rd_release() RELEASE_SHARED() { remote_rwlock_rd_release(self()); }
  void wr_acquire() ACQUIRE() { remote_rwlock_wr_acquire(self()); }
  void wr_release() RELEASE() { remote_rwlock_wr_release(self()); }

 private:
  hal::Xptr<RemoteRwlock> self() { return hal::Xptr<RemoteRwlock>(hal::local_cxy(), &m_state); }
  RemoteRwlock m_state;
};

}  // namespace mkh::kern
