/* strace [-F] COMMAND [ARG...]: runs COMMAND (looked up in PATH when it has no slash) with its
 * system calls traced, and those of the processes it forks: mkh's trace(mode), then execvp. The
 * kernel prints a line per call on its console (the host's stderr under `mkh exec`, the
 * terminal in `make run`) once the call returns: the caller (pid, tid, cluster.core), the call
 * with its arguments, its answer (-1 and the error's name on a failure) and its time. -F (as
 * perf trace's) adds a line per page fault: its address and access, what the kernel did
 * (zero-filled, read from the file, copy-on-write, asked of the reference cluster), the
 * page's cluster and the time. Statuses: COMMAND's; 127 when it is not found, 126 when it
 * cannot be run; 1 under a kernel that has no trace (Linux, qemu-riscv32); 2 for a usage
 * error. A user program of mkh's /bin (user/apps/). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "mkh.h"

int main(int argc, char** argv) {
  int first = 1, mode = MKH_TRACE_CALLS;
  if (first < argc && !strcmp(argv[first], "-F")) mode |= MKH_TRACE_FAULTS, first++;
  if (first < argc && !strcmp(argv[first], "--")) first++;
  if (first == argc || argv[first][0] == '-') {
    fprintf(stderr, "usage: strace [-F] COMMAND [ARG...]\n");
    return 2;
  }
  if (mkh_trace(mode) != 0) {
    fprintf(stderr, "strace: the kernel traces no system call: %s\n", strerror(errno));
    return 1;
  }
  execvp(argv[first], argv + first);
  const int status = errno == ENOENT ? 127 : 126;
  fprintf(stderr, "strace: %s: %s\n", argv[first], strerror(errno));
  return status;
}
