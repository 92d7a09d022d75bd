/* What the referee programs that fork share (user/tests/fork.c, pipe.c): fork_next, which
 * places each child on the next cluster in turn when `spread` is set (mkh's place_fork, a
 * no-op under qemu-riscv32) and flushes stdout first (the child would print the parent's
 * buffered bytes again); wait_for, which waits for one child; describe, which says how a
 * child ended. Included once by each program. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mkh.h"

static int spread;
static unsigned spread_next = 1;

static pid_t fork_next(void) {
  unsigned x, y, cores, cxy, lid;
  if (spread && mkh_get_config(&x, &y, &cores) == 0 && mkh_get_core(&cxy, &lid) == 0) {
    const unsigned cluster = ((cxy >> 4) * y + (cxy & 15) + spread_next++) % (x * y);
    mkh_place_fork((cluster / y) << 4 | cluster % y);
  }
  fflush(stdout);
  const pid_t pid = fork();
  if (pid < 0) {
    printf("fork: %s\n", strerror(errno));
    exit(1);
  }
  return pid;
}

/* Waits for `pid`; its status. */
static int wait_for(pid_t pid) {
  int status = 0;
  const pid_t got = waitpid(pid, &status, 0);
  if (got != pid) {
    printf("waitpid(%d): %d, %s\n", pid > 0 ? 1 : pid, got, got < 0 ? strerror(errno) : "another pid");
    exit(1);
  }
  return status;
}

static void describe(const char* what, int status) {
  if (WIFEXITED(status)) printf("%s: exit %d\n", what, WEXITSTATUS(status));
  else if (WIFSIGNALED(status)) printf("%s: killed by signal %d\n", what, WTERMSIG(status));
  else printf("%s: status %#x\n", what, status);
}
