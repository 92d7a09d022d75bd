// futex(2)'s wait and wake. Layer: proc.
#include "proc/futex.hpp"

#include "hal/clock.hpp"
#include "hal/remote.hpp"
#include "kern/sched.hpp"
#include "kern/timer.hpp"
#include "proc/process.hpp"
#include "proc/user_thread.hpp"

namespace mkh::proc {

namespace {

// The time left until `deadline_ns` on `clock`, in nanoseconds (0 once it has passed).
uint64_t ns_left(int clock, int64_t deadline_ns) {
  const int64_t left = deadline_ns - hal::clock_ns(clock);
  return left > 0 ? uint64_t(left) : 0;
}

bool ending(const Process* process) { return hal::local_load(process->m_exiting) != 0; }

// Unlinks and wakes one waiter; under m_futex_lock.
void wake(FutexWaiter* waiter) {
  libk::list_unlink(&waiter->m_entry);
  waiter->m_woken = true;
  (void)kern::thread_unblock(hal::Xptr<kern::Thread>(hal::local_cxy(), waiter->m_thread),
                             kern::THREAD_BLOCKED_USERSYNC);
}

}  // namespace

Result<void> futex_wait(UserThread* thread, uint32_t address, uint32_t expected, uint32_t bitset, int clock,
                        int64_t deadline_ns) {
  if ((address & 3) != 0 || bitset == 0) return error(Errno::kInval);
  Process* process = thread->m_process;
  FutexWaiter waiter;
  waiter.m_address = address;
  waiter.m_bitset = bitset;
  waiter.m_thread = thread->m_thread;
  const auto self = hal::Xptr<kern::Thread>(hal::local_cxy(), thread->m_thread);
  const bool timed = deadline_ns >= 0;
  kern::Timer timer;  // a timed wait's: it unblocks the thread as a wake would
  const uint64_t start = hal::ticks();
  {
    // The page is found (and faulted in) and held before the lock is taken (the VMM may
    // block), and released after it (a page of another cluster is freed by RPC), before the wait.
    const UserPage page = TRY(UserPage::hold(process, address, vmm::VSEG_READ));
    hal::BusylockGuard guard(process->m_futex_lock);
    if (ending(process)) return error(Errno::kIntr);
    if (hal::remote_load(hal::Xptr<uint32_t>(page.byte(address))) != expected) return error(Errno::kAgain);
    libk::list_add_last(&process->m_futex_waiters, &waiter.m_entry);
    kern::thread_block(self, kern::THREAD_BLOCKED_USERSYNC);
    if (timed) timer.arm(kern::ticks_from_now(ns_left(clock, deadline_ns)), kern::THREAD_BLOCKED_USERSYNC);
  }
  Result<void> outcome;
  for (;;) {
    kern::sched_yield();  // blocked: until a wake, the timer, or the end of the process
    hal::BusylockGuard guard(process->m_futex_lock);
    if (waiter.m_woken) break;
    const uint64_t left = timed ? ns_left(clock, deadline_ns) : 1;
    if (ending(process) || left == 0) {
      libk::list_unlink(&waiter.m_entry);
      outcome = error(ending(process) ? Errno::kIntr : Errno::kTimedOut);
      break;
    }
    // Woken early (the timer's ticks ran ahead of the wait's clock): blocked again until the rest.
    kern::thread_block(self, kern::THREAD_BLOCKED_USERSYNC);
    if (timed && !timer.armed()) timer.arm(kern::ticks_from_now(left), kern::THREAD_BLOCKED_USERSYNC);
  }
  user_thread_waited(thread, hal::ticks() - start);
  return outcome;
}

uint32_t futex_wake(Process* process, uint32_t address, uint32_t count, uint32_t bitset) {
  uint32_t woken = 0;
  hal::BusylockGuard guard(process->m_futex_lock);
  libk::ListEntry* root = &process->m_futex_waiters;
  for (libk::ListEntry* entry = root->next; entry != root && woken < count;) {
    libk::ListEntry* next = entry->next;
    auto* waiter = libk::list_element(entry, &FutexWaiter::m_entry);
    if (waiter->m_address == address && (waiter->m_bitset & bitset) != 0) {
      wake(waiter);
      ++woken;
    }
    entry = next;
  }
  return woken;
}

void futex_wake_all(Process* process) {
  hal::BusylockGuard guard(process->m_futex_lock);
  libk::ListEntry* root = &process->m_futex_waiters;
  while (root->next != root) wake(libk::list_element(root->next, &FutexWaiter::m_entry));
}

}  // namespace mkh::proc
