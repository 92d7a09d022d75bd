/* sigwait: the referee program of rt_sigtimedwait (user/tests/): a blocked signal pending is
 * taken at once, the lowest first, a standard one once however often it was sent, its handler
 * not run; none pending waits until the timeout (EAGAIN) or until one comes from another
 * process, or until a signal out of the set with a handler (EINTR); a signal sent to the
 * process is taken by the thread that waits for it while the others block it; the refusals
 * (EINVAL, EFAULT). `spread`: each child forked on the next cluster in turn (mkh's
 * place_fork, a no-op under qemu-riscv32). The same bytes and status under qemu-riscv32 and
 * mkh exec. */
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <time.h>

#include "forking.h"
#include "timing.h"
#include "linux_syscalls.h"

static volatile sig_atomic_t handled;
static void on_signal(int signal) { handled = signal; }

static const char* name(int signal) {
  return signal == SIGUSR1 ? "SIGUSR1" : signal == SIGUSR2 ? "SIGUSR2" : signal == SIGTERM ? "SIGTERM" : "another";
}

/* One sigtimedwait for `set`, with a timeout of `ms` (-1: none), said. */
static void wait_said(const char* what, const sigset_t* set, long ms) {
  const struct timespec timeout = {.tv_sec = ms / 1000, .tv_nsec = ms % 1000 * 1000000L};
  siginfo_t info = {0};
  const int got = sigtimedwait(set, &info, ms < 0 ? NULL : &timeout);
  if (got < 0) printf("%s: %s\n", what, strerror(errno));
  else printf("%s: %s, si_code %d\n", what, name(got), info.si_code);
}

static void set_of(sigset_t* set, int first, int second) {
  sigemptyset(set);
  sigaddset(set, first);
  if (second) sigaddset(set, second);
}

/* Signals pending before the wait. */
static void pending(void) {
  sigset_t both;
  set_of(&both, SIGUSR1, SIGUSR2);
  struct sigaction action = {0};
  action.sa_handler = on_signal;
  sigaction(SIGUSR1, &action, NULL);
  raise(SIGUSR2);
  raise(SIGUSR1);
  raise(SIGUSR1);
  wait_said("two pending, the lowest first", &both, 0);
  wait_said("then the other", &both, 0);
  wait_said("a standard signal sent twice comes once", &both, 0);
  printf("the handler of SIGUSR1 ran: %s\n", handled ? "yes" : "no");
  kill(getpid(), SIGUSR2);
  wait_said("sent by kill", &both, -1);
  long long start = now_ms();
  wait_said("none for 50 ms", &both, 50);
  printf("  50 ms or more went by: %s\n", now_ms() - start >= 50 ? "yes" : "no");
  int signal = 0;
  raise(SIGUSR2);
  printf("sigwait: %d, %s\n", sigwait(&both, &signal), name(signal));
}

/* Signals from another process while the wait goes on. */
static void from_child(void) {
  sigset_t both;
  set_of(&both, SIGUSR1, SIGUSR2);
  const pid_t parent = getpid();
  pid_t child = fork_next();
  if (child == 0) {
    sleep_ms(50);
    kill(parent, SIGUSR2);
    exit(0);
  }
  wait_said("until a child sends SIGUSR2", &both, -1);
  describe("the sender", wait_for(child));
  /* SIGTERM has a handler and is not blocked: it ends the wait (EINTR), its handler runs. */
  struct sigaction action = {0};
  action.sa_handler = on_signal;
  action.sa_flags = SA_RESTART;
  sigaction(SIGTERM, &action, NULL);
  handled = 0;
  child = fork_next();
  if (child == 0) {
    sleep_ms(50);
    kill(parent, SIGTERM);
    exit(0);
  }
  wait_said("until a child sends SIGTERM, which has a handler", &both, 10000);
  printf("  the handler of %s ran\n", name(handled));
  describe("the sender", wait_for(child));
}

static sigset_t waited_set;
static void* waiter(void* unused) {
  (void)unused;
  wait_said("a thread, for a signal sent to its process", &waited_set, -1);
  return NULL;
}

/* A signal sent to the process goes to the thread that waits for it. */
static void threads(void) {
  set_of(&waited_set, SIGUSR1, 0);
  pthread_t thread;
  pthread_create(&thread, NULL, waiter, NULL);
  sleep_ms(50);
  kill(getpid(), SIGUSR1);
  pthread_join(thread, NULL);
  printf("the handler of SIGUSR1 ran: %s\n", handled == SIGUSR1 ? "yes" : "no");
}

static void refusals(void) {
  const uint64_t set = 1u << (SIGUSR1 - 1);
  long raw = linux_syscall(SYS_rt_sigtimedwait_time64, (long)&set, 0, 0, 4, 0, 0);
  printf("a set of 4 bytes: %s\n", strerror((int)-raw));
  const struct linux_timespec64 bad = {.tv_sec = 0, .tv_nsec = 1000000000};
  raw = linux_syscall(SYS_rt_sigtimedwait_time64, (long)&set, 0, (long)&bad, 8, 0, 0);
  printf("tv_nsec a second: %s\n", strerror((int)-raw));
  raw = linux_syscall(SYS_rt_sigtimedwait_time64, 0x10, 0, 0, 8, 0, 0);
  printf("a set at 0x10: %s\n", strerror((int)-raw));
}

int main(int argc, char** argv) {
  spread = argc > 1 && strcmp(argv[1], "spread") == 0;
  sigset_t blocked;
  set_of(&blocked, SIGUSR1, SIGUSR2);
  sigprocmask(SIG_BLOCK, &blocked, NULL);
  pending();
  from_child();
  threads();
  refusals();
  return 0;
}
