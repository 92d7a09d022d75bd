// setitimer's ITIMER_REAL (alarm.hpp). Layer: proc.
#include "proc/alarm.hpp"

#include <time.h>

#include <algorithm>
#include <cstdint>

#include "hal/clock.hpp"
#include "kern/sched.hpp"
#include "kern/thread.hpp"
#include "kern/timer.hpp"
#include "proc/process.hpp"
#include "proc/services.hpp"

namespace mkh::proc {

namespace {

int64_t now_ns() { return hal::clock_ns(CLOCK_MONOTONIC); }

// The time after `deadline`, once due at `now`, by whole intervals (Linux's hrtimer_forward:
// the intervals missed are dropped).
int64_t next_deadline(int64_t deadline, int64_t interval, int64_t now) {
  if (interval == 0) return 0;
  return deadline + ((now - deadline) / interval + 1) * interval;
}

// The sender of a process's SIGALRM, its argument the pid: looks at the timer, sends the signal
// when it is due, sleeps until the next time or a change.
void alarm_thread(void* arg) {
  const uint32_t pid = uint32_t(reinterpret_cast<uintptr_t>(arg));
  kern::Thread* const self = kern::thread_current();
  for (;;) {
    int64_t left = 0;
    {
      auto use = ProcessUse::by_pid(pid);
      if (!use) return;  // the process is gone
      Process* process = use->get();
      {
        hal::BusylockGuard guard(process->m_alarm_lock);
        if (process->m_alarm_thread != self) return;  // its pid names another process now
        const int64_t deadline = process->m_alarm_deadline, now = now_ns();
        if (deadline == 0 || process_ending(process)) {
          process->m_alarm_thread = nullptr;
          return;
        }
        left = deadline - now;
        if (left <= 0) process->m_alarm_deadline = next_deadline(deadline, process->m_alarm_interval, now);
        // Blocked before the lock goes: a change after it unblocks it, and the yield returns.
        else kern::thread_block(kern::thread_current_xptr(), kern::THREAD_BLOCKED_SLEEP);
      }
      if (left <= 0) {
        (void)process_make_kill_server(pid, kSigAlrm, kSiKernel, 0, 0);
        continue;
      }
    }
    kern::Timer timer;
    timer.arm(kern::ticks_from_now(uint64_t(left)), kern::THREAD_BLOCKED_SLEEP);
    kern::sched_yield();
  }
}

}  // namespace

Result<AlarmTimer> alarm_set(Process* process, const AlarmTimer* next) {
  hal::BusylockGuard guard(process->m_alarm_lock);
  const int64_t now = now_ns(), deadline = process->m_alarm_deadline;
  const AlarmTimer old{deadline == 0 ? 0 : std::max<int64_t>(deadline - now, 1000),
                       deadline == 0 ? 0 : process->m_alarm_interval};
  if (next == nullptr) return old;
  process->m_alarm_deadline = next->value_ns == 0 ? 0 : now + next->value_ns;
  process->m_alarm_interval = next->value_ns == 0 ? 0 : next->interval_ns;
  if (kern::Thread* thread = process->m_alarm_thread) {
    (void)kern::thread_unblock(hal::Xptr<kern::Thread>(hal::local_cxy(), thread), kern::THREAD_BLOCKED_SLEEP);
  } else if (next->value_ns != 0) {
    // Made under the lock: it looks at the timer only once it is named the process's sender.
    auto made = kern::thread_create(kern::ThreadType::DEV, alarm_thread,
                                    reinterpret_cast<void*>(uintptr_t(process->m_pid)), hal::cpu().lid, "alarm");
    if (!made) {
      process->m_alarm_deadline = 0;
      process->m_alarm_interval = 0;
      return error(made.error());
    }
    process->m_alarm_thread = *made;
  }
  return old;
}

void alarm_end(Process* process) {
  hal::BusylockGuard guard(process->m_alarm_lock);
  process->m_alarm_deadline = 0;
  if (kern::Thread* thread = process->m_alarm_thread)
    (void)kern::thread_unblock(hal::Xptr<kern::Thread>(hal::local_cxy(), thread), kern::THREAD_BLOCKED_SLEEP);
}

}  // namespace mkh::proc
