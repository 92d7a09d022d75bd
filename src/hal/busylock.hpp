// busylock (a spin lock on local memory) and remote_busylock (a spin lock on an xptr).
// Layer: hal (beside the CPU context that counts the holder's busylocks). Never held across a descheduling point: the holder's busylock count is
// checked by the scheduler. Waiters spin with pause and host-yield (see hal::cpu_relax).
// No allocation while a busylock is held.
#pragma once

#include <cstdint>

#include "hal/cpu.hpp"
#include "hal/remote.hpp"
#include "libk/thread_annotations.hpp"

namespace mkh::hal {

class CAPABILITY("busylock") Busylock {
 public:
  constexpr Busylock() = default;
  Busylock(const Busylock&) = delete;
  Busylock& operator=(const Busylock&) = delete;

  void acquire() ACQUIRE() {
    uint32_t spins = 0;
    for (;;) {
      if (hal::local_load(m_taken, std::memory_order_relaxed) == 0 &&
          std::atomic_ref<uint32_t>(m_taken).exchange(1, std::memory_order_acquire) == 0)
        break;
      hal::cpu_relax(spins);
    }
    ++hal::cpu().busylocks;
  }

  bool try_acquire() TRY_ACQUIRE(true) {
    if (std::atomic_ref<uint32_t>(m_taken).exchange(1, std::memory_order_acquire) != 0) return false;
    ++hal::cpu().busylocks;
    return true;
  }

  void release() RELEASE() {
    --hal::cpu().busylocks;
    hal::local_store(m_taken, 0u);
  }

  bool is_taken() const { return hal::local_load(m_taken, std::memory_order_relaxed) != 0; }

 private:
  uint32_t m_taken = 0;
};

// The lock word lives in some cluster's memory; any cluster takes it through its xptr.
class RemoteBusylock {
 public:
  uint32_t m_taken = 0;  // reached only through remote_* on an xptr
};

inline void remote_busylock_acquire(hal::Xptr<RemoteBusylock> lock) {
  const auto word = lock.field(&RemoteBusylock::m_taken);
  uint32_t spins = 0;
  for (;;) {
    if (hal::remote_load(word) == 0 && hal::remote_cas(word, 0u, 1u)) break;
    hal::cpu_relax(spins);
  }
  ++hal::cpu().busylocks;
}

inline void remote_busylock_release(hal::Xptr<RemoteBusylock> lock) {
  --hal::cpu().busylocks;
  hal::remote_store(lock.field(&RemoteBusylock::m_taken), 0u);
}

// Scoped holder of a remote busylock.
class RemoteBusylockGuard {
 public:
  explicit RemoteBusylockGuard(hal::Xptr<RemoteBusylock> lock) : m_lock(lock) { remote_busylock_acquire(m_lock); }
  ~RemoteBusylockGuard() { remote_busylock_release(m_lock); }
  RemoteBusylockGuard(const RemoteBusylockGuard&) = delete;
  RemoteBusylockGuard& operator=(const RemoteBusylockGuard&) = delete;

 private:
  hal::Xptr<RemoteBusylock> m_lock;
};

// Scoped holder of a local busylock.
class SCOPED_CAPABILITY BusylockGuard {
 public:
  explicit BusylockGuard(Busylock& lock) ACQUIRE(lock) : m_lock(lock) { m_lock.acquire(); }
  ~BusylockGuard() RELEASE() { m_lock.release(); }
  BusylockGuard(const BusylockGuard&) = delete;
  BusylockGuard& operator=(const BusylockGuard&) = delete;

 private:
  Busylock& m_lock;
};

}  // namespace mkh::hal
