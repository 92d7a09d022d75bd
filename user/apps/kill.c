/* kill [-SIGNAL | -s SIGNAL] PID... | kill -l: sends SIGNAL (a name, with or without SIG, or a
 * number; TERM by default) to each process PID, by kill(2); -l lists the names. The numbers
 * are Linux's, given to the system call as they are (picolibc's <signal.h> numbers some
 * signals as BSD does, and its kill() takes those). Exit status: 0 when every signal was sent, 1 when one was not (a line for
 * each: `kill: PID: No such process`), 2 for a usage error (an unknown signal, a PID that is
 * not a number). A user program of mkh's /bin (user/apps/): plain C, runs unchanged under
 * qemu-riscv32. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "linux_syscalls.h"
#include "mkh.h"

enum { kSignals = 31, kTerm = 15 }; /* Linux's names (mkh_signal_name); 0 sends nothing, only checks */

static int usage(void) {
  fprintf(stderr, "usage: kill [-SIGNAL | -s SIGNAL] PID... | kill -l\n");
  return 2;
}

int main(int argc, char** argv) {
  if (argc == 2 && !strcmp(argv[1], "-l")) {
    for (int i = 1; i <= kSignals; i++) printf("%s%c", mkh_signal_name(i), i < kSignals ? ' ' : '\n');
    return 0;
  }
  int signal = kTerm, first = 1;
  if (argc > 1 && !strcmp(argv[1], "-s")) {
    if (argc == 2) return usage();
    signal = mkh_signal_number(argv[2]);
    first = 3;
  } else if (argc > 1 && argv[1][0] == '-' && strcmp(argv[1], "--")) {
    signal = mkh_signal_number(argv[1] + 1);
    first = 2;
  }
  if (signal < 0) {
    fprintf(stderr, "kill: %s: unknown signal\n", argv[first - 1] + (first == 2));
    return usage();
  }
  if (first < argc && !strcmp(argv[first], "--")) first++;
  if (first == argc) return usage();
  pid_t pids[argc];
  for (int i = first; i < argc; i++) {
    char* end;
    const long pid = strtol(argv[i], &end, 10);
    if (argv[i][0] == '\0' || *end != '\0' || pid != (pid_t)pid) {
      fprintf(stderr, "kill: %s: not a process id\n", argv[i]);
      return usage();
    }
    pids[i] = (pid_t)pid;
  }
  int status = 0;
  for (int i = first; i < argc; i++) {
    const long sent = linux_syscall(SYS_kill, pids[i], signal, 0, 0, 0, 0);
    if (sent < 0) {
      fprintf(stderr, "kill: %s: %s\n", argv[i], strerror(__mkh_errno_from_linux(-sent)));
      status = 1;
    }
  }
  return status;
}
