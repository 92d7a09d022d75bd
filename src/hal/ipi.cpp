// IPI send / take / wait over a futex, with the spin-before-sleep budget.
// Layer: hal. Calls the futex system call.
#include "hal/ipi.hpp"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <climits>
#include <ctime>

#include "hal/clock.hpp"
#include "hal/cpu.hpp"
#include "hal/remote.hpp"

namespace mkh::hal {

namespace {

// Returns false when the timeout (if not 0) expired.
bool futex_wait(uint32_t* word, uint32_t expected, uint64_t timeout_ns) {
  timespec timeout{time_t(timeout_ns / 1'000'000'000), long(timeout_ns % 1'000'000'000)};
  const long r =
      syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE, expected, timeout_ns != 0 ? &timeout : nullptr, nullptr, 0);
  return !(r == -1 && errno == ETIMEDOUT);
}

void futex_wake_all(uint32_t* word) { syscall(SYS_futex, word, FUTEX_WAKE_PRIVATE, INT_MAX, nullptr, nullptr, 0); }

}  // namespace

bool ipi_send(Xptr<IpiLine> line) {
  const auto pending = line.field(&IpiLine::pending);
  const bool fresh = remote_exchange(pending, 1u) == 0;  // seq_cst
  if (remote_load_sc(line.field(&IpiLine::sleeping)) != 0) futex_wake_all(pending.host_ptr());
  return fresh;
}

bool ipi_take(IpiLine& line) {
  if (local_load(line.pending, std::memory_order_relaxed) == 0) return false;
  return std::atomic_ref<uint32_t>(line.pending).exchange(0) != 0;
}

bool ipi_wait(IpiLine& line, uint64_t spin_ns, const uint32_t& stop, uint64_t timeout_ns) {
  auto ready = [&] {
    return local_load(line.pending, std::memory_order_relaxed) != 0 || local_load(stop, std::memory_order_relaxed) != 0;
  };
  if (spin_ns != 0 && spin_until(ready, spin_ns)) return false;
  std::atomic_ref<uint32_t>(line.sleeping).store(1, std::memory_order_seq_cst);
  bool slept = false;
  while (std::atomic_ref<uint32_t>(line.pending).load(std::memory_order_seq_cst) == 0 &&
         local_load(stop, std::memory_order_seq_cst) == 0) {
    slept = true;
    if (!futex_wait(&line.pending, 0, timeout_ns)) break;
  }
  std::atomic_ref<uint32_t>(line.sleeping).store(0, std::memory_order_relaxed);
  return slept;
}

}  // namespace mkh::hal
