/* rusage: the referee program of getrusage(2) and times(2): the process's CPU time grows with
 * its work and not with its waits (a sleep, a wait for a child that sleeps); its children's
 * count once waited for (and not before), theirs included (a grandchild waited for by a
 * child); waitid's rusage gives the child's; the refusals. Prints what holds, never a time:
 * the same bytes under qemu-riscv32 and mkh exec. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/times.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "linux_syscalls.h"

static int64_t usage_us(int who) {
  struct rusage usage;
  if (getrusage(who, &usage) != 0) return -1;
  return (int64_t)(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1000000 + usage.ru_utime.tv_usec +
         usage.ru_stime.tv_usec;
}

static int64_t cpu_us(void) {
  struct timespec now;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
  return (int64_t)now.tv_sec * 1000000 + now.tv_nsec / 1000;
}

/* Works until the process's CPU clock has advanced `ms` milliseconds. */
static volatile uint32_t sink;
static void burn(int ms) {
  const int64_t end = cpu_us() + (int64_t)ms * 1000;
  while (cpu_us() < end)
    for (int i = 0; i < 10000; i++) sink = sink * 1664525u + 1013904223u;
}

/* A child that works `ms` milliseconds (after its own child, which works as long, when
 * `grandchild`), then exits 7. */
static pid_t spawn(int ms, int grandchild) {
  const pid_t pid = fork();
  if (pid == 0) {
    if (grandchild) {
      const pid_t inner = spawn(ms, 0);
      waitpid(inner, NULL, 0);
    }
    burn(ms);
    _exit(7);
  }
  return pid;
}

static void check(const char* what, int holds) { printf("%s: %s\n", what, holds ? "yes" : "NO"); }

int main(void) {
  const int64_t start = usage_us(RUSAGE_SELF);
  check("getrusage(RUSAGE_SELF) answers", start >= 0);
  burn(60);
  const int64_t worked = usage_us(RUSAGE_SELF);
  check("60 ms of work count 50 ms or more", worked - start >= 50000);

  struct timespec nap = {0, 200000000};
  nanosleep(&nap, NULL);
  check("a sleep of 200 ms counts less than 100 ms", usage_us(RUSAGE_SELF) - worked < 100000);

  check("no child waited for: RUSAGE_CHILDREN is 0", usage_us(RUSAGE_CHILDREN) == 0);
  const pid_t child = spawn(80, 1);
  const int64_t before_wait = usage_us(RUSAGE_SELF);
  int status = 0;
  check("the child ends with 7", waitpid(child, &status, 0) == child && WIFEXITED(status) && WEXITSTATUS(status) == 7);
  check("the wait for it counts less than 60 ms", usage_us(RUSAGE_SELF) - before_wait < 60000);
  const int64_t children = usage_us(RUSAGE_CHILDREN);
  check("its 80 ms and its child's 80 ms count 140 ms or more", children >= 140000);

  struct tms times_now;
  const clock_t uptime = times(&times_now);
  check("times() answers", uptime != (clock_t)-1);
  const int64_t tick_us = 1000000 / CLOCKS_PER_SEC;
  check("times() has the children's time",
        (int64_t)(times_now.tms_cutime + times_now.tms_cstime) * tick_us >= children - 20000);
  check("times() has the process's time",
        (int64_t)(times_now.tms_utime + times_now.tms_stime) * tick_us >= worked - 20000);

  /* waitid's rusage (the fifth argument of Linux's call): the child's own time. */
  const pid_t second = spawn(40, 0);
  struct linux_rusage of_child;
  memset(&of_child, 0xff, sizeof of_child);
  uint32_t info[32]; /* Linux's siginfo_t: 128 bytes */
  enum { kPPid = 1, kWExited = 4 };
  const long answer = linux_syscall(SYS_waitid, kPPid, second, (long)info, kWExited, (long)&of_child, 0);
  const int64_t child_us =
      (int64_t)(of_child.utime_sec + of_child.stime_sec) * 1000000 + of_child.utime_usec + of_child.stime_usec;
  check("waitid's rusage has the child's 40 ms", answer == 0 && child_us >= 30000 && child_us < 5000000);
  check("and it counts among the children's", usage_us(RUSAGE_CHILDREN) - children >= 30000);

  struct rusage usage;
  errno = 0;
  check("getrusage(2, ...) is EINVAL", getrusage(2, &usage) == -1 && errno == EINVAL);
  check("getrusage(RUSAGE_THREAD) answers", getrusage(1, &usage) == 0);
  return 0;
}
