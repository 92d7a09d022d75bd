/* handlers: the referee program of signal handlers (user/tests/), through the library's
 * sigaction, signal, raise, sigprocmask, sigsuspend and the raw calls: what its argument says.
 *   order     a handler runs before kill, raise or the unblocking sigprocmask returns; its
 *             signal blocked while it runs and not after; a signal it does not block nests;
 *             SA_NODEFER; SA_RESETHAND; the registers of the interrupted code and the
 *             handler's arguments (a0-a2 as Linux's frame gives them: the siginfo's si_signo,
 *             the ucontext's saved pc and mask)
 *   threads   a signal to the process goes to the thread that does not block it: when the
 *             thread it went to blocks it meanwhile (a handler's sa_mask), another thread runs
 *             it; a timed futex wait a handler interrupts answers EINTR even under SA_RESTART
 *   mask      sa_mask blocks its signals while the handler runs; one raised meanwhile runs at
 *             the handler's return. For mkh only (user/tests/mkh_cases/handlers_mkh.case):
 *             Debian's qemu-riscv32 (7.2) keeps the sa_mask rt_sigaction gave (it answers it
 *             back) but runs the handler with its own signal blocked alone; `threads` too:
 *             qemu-user routes a signal to a process's threads as the host does.
 *   running   a signal from another process reaches a thread that runs without calling the
 *             kernel
 *   eintr     a read of an empty pipe interrupted by a handler without SA_RESTART: EINTR
 *   restart   the same with SA_RESTART (signal() installs it): the read goes on
 *   sleep     nanosleep interrupted: EINTR and the time left
 *   suspend   sigsuspend: the mask it gives while it waits, EINTR, the mask back after
 *   child     SIGCHLD: blocked, it waits pending for a handler installed later; then a handler
 *             reaps three children (waitpid without waiting) while the parent waits in
 *             sigsuspend
 *   faults    a fault's signal to its handler (raw rt_sigaction, SA_SIGINFO): a store to a
 *             read-only page whose handler makes it writable (SEGV_ACCERR, si_addr the
 *             address; the store done again), a load where nothing is mapped whose handler maps
 *             a page there (SEGV_MAPERR), an illegal instruction and an ebreak whose handlers
 *             move the saved pc past them (ILL_ILLOPC, TRAP_BRKPT, si_addr the instruction's)
 *   blocked   a fault while its signal is blocked: the default action all the same (139)
 *   overflow  sigaltstack: a stack overflow's SIGSEGV handled on the alternate stack (SA_ONSTACK),
 *             which sigaltstack says the handler runs on; it ends the program (status 3)
 *   reset     SA_RESETHAND: the second signal takes the default action (status 138)
 *   origin    who sent a signal, as the handler's siginfo says (raw rt_sigaction, SA_SIGINFO):
 *             kill from the process itself and from a child (SI_USER, the sender's pid, for
 *             SIGUSR2 and SIGCONT), tgkill (SI_TKILL), SIGPIPE (SI_USER, the writer's own pid);
 *             SIGCHLD from a child that exits (CLD_EXITED, its pid, its status) and from one
 *             that is killed (CLD_KILLED, its pid, the signal)
 *   drops     what Linux drops from the pending signals: a SIGCHLD pending (blocked) when its
 *             action becomes SIG_DFL (ignored by default), a pending SIGTSTP when SIGCONT comes,
 *             a pending SIGCONT when SIGTSTP comes
 *   stops     a child's stops and continues as its parent learns them: waitpid with WUNTRACED
 *             and WCONTINUED (the status words), waitid with WSTOPPED, WCONTINUED, WNOHANG and
 *             WNOWAIT, SIGCHLD's CLD_STOPPED and CLD_CONTINUED (the signal in si_status), no
 *             a stop signal to a stopped child changing nothing, a stopped child killed, a child
 *             that stops itself (raise) continued
 *   nocldstop no SIGCHLD for a stop or a continue with SA_NOCLDSTOP; for mkh only (qemu-riscv32
 *             sends it: see no_child_stop)
 *   exec      a signal pending (blocked) on the thread that calls execve is the new image's,
 *             with its origin (SI_TKILL, the pid); for mkh only: qemu-riscv32 runs an execve'd
 *             RISC-V program on the host (user/tests/mkh_cases/handlers_mkh.case)
 * In `running` to `sleep` a child signals the parent every 20 ms until the parent's handler
 * answers through a pipe that it ran while the parent was where the test wants it: the output
 * does not depend on when the signals come. The same bytes and status under qemu-riscv32 and
 * mkh exec. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "linux_syscalls.h"

/* The handlers write with write(2) alone: stdout's buffer is not theirs to use. */
static void say(const char* text) { (void)write(1, text, strlen(text)); }

static const char* name_of(int signal) {
  return signal == SIGUSR1 ? "SIGUSR1" : signal == SIGUSR2 ? "SIGUSR2" : signal == SIGTERM ? "SIGTERM" : "other";
}

static void install(int signal, void (*handler)(int), int flags, sigset_t mask) {
  struct sigaction action = {0};
  action.sa_handler = handler;
  action.sa_flags = flags;
  action.sa_mask = mask;
  if (sigaction(signal, &action, NULL) != 0) {
    printf("sigaction failed: %s\n", strerror(errno));
    exit(1);
  }
}

static int blocked_now(int signal) {
  sigset_t mask = 0;
  sigprocmask(SIG_BLOCK, NULL, &mask);
  return sigismember(&mask, signal);
}

static volatile int depth;

static void on_usr2(int signal) {
  say(depth > 0 ? "  SIGUSR2's handler, inside SIGUSR1's\n" : "  SIGUSR2's handler\n");
  (void)signal;
}

static void on_usr1(int signal) {
  ++depth;
  say("  handler of ");
  say(name_of(signal));
  say(blocked_now(SIGUSR1) ? ": SIGUSR1 blocked" : ": SIGUSR1 not blocked");
  say(blocked_now(SIGTERM) ? ", SIGTERM blocked\n" : ", SIGTERM not blocked\n");
  --depth;
}

static void on_usr1_raising(int signal) {
  ++depth;
  say("  SIGUSR1's handler raises SIGUSR2\n");
  raise(SIGUSR2);
  say("  SIGUSR1's handler returns\n");
  --depth;
  (void)signal;
}

static int calls;
static void on_usr1_twice(int signal) {
  ++depth;
  char line[] = "  SIGUSR1's handler, call N at depth D\n";
  line[sizeof line - 14] = (char)('0' + ++calls);
  line[sizeof line - 3] = (char)('0' + depth);
  say(line);
  if (calls == 1) raise(signal);
  --depth;
}

static void on_quiet(int signal) { (void)signal; }

/* The raw handler's view: a0 the signal, a1 the siginfo, a2 the ucontext (Linux's RV32
 * layout: uc_sigmask at 20, the saved registers at 160, pc first). */
static uint32_t seen_signo, seen_pc, seen_mask_has_usr2;
static void on_raw(int signal, void* info, void* context) {
  seen_signo = (uint32_t)((int*)info)[0] == (uint32_t)signal;
  const uint8_t* uc = context;
  uint64_t mask = 0;
  memcpy(&mask, uc + 20, 8);
  memcpy(&seen_pc, uc + 160, 4);
  seen_mask_has_usr2 = (mask >> (12 - 1)) & 1; /* Linux's SIGUSR2: 12 */
}

/* Loops that keep many values live in registers across a signal: the handler clobbers what
 * the ABI lets a function clobber; the frame brings everything back. */
static uint32_t churn(uint32_t seed, int with_signal) {
  uint32_t a = seed, b = seed * 3, c = seed * 5, d = seed * 7, e = seed * 11, f = seed * 13;
  for (int i = 0; i < 64; i++) {
    a = a * 33 + b;
    b ^= c >> 3;
    c += d * 9;
    d = (d << 5) | (d >> 27);
    e -= f ^ a;
    f += e >> 2;
    if (with_signal && i == 31) raise(SIGUSR1);
  }
  return a ^ b ^ c ^ d ^ e ^ f;
}

static void mask(void) {
  sigset_t term = 0, usr2 = 0, none = 0;
  sigaddset(&term, SIGTERM);
  sigaddset(&usr2, SIGUSR2);
  install(SIGUSR1, on_usr1, 0, term);
  install(SIGUSR2, on_usr2, 0, none);
  printf("sa_mask SIGTERM:\n");
  fflush(stdout);
  raise(SIGUSR1);
  printf("after it: SIGTERM blocked %s\n", blocked_now(SIGTERM) ? "yes" : "no");
  printf("a handler that raises a signal its sa_mask blocks:\n");
  fflush(stdout);
  install(SIGUSR1, on_usr1_raising, 0, usr2);
  raise(SIGUSR1);
}

static void order(void) {
  sigset_t none = 0;
  install(SIGUSR1, on_usr1, 0, none);
  install(SIGUSR2, on_usr2, 0, none);
  printf("kill(self, SIGUSR1):\n");
  fflush(stdout);
  printf("kill returned %d\n", kill(getpid(), SIGUSR1));
  printf("after it: SIGUSR1 blocked %s, SIGTERM blocked %s\n", blocked_now(SIGUSR1) ? "yes" : "no",
         blocked_now(SIGTERM) ? "yes" : "no");
  printf("raise(SIGUSR2):\n");
  fflush(stdout);
  printf("raise returned %d\n", raise(SIGUSR2));

  sigset_t usr1 = 0;
  sigaddset(&usr1, SIGUSR1);
  sigprocmask(SIG_BLOCK, &usr1, NULL);
  printf("SIGUSR1 blocked, raised: ");
  fflush(stdout);
  raise(SIGUSR1);
  sigset_t pending = 0;
  sigpending(&pending);
  printf("pending %s\nunblocked:\n", sigismember(&pending, SIGUSR1) ? "yes" : "no");
  fflush(stdout);
  sigprocmask(SIG_UNBLOCK, &usr1, NULL);
  printf("sigprocmask returned\n");

  printf("a handler that raises a signal it does not block:\n");
  fflush(stdout);
  install(SIGUSR1, on_usr1_raising, 0, none);
  raise(SIGUSR1);
  printf("SA_NODEFER:\n");
  fflush(stdout);
  calls = 0;
  install(SIGUSR1, on_usr1_twice, SA_NODEFER, none);
  raise(SIGUSR1);
  printf("without it:\n");
  fflush(stdout);
  calls = 0;
  install(SIGUSR1, on_usr1_twice, 0, none);
  raise(SIGUSR1);

  printf("SA_RESETHAND:\n");
  fflush(stdout);
  install(SIGUSR1, on_usr1, SA_RESETHAND, none);
  raise(SIGUSR1);
  struct sigaction now = {0};
  sigaction(SIGUSR1, NULL, &now);
  printf("the action after one signal is SIG_DFL: %s\n", now.sa_handler == SIG_DFL ? "yes" : "no");

  install(SIGUSR1, on_quiet, 0, none);
  printf("registers across a handler: %s\n", churn(12345, 1) == churn(12345, 0) ? "kept" : "LOST");

  /* The raw call, SA_SIGINFO: the handler's three arguments. */
  unsigned long raw[4] = {(unsigned long)on_raw, 4 /* SA_SIGINFO */, 1UL << (12 - 1), 0};
  printf("rt_sigaction(SIGUSR1, raw handler) = %ld\n", linux_syscall(SYS_rt_sigaction, 10, (long)raw, 0, 8, 0, 0));
  const long self = linux_syscall(SYS_getpid, 0, 0, 0, 0, 0, 0), tid = linux_syscall(SYS_gettid, 0, 0, 0, 0, 0, 0);
  linux_syscall(SYS_tgkill, self, tid, 10, 0, 0, 0);
  printf("si_signo is the signal: %s; saved pc past the ecall's address: %s; saved mask without SIGUSR2: %s\n",
         seen_signo ? "yes" : "no", seen_pc > 0x10000 ? "yes" : "no", seen_mask_has_usr2 ? "no" : "yes");

  /* A signal to the process and one to the thread, both waiting: the thread's is taken first,
   * so the process's handler, its frame on top, runs first. */
  install(SIGUSR1, on_usr1, 0, none);
  install(SIGUSR2, on_usr2, 0, none);
  sigset_t both = 0;
  sigaddset(&both, SIGUSR1);
  sigaddset(&both, SIGUSR2);
  sigprocmask(SIG_BLOCK, &both, NULL);
  kill(getpid(), SIGUSR1);
  linux_syscall(SYS_tgkill, self, tid, 12, 0, 0, 0);
  printf("SIGUSR1 to the process, SIGUSR2 to the thread, both unblocked:\n");
  fflush(stdout);
  sigprocmask(SIG_UNBLOCK, &both, NULL);
}

static void reap(pid_t child);

/* threads: the main thread spins in user code; the other sends SIGUSR1 to the main thread
 * alone, then SIGUSR2 to the process (the main thread's first), and SIGUSR1's handler blocks
 * SIGUSR2 (sa_mask) and waits for SIGUSR2's handler, which the other thread must run. The main
 * thread takes its own SIGUSR1 before its process's SIGUSR2 when it finds both pending (SIGUSR2
 * then goes to the other thread), and blocks SIGUSR2 when it took SIGUSR1 before SIGUSR2 came.
 * Sent the other way round, the main thread could take SIGUSR2 alone and then SIGUSR1 before
 * returning to user code, as Linux can: SIGUSR1's frame on SIGUSR2's, whose handler cannot run
 * before SIGUSR1's returns. */
static volatile int usr2_ran, usr1_saw_usr2 = -1;
static long main_tid;
static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}
static void on_usr2_mark(int signal) {
  usr2_ran = 1;
  (void)signal;
}
static void on_usr1_waiting(int signal) {
  const double until = now_s() + 2;
  while (!usr2_ran && now_s() < until) {}
  usr1_saw_usr2 = usr2_ran;
  (void)signal;
}
static void* other_thread(void* arg) {
  const long pid = linux_syscall(SYS_getpid, 0, 0, 0, 0, 0, 0);
  linux_syscall(SYS_tgkill, pid, main_tid, 10, 0, 0, 0);
  linux_syscall(SYS_kill, pid, 12, 0, 0, 0, 0);
  const struct timespec second = {1, 0};
  nanosleep(&second, NULL); /* cut short by SIGUSR2's handler */
  return arg;
}
static volatile int futex_hits;
static void on_futex_signal(int signal) {
  futex_hits++;
  (void)signal;
}
static void threads(void) {
  sigset_t usr2 = 0, none = 0;
  sigaddset(&usr2, SIGUSR2);
  install(SIGUSR1, on_usr1_waiting, 0, usr2);
  install(SIGUSR2, on_usr2_mark, 0, none);
  main_tid = linux_syscall(SYS_gettid, 0, 0, 0, 0, 0, 0);
  pthread_t thread;
  pthread_create(&thread, NULL, other_thread, NULL);
  while (usr1_saw_usr2 < 0) {} /* user code only, until SIGUSR1's handler is done */
  pthread_join(thread, NULL);
  printf("SIGUSR2 to the process ran in the other thread while the main thread's handler blocked it: %s\n",
         usr1_saw_usr2 ? "yes" : "no");

  install(SIGUSR1, on_futex_signal, SA_RESTART, none);
  const pid_t parent = getpid();
  const pid_t child = fork();
  if (child == 0) {
    const struct timespec step = {0, 30 * 1000 * 1000};
    for (int i = 0; i < 50; i++) {
      kill(parent, SIGUSR1);
      nanosleep(&step, NULL);
    }
    _exit(0);
  }
  static uint32_t word;
  const struct {
    int64_t seconds;
    int32_t nanoseconds, pad;
  } timeout = {0, 200 * 1000 * 1000, 0};
  const long waited =
      linux_syscall(SYS_futex_time64, (long)&word, 128 /* FUTEX_WAIT_PRIVATE */, 0, (long)&timeout, 0, 0);
  printf("a timed futex wait under SA_RESTART signals: %s\n", waited == -EINTR       ? "EINTR"
                                                              : waited == -ETIMEDOUT ? "ETIMEDOUT"
                                                                                     : "?");
  kill(child, SIGKILL);
  reap(child);
}

/* A child that sends SIGUSR1 to its parent every 20 ms until the parent's handler answers on
 * `answer` (then it ends); after the answer, when `then_write` is open, one byte there. */
static pid_t signaller(int answer, int then_write) {
  const pid_t parent = getpid();
  const pid_t child = fork();
  if (child != 0) return child;
  const struct timespec step = {0, 20 * 1000 * 1000};
  char byte;
  for (;;) {
    kill(parent, SIGUSR1);
    nanosleep(&step, NULL);
    if (read(answer, &byte, 1) == 1) break;
  }
  if (then_write >= 0) (void)write(then_write, "x", 1);
  _exit(0);
}

static volatile int waiting; /* the parent is where the test wants the signal */
static int answer_write = -1;
static volatile sig_atomic_t got;

static void on_signal_answering(int signal) {
  got = 1;
  if (waiting && answer_write >= 0) {
    (void)write(answer_write, "a", 1);
    answer_write = -1; /* once */
  }
  (void)signal;
}

/* Two pipes: `answers` (the parent's handler to the child, which reads it without waiting)
 * and `data` (the child's byte to the parent). */
static void pipes(int answers[2], int data[2]) {
  if (pipe(answers) != 0 || pipe(data) != 0 || fcntl(answers[0], F_SETFL, O_NONBLOCK) != 0) {
    printf("pipe failed: %s\n", strerror(errno));
    exit(1);
  }
  answer_write = answers[1];
}

static void reap(pid_t child) {
  int status = 0;
  waitpid(child, &status, 0);
  printf("child ended: %d\n", status);
}

static void read_interrupted(int flags) {
  int answers[2], data[2];
  pipes(answers, data);
  /* Without SA_RESTART the parent answers once a read saw EINTR: a signal taken before the read
   * began, answered by the handler, would let the child write and the read see no EINTR. */
  if ((flags & SA_RESTART) == 0) answer_write = -1;
  sigset_t none = 0;
  install(SIGUSR1, on_signal_answering, flags, none);
  const pid_t child = signaller(answers[0], data[1]);
  char byte = 0;
  long got_bytes;
  int interrupted = 0;
  for (;;) {
    waiting = 1;
    got_bytes = read(data[0], &byte, 1);
    waiting = 0;
    if (got_bytes < 0 && errno == EINTR) {
      if (interrupted++ == 0 && (flags & SA_RESTART) == 0) (void)write(answers[1], "a", 1);
      continue;
    }
    break;
  }
  printf("read: %ld byte '%c'; EINTR seen: %s\n", got_bytes, byte, interrupted > 0 ? "yes" : "no");
  reap(child);
}

static void running(void) {
  int answers[2], data[2];
  pipes(answers, data);
  sigset_t none = 0;
  install(SIGUSR1, on_signal_answering, 0, none);
  waiting = 1;
  const pid_t child = signaller(answers[0], -1);
  uint32_t x = 1;
  while (!got) x = x * 1103515245u + 12345u; /* no call to the kernel */
  waiting = 0;
  printf("the running loop saw its handler run: %s\n", got ? "yes" : "no");
  reap(child);
}

static void sleep_interrupted(void) {
  int answers[2], data[2];
  pipes(answers, data);
  sigset_t none = 0;
  install(SIGUSR1, on_signal_answering, SA_RESTART, none);
  answer_write = -1; /* the parent answers after the sleep: a signal before it is not the one */
  const pid_t child = signaller(answers[0], -1);
  const struct timespec ten = {10, 0};
  struct timespec left = {0, 0};
  const int slept = nanosleep(&ten, &left);
  const int error = errno;
  (void)write(answers[1], "a", 1);
  printf("nanosleep(10 s) = %d (%s); left between 5 and 10 s: %s\n", slept, slept < 0 ? strerror(error) : "-",
         left.tv_sec >= 5 && left.tv_sec < 10 ? "yes" : "no");
  reap(child);
}

static void suspend(void) {
  sigset_t usr1 = 0, none = 0;
  sigaddset(&usr1, SIGUSR1);
  install(SIGUSR1, on_signal_answering, 0, none);
  sigprocmask(SIG_BLOCK, &usr1, NULL); /* from here the signal waits for sigsuspend */
  const pid_t parent = getpid();
  const pid_t child = fork();
  if (child == 0) {
    kill(parent, SIGUSR1);
    _exit(0);
  }
  const int suspended = sigsuspend(&none);
  printf("sigsuspend = %d (%s); the handler ran: %s; SIGUSR1 blocked again: %s\n", suspended, strerror(errno),
         got ? "yes" : "no", blocked_now(SIGUSR1) ? "yes" : "no");
  reap(child);
}

static volatile int reaped, codes;
static void on_child(int signal) {
  int status = 0;
  pid_t pid;
  while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
    reaped++;
    codes += WEXITSTATUS(status);
  }
  (void)signal;
}

static void children(void) {
  sigset_t chld = 0, none = 0, pending = 0;
  sigaddset(&chld, SIGCHLD);
  sigprocmask(SIG_BLOCK, &chld, NULL); /* the ends wait for sigsuspend */
  const pid_t first = fork();
  if (first == 0) _exit(0);
  int status;
  waitpid(first, &status, 0);
  sigpending(&pending);
  printf("blocked, the default action: SIGCHLD pending after a child's end: %s\n",
         sigismember(&pending, SIGCHLD) ? "yes" : "no");
  install(SIGCHLD, on_child, 0, none); /* it runs the pending one once unblocked (no child) */
  for (int i = 1; i <= 3; i++)
    if (fork() == 0) _exit(i);
  while (reaped < 3) sigsuspend(&none);
  printf("SIGCHLD's handler reaped %d children, exit codes summing to %d\n", reaped, codes);
}

/* The faults: what the last handler saw, and the page it mapped or made writable. */
static volatile unsigned fault_code, fault_address, fault_calls;
static void on_fault(int signal, void* info, void* context) {
  fault_code = (unsigned)((int*)info)[2];
  fault_address = (unsigned)((int*)info)[3];
  fault_calls++;
  void* page = (void*)(uintptr_t)(fault_address & ~4095u);
  if (signal == 11 && fault_code == 2) mprotect(page, 4096, PROT_READ | PROT_WRITE);
  if (signal == 11 && fault_code == 1)
    mmap(page, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  if (signal == 4 || signal == 5) { /* past the instruction: its length from its low bits */
    uint32_t pc;
    memcpy(&pc, (uint8_t*)context + 160, 4);
    pc += (*(volatile uint16_t*)(uintptr_t)pc & 3) == 3 ? 4 : 2;
    memcpy((uint8_t*)context + 160, &pc, 4);
  }
}

static void raw_handler(int linux_signal, void (*handler)(int, void*, void*)) {
  unsigned long raw[4] = {(unsigned long)handler, 4 /* SA_SIGINFO */, 0, 0};
  linux_syscall(SYS_rt_sigaction, linux_signal, (long)raw, 0, 8, 0, 0);
}

static void faults(void) {
  raw_handler(11, on_fault);
  raw_handler(4, on_fault);
  raw_handler(5, on_fault);
  volatile unsigned* page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  page[1] = 7;
  mprotect((void*)page, 4096, PROT_READ);
  page[1] = 42; /* SIGSEGV; the handler makes the page writable; the store again */
  printf("read-only page: stored %u after %u handler call, si_code %u (SEGV_ACCERR 2), si_addr the address: %s\n",
         page[1], fault_calls, fault_code, fault_address == (unsigned)(uintptr_t)&page[1] ? "yes" : "no");
  volatile unsigned* hole = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  munmap((void*)hole, 4096); /* a place where nothing is mapped, where a page may be mapped */
  fault_calls = 0;
  const unsigned loaded = (unsigned)hole[3]; /* SIGSEGV; the handler maps a zeroed page there */
  printf("nothing mapped: loaded %u after %u handler call, si_code %u (SEGV_MAPERR 1), si_addr the address: %s\n",
         loaded, fault_calls, fault_code, fault_address == (unsigned)(uintptr_t)&hole[3] ? "yes" : "no");
  fault_calls = 0;
  __asm__ volatile(".2byte 0"); /* the illegal instruction */
  printf("illegal instruction: %u handler call, si_code %u (ILL_ILLOPC 1), went on after it\n", fault_calls,
         fault_code);
  fault_calls = 0;
  __asm__ volatile("ebreak");
  printf("ebreak: %u handler call, si_code %u (TRAP_BRKPT 1), went on after it\n", fault_calls, fault_code);
}

/* origin: each signal's siginfo as its handler saw it (si_code, si_pid, si_status), by
 * Linux's number. */
static volatile int origin_calls[65], origin_code[65], origin_pid[65], origin_status[65];
static void on_origin(int signal, void* info, void* context) {
  const int* fields = info; /* si_signo, si_errno, si_code, si_pid, si_uid, si_status */
  origin_calls[signal]++;
  origin_code[signal] = fields[2];
  origin_pid[signal] = fields[3];
  origin_status[signal] = fields[5];
  (void)context;
}

static void show_origin(const char* what, int signal, long sender) {
  printf("%s: %d handler call, si_code %d, si_pid the sender's: %s", what, origin_calls[signal], origin_code[signal],
         origin_pid[signal] == sender ? "yes" : "no");
  if (signal == 17) printf(", si_status %d", origin_status[signal]);
  printf("\n");
  origin_calls[signal] = 0;
}

/* Until SIGCHLD's handler has run (SIGCHLD blocked meanwhile). */
static void await_child_signal(void) {
  sigset_t none = 0;
  while (origin_calls[17] == 0) sigsuspend(&none);
}

static void origins(void) {
  for (int signal = 10; signal <= 18; signal++) raw_handler(signal, on_origin);
  const long self = linux_syscall(SYS_getpid, 0, 0, 0, 0, 0, 0), tid = linux_syscall(SYS_gettid, 0, 0, 0, 0, 0, 0);
  linux_syscall(SYS_kill, self, 10, 0, 0, 0, 0);
  show_origin("kill(getpid(), SIGUSR1) (SI_USER 0)", 10, self);
  linux_syscall(SYS_tgkill, self, tid, 10, 0, 0, 0);
  show_origin("tgkill(getpid(), gettid(), SIGUSR1) (SI_TKILL -6)", 10, self);
  int ends[2];
  pipe(ends);
  close(ends[0]);
  errno = 0;
  const ssize_t wrote = write(ends[1], "x", 1);
  printf("write to a pipe without a reader = %ld (%s)\n", (long)wrote, strerror(errno));
  show_origin("SIGPIPE (SI_USER 0)", 13, self);
  close(ends[1]);

  sigset_t sent = 0;
  sigaddset(&sent, SIGUSR2);
  sigaddset(&sent, SIGCONT);
  sigaddset(&sent, SIGCHLD);
  sigprocmask(SIG_BLOCK, &sent, NULL);
  pid_t child = fork();
  if (child == 0) {
    const long parent = linux_syscall(SYS_getppid, 0, 0, 0, 0, 0, 0);
    linux_syscall(SYS_kill, parent, 12, 0, 0, 0, 0);
    linux_syscall(SYS_kill, parent, 18, 0, 0, 0, 0);
    _exit(7);
  }
  await_child_signal();
  int status = 0;
  waitpid(child, &status, 0);
  sigset_t usr2_cont = 0;
  sigaddset(&usr2_cont, SIGUSR2);
  sigaddset(&usr2_cont, SIGCONT);
  sigprocmask(SIG_UNBLOCK, &usr2_cont, NULL);
  show_origin("a child's kill(getppid(), SIGUSR2) (SI_USER 0)", 12, child);
  show_origin("a child's kill(getppid(), SIGCONT) (SI_USER 0)", 18, child);
  show_origin("SIGCHLD of a child's _exit(7) (CLD_EXITED 1)", 17, child);

  child = fork();
  if (child == 0) {
    for (;;) pause();
  }
  linux_syscall(SYS_kill, child, 9, 0, 0, 0, 0);
  await_child_signal();
  waitpid(child, &status, 0);
  show_origin("SIGCHLD of a child killed by SIGKILL (CLD_KILLED 2)", 17, child);
}

static void drops(void) {
  for (int signal = 17; signal <= 20; signal++) raw_handler(signal, on_origin);
  const long self = linux_syscall(SYS_getpid, 0, 0, 0, 0, 0, 0);
  sigset_t blocked = 0;
  sigaddset(&blocked, SIGCHLD);
  sigaddset(&blocked, SIGCONT);
  sigaddset(&blocked, SIGTSTP);
  sigprocmask(SIG_BLOCK, &blocked, NULL);

  const pid_t child = fork();
  if (child == 0) _exit(0);
  int status = 0;
  waitpid(child, &status, 0); /* its SIGCHLD stays pending, blocked */
  signal(SIGCHLD, SIG_DFL);   /* ignored by default: dropped */
  raw_handler(17, on_origin);
  linux_syscall(SYS_kill, self, 20, 0, 0, 0, 0); /* SIGTSTP, pending */
  linux_syscall(SYS_kill, self, 18, 0, 0, 0, 0); /* SIGCONT: drops it, pending itself */
  sigset_t child_stop = 0;
  sigaddset(&child_stop, SIGCHLD);
  sigaddset(&child_stop, SIGTSTP);
  sigprocmask(SIG_UNBLOCK, &child_stop, NULL);
  printf("SIGCHLD after SIG_DFL: %d handler call; SIGTSTP after SIGCONT: %d\n", origin_calls[17], origin_calls[20]);
  sigprocmask(SIG_BLOCK, &child_stop, NULL);
  linux_syscall(SYS_kill, self, 20, 0, 0, 0, 0); /* SIGTSTP: drops the pending SIGCONT */
  sigprocmask(SIG_UNBLOCK, &blocked, NULL);
  printf("SIGCONT after SIGTSTP: %d handler call; SIGTSTP: %d\n", origin_calls[18], origin_calls[20]);
}

/* stops: SIGSTOP and SIGCONT sent to a child that pauses, SIGCHLD blocked but while the parent
 * waits for its handler. */
static const char* yes(int condition) { return condition ? "yes" : "no"; }

static void show_waitid(const char* what, pid_t child, int options) {
  int fields[32] = {0}; /* Linux's siginfo: si_signo, si_errno, si_code, si_pid, si_uid, si_status... */
  const long answer = linux_syscall(SYS_waitid, 1 /* P_PID */, child, (long)fields, options, 0, 0);
  printf("%s = %ld: si_code %d, the child: %s, si_status %d\n", what, answer, fields[2], yes(fields[3] == child),
         fields[5]);
}

static void stops(void) {
  enum { WSTOPPED_ = 2, WEXITED_ = 4, WCONTINUED_ = 8, WNOWAIT_ = 0x01000000 };
  raw_handler(17, on_origin);
  sigset_t chld = 0;
  sigaddset(&chld, SIGCHLD);
  sigprocmask(SIG_BLOCK, &chld, NULL);
  pid_t child = fork();
  if (child == 0) {
    for (;;) pause();
  }
  int status = 0;
  kill(child, SIGSTOP);
  pid_t got = waitpid(child, &status, WUNTRACED);
  printf("waitpid(WUNTRACED) after SIGSTOP: the child: %s, WIFSTOPPED: %s, WSTOPSIG is SIGSTOP: %s\n",
         yes(got == child), yes(WIFSTOPPED(status)), yes(WSTOPSIG(status) == SIGSTOP));
  await_child_signal();
  show_origin("SIGCHLD of the stop (CLD_STOPPED 5)", 17, child);
  printf("waitpid(WUNTRACED | WNOHANG) again = %d (reported once)\n",
         (int)waitpid(child, &status, WUNTRACED | WNOHANG));
  kill(child, SIGSTOP);
  printf("SIGSTOP to the stopped child: waitpid(WUNTRACED | WNOHANG) = %d\n",
         (int)waitpid(child, &status, WUNTRACED | WNOHANG));
  kill(child, SIGCONT);
  got = waitpid(child, &status, WCONTINUED);
  printf("waitpid(WCONTINUED) after SIGCONT: the child: %s, WIFCONTINUED: %s\n", yes(got == child),
         yes(WIFCONTINUED(status)));
  await_child_signal();
  show_origin("SIGCHLD of the continue (CLD_CONTINUED 6)", 17, child);
  show_waitid("waitid(WSTOPPED | WCONTINUED | WNOHANG) with nothing new", child, WSTOPPED_ | WCONTINUED_ | 1);
  kill(child, SIGSTOP);
  show_waitid("waitid(WSTOPPED | WNOWAIT) after SIGSTOP", child, WSTOPPED_ | WNOWAIT_);
  show_waitid("waitid(WSTOPPED | WEXITED) again", child, WSTOPPED_ | WEXITED_);
  show_waitid("waitid(WSTOPPED | WNOHANG) once more", child, WSTOPPED_ | 1);
  await_child_signal();
  show_origin("SIGCHLD of the second stop", 17, child);
  kill(child, SIGKILL);
  got = waitpid(child, &status, WUNTRACED | WCONTINUED);
  printf("SIGKILL to the stopped child: the child: %s, WIFSIGNALED: %s, by SIGKILL: %s\n", yes(got == child),
         yes(WIFSIGNALED(status)), yes(WTERMSIG(status) == SIGKILL));
  await_child_signal();
  show_origin("SIGCHLD of its end (CLD_KILLED 2)", 17, child);

  child = fork();
  if (child == 0) {
    raise(SIGSTOP);
    _exit(5);
  }
  got = waitpid(child, &status, WUNTRACED);
  printf("a child's raise(SIGSTOP): the child: %s, WIFSTOPPED: %s, WSTOPSIG is SIGSTOP: %s\n", yes(got == child),
         yes(WIFSTOPPED(status)), yes(WSTOPSIG(status) == SIGSTOP));
  await_child_signal();
  show_origin("SIGCHLD of its stop", 17, child);
  kill(child, SIGCONT);
  got = waitpid(child, &status, 0);
  printf("continued, it exits: the child: %s, WIFEXITED: %s, status %d\n", yes(got == child), yes(WIFEXITED(status)),
         WEXITSTATUS(status));
  await_child_signal(); /* SIGCHLD of the continue, or of the end: both reported */
  origin_calls[17] = 0;
}

/* nocldstop: with SA_NOCLDSTOP the stop and the continue are reported to waitpid, and no
 * SIGCHLD comes. For mkh only: Debian's qemu-riscv32 (7.2) does not pass SA_NOCLDSTOP to the
 * host's sigaction, so the host sends SIGCHLD and qemu gives it to the program. */
static void no_child_stop(void) {
  sigset_t chld = 0;
  sigaddset(&chld, SIGCHLD);
  sigprocmask(SIG_BLOCK, &chld, NULL);
  int status = 0;
  unsigned long raw[4] = {(unsigned long)on_origin, 4 /* SA_SIGINFO */ | 1 /* SA_NOCLDSTOP */, 0, 0};
  linux_syscall(SYS_rt_sigaction, 17, (long)raw, 0, 8, 0, 0);
  const pid_t child = fork();
  if (child == 0) {
    for (;;) pause();
  }
  kill(child, SIGSTOP);
  const pid_t got = waitpid(child, &status, WUNTRACED);
  kill(child, SIGCONT);
  const pid_t continued = waitpid(child, &status, WCONTINUED);
  sigset_t pending = 0;
  sigpending(&pending);
  printf("SA_NOCLDSTOP: stop reported: %s, continue reported: %s, SIGCHLD pending: %s\n", yes(got == child),
         yes(continued == child && WIFCONTINUED(status)), yes(sigismember(&pending, SIGCHLD)));
  kill(child, SIGKILL);
  waitpid(child, &status, 0);
}

/* exec: SIGUSR1 blocked and sent to the thread, then the program again in `exec-after`, which
 * unblocks it. */
static void exec_pending(const char* self_path) {
  raw_handler(10, on_origin);
  sigset_t usr1 = 0;
  sigaddset(&usr1, SIGUSR1);
  sigprocmask(SIG_BLOCK, &usr1, NULL);
  const long self = linux_syscall(SYS_getpid, 0, 0, 0, 0, 0, 0), tid = linux_syscall(SYS_gettid, 0, 0, 0, 0, 0, 0);
  linux_syscall(SYS_tgkill, self, tid, 10, 0, 0, 0);
  char* const again[] = {(char*)self_path, "exec-after", NULL};
  execv(self_path, again);
  printf("execv: %s\n", strerror(errno));
}

static void exec_after(void) {
  raw_handler(10, on_origin);
  sigset_t usr1 = 0;
  sigaddset(&usr1, SIGUSR1);
  sigprocmask(SIG_UNBLOCK, &usr1, NULL);
  show_origin("after execve, the SIGUSR1 tgkill sent before (SI_TKILL -6)", 10,
              linux_syscall(SYS_getpid, 0, 0, 0, 0, 0, 0));
}

static volatile uintptr_t nowhere = 16; /* never mapped */

static void fault_blocked(void) {
  raw_handler(11, on_fault);
  sigset_t segv = 0;
  sigaddset(&segv, SIGSEGV);
  sigprocmask(SIG_BLOCK, &segv, NULL);
  printf("SIGSEGV blocked, a store to address 16:\n");
  fflush(stdout);
  *(volatile unsigned*)nowhere = 1;
  printf("still running\n");
}

static void on_overflow(int signal) {
  stack_t now;
  sigaltstack(NULL, &now);
  say(now.ss_flags == SS_ONSTACK ? "stack overflow: the handler runs on the alternate stack\n"
                                 : "stack overflow: the handler runs elsewhere\n");
  _exit(3);
  (void)signal;
}

static volatile unsigned depth_limit = ~0u; /* never reached: the stack ends first */
static unsigned deep(unsigned n) {
  volatile char pad[256];
  pad[n % 256] = (char)n;
  if (n == depth_limit) return 0;
  return deep(n + 1) + (unsigned)pad[n % 256]; /* not a tail call */
}

static void overflow(void) {
  static char room[16384];
  stack_t stack = {.ss_sp = room, .ss_flags = 0, .ss_size = sizeof room}, old;
  printf("sigaltstack(too small) = %d (%s)\n", sigaltstack(&(stack_t){.ss_sp = room, .ss_size = 1000}, NULL),
         strerror(errno));
  printf("sigaltstack(16 KiB) = %d\n", sigaltstack(&stack, NULL));
  sigaltstack(NULL, &old);
  printf("set: size %u, flags %d, the place given: %s\n", (unsigned)old.ss_size, old.ss_flags,
         old.ss_sp == room ? "yes" : "no");
  sigset_t none = 0;
  install(SIGSEGV, on_overflow, SA_ONSTACK, none);
  fflush(stdout);
  printf("%u\n", deep(0));
}

int main(int argc, char** argv) {
  const char* what = argc == 2 ? argv[1] : "";
  if (strcmp(what, "order") == 0) order();
  else if (strcmp(what, "mask") == 0) mask();
  else if (strcmp(what, "threads") == 0) threads();
  else if (strcmp(what, "running") == 0) running();
  else if (strcmp(what, "eintr") == 0) read_interrupted(0);
  else if (strcmp(what, "restart") == 0) read_interrupted(SA_RESTART);
  else if (strcmp(what, "sleep") == 0) sleep_interrupted();
  else if (strcmp(what, "suspend") == 0) suspend();
  else if (strcmp(what, "child") == 0) children();
  else if (strcmp(what, "faults") == 0) faults();
  else if (strcmp(what, "blocked") == 0) fault_blocked();
  else if (strcmp(what, "overflow") == 0) overflow();
  else if (strcmp(what, "origin") == 0) origins();
  else if (strcmp(what, "drops") == 0) drops();
  else if (strcmp(what, "stops") == 0) stops();
  else if (strcmp(what, "nocldstop") == 0) no_child_stop();
  else if (strcmp(what, "exec") == 0) exec_pending(argv[0]);
  else if (strcmp(what, "exec-after") == 0) exec_after();
  else if (strcmp(what, "reset") == 0) {
    sigset_t none = 0;
    install(SIGUSR1, on_usr1, SA_RESETHAND, none);
    printf("first SIGUSR1:\n");
    fflush(stdout);
    raise(SIGUSR1);
    printf("second SIGUSR1 (the default action ends the program):\n");
    fflush(stdout);
    raise(SIGUSR1);
    printf("still running\n");
  } else {
    fprintf(stderr,
            "usage: handlers "
            "order|threads|mask|running|eintr|restart|sleep|suspend|child|faults|blocked|overflow|reset|origin|drops|"
            "stops|nocldstop|exec\n");
    return 2;
  }
  return 0;
}
