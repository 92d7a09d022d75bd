/* The time functions picolibc leaves to the system: gettimeofday (its time() calls it), times
 * (its clock() sums the fields, in CLOCKS_PER_SEC: picolibc defines 1,000,000 for RISC-V, and
 * CLK_TCK as the same) and getrusage on Linux's getrusage, and the POSIX clocks and sleeps
 * the user library's <time.h> declares (clock_gettime, clock_getres, clock_nanosleep,
 * nanosleep; sleep and usleep on nanosleep), on clock_gettime64, clock_getres_time64 and
 * clock_nanosleep_time64; the interval timers (setitimer, getitimer, alarm). picolibc numbers
 * the clocks and TIMER_ABSTIME as newlib does: turned into Linux's here. Layer: the user library (user/lib/); calls linux.c and the ecall. */
#include <errno.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/times.h>
#include <time.h>
#include <unistd.h>

#include "linux_syscalls.h"
#include "syscall.h"

enum { kTicksPerSecond = CLOCKS_PER_SEC, kNanosecondsPerTick = 1000000000 / CLOCKS_PER_SEC };

static clock_t ticks_of(const struct linux_timespec64* time) {
  return (clock_t)(time->tv_sec * kTicksPerSecond + time->tv_nsec / kNanosecondsPerTick);
}

int gettimeofday(struct timeval* restrict now, void* restrict zone) {
  struct linux_timespec64 time;
  if (clock_gettime64(LINUX_CLOCK_REALTIME, &time) < 0) return -1;
  if (now != NULL) {
    now->tv_sec = (time_t)time.tv_sec;
    now->tv_usec = (suseconds_t)(time.tv_nsec / 1000);
  }
  if (zone != NULL) *(struct timezone*)zone = (struct timezone){0, 0}; /* UTC, as Linux's default */
  return 0;
}

static clock_t ticks_of_timeval(int32_t seconds, int32_t microseconds) {
  return (clock_t)((int64_t)seconds * kTicksPerSecond + (int64_t)microseconds * kTicksPerSecond / 1000000);
}

/* On getrusage(2), for the microseconds Linux's times(2) would round to its 100 a second.
 * Answers the monotonic clock in ticks (it wraps, as Linux's clock_t does). */
clock_t times(struct tms* out) {
  struct linux_timespec64 now;
  if (clock_gettime64(LINUX_CLOCK_MONOTONIC, &now) < 0) return (clock_t)-1;
  if (out != NULL) {
    struct linux_rusage self, children;
    if (linux_getrusage(RUSAGE_SELF, &self) < 0 || linux_getrusage(RUSAGE_CHILDREN, &children) < 0) return (clock_t)-1;
    *out = (struct tms){.tms_utime = ticks_of_timeval(self.utime_sec, self.utime_usec),
                        .tms_stime = ticks_of_timeval(self.stime_sec, self.stime_usec),
                        .tms_cutime = ticks_of_timeval(children.utime_sec, children.utime_usec),
                        .tms_cstime = ticks_of_timeval(children.stime_sec, children.stime_usec)};
  }
  return ticks_of(&now);
}

/* picolibc's struct rusage holds the two times only. `who` passes as it is (Linux's
 * RUSAGE_THREAD, 1, too). */
int getrusage(int who, struct rusage* usage) {
  struct linux_rusage linux_usage;
  if (linux_getrusage(who, &linux_usage) < 0) return -1;
  *usage = (struct rusage){.ru_utime = {.tv_sec = linux_usage.utime_sec, .tv_usec = linux_usage.utime_usec},
                           .ru_stime = {.tv_sec = linux_usage.stime_sec, .tv_usec = linux_usage.stime_usec}};
  return 0;
}

/* picolibc's clock ids (newlib's) as Linux's; an id picolibc does not name passes as it is. */
static int linux_clock(clockid_t clock) {
  static const int linux_of[] = {
      [0] = 5, /* CLOCK_REALTIME_COARSE */
      [1] = 0, /* CLOCK_REALTIME */
      [2] = 2, /* CLOCK_PROCESS_CPUTIME_ID */
      [3] = 3, /* CLOCK_THREAD_CPUTIME_ID */
      [4] = 1, /* CLOCK_MONOTONIC */
      [5] = 4, /* CLOCK_MONOTONIC_RAW */
      [6] = 6, /* CLOCK_MONOTONIC_COARSE */
      [7] = 7, /* CLOCK_BOOTTIME */
      [8] = 8, /* CLOCK_REALTIME_ALARM */
      [9] = 9, /* CLOCK_BOOTTIME_ALARM */
  };
  return (unsigned long)clock < sizeof linux_of / sizeof linux_of[0] ? linux_of[clock] : (int)clock;
}

static void to_timespec(const struct linux_timespec64* in, struct timespec* out) {
  out->tv_sec = (time_t)in->tv_sec;
  out->tv_nsec = (long)in->tv_nsec;
}

int clock_gettime(clockid_t clock, struct timespec* now) {
  struct linux_timespec64 time;
  if (clock_gettime64(linux_clock(clock), &time) < 0) return -1;
  to_timespec(&time, now);
  return 0;
}

int clock_getres(clockid_t clock, struct timespec* resolution) {
  struct linux_timespec64 time;
  if (__mkh_result(__MKH_SC2(SYS_clock_getres_time64, linux_clock(clock), &time)) < 0) return -1;
  if (resolution != NULL) to_timespec(&time, resolution);
  return 0;
}

/* Answers the error, as POSIX says (not -1 and errno). A relative sleep a signal's handler
 * interrupts answers EINTR and writes the time left in `remain`, when given. */
int clock_nanosleep(clockid_t clock, int flags, const struct timespec* request, struct timespec* remain) {
  const struct linux_timespec64 wanted = {.tv_sec = request->tv_sec, .tv_nsec = request->tv_nsec};
  struct linux_timespec64 left = {0, 0};
  const int failed =
      clock_nanosleep_time64(linux_clock(clock), (flags & TIMER_ABSTIME) ? 1 : 0, &wanted, remain ? &left : NULL);
  if (failed == EINTR && remain != NULL && !(flags & TIMER_ABSTIME)) to_timespec(&left, remain);
  return failed;
}

int nanosleep(const struct timespec* request, struct timespec* remain) {
  const int failed = clock_nanosleep(CLOCK_MONOTONIC, 0, request, remain);
  if (failed == 0) return 0;
  errno = failed;
  return -1;
}

/* The interval timers, on Linux's setitimer and getitimer with RV32's 32-bit timevals; alarm
 * on setitimer as glibc's (the seconds left rounded to the nearest, at least 1 for a live
 * timer). */
struct linux_itimerval {
  int32_t interval_sec, interval_usec, value_sec, value_usec;
};

static struct itimerval from_linux_itimerval(const struct linux_itimerval* in) {
  return (struct itimerval){{in->interval_sec, in->interval_usec}, {in->value_sec, in->value_usec}};
}

int setitimer(int which, const struct itimerval* restrict value, struct itimerval* restrict old) {
  struct linux_itimerval in = {0}, out = {0};
  if (value != NULL) {
    if (value->it_interval.tv_sec > INT32_MAX || value->it_value.tv_sec > INT32_MAX) {
      errno = EINVAL;
      return -1;
    }
    in = (struct linux_itimerval){(int32_t)value->it_interval.tv_sec, (int32_t)value->it_interval.tv_usec,
                                  (int32_t)value->it_value.tv_sec, (int32_t)value->it_value.tv_usec};
  }
  if (__mkh_result(__MKH_SC3(SYS_setitimer, which, value != NULL ? &in : NULL, old != NULL ? &out : NULL)) < 0)
    return -1;
  if (old != NULL) *old = from_linux_itimerval(&out);
  return 0;
}

int getitimer(int which, struct itimerval* value) {
  struct linux_itimerval out = {0};
  if (__mkh_result(__MKH_SC2(SYS_getitimer, which, &out)) < 0) return -1;
  *value = from_linux_itimerval(&out);
  return 0;
}

unsigned alarm(unsigned seconds) {
  const struct itimerval value = {{0, 0}, {seconds, 0}};
  struct itimerval old;
  if (setitimer(ITIMER_REAL, &value, &old) < 0) return 0;
  unsigned left = (unsigned)old.it_value.tv_sec;
  if ((left == 0 && old.it_value.tv_usec != 0) || old.it_value.tv_usec >= 500000) left++;
  return left;
}

/* A sleep a handler interrupts answers the whole seconds left (rounded up). */
unsigned sleep(unsigned seconds) {
  const struct timespec request = {.tv_sec = seconds};
  struct timespec left = {0, 0};
  if (nanosleep(&request, &left) == 0) return 0;
  return (unsigned)left.tv_sec + (left.tv_nsec > 0);
}

int usleep(useconds_t microseconds) {
  const struct timespec request = {.tv_sec = microseconds / 1000000, .tv_nsec = (long)(microseconds % 1000000) * 1000};
  return nanosleep(&request, NULL);
}
