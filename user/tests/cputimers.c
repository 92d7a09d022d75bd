/* cputimers: the referee program of setitimer's CPU-time timers, ITIMER_VIRTUAL (the process's
 * user time, SIGVTALRM) and ITIMER_PROF (its user and system time, SIGPROF) (user/tests/): once
 * after a time of the process's CPU, then every interval; none while the process sleeps; what
 * getitimer says; a child forked has none; the threads' CPU time all counts, each thread on
 * the next cluster with `spread` (mkh's place_thread, a no-op under qemu-riscv32). Judged, not
 * timed, with half the time as slack (Linux charges its CPU-time timers by ticks, a whole tick
 * to the task it interrupts: on a loaded host getrusage's exact time may be well short of the
 * timer's; mkh counts a thread's time from its last scheduling point before the timer was set):
 * the same bytes and status under qemu-riscv32 and mkh exec. */
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/time.h>

#include "forking.h"
#include "timing.h"

/* Words of several threads (a signal's handler runs in any thread of the process), read and
 * written by AMOs: ordinary loads and stores of one word by two threads would be a data race,
 * which ThreadSanitizer reports through mkh's interpreter. */
static int virtual_rings, prof_rings, stop, never;

static int read_word(int* word) { return __atomic_fetch_or(word, 0, __ATOMIC_ACQUIRE); }

static void on_signal(int signal) {
  __atomic_fetch_add(signal == SIGVTALRM ? &virtual_rings : &prof_rings, 1, __ATOMIC_RELEASE);
}

static void set(int which, long value_ms, long interval_ms) {
  const struct itimerval timer = {{interval_ms / 1000, interval_ms % 1000 * 1000},
                                  {value_ms / 1000, value_ms % 1000 * 1000}};
  if (setitimer(which, &timer, NULL) != 0) printf("setitimer(%d): %s\n", which, strerror(errno));
}

/* The process's CPU time (user and system) in milliseconds. */
static long cpu_ms(void) {
  struct rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  return (long)(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1000 +
         (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1000;
}

/* Spins until `*rings` reaches `count` (or 20 s of the clock went by: a timer that never rings). */
static int spin_until(int* rings, int count) {
  const long long start = now_ms();
  while (read_word(rings) < count)
    if (now_ms() - start > 20000) return 0;
  return 1;
}

static void* spinner(void* arg) {
  (void)arg;
  while (!read_word(&stop)) {}
  return NULL;
}

int main(int argc, char** argv) {
  spread = argc > 1 && strcmp(argv[1], "spread") == 0;
  struct sigaction action = {0};
  action.sa_handler = on_signal;
  sigaction(SIGVTALRM, &action, NULL);
  sigaction(SIGPROF, &action, NULL);
  struct itimerval now;
  getitimer(ITIMER_VIRTUAL, &now);
  printf("ITIMER_VIRTUAL at the start: %ld s %ld us\n", (long)now.it_value.tv_sec, (long)now.it_value.tv_usec);

  set(ITIMER_VIRTUAL, 2000, 300);
  getitimer(ITIMER_VIRTUAL, &now);
  printf("set to 2 s, interval 0.3 s: more than 1.9 s left: %s, interval %ld s %ld us\n",
         now.it_value.tv_sec == 2 || (now.it_value.tv_sec == 1 && now.it_value.tv_usec > 900000) ? "yes" : "no",
         (long)now.it_interval.tv_sec, (long)now.it_interval.tv_usec);
  sleep_ms(100);
  getitimer(ITIMER_VIRTUAL, &now);
  printf("after a sleep of 0.1 s: more than 1.9 s left: %s\n",
         now.it_value.tv_sec == 2 || (now.it_value.tv_sec == 1 && now.it_value.tv_usec > 900000) ? "yes" : "no");

  /* Once after 50 ms of user time. */
  long start = cpu_ms();
  set(ITIMER_VIRTUAL, 50, 0);
  const int rang = spin_until(&virtual_rings, 1);
  printf("ITIMER_VIRTUAL of 50 ms: %d ring, 25 ms of CPU time or more: %s\n", read_word(&virtual_rings),
         rang && cpu_ms() - start >= 25 ? "yes" : "no");
  getitimer(ITIMER_VIRTUAL, &now);
  printf("then: %ld s %ld us\n", (long)now.it_value.tv_sec, (long)now.it_value.tv_usec);

  /* A child has none. */
  set(ITIMER_PROF, 5000, 0);
  const pid_t child = fork_next();
  if (child == 0) {
    getitimer(ITIMER_PROF, &now);
    printf("a child's ITIMER_PROF: %ld s %ld us\n", (long)now.it_value.tv_sec, (long)now.it_value.tv_usec);
    return 0;
  }
  describe("the child", wait_for(child));

  /* Every 20 ms of CPU time, counted over the main thread and two others. */
  pthread_t threads[2];
  unsigned x, y, cores, cxy, lid;
  const int place = spread && mkh_get_config(&x, &y, &cores) == 0 && mkh_get_core(&cxy, &lid) == 0;
  for (int i = 0; i < 2; i++) {
    if (place) {
      const unsigned next = ((cxy >> 4) * y + (cxy & 15) + 1 + i) % (x * y);
      mkh_place_thread((next / y) << 4 | next % y, 0);
    }
    pthread_create(&threads[i], NULL, spinner, NULL);
  }
  start = cpu_ms();
  set(ITIMER_PROF, 20, 20);
  const int rang_prof = spin_until(&prof_rings, 5);
  __atomic_fetch_or(&stop, 1, __ATOMIC_RELEASE);
  for (int i = 0; i < 2; i++) pthread_join(threads[i], NULL);
  set(ITIMER_PROF, 0, 0);
  printf("ITIMER_PROF every 20 ms, three threads: 5 rings, 50 ms of CPU time or more: %s\n",
         rang_prof && cpu_ms() - start >= 50 ? "yes" : "no");
  getitimer(ITIMER_PROF, &now);
  printf("disarmed: %ld s %ld us, interval %ld s %ld us\n", (long)now.it_value.tv_sec, (long)now.it_value.tv_usec,
         (long)now.it_interval.tv_sec, (long)now.it_interval.tv_usec);

  /* SIGPROF's default action ends the process. */
  const pid_t ended = fork_next();
  if (ended == 0) {
    signal(SIGPROF, SIG_DFL);
    set(ITIMER_PROF, 10, 0);
    spin_until(&never, 1);
    return 0;
  }
  describe("a child spinning with ITIMER_PROF", wait_for(ended));
  set(ITIMER_VIRTUAL, 100000, 0); /* the process ends with its timer armed */
  return 0;
}
