// A host mutex with Clang thread-safety attributes (libstdc++'s std::mutex has none), for
// state that several host threads touch outside the kernel's own locks: the console sink,
// harness bookkeeping. Never held across a scheduling point. Layer: libk.
#pragma once

#include <mutex>

#include "libk/thread_annotations.hpp"

namespace mkh::libk {

class CAPABILITY("mutex") HostMutex {
 public:
  void lock() ACQUIRE() { m_mutex.lock(); }
  void unlock() RELEASE() { m_mutex.unlock(); }

 private:
  std::mutex m_mutex;
};

class SCOPED_CAPABILITY HostMutexGuard {
 public:
  explicit HostMutexGuard(HostMutex& mutex) ACQUIRE(mutex) : m_mutex(mutex) { m_mutex.lock(); }
  ~HostMutexGuard() RELEASE() { m_mutex.unlock(); }
  HostMutexGuard(const HostMutexGuard&) = delete;
  HostMutexGuard& operator=(const HostMutexGuard&) = delete;

 private:
  HostMutex& m_mutex;
};

}  // namespace mkh::libk
