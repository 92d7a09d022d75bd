/* sh: running the trees parse.c makes: lists, and-or lists, pipelines (a child per command,
 * each forked on the next cluster of the machine under mkh), compound commands, functions,
 * simple commands (builtins in the shell, programs by execvp), redirections and
 * here-documents, command substitutions, and the input's commands one after the other. */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mkh.h"
#include "sh.h"

/* The last command substitution's status; -1 when none ran since its command began. */
static int substitution_status = -1;
static int in_background;        /* the children being forked are a background job's */
static struct job* starting_job; /* the job the children being forked are in (job control) */
static int condition_depth;      /* where set -e is ignored: conditions (if, while, until) and more */
int loop_depth, breaking, continuing, returning, return_status, errexit, xtrace;

/* Whether the commands still to run of a list are to be skipped. */
static int is_leaving(void) { return is_exit_requested || breaking || continuing || returning; }

/* Writes out what the standard streams buffer (picolibc's fflush takes no NULL). */
static void flush_output(void) {
  fflush(stdout);
  fflush(stderr);
}

/* ---- Children ---------------------------------------------------------------------------- */

int status_of(pid_t pid, int status, const char* name) {
  char background[32];
  snprintf(background, sizeof background, "[%d]", (int)pid);
  if (WIFEXITED(status)) {
    if (!name && is_interactive) fprintf(stderr, "sh: %s exit %d\n", background, WEXITSTATUS(status));
    return WEXITSTATUS(status);
  }
  const int signal_number = mkh_linux_signal(WTERMSIG(status));
  /* A pipeline's writer whose reader went first, a command the terminal's interrupt ended: no
   * news, as in bash. */
  if (WTERMSIG(status) != SIGPIPE && WTERMSIG(status) != SIGINT)
    fprintf(stderr, "sh: %s: killed by signal %d (%s)\n", name ? name : background, signal_number,
            strsignal(WTERMSIG(status)));
  return 128 + signal_number;
}

/* Without job control, the children reaped while the shell waited for another one, or made
 * room to fork: their statuses until `wait PID` or the wait of a pipeline asks for them, as
 * dash's job table keeps them (with job control, the job table keeps them). The oldest go
 * when the list is full. `told`: an interactive shell said how it ended. */
enum { kMaxReaped = 64 };
static struct reaped {
  pid_t pid;
  int status;
  int told;
} reaped[kMaxReaped];
static int reaped_count;

static void remember_child(pid_t pid, int status) {
  if (reaped_count == kMaxReaped) memmove(reaped, reaped + 1, sizeof reaped[0] * --reaped_count);
  reaped[reaped_count++] = (struct reaped){pid, status, 0};
}

int take_reaped(pid_t pid, int* status) {
  for (int i = 0; i < reaped_count; i++)
    if (reaped[i].pid == pid) {
      *status = reaped[i].status;
      reaped_count--;
      memmove(reaped + i, reaped + i + 1, sizeof reaped[0] * (reaped_count - i));
      return 1;
    }
  return 0;
}

void forget_reaped(void) {
  for (int i = 0; i < reaped_count; i++)
    if (!reaped[i].told) status_of(reaped[i].pid, reaped[i].status, NULL);
  reaped_count = 0;
}

/* Without job control: reaps the children that ended, remembered, without waiting. */
static void collect_ended(void) {
  int status;
  pid_t pid;
  while ((pid = waitpid(-1, &status, WNOHANG)) > 0) remember_child(pid, status);
}

void reap_background(void) {
  if (job_control) {
    jobs_notify();
    return;
  }
  collect_ended();
  for (int i = 0; i < reaped_count; i++)
    if (!reaped[i].told) {
      status_of(reaped[i].pid, reaped[i].status, NULL);
      reaped[i].told = 1;
    }
}

/* Waits for `pid`; its status as status_of gives it, 1 when the wait fails. Without job
 * control, the other children that end meanwhile are reaped and remembered, as dash's wait
 * for a foreground job reaps them: a script's background commands leave no zombies behind. */
static int wait_for(pid_t pid, const char* name) {
  int status;
  if (!job_control && take_reaped(pid, &status)) return status_of(pid, status, name);
  for (;;) {
    const pid_t got = waitpid(job_control ? pid : -1, &status, 0);
    if (got == pid) break;
    if (got > 0) {
      remember_child(got, status);
    } else if (errno != EINTR) {
      fprintf(stderr, "sh: wait: %s\n", strerror(errno));
      return 1;
    }
  }
  return status_of(pid, status, name);
}

/* SIGINT's and SIGQUIT's disposition: an interactive shell ignores them (the interrupt of
 * its terminal, which reaches the terminal's foreground group, ends the command it runs, not
 * itself); its commands take them back, but those it runs in the background ignore them
 * without job control, as POSIX asks (with it, they are not in the foreground group). */
void set_interrupts(void (*disposition)(int)) {
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_handler = disposition;
  sigaction(SIGINT, &action, NULL);
  sigaction(SIGQUIT, &action, NULL);
}

/* fork, the child on the next cluster of the machine in turn (mkh's place_fork; a no-op under
 * another kernel): a session's commands, and a pipeline's, spread over the clusters. The
 * child takes its interrupts as set_interrupts says. */
static pid_t fork_child(void) {
  mkh_place_next_fork();
  flush_output(); /* nothing buffered is printed twice */
  pid_t pid = fork();
  if (pid < 0 && errno == EAGAIN) { /* the table of children may be full of ended ones */
    if (job_control) jobs_notify();
    else collect_ended();
    pid = fork();
  }
  if (pid < 0) fprintf(stderr, "sh: fork: %s\n", strerror(errno));
  if (pid == 0) {
    struct job* job = starting_job;
    starting_job = NULL; /* the child's own children are in its group */
    reaped_count = 0;    /* and the children reaped were its parent's */
    traps_reset_in_child();
    job_enter(job);
    if (in_background && !job) set_interrupts(SIG_IGN);
    else if (is_interactive) set_interrupts(SIG_DFL);
    is_interactive = 0; /* a child reports nothing of its own children's ends */
  }
  job_forked(starting_job, pid);
  return pid;
}

/* ---- Redirections ------------------------------------------------------------------------ */

/* Makes descriptor `from` (none when negative) descriptor `to`. */
static void move_fd(int from, int to) {
  if (from < 0 || from == to) return;
  dup2(from, to);
  close(from);
}

/* Descriptors a redirection of the shell itself moved, to put back after the command. */
struct saved_fds {
  int fd[10]; /* the descriptor's copy, -1 if it was closed, -2 if untouched */
  /* The children writing a here-document the command reads (one longer than a pipe holds):
   * waited for once the descriptors are put back (their reader gone, they end). */
  pid_t writers[10];
  int writer_count;
};

static void save_fd(struct saved_fds* saved, int fd) {
  if (!saved || saved->fd[fd] != -2) return;
  const int copy = fcntl(fd, F_DUPFD, 10);
  if (copy >= 0) fcntl(copy, F_SETFD, FD_CLOEXEC);
  saved->fd[fd] = copy;
}

static void restore_fds(struct saved_fds* saved) {
  flush_output();
  for (int fd = 0; fd < 10; fd++) {
    if (saved->fd[fd] == -2) continue;
    if (saved->fd[fd] < 0) {
      close(fd);
    } else {
      dup2(saved->fd[fd], fd);
      close(saved->fd[fd]);
    }
  }
  for (; saved->writer_count > 0; saved->writer_count--) waitpid(saved->writers[saved->writer_count - 1], NULL, 0);
}

/* Makes descriptor r->fd read the here-document of `r`: a pipe holding its lines, written by
 * the shell when they fit in a pipe, else by a child (in `saved` when the shell itself reads
 * it, for restore_fds to wait for). 0, or -1 with a message. */
static int here_document(const struct redirection* r, struct saved_fds* saved) {
  char* body = r->here_expands ? expand_here(r->here) : strdup(r->here);
  int fds[2];
  if (!body || pipe(fds) != 0) {
    if (body) fprintf(stderr, "sh: pipe: %s\n", strerror(errno));
    free(body);
    return -1;
  }
  const size_t length = strlen(body);
  enum { kPipeFits = 32768 }; /* less than a pipe holds, under mkh (60 KiB) and Linux (64) */
  pid_t writer = 0;
  if (length > kPipeFits && (writer = fork_child()) < 0) {
    free(body);
    close(fds[0]);
    close(fds[1]);
    return -1;
  }
  if (writer == 0) {
    if (length > kPipeFits) close(fds[0]); /* the writer: its reader gone, a write ends it */
    for (size_t done = 0; done < length;) {
      const ssize_t wrote = write(fds[1], body + done, length - done);
      if (wrote <= 0) break;
      done += (size_t)wrote;
    }
    if (length > kPipeFits) _exit(0);
  }
  free(body);
  close(fds[1]);
  if (writer > 0 && saved && saved->writer_count < 10) saved->writers[saved->writer_count++] = writer;
  move_fd(fds[0], r->fd);
  return 0;
}

/* Applies `r` in order (as sh does: `2>&1 > f` and `> f 2>&1` differ), each descriptor's first
 * state kept in `saved` when it is not NULL; 0, or -1 with a message. */
static int apply_redirections(const struct redirection* r, struct saved_fds* saved) {
  if (saved) {
    flush_output();
    for (int fd = 0; fd < 10; fd++) saved->fd[fd] = -2;
    saved->writer_count = 0;
  }
  for (; r; r = r->next) {
    if (r->here) {
      save_fd(saved, r->fd);
      if (here_document(r, saved) < 0) return -1;
      continue;
    }
    char* target = expand_string(r->target);
    if (!target) return -1;
    save_fd(saved, r->fd);
    int failed = 0;
    if (r->is_copy && !strcmp(target, "-")) {
      close(r->fd);
    } else if (r->is_copy) {
      char* end;
      const long from = strtol(target, &end, 10);
      if (*target == '\0' || *end != '\0' || from < 0 || from > 9) {
        fprintf(stderr, "sh: %s: not a descriptor\n", target);
        failed = 1;
      } else if (from != r->fd && dup2((int)from, r->fd) < 0) {
        fprintf(stderr, "sh: %ld: %s\n", from, strerror(errno));
        failed = 1;
      }
    } else {
      const int opened = open(target, r->flags, 0666);
      if (opened < 0 || (opened != r->fd && dup2(opened, r->fd) < 0)) {
        fprintf(stderr, "sh: %s: %s\n", target, strerror(errno));
        failed = 1;
      }
      if (opened >= 0 && opened != r->fd) close(opened);
    }
    free(target);
    if (failed) return -1;
  }
  return 0;
}

/* ---- Commands ---------------------------------------------------------------------------- */

static int run_list(struct node* list);
static int run_and_or(struct node* and_or);

/* Runs argv in this process (a command's child, and the builtin exec). */
static void exec_command(char** argv, char** assignments, int assignment_count) {
  execvpe(argv[0], argv, environment_for(assignments, assignment_count));
  const int error = errno;
  fprintf(stderr, "sh: %s: %s\n", argv[0], error == ENOENT ? "not found" : strerror(error));
  fflush(stderr);
  _exit(error == ENOENT ? 127 : 126);
}

/* Runs what the command's own process runs, then ends it with its status. */
static _Noreturn void end_child(int status) {
  status = run_exit_trap(status); /* one the child shell set itself */
  flush_output();
  _exit(status);
}

/* ---- Functions -------------------------------------------------------------------------- */

struct function {
  const char* name;
  struct node* body; /* kept for good by parse_keep */
  struct function* next;
};

static struct function* functions;

static struct function* function_named(const char* name) {
  struct function* f = functions;
  while (f && strcmp(f->name, name)) f = f->next;
  return f;
}

int is_function(const char* name) { return function_named(name) != NULL; }

static int define_function(struct node* n) {
  struct function* f = function_named(n->name);
  if (!f) {
    f = calloc(1, sizeof *f);
    if (!f) return 1;
    f->next = functions;
    functions = f;
  }
  f->name = n->name;
  f->body = n->a;
  parse_keep(); /* the tree this definition is in outlives its command */
  return 0;
}

static int run_command(struct node* n, int in_child);

/* A function's call: its body run in the shell with the arguments as $1..., $0 kept; return
 * ends it, break and continue do not reach the caller's loops. */
static int call_function(const struct function* f, int argc, char** argv, int in_child) {
  enum { kMaxCalls = 300 }; /* each a few KiB of the user stack */
  static int calls;
  if (calls == kMaxCalls) {
    fprintf(stderr, "sh: %s: more than %d calls in one another\n", argv[0], kMaxCalls);
    return 2;
  }
  const int outer_argc = script_argc, outer_depth = loop_depth;
  char** const outer_argv = script_argv;
  char** arguments = grow(NULL, (size_t)(argc + 1) * sizeof *arguments);
  arguments[0] = outer_argv[0];
  for (int i = 1; i <= argc; i++) arguments[i] = argv[i];
  script_argc = argc;
  script_argv = arguments;
  loop_depth = 0;
  calls++;
  int status = run_command(f->body, in_child);
  calls--;
  if (returning) {
    returning = 0;
    status = return_status;
  }
  breaking = continuing = 0;
  loop_depth = outer_depth;
  free(arguments); /* nothing refers to them once $1... are the caller's again */
  script_argc = outer_argc;
  script_argv = outer_argv;
  return status;
}

/* A simple command. `in_child`: this process is the command's own (a pipeline's child), so a
 * program replaces it without another fork. */
static int run_simple(struct node* n, int in_child) {
  struct fields args = {.argc = 0};
  char* assignments[kMaxWords];
  int assignment_count = 0, status = 0;
  substitution_status = -1;
  for (struct word* w = n->words; w && status == 0; w = w->next) status = expand_fields(w->raw, &args);
  if (status == 0 && args.argc > 0 && !strcmp(args.argv[0], "kill")) status = jobs_kill_arguments(&args);
  for (struct word* w = n->assignments; w && status == 0; w = w->next) {
    const size_t name_length = (size_t)(strchr(w->raw, '=') - w->raw);
    char* value = expand_string(w->raw + name_length + 1);
    char* assignment = value ? malloc(name_length + strlen(value) + 2) : NULL;
    if (!assignment) {
      status = -1;
    } else if (args.argc == 0) { /* set at once: the next one's value may use it */
      assignment[name_length] = '\0';
      memcpy(assignment, w->raw, name_length);
      if (variable_set(assignment, value, 0) < 0) status = -1;
      free(assignment);
    } else {
      sprintf(assignment, "%.*s=%s", (int)name_length, w->raw, value);
      assignments[assignment_count++] = assignment;
    }
    free(value);
  }
  char** argv = args.argv;
  if (xtrace && status == 0) {
    fputs("+", stderr);
    for (struct word* w = n->assignments; w && args.argc == 0; w = w->next) { /* set already */
      const int name_length = (int)(strchr(w->raw, '=') - w->raw);
      char name[256];
      snprintf(name, sizeof name, "%.*s", name_length, w->raw);
      fprintf(stderr, " %s=%s", name, variable_get(name));
    }
    for (int i = 0; i < assignment_count; i++) fprintf(stderr, " %s", assignments[i]);
    for (int i = 0; i < args.argc; i++) fprintf(stderr, " %s", argv[i]);
    fputs("\n", stderr);
  }
  /* command NAME [ARG...]: NAME run as a builtin or a program, never as a function. */
  int argc = args.argc, functions_too = 1;
  while (argc > 1 && !strcmp(argv[0], "command") && argv[1][0] != '-') {
    argv++;
    argc--;
    functions_too = 0;
  }
  struct function* function = argc > 0 && functions_too ? function_named(argv[0]) : NULL;
  struct saved_fds saved;
  if (status != 0) {
    status = 1;
  } else if (argc == 0 || function || is_builtin(argv[0]) || (!strcmp(argv[0], "exec") && argc == 1)) {
    /* In the shell: assignments before a special builtin set its variables, before another
     * builtin or a function they hold while it runs (alone, they were set as they were
     * expanded); its redirections hold while the builtin runs (exec alone: from now on). */
    char* previous[kMaxWords]; /* the variables' values before (NULL: unset) */
    const int temporary = argc > 0 && !is_special_builtin(argv[0]);
    for (int i = 0; i < assignment_count && status == 0; i++) {
      char* equals = strchr(assignments[i], '=');
      *equals = '\0';
      const char* before = variable_get(assignments[i]);
      previous[i] = temporary && before ? strdup(before) : NULL;
      if (variable_set(assignments[i], equals + 1, 0) < 0) status = 1;
      *equals = '=';
    }
    const int keeps = in_child || (argc == 1 && !strcmp(argv[0], "exec"));
    if (status == 0) {
      if (apply_redirections(n->redirections, keeps ? NULL : &saved) < 0) status = 1;
      else if (function) status = call_function(function, argc, argv, in_child);
      else if (argc > 0 && strcmp(argv[0], "exec")) status = builtin(argc, argv);
      else if (argc == 0 && substitution_status >= 0) status = substitution_status; /* x=$(cmd) */
      if (!keeps) restore_fds(&saved);
    }
    for (int i = 0; i < assignment_count && temporary; i++) {
      *strchr(assignments[i], '=') = '\0';
      if (previous[i]) variable_set(assignments[i], previous[i], 0);
      else variable_unset(assignments[i]);
      free(previous[i]);
    }
  } else if (!strcmp(argv[0], "exec") || in_child) {
    if (apply_redirections(n->redirections, NULL) < 0) {
      status = 1;
    } else {
      exec_command(argv + !strcmp(argv[0], "exec"), assignments, assignment_count);
    }
  } else {
    struct job* job = starting_job = job_start(n, 0);
    const pid_t pid = fork_child();
    starting_job = NULL;
    if (pid == 0) {
      if (apply_redirections(n->redirections, NULL) < 0) end_child(1);
      exec_command(argv, assignments, assignment_count);
    }
    status = job ? job_wait(job) : pid < 0 ? 1 : wait_for(pid, argv[0]);
  }
  fields_free(&args);
  for (int i = 0; i < assignment_count; i++) free(assignments[i]);
  return status;
}

/* A condition's list (if, while, until): set -e does not end the shell in it. */
static int run_condition(struct node* list) {
  condition_depth++;
  const int status = run_list(list);
  condition_depth--;
  return status;
}

/* The end of a loop's turn: 1 when the loop ends (a break for it or for a loop around it). */
static int loop_ends(void) {
  if (is_exit_requested || returning) return 1;
  if (breaking > 0) {
    breaking--;
    return 1;
  }
  continuing = 0;
  return 0;
}

static int run_compound(struct node* n, int in_child) {
  int status = 0;
  switch (n->kind) {
    case kIf:
      if (run_condition(n->a) == 0 && !is_leaving()) return run_list(n->b);
      if (is_leaving() || !n->c) return 0;
      return n->c->kind == kIf ? run_compound(n->c, in_child) : run_list(n->c);
    case kWhile:
    case kUntil:
      loop_depth++;
      for (;;) {
        const int condition = run_condition(n->a);
        if (is_leaving()) {
          if (loop_ends()) break;
          continue;
        }
        if ((condition == 0) != (n->kind == kWhile)) break;
        status = run_list(n->b);
        if (is_leaving() && loop_ends()) break;
      }
      loop_depth--;
      return status;
    case kFor: {
      struct fields values = {.argc = 0};
      for (struct word* w = n->words; w; w = w->next)
        if (expand_fields(w->raw, &values) < 0) {
          fields_free(&values);
          return 1;
        }
      if (!n->has_list)
        for (int i = 1; i < script_argc && values.argc < kMaxWords; i++)
          values.argv[values.argc++] = strdup(script_argv[i]);
      loop_depth++;
      for (int i = 0; i < values.argc; i++) {
        if (variable_set(n->name, values.argv[i], 0) < 0) {
          status = 1;
          break;
        }
        status = run_list(n->b);
        if (is_leaving() && loop_ends()) break;
      }
      loop_depth--;
      fields_free(&values);
      return status;
    }
    case kCase: {
      char* subject = expand_string(n->words->raw);
      if (!subject) return 1;
      for (struct node* item = n->a; item; item = item->next)
        for (struct word* w = item->words; w; w = w->next) {
          char* pattern = expand_pattern(w->raw);
          const int matched = pattern && fnmatch(pattern, subject, 0) == 0;
          free(pattern);
          if (matched) {
            free(subject);
            return item->a ? run_list(item->a) : 0;
          }
        }
      free(subject);
      return 0;
    }
    case kGroup: return run_list(n->a);
    case kSubshell: {
      if (in_child) return run_list(n->a);
      struct job* job = starting_job = job_start(n, 0);
      const pid_t pid = fork_child();
      starting_job = NULL;
      if (pid == 0) end_child(run_list(n->a));
      return job ? job_wait(job) : pid < 0 ? 1 : wait_for(pid, "sh");
    }
    default: return 1;
  }
}

static int run_command(struct node* n, int in_child) {
  if (n->kind == kSimple) return run_simple(n, in_child);
  if (n->kind == kFunction) return define_function(n);
  struct saved_fds saved;
  int status = apply_redirections(n->redirections, in_child ? NULL : &saved) < 0 ? 1 : run_compound(n, in_child);
  if (!in_child) restore_fds(&saved);
  return status;
}

/* A command's name, for the line that says a signal ended it. */
static const char* name_of(const struct node* n) { return n->kind == kSimple && n->words ? n->words->raw : "sh"; }

/* What `time` shows, in microseconds: the monotonic clock, and the user and system CPU time of
 * the shell and of its children waited for. */
struct times_taken {
  long long real, user, sys;
};

static long long microseconds(struct timeval time) { return (long long)time.tv_sec * 1000000 + time.tv_usec; }

static struct times_taken times_now(void) {
  struct timespec now = {0, 0};
  struct rusage self = {0}, children = {0};
  clock_gettime(CLOCK_MONOTONIC, &now);
  getrusage(RUSAGE_SELF, &self);
  getrusage(RUSAGE_CHILDREN, &children);
  return (struct times_taken){.real = (long long)now.tv_sec * 1000000 + now.tv_nsec / 1000,
                              .user = microseconds(self.ru_utime) + microseconds(children.ru_utime),
                              .sys = microseconds(self.ru_stime) + microseconds(children.ru_stime)};
}

/* One of the times as bash writes it ("0m1.250s"), or as POSIX's time -p ("1.25"). */
static void print_time(const char* name, long long us, int posix) {
  if (posix) fprintf(stderr, "%s %lld.%02lld\n", name, us / 1000000, us % 1000000 / 10000);
  else fprintf(stderr, "%s\t%lldm%lld.%03llds\n", name, us / 60000000, us / 1000000 % 60, us % 1000000 / 1000);
}

/* The times the pipeline took since `start`, on stderr. */
static void report_times(struct times_taken start, int posix) {
  const struct times_taken end = times_now();
  flush_output();
  if (!posix) fputc('\n', stderr);
  print_time("real", end.real - start.real, posix);
  print_time("user", end.user - start.user, posix);
  print_time("sys", end.sys - start.sys, posix);
}

static int run_pipeline_untimed(struct node* p, int background);

/* Runs a pipeline, and when it is timed (and not in the background) writes the times it took:
 * the wall clock's, and the CPU time of the shell and of the children it waited for. */
static int run_pipeline(struct node* p, int background) {
  if (!p->timed || background) return run_pipeline_untimed(p, background);
  const struct times_taken start = times_now();
  const int status = run_pipeline_untimed(p, background);
  report_times(start, p->timed == 2);
  return status;
}

/* Runs a pipeline: a command alone in the shell (a builtin there, a program in a child), or
 * every command in a child whose stdout is the next one's stdin (its own redirections apply
 * after); the status is the last command's. In the background, no command runs in the shell
 * and none is waited for. */
static int run_pipeline_untimed(struct node* p, int background) {
  int status;
  if (p->count == 0) return 0; /* `time` alone */
  if (p->count == 1 && !background) {
    status = run_command(p->a, 0);
  } else {
    pid_t pids[kMaxPipeline];
    int started = 0, input = -1;
    in_background = background;
    struct job* job = starting_job = job_start(p, background);
    for (struct node* c = p->a; c; c = c->next, started++) {
      int fds[2] = {-1, -1};
      if (c->next && pipe(fds) != 0) {
        fprintf(stderr, "sh: pipe: %s\n", strerror(errno));
        break;
      }
      const pid_t pid = fork_child();
      if (pid == 0) {
        if (fds[0] >= 0) close(fds[0]); /* the next command's end, first: it may be 0 or 1 */
        move_fd(input, 0);
        move_fd(fds[1], 1);
        end_child(run_command(c, 1));
      }
      if (input >= 0) close(input);
      if (fds[1] >= 0) close(fds[1]);
      input = fds[0];
      if (pid < 0) break;
      pids[started] = pid;
    }
    if (input >= 0) close(input); /* the last command started sees the end of its output's reader */
    in_background = 0;
    starting_job = NULL;
    if (background) {
      if (started > 0) last_background = pids[started - 1];
      if (job && started > 0) job_background(job);
      else if (job) job_wait(job); /* none started: the job goes */
      else if (started == p->count && is_interactive) fprintf(stderr, "sh: [%d]\n", (int)last_background);
      return started == p->count ? 0 : 1;
    }
    status = 1;
    struct node* c = p->a;
    if (job) status = job_wait(job);
    for (int i = 0; i < started && !job; i++, c = c->next) status = wait_for(pids[i], name_of(c));
    if (started < p->count) status = 1;
  }
  return p->negate ? status == 0 : status;
}

/* set -e (POSIX 2.14, set): a pipeline that fails ends the shell, but where -e is ignored
 * (a condition, a pipeline before && or ||, one after !, and everything they run) and for a
 * compound command other than ( ) whose status came from a failure -e ignored. */
static int failure_ignored; /* the last failure came where -e was ignored */

static int run_and_or(struct node* and_or) {
  for (struct node* p = and_or->a; p && !is_leaving(); p = p->next) {
    if ((p->after == kIfSuccess && last_status != 0) || (p->after == kIfFailure && last_status == 0)) continue;
    const int ignored = p->next || p->negate;
    condition_depth += ignored;
    last_status = run_pipeline(p, 0);
    condition_depth -= ignored;
    run_traps();
    const int compound = p->count == 1 && p->a->kind != kSimple && p->a->kind != kSubshell;
    if (last_status != 0 && errexit && !condition_depth && !ignored && !returning && !(compound && failure_ignored))
      is_exit_requested = 1;
    if (last_status != 0) failure_ignored = condition_depth || ignored || (compound && failure_ignored);
  }
  return last_status;
}

/* An and-or list ended by '&': a pipeline alone is forked as it is, more in a child shell. */
static int run_background(struct node* and_or) {
  if (!and_or->a->next) return run_pipeline(and_or->a, 1);
  in_background = 1;
  struct job* job = starting_job = job_start(and_or, 1);
  const pid_t pid = fork_child();
  in_background = 0;
  starting_job = NULL;
  if (pid == 0) {
    in_background = !job;
    end_child(run_and_or(and_or));
  }
  if (pid < 0) {
    if (job) job_wait(job); /* the job goes */
    return 1;
  }
  last_background = pid;
  if (job) job_background(job);
  else if (is_interactive) fprintf(stderr, "sh: [%d]\n", (int)pid);
  return 0;
}

static int run_list(struct node* list) {
  for (struct node* item = list->a; item && !is_leaving(); item = item->next)
    last_status = item->background ? run_background(item) : run_and_or(item);
  return last_status;
}

void run_source(struct source* source) {
  parse_begin(source);
  for (;;) {
    struct node* tree;
    const int parsed = parse_next(&tree);
    if (parsed == 0) break;
    if (parsed < 0) {
      last_status = 2;
      if (!source->prompt) { /* a script ends at a syntax error (POSIX 2.8.1), eval's too */
        if (source->nested && !is_interactive) is_exit_requested = 1;
        break;
      }
    } else if (tree) run_tree(tree);
    if (is_exit_requested || (source->nested && is_leaving())) break;
  }
  parse_free();
}

int run_string(const char* commands) {
  struct saved_parser* saved = parse_push();
  struct source source = {.string = commands, .nested = 1};
  run_source(&source);
  parse_pop(saved);
  return last_status;
}

char* command_output(const char* script, size_t length) {
  int fds[2];
  if (pipe(fds) != 0) {
    fprintf(stderr, "sh: pipe: %s\n", strerror(errno));
    return NULL;
  }
  const pid_t pid = fork_child();
  if (pid == 0) { /* the child shell: the script's commands, their output into the pipe */
    close(fds[0]);
    move_fd(fds[1], 1);
    char* commands = strndup(script, length);
    struct source source = {.string = commands};
    if (commands) run_source(&source);
    end_child(commands ? last_status : 1);
  }
  close(fds[1]);
  size_t used = 0, capacity = 256;
  char* output = grow(NULL, capacity);
  for (ssize_t got = 1; got > 0;) {
    if (used + 1 == capacity) output = grow(output, capacity *= 2);
    got = read(fds[0], output + used, capacity - used - 1);
    if (got > 0) used += (size_t)got;
  }
  close(fds[0]);
  if (pid < 0) {
    free(output);
    return NULL;
  }
  substitution_status = wait_for(pid, "sh");
  while (used > 0 && output[used - 1] == '\n') used--;
  output[used] = '\0';
  return output;
}

int run_tree(struct node* tree) {
  breaking = continuing = 0;
  return run_list(tree);
}
