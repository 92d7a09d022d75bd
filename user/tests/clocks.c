/* clocks: the referee program of the time, sleep, access and sysconf functions of the user
 * library and the calls under them (user/tests/): time, gettimeofday and clock_gettime against
 * each other; clock(), times(), getrusage and the CPU-time clock counting the CPU a loop uses
 * and not the time a sleep waits; usleep, nanosleep and clock_nanosleep waiting at least what
 * they were asked; clock_getres; access and faccessat at their edges (root's view: a file
 * without an execute bit is not executable, a folder is); sysconf's answers. Prints
 * judgements, not times, so the bytes are the same under qemu-riscv32 and mkh exec. Works in
 * a scratch folder clocks.d made in the current one. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/times.h>
#include <time.h>
#include <unistd.h>

#include "linux_syscalls.h"

static const char* yes(int condition) { return condition ? "yes" : "no"; }

static void show_access(const char* what, int result) {
  printf("%s -> %d%s%s\n", what, result, result < 0 ? " " : "", result < 0 ? strerror(errno) : "");
}

static double monotonic_seconds(void) {
  struct linux_timespec64 now;
  clock_gettime64(LINUX_CLOCK_MONOTONIC, &now);
  return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

/* A loop the compiler cannot drop: about 40 million instructions. */
static unsigned spin(void) {
  volatile unsigned sink = 0;
  for (unsigned i = 0; i < 8000000; i++) sink += i ^ (sink >> 3);
  return sink;
}

int main(void) {
  const clock_t at_start = clock();
  printf("clock() at the start is under a second: %s\n", yes(at_start < CLOCKS_PER_SEC));

  const time_t now = time(NULL);
  struct timeval tv;
  struct timezone zone = {60, 1};
  const int got = gettimeofday(&tv, &zone);
  printf("time() is after 2024 and before 2100: %s\n", yes(now > 1704067200 && now < 4102444800LL));
  printf("gettimeofday -> %d, within a second of time(): %s, microseconds below a million: %s\n", got,
         yes(tv.tv_sec - now <= 1 && now - tv.tv_sec <= 1), yes(tv.tv_usec >= 0 && tv.tv_usec < 1000000));
  printf("gettimeofday's zone: %d %d\n", zone.tz_minuteswest, zone.tz_dsttime);

  struct tms before, after;
  const clock_t wall_before = times(&before);
  const clock_t cpu_before = clock();
  const unsigned sink = spin();
  const clock_t cpu_after = clock();
  const clock_t wall_after = times(&after);
  printf("a loop of %s: clock() grew: %s, times() grew: %s, its user time grew: %s\n", sink ? "work" : "nothing",
         yes(cpu_after > cpu_before), yes(wall_after > wall_before), yes(after.tms_utime > before.tms_utime));
  printf("times() children: %ld %ld\n", (long)after.tms_cutime, (long)after.tms_cstime);
  struct rusage usage, children;
  const int used = getrusage(RUSAGE_SELF, &usage);
  printf("getrusage(RUSAGE_SELF) -> %d, user time at least the loop's: %s, microseconds below a million: %s\n", used,
         yes((double)usage.ru_utime.tv_sec + (double)usage.ru_utime.tv_usec / 1e6 >=
             (double)(cpu_after - cpu_before) / CLOCKS_PER_SEC),
         yes(usage.ru_utime.tv_usec >= 0 && usage.ru_utime.tv_usec < 1000000));
  printf("getrusage(RUSAGE_CHILDREN) -> %d, %lld %lld\n", getrusage(RUSAGE_CHILDREN, &children),
         (long long)children.ru_utime.tv_sec, (long long)children.ru_utime.tv_usec);
  errno = 0;
  printf("getrusage(7) -> %d %s\n", getrusage(7, &usage), strerror(errno));

  const double slept_from = monotonic_seconds();
  const clock_t cpu_slept_from = clock();
  const int slept = usleep(200000);
  const clock_t cpu_used = clock() - cpu_slept_from;
  const double waited = monotonic_seconds() - slept_from;
  printf("usleep(200000) -> %d, waited 0.2 s at least: %s, used less than 0.1 s of CPU: %s\n", slept,
         yes(waited >= 0.2), yes(cpu_used < CLOCKS_PER_SEC / 10));
  printf("sleep(0) -> %u\n", sleep(0));

  struct timespec real, start, end, cpu_start, cpu_end, resolution;
  printf("clock_gettime(CLOCK_REALTIME) -> %d, within a second of time(): %s\n", clock_gettime(CLOCK_REALTIME, &real),
         yes(real.tv_sec - time(NULL) <= 1 && time(NULL) - real.tv_sec <= 1));
  clock_gettime(CLOCK_MONOTONIC, &start);
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu_start);
  spin();
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu_end);
  const struct timespec nap = {0, 50000000};
  const int napped = nanosleep(&nap, NULL);
  clock_gettime(CLOCK_MONOTONIC, &end);
  const double cpu = (double)(cpu_end.tv_sec - cpu_start.tv_sec) + (double)(cpu_end.tv_nsec - cpu_start.tv_nsec) / 1e9;
  const double span = (double)(end.tv_sec - start.tv_sec) + (double)(end.tv_nsec - start.tv_nsec) / 1e9;
  printf("a loop's CPU time grew: %s; nanosleep(0.05 s) -> %d, the monotonic clock moved 0.05 s at least: %s\n",
         yes(cpu > 0), napped, yes(span >= 0.05));
  struct timespec deadline = end;
  deadline.tv_nsec += 50000000;
  if (deadline.tv_nsec >= 1000000000) {
    deadline.tv_sec++;
    deadline.tv_nsec -= 1000000000;
  }
  const int until = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &deadline, NULL);
  clock_gettime(CLOCK_MONOTONIC, &end);
  printf("clock_nanosleep(TIMER_ABSTIME, in 0.05 s) -> %d, woke after the deadline: %s\n", until,
         yes(end.tv_sec > deadline.tv_sec || (end.tv_sec == deadline.tv_sec && end.tv_nsec >= deadline.tv_nsec)));
  printf("clock_getres(CLOCK_MONOTONIC) -> %d, %lld s %ld ns\n", clock_getres(CLOCK_MONOTONIC, &resolution),
         (long long)resolution.tv_sec, resolution.tv_nsec);
  printf("clock_getres(CLOCK_REALTIME_COARSE) -> %d, coarser than a microsecond: %s\n",
         clock_getres(CLOCK_REALTIME_COARSE, &resolution), yes(resolution.tv_sec > 0 || resolution.tv_nsec > 1000));
  printf("clock_getres(CLOCK_PROCESS_CPUTIME_ID) -> %d, %lld s %ld ns\n",
         clock_getres(CLOCK_PROCESS_CPUTIME_ID, &resolution), (long long)resolution.tv_sec, resolution.tv_nsec);
  errno = 0;
  printf("clock_gettime(99) -> %d %s\n", clock_gettime((clockid_t)99, &real), strerror(errno));
  const struct timespec bad = {0, 1000000000};
  printf("clock_nanosleep(a billion nanoseconds) -> %s\n", strerror(clock_nanosleep(CLOCK_MONOTONIC, 0, &bad, NULL)));

  printf("sysconf: page %ld, CLK_TCK %ld (CLOCKS_PER_SEC %ld), OPEN_MAX %ld, ARG_MAX %ld, processors >= 1: %s\n",
         sysconf(_SC_PAGESIZE), sysconf(_SC_CLK_TCK), (long)CLOCKS_PER_SEC, sysconf(_SC_OPEN_MAX),
         sysconf(_SC_ARG_MAX), yes(sysconf(_SC_NPROCESSORS_ONLN) >= 1));
  errno = 0;
  const long unknown = sysconf(-1);
  printf("sysconf(-1) -> %ld %s\n", unknown, strerror(errno));

  if (mkdir("clocks.d", 0755) != 0 || chdir("clocks.d") != 0) {
    printf("clocks: cannot make clocks.d: %s\n", strerror(errno));
    return 1;
  }
  /* 0755: mkh shows every file as Linux's vfat does, executable; the host's file the same */
  const int fd = open("file", O_WRONLY | O_CREAT | O_EXCL, 0755);
  if (fd < 0 || write(fd, "x", 1) != 1 || close(fd) != 0) {
    printf("clocks: cannot make clocks.d/file: %s\n", strerror(errno));
    return 1;
  }
  show_access("access(\".\", F_OK)", access(".", F_OK));
  show_access("access(\".\", R_OK | W_OK | X_OK)", access(".", R_OK | W_OK | X_OK));
  show_access("access(\"file\", R_OK | W_OK)", access("file", R_OK | W_OK));
  show_access("access(\"file\", X_OK)", access("file", X_OK));
  show_access("access(\"missing\", F_OK)", access("missing", F_OK));
  show_access("access(\"file/below\", F_OK)", access("file/below", F_OK));
  show_access("access(\"file\", 8)", access("file", 8));
  show_access("access(\"\", F_OK)", access("", F_OK));
  show_access("faccessat(., \"file\", R_OK, AT_EACCESS)", faccessat(AT_FDCWD, "file", R_OK, AT_EACCESS));
  const int folder = open(".", O_RDONLY | O_DIRECTORY);
  show_access("faccessat(folder, \"file\", W_OK, 0)", faccessat(folder, "file", W_OK, 0));
  show_access("faccessat(folder, \"\", X_OK, AT_EMPTY_PATH)", faccessat(folder, "", X_OK, AT_EMPTY_PATH));
  /* Raw: a flag faccessat2 does not know, and the older call, which has no flags to check. */
  printf("faccessat2 with flag 0x8000 -> %ld\n",
         linux_syscall(SYS_faccessat2, LINUX_AT_FDCWD, (long)"file", R_OK, 0x8000, 0, 0));
  printf("faccessat(-1, \"file\") -> %ld\n", linux_syscall(SYS_faccessat, -1, (long)"file", R_OK, 0, 0, 0));
  close(folder);
  unlink("file");
  chdir("..");
  rmdir("clocks.d");
  return 0;
}
