/* process: the referee program of the process, time and placement calls (user/tests/):
 * getpid, gettid, getppid, set_tid_address, uname, clock_gettime64, clock_nanosleep_time64,
 * sched_yield, dup2, dup3 and fcntl, and mkh's placement calls, which succeed under mkh and are
 * no-ops elsewhere. Prints only what holds on any kernel (no pid, no time, no name), so the
 * bytes are the same under qemu-riscv32 and mkh exec; exits 1 at a wrong result. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "linux_syscalls.h"
#include "mkh.h"

static int failures;

static void check(int ok, const char* what) {
  printf("%s %s\n", ok ? "ok  " : "FAIL", what);
  if (!ok) failures++;
}

static int64_t nanoseconds(const struct linux_timespec64* t) { return t->tv_sec * 1000000000 + t->tv_nsec; }

int main(void) {
  pid_t pid = getpid();
  check(pid > 0, "getpid is positive");
  check(gettid() == pid, "the main thread's tid is the pid");
  check(getppid() >= 0, "getppid answers");
  int clear_child_tid = 0;
  check(set_tid_address(&clear_child_tid) == pid, "set_tid_address answers the tid");
  struct linux_utsname names;
  check(linux_uname(&names) == 0 && names.sysname[0] != '\0', "uname names the system");

  struct linux_timespec64 before, after, realtime;
  check(clock_gettime64(LINUX_CLOCK_MONOTONIC, &before) == 0, "clock_gettime64 CLOCK_MONOTONIC");
  check(clock_gettime64(LINUX_CLOCK_REALTIME, &realtime) == 0 && realtime.tv_nsec >= 0 && realtime.tv_nsec < 1000000000,
        "clock_gettime64 CLOCK_REALTIME answers a valid time");
  struct linux_timespec64 nap = {0, 2000000};
  check(clock_nanosleep_time64(LINUX_CLOCK_MONOTONIC, 0, &nap, NULL) == 0, "clock_nanosleep_time64 of 2 ms");
  check(clock_gettime64(LINUX_CLOCK_MONOTONIC, &after) == 0 && nanoseconds(&after) - nanoseconds(&before) >= 2000000,
        "the monotonic clock moved by 2 ms at least");
  struct linux_timespec64 bad = {0, 1000000000};
  check(clock_nanosleep_time64(LINUX_CLOCK_MONOTONIC, 0, &bad, NULL) == EINVAL, "a nanosecond field of 1e9: EINVAL");
  check(sched_yield() == 0, "sched_yield");

  check(dup2(1, 9) == 9 && write(9, "     (written through fd 9)\n", 28) == 28, "dup2 to fd 9");
  check(fcntl(9, F_GETFD) == 0, "fd 9 is not close-on-exec");
  check(dup3(1, 9, O_CLOEXEC) == 9 && fcntl(9, F_GETFD) == FD_CLOEXEC, "dup3 with O_CLOEXEC");
  check(close(9) == 0 && close(9) < 0 && errno == EBADF, "closed once, not twice");
  check(dup3(1, 1, 0) < 0 && errno == EINVAL, "dup3 to itself: EINVAL");

  check(mkh_place_fork(0) == 0, "mkh_place_fork(0) succeeds (a no-op without mkh)");
  unsigned cxy = 0, lid = 0;
  (void)mkh_get_core(&cxy, &lid); /* ENOSYS without mkh: cxy stays 0 */
  check(mkh_place_thread(cxy, 0) == 0, "mkh_place_thread(its cluster, 0) succeeds (a no-op without mkh)");
  printf("process: %d failures\n", failures);
  return failures ? 1 : 0;
}
