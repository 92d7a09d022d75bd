/* sh: a small POSIX-style command interpreter, `sh [-l] [-c COMMANDS [NAME [ARG...]] | FILE
 * [ARG...]]`. Reads commands from standard input (a "$ " prompt on standard error when it is a
 * terminal, "> " while a command goes on over lines), from FILE, or the COMMANDS string; runs each
 * program in a forked child by execvp (PATH, else "/bin:/usr/bin"), on the machine's clusters in
 * turn under mkh, and waits for it, or not with a final '&'.
 *
 * Commands (POSIX 2.9, the part written here): lists of and-or lists separated by ';', '&' and
 * newlines; and-or lists of pipelines joined by '&&' and '||'; pipelines of commands joined by '|'
 * (at most 8), '!' before one inverting its status; simple commands ([NAME=VALUE...] WORDS with
 * redirections '<', '>', '>>', '>&N', '<&N', '>&-', '<<WORD' and '<<-WORD' (here-documents), a
 * descriptor written before: '2>', '2>&1'); the compound commands `if LIST; then LIST; [elif LIST;
 * then LIST;]... [else LIST;] fi`, `while LIST; do LIST; done`, `until ...`, `for NAME [in WORDS];
 * do LIST; done`, `case WORD in PATTERN[|PATTERN]...) LIST;; ... esac`, `{ LIST; }` and `( LIST )`
 * (a child shell), functions `NAME() COMPOUND-COMMAND`, with redirections after them. Words:
 * 'single quotes' literal, "double quotes" with \" \\ \$ and expansion, a backslash quotes the
 * next character (a newline: the line goes on), '#' at a word's start comments out the rest of the
 * line; expansion of $NAME, ${NAME}, $? (the last status), $$ (the shell's pid), $! (the last
 * background child's), $#, $0..$9, $@ and $* (the script's arguments), ${NAME:-WORD} ${NAME:=WORD}
 * ${NAME:+WORD} ${NAME:?WORD} (and without ':'), ${NAME%WORD} ${NAME%%WORD} ${NAME#WORD}
 * ${NAME##WORD}, ~ and ~/ at a word's start ($HOME), ${#NAME}, $(COMMANDS) and `COMMANDS` (what
 * they print, by a child shell), $((EXPRESSION)) (C's integer operators but assignments and bits),
 * the unquoted results split at IFS's characters (POSIX 2.6.5); a field with an unquoted '*', '?'
 * or '[' (its own or an unquoted expansion's) is replaced by the paths it matches (sorted; itself
 * when none does). NAME=VALUE alone sets a shell variable (exported only by export); before a
 * program, it is in that program's environment only; before a builtin that is not special, or a
 * function, it holds while it runs. Builtins: cd [DIR] (HOME, else /), pwd, exit [N], export
 * NAME[=VALUE]..., unset NAME..., read [-r] NAME..., shift [N], break [N], continue [N], :, true,
 * false, exec [COMMAND...] (the shell's image replaced; alone, its redirections stay), wait
 * [PID...] (else every background child; a trapped signal ends it: 128 + its number), set
 * [-emx] [+emx] [-- ARG...], return [N], eval [ARG...], trap [ACTION] CONDITION... (trap.c),
 * jobs, fg [%JOB], bg [%JOB] (jobs.c). A login shell (-l) first runs /etc/profile. No ~USER. A
 * script ends at a syntax error (status 2). An interactive shell ignores SIGQUIT and, for
 * SIGINT, shows its prompt again; on its session's terminal it does job control (set -m,
 * jobs.c).
 *
 * Exit status: the last command's; 127 for a command not found, 126 for one that cannot be run,
 * 128+N for one killed by signal N (and a line on standard error saying so); 2 for a usage or
 * syntax error. A user program of mkh's /bin (user/apps/): plain C, runs unchanged under
 * qemu-riscv32 (whose execve runs its programs on the host). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sh.h"

int last_status;
pid_t last_background;
pid_t shell_pid;
int is_interactive;
int is_exit_requested;
int script_argc;
char** script_argv;

static int usage(void) {
  fprintf(stderr, "usage: sh [-l] [-c COMMANDS [NAME [ARG...]] | FILE [ARG...]]\n");
  return 2;
}

int main(int argc, char** argv) {
  shell_pid = getpid();
  traps_init();
  /* A login shell (-l, or a name starting with '-' as login(1) gives it) first runs the
   * lines of /etc/profile, when there is one. */
  int is_login = argc > 0 && argv[0][0] == '-';
  if (argc > 1 && !strcmp(argv[1], "-l")) {
    is_login = 1;
    argv[1] = argv[0]; /* the options after -l as if it were not there; $0 kept */
    argv++;
    argc--;
  }
  const int is_command = argc > 1 && !strcmp(argv[1], "-c");
  if (is_command ? argc < 3 : argc > 1 && argv[1][0] == '-') return usage();
  script_argc = 1; /* $0, the shell's name, while the profile runs */
  script_argv = argv;
  if (is_login) {
    struct source profile = {.file = fopen("/etc/profile", "r")};
    if (profile.file) {
      run_source(&profile);
      fclose(profile.file);
    }
    if (is_exit_requested) return run_exit_trap(last_status);
  }
  if (is_command) {
    script_argc = argc - 3;
    script_argv = argv + 3;
    if (script_argc == 0) { /* $0 is the shell's name */
      script_argc = 1;
      script_argv = argv;
    }
    struct source commands = {.string = argv[2]};
    run_source(&commands);
    return run_exit_trap(last_status);
  }
  struct source input = {.file = stdin};
  script_argc = argc > 1 ? argc - 1 : 1;
  script_argv = argc > 1 ? argv + 1 : argv;
  if (argc > 1 && (input.file = fopen(argv[1], "r")) == NULL) {
    fprintf(stderr, "sh: %s: %s\n", argv[1], strerror(errno));
    return 127;
  }
  is_interactive = input.file == stdin && isatty(0);
  input.prompt = is_interactive;
  if (is_interactive) {
    /* The prompts, as dash sets them unless the environment did. */
    if (!variable_get("PS1")) variable_set("PS1", "$ ", 0);
    if (!variable_get("PS2")) variable_set("PS2", "> ", 0);
    set_interrupts(SIG_IGN);
    trap_interrupt_at_prompt();
    if (tcgetpgrp(0) >= 0) job_control_set(1); /* its session's terminal */
  }
  run_source(&input);
  if (input.file != stdin) fclose(input.file);
  return run_exit_trap(last_status);
}
