/* sh: trap (POSIX 2.14): the commands a trapped signal runs once the command it came during
 * has ended (a signal that comes while a line is read at the prompt: before the next prompt),
 * and those the shell runs as it ends (EXIT). A signal's handler only marks it; the marks are
 * looked at between commands. The handlers have SA_RESTART: the shell's own reads and waits go
 * on through them, but for the wait builtin's, which a trapped signal ends (trap_wait). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mkh.h"
#include "sh.h"

enum { kConditions = 32 }; /* 0: EXIT; then picolibc's signal numbers, 1-31 */

static char* actions[kConditions]; /* NULL: the default; "": ignored */
static volatile sig_atomic_t caught[kConditions];
static volatile sig_atomic_t is_caught;
static int is_running_traps;
static char ignored_on_entry[kConditions]; /* a script cannot trap these (POSIX 2.14, trap) */
const char* volatile prompt_shown;
volatile sig_atomic_t prompt_interrupts;

/* picolibc's number of Linux's signal `linux_number` (1-31), or -1. */
static int picolibc_number(int linux_number) {
  for (int signal = 1; signal < kConditions; signal++)
    if (mkh_linux_signal(signal) == linux_number) return signal;
  return -1;
}

static const char* name_of(int condition) {
  const char* name = condition == 0 ? "EXIT" : mkh_signal_name(mkh_linux_signal(condition));
  return name ? name : "?";
}

/* The condition `text` names (EXIT, a signal's name with or without SIG, or Linux's number),
 * picolibc's number for a signal; -1 for none. */
static int condition_of(const char* text) {
  const int linux_number = !strcmp(text, "EXIT") ? 0 : mkh_signal_number(text);
  if (linux_number <= 0) return linux_number;
  return linux_number < kConditions ? picolibc_number(linux_number) : -1;
}

static void on_signal(int signal) {
  if (signal > 0 && signal < kConditions) {
    caught[signal] = 1;
    is_caught = 1;
  }
  const char* prompt = prompt_shown;
  if (signal == SIGINT && prompt) { /* the terminal dropped the line: the prompt again */
    (void)write(2, "\n", 1);
    (void)write(2, prompt, strlen(prompt));
    prompt_interrupts++;
  }
}

static void on_child(int signal) { (void)signal; }

static int set_disposition(int signal, void (*handler)(int)) {
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_handler = handler;
  action.sa_flags = SA_RESTART;
  return sigaction(signal, &action, NULL);
}

void trap_interrupt_at_prompt(void) { set_disposition(SIGINT, on_signal); }

/* The disposition a signal goes back to without a trap: an interactive shell's SIGINT and SIGQUIT
 * keep theirs (main.c), the others their default. */
static void (*untrapped(int signal))(int) {
  if (is_interactive && signal == SIGINT) return on_signal;
  if (is_interactive && signal == SIGQUIT) return SIG_IGN;
  return SIG_DFL;
}

void traps_init(void) {
  for (int signal = 1; signal < kConditions; signal++) {
    struct sigaction now;
    ignored_on_entry[signal] = sigaction(signal, NULL, &now) == 0 && now.sa_handler == SIG_IGN;
  }
}

/* Sets (or, `action` NULL, resets) the trap of `condition`; 0, or 1 with a message. A signal
 * ignored when a script started is left as it is. SIGCHLD is never ignored by the kernel's
 * rule (its children would be reaped unseen, and the shell's waits would find none): `trap ''
 * CHLD` catches it and does nothing, as dash does. */
static int set_trap(int condition, const char* action) {
  if (condition > 0 && ignored_on_entry[condition] && !is_interactive) return 0;
  if (condition > 0) {
    void (*handler)(int) = !action                ? untrapped(condition)
                           : *action              ? on_signal
                           : condition == SIGCHLD ? on_child
                                                  : SIG_IGN;
    if (set_disposition(condition, handler) != 0) {
      fprintf(stderr, "sh: trap: %s: cannot be trapped\n", name_of(condition));
      return 1;
    }
  }
  free(actions[condition]);
  actions[condition] = action ? strdup(action) : NULL;
  return 0;
}

void print_quoted(const char* s) {
  putchar('\'');
  for (; *s; s++) {
    if (*s == '\'') fputs("'\\''", stdout);
    else putchar(*s);
  }
  putchar('\'');
}

int trap_builtin(int argc, char** argv) {
  int i = 1;
  if (i < argc && !strcmp(argv[i], "--")) i++;
  if (i == argc) { /* the traps set, as commands that set them again */
    for (int condition = 0; condition < kConditions; condition++) {
      if (!actions[condition]) continue;
      fputs("trap -- ", stdout);
      print_quoted(actions[condition]);
      printf(" %s\n", name_of(condition));
    }
    return 0;
  }
  /* trap N... (a number first) and trap - N... reset; else the first operand is the action. */
  const char* action = argv[i];
  char* end;
  (void)strtol(action, &end, 10);
  const int resets = !strcmp(action, "-") || (*action != '\0' && *end == '\0');
  if (resets) action = NULL;
  if (!resets || !strcmp(argv[i], "-")) i++;
  if (i == argc) {
    fprintf(stderr, "sh: trap: usage: trap [ACTION] CONDITION...\n");
    return 2;
  }
  int status = 0;
  for (; i < argc; i++) {
    const int condition = condition_of(argv[i]);
    if (condition < 0) {
      fprintf(stderr, "sh: trap: %s: bad trap\n", argv[i]);
      status = 1;
    } else {
      status |= set_trap(condition, action);
    }
  }
  return status;
}

/* Runs `action` (a copy: it may set its own trap again) with $? kept. */
static void run_action(const char* action) {
  char* commands = strdup(action);
  const int status = last_status;
  if (commands) run_string(commands);
  free(commands);
  if (!is_exit_requested) last_status = status;
}

void run_traps(void) {
  if (!is_caught || is_running_traps) return;
  is_running_traps = 1;
  is_caught = 0;
  for (int signal = 1; signal < kConditions; signal++) {
    if (!caught[signal]) continue;
    caught[signal] = 0;
    if (actions[signal] && *actions[signal]) run_action(actions[signal]);
  }
  is_running_traps = 0;
}

int run_exit_trap(int status) {
  char* action = actions[0];
  if (!action) return status;
  actions[0] = NULL; /* once: an exit in it ends the shell */
  last_status = status;
  is_exit_requested = 0;
  if (*action) run_string(action);
  free(action);
  return is_exit_requested ? last_status : status;
}

/* Linux's number of the lowest signal caught since the traps last ran, 0 for none. */
static int caught_signal(void) {
  for (int signal = 1; signal < kConditions; signal++)
    if (caught[signal]) return mkh_linux_signal(signal);
  return 0;
}

pid_t trap_wait(pid_t pid, int* raw, int* signal) {
  /* As dash: every signal blocked, a look at the marks and then at the children without
   * waiting, then sigsuspend with the mask of before but SIGCHLD, which a child's SIGCHLD or a
   * trapped signal ends (neither is lost in between: both wait blocked). A mark wins over a
   * child that ended meanwhile (reaped by the next wait). SIGCHLD gets a handler meanwhile
   * unless a trap catches it already (an ignored SIGCHLD would reap the children unseen). */
  sigset_t all, before, open;
  sigfillset(&all);
  sigprocmask(SIG_BLOCK, &all, &before);
  open = before;
  sigdelset(&open, SIGCHLD);
  struct sigaction child, child_before;
  memset(&child, 0, sizeof child);
  child.sa_handler = on_child;
  child.sa_flags = SA_RESTART;
  const int replaces = !(actions[SIGCHLD] && *actions[SIGCHLD]) && sigaction(SIGCHLD, &child, &child_before) == 0;
  pid_t got = 0;
  while ((*signal = caught_signal()) == 0 && (got = waitpid(pid, raw, WNOHANG)) == 0) sigsuspend(&open);
  const int error = errno;
  if (replaces) sigaction(SIGCHLD, &child_before, NULL);
  sigprocmask(SIG_SETMASK, &before, NULL);
  errno = error;
  return got;
}

void traps_reset_in_child(void) {
  for (int condition = 0; condition < kConditions; condition++)
    if (actions[condition] && *actions[condition]) set_trap(condition, NULL);
}
