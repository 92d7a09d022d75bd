/* signals: the referee program of kill, tkill, tgkill, rt_sigaction, rt_sigprocmask and
 * rt_sigpending (user/tests/), called by their raw numbers: the targets that do not exist,
 * the numbers and sizes out of range, signal 0, the signals whose default action is to be
 * ignored; then the library's sigaction (SIG_IGN and back), sigprocmask and sigpending (a
 * SIGTERM kept pending); then it ends as its argument says: `unblock` (the pending SIGTERM
 * acts: 143), `ignore` (ignoring it drops it: exit 0), `abort` (picolibc's abort, which
 * raises SIGABRT with kill), `assert` (a failed assert, which aborts), `hup` (SIGHUP by
 * tgkill), `kill` (SIGKILL by tkill), `usr1` (the library's kill with picolibc's SIGUSR1, 30,
 * which is Linux's 10: status 138), `bus` (picolibc's raise of its SIGBUS, 10, Linux's 7:
 * status 135), `exit` (exit 0, the SIGTERM still pending), `stop` (SIGSTOP, which cannot be
 * blocked: for mkh only, tests/e2e/cli.sh; Linux would stop the referee for good). Not here:
 * a real-time signal (qemu-user moves the guest's 34 to the host's 36, so the referee would
 * report 164 where Linux reports 162), nor its process group signalled for real (under a
 * test harness, the group holds the harness too). The same bytes and status under
 * qemu-riscv32 and mkh exec. */
#include <assert.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "linux_syscalls.h"

#define CALL(n, a, b, c) linux_syscall((n), (long)(a), (long)(b), (long)(c), 0, 0, 0)

enum { SIGCHLD_ = 17, SIGCONT_ = 18, SIGURG_ = 23, SIGWINCH_ = 28, SIGTERM_ = 15, SIGKILL_ = 9, SIGSTOP_ = 19, SIGHUP_ = 1 };
static const long kNoSuchPid = 0x7fffffff; /* above any pid_max */

static void show(const char* what, long result) {
  printf("%s = %ld\n", what, result);
  fflush(stdout);
}

int main(int argc, char** argv) {
  const long self = CALL(SYS_getpid, 0, 0, 0);
  const long tid = CALL(SYS_gettid, 0, 0, 0);
  if (argc != 2) {
    fprintf(stderr, "usage: signals abort|assert|hup|kill|usr1|bus|unblock|ignore|stop|exit\n");
    return 2;
  }
  show("kill(self, 0)", CALL(SYS_kill, self, 0, 0));
  show("kill(own group, 0)", CALL(SYS_kill, 0, 0, 0));
  show("kill(self, 65)", CALL(SYS_kill, self, 65, 0));
  show("kill(self, -1)", CALL(SYS_kill, self, -1, 0));
  show("kill(nobody, 0)", CALL(SYS_kill, kNoSuchPid, 0, 0));
  show("kill(nobody, 65)", CALL(SYS_kill, kNoSuchPid, 65, 0));
  show("kill(-nobody, 0)", CALL(SYS_kill, -kNoSuchPid, 0, 0));
  show("tkill(0, 0)", CALL(SYS_tkill, 0, 0, 0));
  show("tkill(-1, 0)", CALL(SYS_tkill, -1, 0, 0));
  show("tkill(self, 0)", CALL(SYS_tkill, tid, 0, 0));
  show("tkill(self, 65)", CALL(SYS_tkill, tid, 65, 0));
  show("tkill(nobody, 0)", CALL(SYS_tkill, kNoSuchPid, 0, 0));
  show("tgkill(0, self, 0)", CALL(SYS_tgkill, 0, tid, 0));
  show("tgkill(self, 0, 0)", CALL(SYS_tgkill, self, 0, 0));
  show("tgkill(self, self, 0)", CALL(SYS_tgkill, self, tid, 0));
  show("tgkill(nobody, self, 0)", CALL(SYS_tgkill, kNoSuchPid, tid, 0));
  show("tgkill(self, nobody, 0)", CALL(SYS_tgkill, self, kNoSuchPid, 0));
  show("tgkill(self, self, 65)", CALL(SYS_tgkill, self, tid, 65));
  /* Ignored by default: the process goes on. */
  show("kill(self, SIGCHLD)", CALL(SYS_kill, self, SIGCHLD_, 0));
  show("kill(self, SIGCONT)", CALL(SYS_kill, self, SIGCONT_, 0));
  show("tkill(self, SIGURG)", CALL(SYS_tkill, tid, SIGURG_, 0));
  show("tgkill(self, self, SIGWINCH)", CALL(SYS_tgkill, self, tid, SIGWINCH_));
  /* rt_sigaction, rt_sigprocmask and rt_sigpending at their edges, raw. */
  uint64_t set = 0, old_set = 0;
  unsigned long action[4] = {0}; /* handler, flags, mask (two words) */
  show("rt_sigaction(SIGTERM, NULL, old, 4)", linux_syscall(SYS_rt_sigaction, SIGTERM_, 0, (long)action, 4, 0, 0));
  show("rt_sigaction(0, NULL, old, 8)", linux_syscall(SYS_rt_sigaction, 0, 0, (long)action, 8, 0, 0));
  show("rt_sigaction(65, NULL, old, 8)", linux_syscall(SYS_rt_sigaction, 65, 0, (long)action, 8, 0, 0));
  show("rt_sigaction(SIGKILL, SIG_IGN, NULL, 8)", linux_syscall(SYS_rt_sigaction, SIGKILL_, (long)action, 0, 8, 0, 0));
  show("rt_sigaction(SIGKILL, NULL, old, 8)", linux_syscall(SYS_rt_sigaction, SIGKILL_, 0, (long)action, 8, 0, 0));
  show("rt_sigprocmask(7, set, NULL, 8)", linux_syscall(SYS_rt_sigprocmask, 7, (long)&set, 0, 8, 0, 0));
  show("rt_sigprocmask(7, NULL, old, 8)", linux_syscall(SYS_rt_sigprocmask, 7, 0, (long)&old_set, 8, 0, 0));
  show("rt_sigprocmask(SIG_BLOCK, set, NULL, 4)", linux_syscall(SYS_rt_sigprocmask, 0, (long)&set, 0, 4, 0, 0));
  show("rt_sigpending(set, 16)", linux_syscall(SYS_rt_sigpending, (long)&set, 16, 0, 0, 0, 0));
  set = ~(uint64_t)0;
  linux_syscall(SYS_rt_sigprocmask, 0 /* SIG_BLOCK */, (long)&set, 0, 8, 0, 0);
  linux_syscall(SYS_rt_sigprocmask, 2 /* SIG_SETMASK */, (long)&old_set, (long)&set, 8, 0, 0);
  printf("blocking every signal blocks SIGKILL: %s, SIGSTOP: %s, SIGTERM: %s\n", set & (1u << (SIGKILL_ - 1)) ? "yes" : "no",
         set & (1u << (SIGSTOP_ - 1)) ? "yes" : "no", set & (1u << (SIGTERM_ - 1)) ? "yes" : "no");

  /* The library's sigaction, sigprocmask and sigpending, picolibc's numbers. */
  struct sigaction ignore = {0}, previous = {0};
  ignore.sa_handler = SIG_IGN;
  ignore.sa_flags = SA_NOCLDSTOP;
  sigaddset(&ignore.sa_mask, SIGUSR2);
  show("sigaction(SIGUSR1, SIG_IGN)", sigaction(SIGUSR1, &ignore, NULL));
  show("kill(self, SIGUSR1), ignored", kill((pid_t)self, SIGUSR1));
  show("sigaction(SIGUSR1, NULL, old)", sigaction(SIGUSR1, NULL, &previous));
  printf("  old: SIG_IGN %s, SA_NOCLDSTOP %s, SIGUSR2 in its mask %s\n", previous.sa_handler == SIG_IGN ? "yes" : "no",
         previous.sa_flags & SA_NOCLDSTOP ? "yes" : "no", previous.sa_mask & (1UL << SIGUSR2) ? "yes" : "no");
  struct sigaction fallback = {0};
  fallback.sa_handler = SIG_DFL;
  show("sigaction(SIGUSR1, SIG_DFL)", sigaction(SIGUSR1, &fallback, NULL));
  sigset_t blocked = 0, pending = 0;
  sigaddset(&blocked, SIGTERM);
  show("sigprocmask(SIG_BLOCK, SIGTERM)", sigprocmask(SIG_BLOCK, &blocked, NULL));
  show("kill(self, SIGTERM), blocked", kill((pid_t)self, SIGTERM));
  show("sigpending", sigpending(&pending));
  printf("  SIGTERM pending: %s, SIGUSR1 pending: %s\n", pending & (1UL << SIGTERM) ? "yes" : "no",
         pending & (1UL << SIGUSR1) ? "yes" : "no");

  const char* end = argv[1];
  printf("signals: ending by %s\n", end);
  fflush(stdout);
  if (strcmp(end, "abort") == 0) abort();
  if (strcmp(end, "assert") == 0) assert(self < 0);
  if (strcmp(end, "hup") == 0) CALL(SYS_tgkill, self, tid, SIGHUP_);
  if (strcmp(end, "kill") == 0) CALL(SYS_tkill, tid, SIGKILL_, 0);
  if (strcmp(end, "usr1") == 0) kill((pid_t)self, SIGUSR1);
  if (strcmp(end, "bus") == 0) raise(SIGBUS);
  if (strcmp(end, "stop") == 0) CALL(SYS_kill, self, SIGSTOP_, 0);
  if (strcmp(end, "unblock") == 0) sigprocmask(SIG_UNBLOCK, &blocked, NULL); /* the pending SIGTERM acts */
  if (strcmp(end, "ignore") == 0) {
    ignore.sa_mask = 0;
    sigaction(SIGTERM, &ignore, NULL); /* drops the pending SIGTERM */
    sigprocmask(SIG_UNBLOCK, &blocked, NULL);
    printf("signals: the pending SIGTERM was dropped\n");
    return 0;
  }
  if (strcmp(end, "exit") == 0) return 0;
  printf("signals: still running after '%s'\n", end);
  return 1;
}
