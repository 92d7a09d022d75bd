/* The time functions picolibc leaves to the system: gettimeofday (its time() calls it), times
 * (its clock() sums the fields, in CLOCKS_PER_SEC: picolibc defines 1,000,000 for RISC-V, and
 * CLK_TCK as the same), sleep and usleep, on clock_gettime64 and clock_nanosleep_time64.
 * Layer: the user library (user/lib/); calls linux.c. */
#include <errno.h>
#include <sys/time.h>
#include <sys/times.h>
#include <time.h>
#include <unistd.h>

#include "linux_syscalls.h"

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

/* The process's CPU time is all user time here; it has no children yet. Answers the
 * monotonic clock in ticks (it wraps, as Linux's clock_t does). */
clock_t times(struct tms* out) {
  struct linux_timespec64 cpu, now;
  if (clock_gettime64(LINUX_CLOCK_PROCESS_CPUTIME_ID, &cpu) < 0 || clock_gettime64(LINUX_CLOCK_MONOTONIC, &now) < 0)
    return (clock_t)-1;
  if (out != NULL) *out = (struct tms){.tms_utime = ticks_of(&cpu)};
  return ticks_of(&now);
}

static int sleep_for(long long seconds, long nanoseconds) {
  const struct linux_timespec64 request = {.tv_sec = seconds, .tv_nsec = nanoseconds};
  int failed = clock_nanosleep_time64(LINUX_CLOCK_MONOTONIC, 0, &request, NULL);
  if (failed == 0) return 0;
  errno = failed;
  return -1;
}

/* Nothing interrupts a sleep yet (no signal handlers): the whole time is slept. */
unsigned sleep(unsigned seconds) { return sleep_for(seconds, 0) == 0 ? 0 : seconds; }

int usleep(useconds_t microseconds) { return sleep_for(microseconds / 1000000, (long)(microseconds % 1000000) * 1000); }
