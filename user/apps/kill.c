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

/* Linux's names and numbers (signal(7)); 0 sends nothing and only checks the process. */
static const char* const kNames[] = {"HUP",  "INT",    "QUIT", "ILL",   "TRAP", "ABRT", "BUS",  "FPE",
                                     "KILL", "USR1",   "SEGV", "USR2",  "PIPE", "ALRM", "TERM", "STKFLT",
                                     "CHLD", "CONT",   "STOP", "TSTP",  "TTIN", "TTOU", "URG",  "XCPU",
                                     "XFSZ", "VTALRM", "PROF", "WINCH", "IO",   "PWR",  "SYS"};
enum { kSignals = sizeof kNames / sizeof kNames[0], kTerm = 15 };

static int usage(void) {
  fprintf(stderr, "usage: kill [-SIGNAL | -s SIGNAL] PID... | kill -l\n");
  return 2;
}

/* The number of the signal `text` names, or -1. */
static int signal_of(const char* text) {
  char* end;
  const long number = strtol(text, &end, 10);
  if (*text != '\0' && *end == '\0') return number >= 0 && number <= 64 ? (int)number : -1;
  if (!strncmp(text, "SIG", 3)) text += 3;
  for (int i = 0; i < kSignals; i++)
    if (!strcmp(text, kNames[i])) return i + 1;
  return -1;
}

int main(int argc, char** argv) {
  if (argc == 2 && !strcmp(argv[1], "-l")) {
    for (int i = 0; i < kSignals; i++) printf("%s%c", kNames[i], i + 1 < kSignals ? ' ' : '\n');
    return 0;
  }
  int signal = kTerm, first = 1;
  if (argc > 1 && !strcmp(argv[1], "-s")) {
    if (argc == 2) return usage();
    signal = signal_of(argv[2]);
    first = 3;
  } else if (argc > 1 && argv[1][0] == '-' && strcmp(argv[1], "--")) {
    signal = signal_of(argv[1] + 1);
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
