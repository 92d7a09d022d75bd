/* signals: the referee program of kill, tkill and tgkill (user/tests/), called by their raw
 * numbers: the targets that do not exist, the numbers out of range, signal 0, the signals
 * whose default action is to be ignored; then it ends as its argument says: `abort`
 * (picolibc's abort, which raises SIGABRT with kill), `assert` (a failed assert, which
 * aborts), `term` (SIGTERM by tgkill), `kill` (SIGKILL by tkill), `usr1` (the library's kill
 * with picolibc's SIGUSR1, 30, which is Linux's 10: status 138), `bus` (picolibc's raise of
 * its SIGBUS, 10, Linux's 7: status 135), `exit` (exit 0, every signal survived), `stop` (SIGSTOP: for mkh only, tests/e2e/cli.sh; Linux would stop the
 * referee for good). Not here: a real-time signal (qemu-user moves the guest's 34 to the
 * host's 36, so the referee would report 164 where Linux reports 162), nor its process group
 * signalled for real (under a test harness, the group holds the harness too). The same bytes
 * and status under qemu-riscv32 and mkh exec. */
#include <assert.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "linux_syscalls.h"

#define CALL(n, a, b, c) linux_syscall((n), (long)(a), (long)(b), (long)(c), 0, 0, 0)

enum { SIGCHLD_ = 17, SIGCONT_ = 18, SIGURG_ = 23, SIGWINCH_ = 28, SIGTERM_ = 15, SIGKILL_ = 9, SIGSTOP_ = 19 };
static const long kNoSuchPid = 0x7fffffff; /* above any pid_max */

static void show(const char* what, long result) {
  printf("%s = %ld\n", what, result);
  fflush(stdout);
}

int main(int argc, char** argv) {
  const long self = CALL(SYS_getpid, 0, 0, 0);
  const long tid = CALL(SYS_gettid, 0, 0, 0);
  if (argc != 2) {
    fprintf(stderr, "usage: signals abort|assert|term|kill|usr1|bus|stop|exit\n");
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
  const char* end = argv[1];
  printf("signals: ending by %s\n", end);
  fflush(stdout);
  if (strcmp(end, "abort") == 0) abort();
  if (strcmp(end, "assert") == 0) assert(self < 0);
  if (strcmp(end, "term") == 0) CALL(SYS_tgkill, self, tid, SIGTERM_);
  if (strcmp(end, "kill") == 0) CALL(SYS_tkill, tid, SIGKILL_, 0);
  if (strcmp(end, "usr1") == 0) kill((pid_t)self, SIGUSR1);
  if (strcmp(end, "bus") == 0) raise(SIGBUS);
  if (strcmp(end, "stop") == 0) CALL(SYS_kill, self, SIGSTOP_, 0);
  if (strcmp(end, "exit") == 0) return 0;
  printf("signals: still running after '%s'\n", end);
  return 1;
}
