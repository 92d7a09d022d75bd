// The interval timers: setitimer and getitimer, ITIMER_REAL, ITIMER_VIRTUAL and ITIMER_PROF
// (proc/alarm.hpp). Layer: syscall. They act on the process's reference: a thread of a copy
// asks its owner cluster (syscall.cpp's at_reference), whose kernel thread sends the SIGALRM;
// the threads' CPU time sends the others.
#include <cstdint>

#include "proc/alarm.hpp"
#include "syscall/call.hpp"

namespace mkh::syscall {

namespace {

constexpr uint32_t kItimerReal = 0, kItimerVirtual = 1, kItimerProf = 2;

// RV32's struct itimerval (Linux's __kernel_old_itimerval): the interval, then the value, each
// a timeval of two 32-bit longs.
struct UserItimerval {
  int32_t interval_sec, interval_usec, value_sec, value_usec;
};

int64_t ns_of(int32_t sec, int32_t usec) { return int64_t(sec) * 1'000'000'000 + int64_t(usec) * 1000; }

UserItimerval user_itimerval(const proc::AlarmTimer& timer) {
  return {int32_t(timer.interval_ns / 1'000'000'000), int32_t(timer.interval_ns % 1'000'000'000 / 1000),
          int32_t(timer.value_ns / 1'000'000'000), int32_t(timer.value_ns % 1'000'000'000 / 1000)};
}

// The timer `which` of the caller's process (its reference: the call acts there), set to
// `next` unless null: what it was.
Result<proc::AlarmTimer> set_timer(Call& call, uint32_t which, const proc::AlarmTimer* next) {
  if (which == kItimerReal) return proc::alarm_set(call.process, next);
  if (next != nullptr) proc::cpu_timers_charge_now(call.thread);
  return proc::cpu_timer_set(call.process, which == kItimerVirtual ? proc::kCpuTimerVirtual : proc::kCpuTimerProf,
                             next);
}

}  // namespace

// setitimer(which, new, old), Linux's order: `new` read (EFAULT; null disarms, as Linux takes
// it), `which` (EINVAL past ITIMER_PROF), `new` checked (a negative second or a microsecond
// count past a second: EINVAL), the timer set, then the old one written (EFAULT, the new one set
// all the same).
Answer sys_setitimer(Call& call) {
  UserItimerval asked{};
  if (call.a[1] != 0) TRY(proc::copy_from_user(call.process, &asked, call.a[1], sizeof asked));
  if (call.a[0] > kItimerProf) return error(Errno::kInval);
  if (asked.interval_sec < 0 || asked.value_sec < 0 || asked.interval_usec < 0 || asked.value_usec < 0 ||
      asked.interval_usec >= 1'000'000 || asked.value_usec >= 1'000'000)
    return error(Errno::kInval);
  const proc::AlarmTimer next{ns_of(asked.value_sec, asked.value_usec), ns_of(asked.interval_sec, asked.interval_usec)};
  const proc::AlarmTimer old = TRY(set_timer(call, call.a[0], &next));
  if (call.a[2] != 0) {
    const UserItimerval out = user_itimerval(old);
    TRY(proc::copy_to_user(call.process, call.a[2], &out, sizeof out));
  }
  return 0;
}

// getitimer(which, curr): the time left (a live timer at least 1 µs) and the interval.
Answer sys_getitimer(Call& call) {
  if (call.a[0] > kItimerProf) return error(Errno::kInval);
  const UserItimerval out = user_itimerval(TRY(set_timer(call, call.a[0], nullptr)));
  TRY(proc::copy_to_user(call.process, call.a[1], &out, sizeof out));
  return 0;
}

}  // namespace mkh::syscall
