/* sh: the builtins, run in the shell itself (run.c says when). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sh.h"

/* The builtins, with what `help` says of them; `special`: one of POSIX's special builtins
 * (2.14), before which assignments stay. */
static const struct {
  const char* name;
  int special;
  const char* usage;
} kBuiltins[] = {
    {":", 1, ": [ARG...]: nothing; status 0"},
    {".", 1, ". FILE: FILE's commands run in this shell (a FILE without a slash found in PATH)"},
    {"alias", 0, "alias [NAME[=VALUE]...]: NAME stands for VALUE where a command starts; alone, the aliases"},
    {"bg", 0, "bg [%JOB]: a stopped job goes on in the background"},
    {"break", 1, "break [N]: out of the N innermost loops"},
    {"cd", 0, "cd [DIR | -]: the working folder becomes DIR, HOME without one, the last one with -"},
    {"command", 0, "command [-v | -V] NAME [ARG...]: NAME run as a builtin or a program; -v, -V: what it is"},
    {"continue", 1, "continue [N]: the next round of the Nth innermost loop"},
    {"eval", 1, "eval [ARG...]: the arguments, joined by spaces, run as commands"},
    {"exec", 1, "exec [COMMAND [ARG...]]: COMMAND replaces the shell; alone, its redirections stay"},
    {"exit", 1, "exit [N]: the shell ends with status N (the last command's without)"},
    {"export", 1, "export NAME[=VALUE]...: the variables given to the commands the shell runs"},
    {"false", 0, "false: status 1"},
    {"fg", 0, "fg [%JOB]: a job in the foreground"},
    {"help", 0, "help [NAME...]: the builtins, or what NAME does"},
    {"history", 0, "history: the lines edited at the prompt"},
    {"jobs", 0, "jobs: the jobs running and stopped"},
    {"pwd", 0, "pwd: the working folder"},
    {"read", 0, "read [-r] NAME...: a line of input, split into the NAMEs"},
    {"return", 1, "return [N]: a function or a . file ends with status N"},
    {"set", 1, "set [-ex] [+ex] [-- ARG...]: -e ends at a failure, -x shows each command; $1... set"},
    {"shift", 1, "shift [N]: $1... moved N places down"},
    {"source", 0, "source FILE: as . FILE"},
    {"trap", 1,
     "trap [ACTION SIGNAL...]: ACTION runs when SIGNAL comes ('' ignores it, - resets it); alone, the traps"},
    {"true", 0, "true: status 0"},
    {"type", 0, "type NAME...: what NAME is: a reserved word, a function, a builtin or a program"},
    {"umask", 0, "umask [-S] [MODE]: the mask of new files' modes, set (octal, or u=rwx,g-w) or shown"},
    {"unalias", 0, "unalias NAME... | -a: the aliases (-a: all) removed"},
    {"unset", 1, "unset NAME...: the variables removed"},
    {"wait", 0, "wait [PID...]: until those children (all without a PID) end"},
};

static int builtin_index(const char* name) {
  for (int i = 0; i < (int)(sizeof kBuiltins / sizeof kBuiltins[0]); i++)
    if (!strcmp(name, kBuiltins[i].name)) return i;
  return -1;
}

int is_special_builtin(const char* name) {
  const int i = builtin_index(name);
  return i >= 0 && kBuiltins[i].special;
}

/* Every builtin but exec, which run.c runs itself (it replaces the shell, or keeps redirections). */
int is_builtin(const char* name) { return builtin_index(name) >= 0 && strcmp(name, "exec") != 0; }

/* The aliases, in the order they were made. */
static struct alias {
  char* name;
  char* value;
} * aliases;
static int alias_count;

static int alias_index(const char* name) {
  for (int i = 0; i < alias_count; i++)
    if (!strcmp(aliases[i].name, name)) return i;
  return -1;
}

const char* alias_value(const char* name) {
  const int i = alias_index(name);
  return i >= 0 ? aliases[i].value : NULL;
}

static void alias_print(int i) {
  printf("%s=", aliases[i].name);
  print_quoted(aliases[i].value);
  putchar('\n');
}

/* An alias's name, as POSIX allows it: letters, digits and !%,@_ (and '-', '.', as dash). */
static int is_alias_name(const char* s, size_t n) {
  if (n == 0) return 0;
  for (size_t i = 0; i < n; i++)
    if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') ||
          strchr("!%,@_-.", s[i])))
      return 0;
  return 1;
}

/* alias [NAME[=VALUE]...]: each NAME=VALUE made (or changed), each NAME alone shown; every
 * alias shown without operands, as NAME='VALUE' (POSIX's form, which the shell reads again).
 * unalias NAME... or -a. Status 1 when a NAME is no alias (or not a name). */
static int alias_builtin(int argc, char** argv) {
  if (argc == 1)
    for (int i = 0; i < alias_count; i++) alias_print(i);
  int status = 0;
  for (int i = 1; i < argc; i++) {
    const char* equals = strchr(argv[i], '=');
    const int found = equals ? -1 : alias_index(argv[i]);
    if (!equals) {
      if (found >= 0) alias_print(found);
      else {
        fprintf(stderr, "sh: alias: %s: not found\n", argv[i]);
        status = 1;
      }
      continue;
    }
    if (!is_alias_name(argv[i], (size_t)(equals - argv[i]))) {
      fprintf(stderr, "sh: alias: %.*s: not a name\n", (int)(equals - argv[i]), argv[i]);
      status = 1;
      continue;
    }
    char* name = strndup(argv[i], (size_t)(equals - argv[i]));
    char* value = strdup(equals + 1);
    const int at = alias_index(name);
    if (at >= 0) {
      free(name);
      free(aliases[at].value);
      aliases[at].value = value;
    } else {
      aliases = grow(aliases, (size_t)(alias_count + 1) * sizeof *aliases);
      aliases[alias_count++] = (struct alias){name, value};
    }
  }
  return status;
}

static int unalias_builtin(int argc, char** argv) {
  if (argc == 2 && !strcmp(argv[1], "-a")) {
    for (int i = 0; i < alias_count; i++) free(aliases[i].name), free(aliases[i].value);
    alias_count = 0;
    return 0;
  }
  int status = 0;
  for (int i = 1; i < argc; i++) {
    const int at = alias_index(argv[i]);
    if (at < 0) {
      fprintf(stderr, "sh: unalias: %s: not found\n", argv[i]);
      status = 1;
      continue;
    }
    free(aliases[at].name);
    free(aliases[at].value);
    memmove(aliases + at, aliases + at + 1, (size_t)(alias_count - at - 1) * sizeof *aliases);
    alias_count--;
  }
  return status;
}

/* help [NAME...]: each NAME's line (1 when one is no builtin), every builtin's without one. */
static int help_builtin(int argc, char** argv) {
  if (argc == 1) {
    printf("The shell's builtins (`help NAME` for one; the programs are in /bin):\n");
    for (unsigned i = 0; i < sizeof kBuiltins / sizeof kBuiltins[0]; i++) printf("  %s\n", kBuiltins[i].usage);
    return 0;
  }
  int status = 0;
  for (int i = 1; i < argc; i++) {
    const int found = builtin_index(argv[i]);
    if (found >= 0) printf("%s\n", kBuiltins[found].usage);
    else {
      fprintf(stderr, "sh: help: no builtin is named %s\n", argv[i]);
      status = 1;
    }
  }
  return status;
}

/* The status `exit`, `break`, `continue`, `shift` take from their argument; -1 when it is not a
 * number. */
static long number_argument(const char* name, const char* argument, long otherwise) {
  if (!argument) return otherwise;
  char* end;
  const long n = strtol(argument, &end, 10);
  if (*argument == '\0' || *end != '\0' || n < 0) {
    fprintf(stderr, "sh: %s: %s: not a number\n", name, argument);
    return -1;
  }
  return n;
}

/* read [-r] NAME...: a line of standard input (a byte at a time, so that what follows the line
 * is left for the next reader), split at IFS's characters into the names, the last taking the
 * rest. A
 * backslash quotes the next character (a newline: the line goes on) unless -r. 1 at the end of
 * the input before a newline (the names set all the same). */
static int read_builtin(int argc, char** argv) {
  const int raw = argc > 1 && !strcmp(argv[1], "-r");
  char line[kLineBytes];
  unsigned char quoted[kLineBytes]; /* a byte a backslash quoted: no blank to split at */
  size_t n = 0;
  int got_newline = 0;
  for (char c; n + 1 < sizeof line;) {
    if (read(0, &c, 1) <= 0) break;
    if (c == '\\' && !raw) {
      if (read(0, &c, 1) <= 0) break;
      if (c == '\n') continue;
      quoted[n] = 1;
      line[n++] = c;
      continue;
    }
    if (c == '\n') {
      got_newline = 1;
      break;
    }
    quoted[n] = 0;
    line[n++] = c;
  }
  line[n] = '\0';
  const char* separators = ifs();
#define IS_SEPARATOR(k) (!quoted[k] && line[k] != '\0' && strchr(separators, line[k]))
#define IS_BLANK(k) (IS_SEPARATOR(k) && is_ifs_blank(line[k]))
  size_t at = 0;
  for (int i = 1 + raw; i < argc; i++) {
    while (at < n && IS_BLANK(at)) at++;
    const size_t start = at;
    size_t end = n;
    if (i + 1 < argc) { /* up to a separator; it, and the blanks around it, go */
      while (at < n && !IS_SEPARATOR(at)) at++;
      end = at;
      while (at < n && IS_BLANK(at)) at++;
      if (at < n && IS_SEPARATOR(at) && !IS_BLANK(at)) at++;
    } else { /* the rest, but for the blanks at its end */
      while (end > start && IS_BLANK(end - 1)) end--;
      at = n;
    }
#undef IS_SEPARATOR
#undef IS_BLANK
    const char saved = line[end];
    line[end] = '\0';
    const int failed = variable_set(argv[i], line + start, 0) < 0;
    line[end] = saved;
    if (failed) return 2;
  }
  return got_newline ? 0 : 1;
}

/* The reserved words (parse.c reads them where a command starts). */
static int is_reserved_word(const char* name) {
  static const char* const words[] = {"if",    "then",  "else", "elif", "fi", "do", "done", "case", "esac",
                                      "while", "until", "for",  "in",   "{",  "}",  "!",    "time"};
  for (unsigned i = 0; i < sizeof words / sizeof words[0]; i++)
    if (!strcmp(name, words[i])) return 1;
  return 0;
}

/* Where PATH ("/bin:/usr/bin" when unset, as execvp's) finds the program `name` (a name with a
 * slash is itself): a regular file, as dash looks (exec says whether it runs), written into
 * `path`; NULL when none. */
static const char* program_path(const char* name, char path[PATH_MAX]) {
  struct stat status;
  if (strchr(name, '/')) return stat(name, &status) == 0 && S_ISREG(status.st_mode) ? name : NULL;
  const char* search = variable_get("PATH");
  if (!search) search = "/bin:/usr/bin";
  for (const char* at = search;; at++) {
    const char* end = strchr(at, ':');
    if (!end) end = at + strlen(at);
    const int prefix = (int)(end - at);
    if ((size_t)snprintf(path, PATH_MAX, "%.*s%s%s", prefix, at, prefix ? "/" : "", name) < PATH_MAX &&
        stat(path, &status) == 0 && S_ISREG(status.st_mode))
      return path;
    at = end;
    if (*at == '\0') return NULL;
  }
}

/* . FILE (bash's source FILE): FILE's commands run in this shell, as a script's, and the shell
 * goes on; `return` ends them. A FILE without a slash is looked for in PATH's folders, then in
 * the working folder (bash's way outside its POSIX mode; dash looks in PATH only). The status is
 * the last command's; 2 when FILE cannot be read, and a shell that is not interactive ends, as
 * at a special builtin's error. */
static int dot_builtin(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "sh: %s: a file name is needed\n", argv[0]);
    return 2;
  }
  char path[PATH_MAX];
  const char* file = program_path(argv[1], path);
  struct source script = {.file = fopen(file ? file : argv[1], "r"), .nested = 1};
  if (!script.file) {
    fprintf(stderr, "sh: %s: %s: %s\n", argv[0], argv[1], strerror(errno));
    if (!is_interactive) is_exit_requested = 1;
    return 2;
  }
  struct saved_parser* saved = parse_push();
  last_status = 0;
  run_source(&script);
  parse_pop(saved);
  fclose(script.file);
  if (returning) {
    returning = 0;
    last_status = return_status;
  }
  return last_status;
}

/* command -v NAME... (what runs: the name, or the program's path), command -V NAME... and
 * type NAME... (in words): a reserved word, a function, a builtin or a program of PATH, in
 * that order, as a command runs them. 1 when one is none of them (-V and type say so). */
static int describe_builtin(int argc, char** argv) {
  int first = 1, verbose = 1;
  if (!strcmp(argv[0], "command")) {
    if (argc < 2 || (strcmp(argv[1], "-v") && strcmp(argv[1], "-V"))) {
      if (argc < 2) return 0; /* command alone runs nothing */
      fprintf(stderr, "sh: command: %s: not an option (-v, -V)\n", argv[1]);
      return 2;
    }
    first = 2;
    verbose = argv[1][1] == 'V';
  }
  int status = 0;
  for (int i = first; i < argc; i++) {
    const char* name = argv[i];
    char path[PATH_MAX];
    const char* program = NULL;
    if (is_reserved_word(name)) {
      printf(verbose ? "%s is a shell keyword\n" : "%s\n", name);
    } else if (is_function(name)) {
      printf(verbose ? "%s is a function\n" : "%s\n", name);
    } else if (is_builtin(name)) {
      printf(
          verbose ? is_special_builtin(name) ? "%s is a special shell builtin\n" : "%s is a shell builtin\n" : "%s\n",
          name);
    } else if ((program = program_path(name, path))) {
      if (verbose) printf("%s is %s\n", name, program);
      else printf("%s\n", program);
    } else {
      status = 1;
      if (verbose) fprintf(stderr, "sh: %s: %s: not found\n", argv[0], name);
    }
  }
  return status;
}

/* set [-emx] [+emx] [-- ARG...] (or ARG... after the options): -e ends the shell at a command
 * that fails (not in a condition, not before && or ||, not after !), -m is job control
 * (jobs.c), -x writes each simple command on stderr ("+ " and its words) before it runs; the
 * arguments become $1...; alone, the variables are written. */
static int set_builtin(int argc, char** argv) {
  int i = 1;
  for (; i < argc && (argv[i][0] == '-' || argv[i][0] == '+') && argv[i][1]; i++) {
    if (!strcmp(argv[i], "--")) {
      i++;
      break;
    }
    for (const char* option = argv[i] + 1; *option; option++) {
      if (*option != 'e' && *option != 'm' && *option != 'x') {
        fprintf(stderr, "sh: set: %c%c: not an option (-e, -m, -x)\n", argv[i][0], *option);
        return 2;
      }
      if (*option == 'm') job_control_set(argv[i][0] == '-');
      else *(*option == 'e' ? &errexit : &xtrace) = argv[i][0] == '-';
    }
  }
  if (argc == 1) {
    variables_print();
    return 0;
  }
  if (i == argc && strcmp(argv[i - 1], "--")) return 0; /* options alone: $1... kept */
  char** arguments = grow(NULL, (size_t)(argc - i + 2) * sizeof *arguments);
  arguments[0] = script_argv[0];
  for (int j = i; j < argc; j++) arguments[j - i + 1] = strdup(argv[j]);
  arguments[argc - i + 1] = NULL;
  script_argv = arguments; /* kept for good, as the strings: a few bytes a set */
  script_argc = argc - i + 1;
  return 0;
}

/* The builtins; -1 when argv[0] is none. */
/* The mask `mode` sets, from the mask `mask`: octal (at most 0777), or symbolic as chmod's
 * (POSIX's umask): clauses [ugoa]*([+-=]([rwx]*|[ugo]))+ separated by commas, each acting on
 * the permissions the mask leaves (no who: all three). -1 when it is neither. */
static long umask_of(const char* mode, mode_t mask) {
  if (*mode >= '0' && *mode <= '9') {
    char* end;
    const long octal = strtol(mode, &end, 8);
    return *end != '\0' || octal > 0777 ? -1 : octal;
  }
  unsigned allowed = ~(unsigned)mask & 0777;
  for (const char* at = mode;;) {
    unsigned who = 0;
    for (; *at && strchr("ugoa", *at); at++) who |= *at == 'u' ? 0700 : *at == 'g' ? 070 : *at == 'o' ? 07 : 0777;
    if (who == 0) who = 0777;
    if (!*at || !strchr("+-=", *at)) return -1; /* a clause needs an operator */
    while (*at && strchr("+-=", *at)) {
      const char op = *at++;
      unsigned bits = 0;
      if (*at && strchr("ugo", *at)) { /* a copy of one class's permissions */
        const unsigned shift = *at == 'u' ? 6 : *at == 'g' ? 3 : 0;
        bits = (allowed >> shift & 7) * 0111;
        at++;
      } else {
        for (; *at && strchr("rwx", *at); at++) bits |= (*at == 'r' ? 4u : *at == 'w' ? 2u : 1u) * 0111;
      }
      bits &= who;
      if (op == '+') allowed |= bits;
      else if (op == '-') allowed &= ~bits;
      else allowed = (allowed & ~who) | bits;
    }
    if (*at == '\0') break;
    if (*at++ != ',') return -1;
  }
  return (long)(~allowed & 0777);
}

/* umask [-S] [MODE]: the mask set, or shown (-S: symbolically). */
static int umask_builtin(int argc, char** argv) {
  const mode_t mask = umask(0);
  umask(mask);
  if (argc > 1 && strcmp(argv[1], "-S") != 0) {
    const long set = umask_of(argv[1], mask);
    if (set < 0) {
      fprintf(stderr, "sh: umask: %s: not a mode (octal, or as chmod's: u=rwx,g-w)\n", argv[1]);
      return 1;
    }
    umask((mode_t)set);
    return 0;
  }
  if (argc == 1) {
    printf("%04o\n", (unsigned)mask);
    return 0;
  }
  char shown[32];
  int at = 0;
  for (int who = 0; who < 3; who++) {
    at += sprintf(shown + at, "%s%c=", who ? "," : "", "ugo"[who]);
    for (int bit = 0; bit < 3; bit++)
      if (!(mask & (0400 >> (3 * who + bit)))) shown[at++] = "rwx"[bit];
  }
  shown[at] = '\0';
  printf("%s\n", shown);
  return 0;
}

int builtin(int argc, char** argv) {
  const char* name = argv[0];
  if (!strcmp(name, ":") || !strcmp(name, "true")) return 0;
  if (!strcmp(name, "false")) return 1;
  if (!strcmp(name, "cd")) { /* cd [DIR | -]: HOME without DIR, OLDPWD for -, which it prints */
    const char* home = variable_get("HOME");
    const int back = argc > 1 && !strcmp(argv[1], "-");
    const char* to = back ? variable_get("OLDPWD") : argc > 1 ? argv[1] : home && *home ? home : "/";
    if (!to) {
      fprintf(stderr, "sh: cd: OLDPWD not set\n");
      return 1;
    }
    char before[PATH_MAX], path[PATH_MAX];
    const int had = getcwd(before, sizeof before) != NULL;
    if (chdir(to) != 0) {
      fprintf(stderr, "sh: cd: %s: %s\n", to, strerror(errno));
      return 1;
    }
    if (!getcwd(path, sizeof path)) return 1;
    if (back) printf("%s\n", path);
    return (had && variable_set("OLDPWD", before, 1) < 0) || variable_set("PWD", path, 1) < 0;
  }
  if (!strcmp(name, "umask")) return umask_builtin(argc, argv);
  if (!strcmp(name, "pwd")) {
    char path[1024];
    if (getcwd(path, sizeof path) == NULL) {
      fprintf(stderr, "sh: pwd: %s\n", strerror(errno));
      return 1;
    }
    printf("%s\n", path);
    return 0;
  }
  if (!strcmp(name, "exit")) {
    const long status = number_argument(name, argv[1], last_status);
    is_exit_requested = 1;
    return status < 0 ? 2 : (int)(status & 0xff);
  }
  if (!strcmp(name, "break") || !strcmp(name, "continue")) {
    const long n = number_argument(name, argv[1], 1);
    if (n <= 0) return n == 0 ? (fprintf(stderr, "sh: %s: 0: not a loop count\n", name), 1) : 2;
    if (loop_depth == 0) return 0; /* outside a loop: nothing to do, as in other shells */
    breaking = (int)(n > loop_depth ? loop_depth : n);
    if (name[0] == 'c') { /* the last loop broken out of goes on instead */
      breaking--;
      continuing = 1;
    }
    return 0;
  }
  if (!strcmp(name, "set")) return set_builtin(argc, argv);
  if (!strcmp(name, "shift")) {
    const long n = number_argument(name, argv[1], 1);
    if (n < 0 || n > script_argc - 1) {
      if (n >= 0) fprintf(stderr, "sh: shift: %ld: more than the %d arguments\n", n, script_argc - 1);
      return 1;
    }
    script_argv[n] = script_argv[0];
    script_argv += n;
    script_argc -= (int)n;
    return 0;
  }
  if (!strcmp(name, "export") || !strcmp(name, "unset")) {
    int status = 0;
    for (int i = 1; i < argc; i++) {
      char* equals = strchr(argv[i], '=');
      if (name[0] == 'u') {
        variable_unset(argv[i]);
        continue;
      }
      if (equals) *equals = '\0';
      if (variable_set(argv[i], equals ? equals + 1 : NULL, 1) < 0) status = 1;
      if (equals) *equals = '=';
    }
    return status;
  }
  if (!strcmp(name, "return")) {
    const long status = number_argument(name, argv[1], last_status);
    if (status < 0) return 2;
    returning = 1; /* outside a function: the script's commands end, as in dash */
    return_status = (int)(status & 0xff);
    return return_status;
  }
  if (!strcmp(name, "read")) return read_builtin(argc, argv);
  if (!strcmp(name, "help")) return help_builtin(argc, argv);
  if (!strcmp(name, "alias")) return alias_builtin(argc, argv);
  if (!strcmp(name, "unalias")) return unalias_builtin(argc, argv);
  if (!strcmp(name, ".") || !strcmp(name, "source")) return dot_builtin(argc, argv);
  if (!strcmp(name, "command") || !strcmp(name, "type")) return describe_builtin(argc, argv);
  if (!strcmp(name, "jobs") || !strcmp(name, "fg") || !strcmp(name, "bg")) return jobs_builtin(argc, argv);
  if (!strcmp(name, "trap")) return trap_builtin(argc, argv);
  if (!strcmp(name, "history")) { /* the lines edited at the prompt */
    history_list();
    return 0;
  }
  if (!strcmp(name, "eval")) { /* its arguments joined by spaces, run as commands */
    size_t length = 1;
    for (int i = 1; i < argc; i++) length += strlen(argv[i]) + 1;
    char* commands = grow(NULL, length);
    commands[0] = '\0';
    for (int i = 1; i < argc; i++) {
      if (i > 1) strcat(commands, " ");
      strcat(commands, argv[i]);
    }
    last_status = 0;
    const int status = run_string(commands);
    free(commands);
    return status;
  }
  if (!strcmp(name, "wait")) { /* wait [PID...]: those (the last's status), else every child; a
                                  trapped signal ends it: 128 + its number */
    int status = 0, trapped = 0;
    run_traps(); /* those of signals that came before: only one that comes while it waits ends it */
    for (int i = 1; i < argc; i++) {
      char* end;
      const long pid = strtol(argv[i], &end, 10);
      if (*argv[i] == '\0' || *end != '\0' || pid <= 0) {
        fprintf(stderr, "sh: wait: %s: not a pid\n", argv[i]);
        return 2;
      }
      int raw;
      const pid_t got = take_reaped((pid_t)pid, &raw) ? (pid_t)pid : trap_wait((pid_t)pid, &raw, &trapped);
      if (got == 0) return 128 + trapped;
      if (got == pid) job_note(got, raw, 0); /* said by status_of */
      status = got == pid ? status_of((pid_t)pid, raw, argv[i]) : 127;
    }
    if (argc > 1) return status;
    pid_t pid;
    while ((pid = trap_wait(-1, &status, &trapped)) > 0)
      if (!job_note(pid, status, 1)) status_of(pid, status, NULL);
    if (pid == 0) return 128 + trapped;
    forget_reaped();
    return 0;
  }
  return -1;
}
