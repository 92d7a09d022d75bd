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

// The waiters' list of the process `reference`, locked while this lives, from any cluster.
class Waiters {
 public:
  explicit Waiters(hal::Xptr<Process> reference)
      : m_reference(reference), m_guard(m_reference.field(&Process::m_futex_lock)) {}
  hal::Xptr<hal::XlistEntry> root() const { return m_reference.field(&Process::m_futex_waiters); }

 private:
  hal::Xptr<Process> m_reference;
  hal::RemoteBusylockGuard m_guard;
};

// Unlinks and wakes one waiter (in any cluster); under m_futex_lock.
void wake(hal::Xptr<FutexWaiter> waiter) {
  hal::xlist_unlink(waiter.field(&FutexWaiter::m_entry));
  hal::remote_store(waiter.field(&FutexWaiter::m_woken), 1u);
  (void)kern::thread_unblock(hal::remote_load(waiter.field(&FutexWaiter::m_thread)), kern::THREAD_BLOCKED_USERSYNC);
}

}  // namespace

Result<void> futex_wait(UserThread* thread, uint32_t address, uint32_t expected, uint32_t bitset, int clock,
                        int64_t deadline_ns) {
  if ((address & 3) != 0 || bitset == 0) return error(Errno::kInval);
  Process* process = thread->m_process;
  const hal::Xptr<Process> reference = thread->m_reference;
  const auto self = hal::Xptr<kern::Thread>(hal::local_cxy(), thread->m_thread);
  FutexWaiter waiter;
  waiter.m_address = address;
  waiter.m_bitset = bitset;
  waiter.m_thread = self;
  const hal::Xptr<FutexWaiter> record(hal::local_cxy(), &waiter);
  hal::publish_local(waiter);  // wakers in any cluster read it through `record`
  const bool timed = deadline_ns >= 0;
  kern::Timer timer;  // a timed wait's: it unblocks the thread as a wake would
  {
    // The page is found (and faulted in) and held before the lock is taken (the VMM may
    // block), and released after it (a page of another cluster is freed by RPC), before the wait.
    const UserPage page = TRY(UserPage::hold(process, address, vmm::VSEG_READ));
    Waiters waiters(reference);
    if (hal::remote_load(hal::Xptr<uint32_t>(page.byte(address))) != expected) return error(Errno::kAgain);
    hal::xlist_add_last(waiters.root(), record.field(&FutexWaiter::m_entry));
    // Blocked before the look: the end's wake (futex_wake_all, under this lock) or a signal's
    // (its unblock after its kick) is not lost.
    kern::thread_block(self, kern::THREAD_BLOCKED_USERSYNC);
    if (wait_interrupted(process)) {
      (void)kern::thread_unblock(self, kern::THREAD_BLOCKED_USERSYNC);
      hal::xlist_unlink(record.field(&FutexWaiter::m_entry));
      return error(Errno::kIntr);
    }
    if (timed) timer.arm(kern::ticks_from_now(ns_left(clock, deadline_ns)), kern::THREAD_BLOCKED_USERSYNC);
  }
  Result<void> outcome;
  for (;;) {
    kern::sched_yield();  // blocked: until a wake, the timer, a signal, or the end of the process
    Waiters waiters(reference);
    if (hal::remote_load(record.field(&FutexWaiter::m_woken)) != 0) break;
    // Woken early (the timer's ticks ran ahead of the wait's clock, or a signal for another
    // thread): blocked again, then looked at.
    kern::thread_block(self, kern::THREAD_BLOCKED_USERSYNC);
    const uint64_t left = timed ? ns_left(clock, deadline_ns) : 1;
    const bool interrupted = wait_interrupted(process);
    if (interrupted || left == 0) {
      (void)kern::thread_unblock(self, kern::THREAD_BLOCKED_USERSYNC);
      hal::xlist_unlink(record.field(&FutexWaiter::m_entry));
      outcome = error(interrupted ? Errno::kIntr : Errno::kTimedOut);
      break;
    }
    if (timed && !timer.armed()) timer.arm(kern::ticks_from_now(left), kern::THREAD_BLOCKED_USERSYNC);
  }
  return outcome;
}

uint32_t futex_wake(Process* process, uint32_t address, uint32_t count, uint32_t bitset) {
  uint32_t woken = 0;
  Waiters waiters(process_reference(process));
  XLIST_FOREACH_SAFE(waiters.root(), entry, next) {
    if (woken == count) break;
    const auto waiter = hal::xlist_element(entry, &FutexWaiter::m_entry);
    if (hal::remote_load(waiter.field(&FutexWaiter::m_address)) == address &&
        (hal::remote_load(waiter.field(&FutexWaiter::m_bitset)) & bitset) != 0) {
      wake(waiter);
      ++woken;
    }
  }
  return woken;
}

void futex_wake_all(hal::Xptr<Process> reference) {
  Waiters waiters(reference);
  while (!hal::xlist_is_empty(waiters.root()))
    wake(hal::xlist_element(hal::xlist_first(waiters.root()), &FutexWaiter::m_entry));
}

}  // namespace mkh::proc
