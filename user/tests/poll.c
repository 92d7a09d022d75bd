/* poll: the referee program of ppoll and pselect6 (user/tests/): what a pipe's ends, a device
 * file, a descriptor not open and a negative one answer; a zero timeout, a timeout that runs
 * out (and what select leaves of it), the time left written back; a poller woken by another
 * process's bytes, by its close, several pollers woken by one byte; ppoll's mask, under which
 * a blocked signal interrupts the wait and after which the mask is back; the refusals
 * (EINVAL, EFAULT, EBADF). `spread`: each child forked on the next cluster in turn (mkh's
 * place_fork, a no-op under qemu-riscv32). The same bytes and status under qemu-riscv32 and
 * mkh exec. */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/select.h>
#include <time.h>

#include "forking.h"
#include "timing.h"

enum { kPipeBuf = 4096 };

static void say(const char* what, long result) {
  if (result < 0) printf("%s: %s\n", what, strerror(errno));
  else printf("%s: %ld\n", what, result);
}

static void make_pipe(int fds[2], int flags) {
  if (pipe2(fds, flags) != 0) {
    printf("pipe2: %s\n", strerror(errno));
    exit(1);
  }
}

/* poll of one descriptor for `events` without waiting: the answer and the events. */
static void look(const char* what, int fd, short events) {
  struct pollfd entry = {.fd = fd, .events = events, .revents = -1};
  const int ready = poll(&entry, 1, 0);
  if (ready < 0) printf("%s: %s\n", what, strerror(errno));
  else printf("%s: %d, revents %#x\n", what, ready, (unsigned)(unsigned short)entry.revents);
}

/* What a pipe's ends answer as bytes come and go and ends close. */
static void ends(void) {
  int fds[2];
  make_pipe(fds, O_NONBLOCK);
  look("empty read end, POLLIN", fds[0], POLLIN);
  look("empty read end, every event", fds[0], POLLIN | POLLPRI | POLLOUT | POLLRDNORM | POLLWRNORM);
  look("write end, POLLOUT", fds[1], POLLOUT);
  look("write end, POLLOUT | POLLWRNORM", fds[1], POLLOUT | POLLWRNORM);
  look("write end, no event asked", fds[1], 0);
  write(fds[1], "x", 1);
  look("a byte in, POLLIN | POLLRDNORM", fds[0], POLLIN | POLLRDNORM);
  static char block[kPipeBuf];
  long filled = 0;
  for (ssize_t n; (n = write(fds[1], block, sizeof block)) > 0;) filled += n;
  printf("filled: %s\n", filled > 0 ? "yes" : "no");
  look("full pipe, POLLOUT", fds[1], POLLOUT);
  char sink[kPipeBuf];
  while (read(fds[0], sink, sizeof sink) > 0) continue;
  look("drained, POLLOUT", fds[1], POLLOUT);
  write(fds[1], "yz", 2);
  close(fds[1]);
  look("bytes and no writer, POLLIN", fds[0], POLLIN);
  read(fds[0], sink, sizeof sink);
  look("no bytes and no writer, POLLIN", fds[0], POLLIN);
  look("no bytes and no writer, no event asked", fds[0], 0);
  close(fds[0]);
  make_pipe(fds, 0);
  close(fds[0]);
  look("no reader, POLLOUT", fds[1], POLLOUT);
  look("no reader, no event asked", fds[1], 0);
  close(fds[1]);
}

/* Several entries in one call: the count is of the entries with events. */
static void entries(void) {
  int fds[2];
  make_pipe(fds, 0);
  const int null = open("/dev/null", O_RDWR);
  struct pollfd list[] = {
      {.fd = fds[0], .events = POLLIN},
      {.fd = fds[1], .events = POLLOUT},
      {.fd = -1, .events = POLLIN},
      {.fd = 60, .events = POLLIN},
      {.fd = null, .events = POLLIN | POLLOUT | POLLPRI},
      {.fd = fds[1], .events = POLLIN},
  };
  const int count = (int)(sizeof list / sizeof list[0]);
  for (int i = 0; i < count; ++i) list[i].revents = -1;
  say("poll of six entries", poll(list, count, 0));
  for (int i = 0; i < count; ++i) printf("  entry %d: revents %#x\n", i, (unsigned)(unsigned short)list[i].revents);
  close(null);
  close(fds[0]);
  close(fds[1]);
}

/* Timeouts: none ready before it runs out, what is left written back. */
static void timeouts(void) {
  int fds[2];
  make_pipe(fds, 0);
  struct pollfd entry = {.fd = fds[0], .events = POLLIN};
  long long start = now_ms();
  say("poll of an empty pipe for 30 ms", poll(&entry, 1, 30));
  printf("  30 ms or more went by: %s\n", now_ms() - start >= 30 ? "yes" : "no");
  start = now_ms();
  say("poll of nothing for 20 ms", poll(NULL, 0, 20));
  printf("  20 ms or more went by: %s\n", now_ms() - start >= 20 ? "yes" : "no");
  struct timespec timeout = {.tv_sec = 5, .tv_nsec = 0};
  entry.fd = fds[1];
  entry.events = POLLOUT;
  say("ppoll of a ready end for 5 s", ppoll(&entry, 1, &timeout, NULL));
  printf("  left: more than 4 s, at most 5: %s\n",
         timeout.tv_sec == 4 || (timeout.tv_sec == 5 && timeout.tv_nsec == 0) ? "yes" : "no");
  fd_set readable;
  FD_ZERO(&readable);
  FD_SET(fds[0], &readable);
  struct timeval wait = {.tv_sec = 0, .tv_usec = 20000};
  say("select of an empty pipe for 20 ms", select(fds[0] + 1, &readable, NULL, NULL, &wait));
  printf("  left: %ld s %ld us, the set %s\n", (long)wait.tv_sec, (long)wait.tv_usec,
         FD_ISSET(fds[0], &readable) ? "kept" : "cleared");
  close(fds[1]);
  fd_set exceptional;
  FD_ZERO(&exceptional);
  FD_SET(fds[0], &exceptional);
  wait = (struct timeval){.tv_sec = 0, .tv_usec = 20000};
  say("select of a pipe without writer, exceptions only, for 20 ms",
      select(fds[0] + 1, NULL, NULL, &exceptional, &wait));
  close(fds[0]);
}

/* select's sets: each says which of its descriptors are ready. */
static void sets(void) {
  int fds[2];
  make_pipe(fds, 0);
  fd_set readable, writable;
  FD_ZERO(&readable);
  FD_ZERO(&writable);
  FD_SET(fds[0], &readable);
  FD_SET(fds[1], &readable);
  FD_SET(fds[1], &writable);
  struct timeval zero = {0, 0};
  say("select, an empty pipe", select(fds[1] + 1, &readable, &writable, NULL, &zero));
  printf("  read end readable %d, write end readable %d, writable %d\n", FD_ISSET(fds[0], &readable),
         FD_ISSET(fds[1], &readable), FD_ISSET(fds[1], &writable));
  write(fds[1], "x", 1);
  FD_ZERO(&readable);
  FD_ZERO(&writable);
  FD_SET(fds[0], &readable);
  FD_SET(fds[1], &writable);
  FD_SET(fds[0], &writable);
  say("select, a byte in", select(fds[1] + 1, &readable, &writable, NULL, &zero));
  printf("  read end readable %d, writable %d, write end writable %d\n", FD_ISSET(fds[0], &readable),
         FD_ISSET(fds[0], &writable), FD_ISSET(fds[1], &writable));
  close(fds[0]);
  FD_ZERO(&readable);
  FD_SET(fds[1], &readable);
  say("select, the write end readable with no reader", select(fds[1] + 1, &readable, NULL, NULL, &zero));
  FD_ZERO(&readable);
  FD_SET(fds[0], &readable);
  say("select of a closed descriptor", select(fds[0] + 1, &readable, NULL, NULL, &zero));
  say("select of n = -1", select(-1, NULL, NULL, NULL, &zero));
  struct timespec no_time = {0, 0};
  say("pselect of nothing", pselect(0, NULL, NULL, NULL, &no_time, NULL));
  close(fds[1]);
}

/* Pollers woken by another process: its bytes, its close; several by one byte. */
static void woken(void) {
  int fds[2];
  make_pipe(fds, 0);
  pid_t child = fork_next();
  if (child == 0) {
    close(fds[0]);
    sleep_ms(50);
    write(fds[1], "x", 1);
    sleep_ms(50);
    exit(0);
  }
  close(fds[1]);
  struct pollfd entry = {.fd = fds[0], .events = POLLIN};
  int ready = poll(&entry, 1, -1);
  printf("poll until the child writes: %d, revents %#x\n", ready, (unsigned)entry.revents);
  char byte;
  read(fds[0], &byte, 1);
  ready = poll(&entry, 1, -1);
  printf("poll until the child is gone: %d, revents %#x\n", ready, (unsigned)entry.revents);
  describe("the writer", wait_for(child));
  close(fds[0]);

  make_pipe(fds, 0);
  pid_t pollers[3];
  for (int i = 0; i < 3; ++i) {
    pollers[i] = fork_next();
    if (pollers[i] == 0) {
      close(fds[1]);
      struct pollfd mine = {.fd = fds[0], .events = POLLIN};
      const int ready = poll(&mine, 1, -1);
      exit(ready == 1 ? mine.revents : 100);
    }
  }
  sleep_ms(50);
  write(fds[1], "x", 1);
  printf("pollers woken by one byte:");
  for (int i = 0; i < 3; ++i) {
    const int status = wait_for(pollers[i]);
    printf(" %s %d", WIFEXITED(status) ? "exit" : "signal", WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
  }
  printf("\n");
  close(fds[0]);
  close(fds[1]);
}

static volatile sig_atomic_t handled;
static void on_usr1(int signal) { handled = signal; }

/* ppoll's mask: SIGUSR1 blocked, sent by a child, interrupts a ppoll whose mask lets it in;
 * the mask is back after. A handler installed with SA_RESTART does not restart a poll. */
static void masks(void) {
  struct sigaction action = {0};
  action.sa_handler = on_usr1;
  action.sa_flags = SA_RESTART;
  sigaction(SIGUSR1, &action, NULL);
  sigset_t blocked, open_mask;
  sigemptyset(&blocked);
  sigaddset(&blocked, SIGUSR1);
  sigprocmask(SIG_BLOCK, &blocked, &open_mask);
  int fds[2];
  make_pipe(fds, 0);
  const pid_t parent = getpid();
  const pid_t child = fork_next();
  if (child == 0) {
    kill(parent, SIGUSR1);
    exit(0);
  }
  describe("the sender", wait_for(child));
  struct pollfd entry = {.fd = fds[0], .events = POLLIN};
  struct timespec timeout = {.tv_sec = 0, .tv_nsec = 100000000};
  say("ppoll of the empty pipe for 100 ms with SIGUSR1 blocked", ppoll(&entry, 1, &timeout, NULL));
  printf("  handled: %s\n", handled ? "yes" : "no");
  sigdelset(&open_mask, SIGUSR1);
  const int ready = ppoll(&entry, 1, NULL, &open_mask);
  const char* const why = ready < 0 ? strerror(errno) : "ready";
  sigset_t now;
  sigprocmask(SIG_BLOCK, NULL, &now);
  printf("ppoll with a mask that lets SIGUSR1 in: %d (%s), handled: %s, SIGUSR1 blocked again: %s\n", ready, why,
         handled == SIGUSR1 ? "yes" : "no", sigismember(&now, SIGUSR1) ? "yes" : "no");
  sigprocmask(SIG_UNBLOCK, &blocked, NULL);
  close(fds[0]);
  close(fds[1]);
}

/* The refusals. */
static void refusals(void) {
  struct pollfd entry = {.fd = 0, .events = POLLIN};
  struct timespec bad = {.tv_sec = 0, .tv_nsec = 1000000000};
  say("ppoll with tv_nsec a second", ppoll(&entry, 1, &bad, NULL));
  bad = (struct timespec){.tv_sec = -1, .tv_nsec = 0};
  say("ppoll with tv_sec -1", ppoll(&entry, 1, &bad, NULL));
  say("poll of 2^28 entries", poll(&entry, 1u << 28, 0));
  say("poll of entries at 0x10", poll((struct pollfd*)0x10, 1, 0));
  struct timeval negative = {.tv_sec = 0, .tv_usec = -1};
  say("select with tv_usec -1", select(0, NULL, NULL, NULL, &negative));
  say("select of sets at 0x10", select(1, (fd_set*)0x10, NULL, NULL, NULL));
}

int main(int argc, char** argv) {
  spread = argc > 1 && strcmp(argv[1], "spread") == 0;
  ends();
  entries();
  timeouts();
  sets();
  woken();
  masks();
  refusals();
  return 0;
}
