/* strace COMMAND [ARG...]: runs COMMAND (looked up in PATH when it has no slash) with its
 * system calls traced, and those of the processes it forks: mkh's trace(1), then execvp. The
 * kernel prints a line per call on its console (the host's stderr under `mkh exec`, the
 * terminal in `make run`) once the call returns: the caller (pid, tid, cluster.core), the call
 * with its arguments, its answer (-1 and the error's name on a failure) and its time.
 * Statuses: COMMAND's; 127 when it is not found, 126 when it cannot be run; 1 under a kernel
 * that has no trace (Linux, qemu-riscv32); 2 without a command. A user program of mkh's /bin
 * (user/apps/). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "mkh.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: strace COMMAND [ARG...]\n");
    return 2;
  }
  if (mkh_trace(1) != 0) {
    fprintf(stderr, "strace: the kernel traces no system call: %s\n", strerror(errno));
    return 1;
  }
  execvp(argv[1], argv + 1);
  const int status = errno == ENOENT ? 127 : 126;
  fprintf(stderr, "strace: %s: %s\n", argv[1], strerror(errno));
  return status;
}
