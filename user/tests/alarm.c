/* alarm: the referee program of setitimer and getitimer (ITIMER_REAL) (user/tests/): SIGALRM
 * once after a time, then every interval; what getitimer and alarm say of a live timer, a
 * disarmed one; the default action ends the process; a child forked has no timer; the
 * refusals (EINVAL, EFAULT); the process ends with its timer armed. `spread`: each child forked on the next cluster in turn (mkh's
 * place_fork, a no-op under qemu-riscv32). The same bytes and status under qemu-riscv32 and
 * mkh exec. */
#include <signal.h>
#include <sys/time.h>
#include <time.h>

#include "forking.h"
#include "timing.h"
#include "linux_syscalls.h"

static volatile sig_atomic_t rings;
static void on_alarm(int signal) {
  (void)signal;
  rings++;
}

static void set(long value_ms, long interval_ms) {
  const struct itimerval timer = {{interval_ms / 1000, interval_ms % 1000 * 1000},
                                  {value_ms / 1000, value_ms % 1000 * 1000}};
  if (setitimer(ITIMER_REAL, &timer, NULL) != 0) printf("setitimer: %s\n", strerror(errno));
}

int main(int argc, char** argv) {
  spread = argc > 1 && strcmp(argv[1], "spread") == 0;
  struct itimerval now;
  getitimer(ITIMER_REAL, &now);
  printf("at the start: %ld s %ld us, interval %ld s %ld us\n", (long)now.it_value.tv_sec, (long)now.it_value.tv_usec,
         (long)now.it_interval.tv_sec, (long)now.it_interval.tv_usec);
  printf("alarm(5): %u\n", alarm(5));
  getitimer(ITIMER_REAL, &now);
  printf("then getitimer: more than 4 s, at most 5: %s\n",
         now.it_value.tv_sec == 4 || (now.it_value.tv_sec == 5 && now.it_value.tv_usec == 0) ? "yes" : "no");
  printf("alarm(0): %u\n", alarm(0));
  getitimer(ITIMER_REAL, &now);
  printf("disarmed: %ld s %ld us\n", (long)now.it_value.tv_sec, (long)now.it_value.tv_usec);

  /* A child has no timer; its own ends it (SIGALRM's default action). */
  alarm(10);
  pid_t child = fork_next();
  if (child == 0) {
    getitimer(ITIMER_REAL, &now);
    printf("a child's timer: %ld s %ld us\n", (long)now.it_value.tv_sec, (long)now.it_value.tv_usec);
    fflush(stdout);
    set(30, 0);
    for (;;) pause();
  }
  describe("the child", wait_for(child));
  alarm(0);

  struct sigaction action = {0};
  action.sa_handler = on_alarm;
  sigaction(SIGALRM, &action, NULL);
  long long start = now_ms();
  set(50, 0);
  while (rings == 0) pause();
  printf("once after 50 ms: %d ring, 50 ms or more went by: %s\n", (int)rings, now_ms() - start >= 50 ? "yes" : "no");

  rings = 0;
  set(20, 20);
  getitimer(ITIMER_REAL, &now);
  printf("an interval of 20 ms: %ld s %ld us\n", (long)now.it_interval.tv_sec, (long)now.it_interval.tv_usec);
  while (rings < 3) pause();
  set(0, 20);
  getitimer(ITIMER_REAL, &now);
  printf("3 rings, then disarmed: %ld s %ld us, interval %ld s %ld us\n", (long)now.it_value.tv_sec,
         (long)now.it_value.tv_usec, (long)now.it_interval.tv_sec, (long)now.it_interval.tv_usec);

  struct itimerval bad = {{0, 0}, {0, 1000000}};
  printf("a value of 1000000 us: %s\n", setitimer(ITIMER_REAL, &bad, NULL) == 0 ? "set" : strerror(errno));
  bad = (struct itimerval){{0, 0}, {-1, 0}};
  printf("a value of -1 s: %s\n", setitimer(ITIMER_REAL, &bad, NULL) == 0 ? "set" : strerror(errno));
  printf("which 7: %s\n", setitimer(7, &bad, NULL) == 0 ? "set" : strerror(errno));
  const long raw = linux_syscall(SYS_setitimer, ITIMER_REAL, 0x10, 0, 0, 0, 0);
  printf("a value at 0x10: %s\n", strerror((int)-raw));
  printf("getitimer into 0x10: %s\n", strerror((int)-linux_syscall(SYS_getitimer, ITIMER_REAL, 0x10, 0, 0, 0, 0)));
  alarm(100); /* the process ends with its timer armed */
  return 0;
}
