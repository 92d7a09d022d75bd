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
#include "proc/user_thread.hpp"

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

AlarmTimer cpu_timer_set(Process* process, CpuTimer which, const AlarmTimer* next) {
  const hal::Xptr<Process> self(hal::local_cxy(), process);
  const auto left = self.field(&Process::m_cpu_timer_left).as<int64_t>() + which;
  AlarmTimer old;
  {
    hal::BusylockGuard guard(process->m_alarm_lock);
    const int64_t was = hal::remote_load(left);
    old = {was == 0 ? 0 : std::max<int64_t>(was, 1000), was == 0 ? 0 : process->m_cpu_timer_interval[which]};
    if (next == nullptr) return old;
    hal::remote_store(self.field(&Process::m_cpu_timer_interval).as<int64_t>() + which,
                      next->value_ns == 0 ? 0 : next->interval_ns);
    (void)hal::remote_exchange(left, next->value_ns);  // sequentially consistent, as the look below
  }
  // A charge that counted the old timer down has sent its signal before this returns: a
  // program that disarms the timer, then lets the signal's default action back, is not ended
  // by a signal of the old timer (Linux queues it at the expiry, under the lock setitimer
  // takes). A charge after the change counts the new timer.
  while (hal::remote_load_sc(self.field(&Process::m_cpu_timer_charging)) != 0) kern::sched_yield();
  return old;
}

namespace {

// Counts `ns` of CPU time down on the timer `which` of `reference`: its signal sent when the
// time runs out, the interval (the part of it not yet spent) or nothing left after.
void charge(hal::Xptr<Process> reference, CpuTimer which, int64_t ns) {
  static constexpr uint32_t kSignals[2] = {kSigVtalrm, kSigProf};
  const auto left = reference.field(&Process::m_cpu_timer_left).as<int64_t>() + which;
  int64_t was = hal::remote_load_sc(left);  // after the count of charges went up: cpu_timer_set
  while (was != 0 && ns > 0) {
    int64_t next = was - ns;
    const bool expired = next <= 0;
    if (expired) {
      const int64_t interval = hal::remote_load(reference.field(&Process::m_cpu_timer_interval).as<int64_t>() + which);
      next = interval == 0 ? 0 : interval - (-next) % interval;
    }
    if (!hal::remote_cas(left, was, next)) {
      was = hal::remote_load(left);
      continue;
    }
    if (expired) {
      const uint32_t pid = hal::remote_load(reference.field(&Process::m_pid));
      (void)rpc::rpc_call<rpc::RPC_PROCESS_MAKE_KILL>(pid_cxy(pid), pid, kSignals[which], kSiKernel, 0u, 0);
    }
    return;
  }
}

}  // namespace

void cpu_timers_charge(UserThread* thread) {
  const uint64_t cpu = hal::local_load(thread->m_cpu_ticks), sys = hal::local_load(thread->m_sys_ticks);
  const uint64_t ran = cpu - std::min(cpu, thread->m_charged_cpu_ticks);
  const uint64_t in_kernel = std::min(ran, sys - std::min(sys, thread->m_charged_sys_ticks));
  thread->m_charged_cpu_ticks = cpu;
  thread->m_charged_sys_ticks = sys;
  const hal::Xptr<Process> reference = thread->m_reference;
  const auto left = reference.field(&Process::m_cpu_timer_left).as<int64_t>();
  if (hal::remote_load(left + 0) == 0 && hal::remote_load(left + 1) == 0) return;  // both disarmed
  const auto charging = reference.field(&Process::m_cpu_timer_charging);
  (void)hal::remote_atomic_add(charging, 1u);  // sequentially consistent, before the looks
  charge(reference, kCpuTimerVirtual, int64_t(hal::ticks_to_ns(ran - in_kernel)));
  charge(reference, kCpuTimerProf, int64_t(hal::ticks_to_ns(ran)));
  (void)hal::remote_atomic_add(charging, uint32_t(-1));
}

void alarm_end(Process* process) {
  hal::BusylockGuard guard(process->m_alarm_lock);
  process->m_alarm_deadline = 0;
  if (kern::Thread* thread = process->m_alarm_thread)
    (void)kern::thread_unblock(hal::Xptr<kern::Thread>(hal::local_cxy(), thread), kern::THREAD_BLOCKED_SLEEP);
}

}  // namespace mkh::proc
