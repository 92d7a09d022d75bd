/* sh: job control (set -m; on in an interactive shell whose standard input is its session's
 * terminal). Each job — a command the shell runs in a child, a pipeline, an and-or list in the
 * background — is a process group of its own, its first process's pid its id. The job in the
 * foreground has the terminal (tcsetpgrp) while the shell waits for it: the terminal's
 * interrupt, quit and suspend (Ctrl-C, Ctrl-\, Ctrl-Z) reach it alone. A job the suspend
 * stops goes into the jobs table, as every background job does; `jobs` lists the table, `fg`
 * and `bg` continue a job in the foreground or the background. The shell ignores SIGTSTP,
 * SIGTTIN and SIGTTOU; its jobs take their defaults back. A job that ends in the background
 * is reported before the next prompt. Without a terminal (set -m in a script) the jobs still
 * get their groups, and the shell its stops and its table. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mkh.h"
#include "sh.h"

int job_control;

enum { kMaxJobs = 32, kTextBytes = 128 };

enum process_state { kRunning, kStopped, kEnded };

struct job {
  int id; /* [N]; 0: a free slot */
  pid_t group;
  pid_t pids[kMaxPipeline];
  int count;
  enum process_state state[kMaxPipeline];
  int status;      /* the last process's raw wait status, once it ended */
  int stop_signal; /* the last stop's */
  int reported;    /* its stop was reported (a background job's, before the next prompt) */
  int background;  /* started with '&', or sent there by bg */
  unsigned age;    /* when it last stopped or went to the background: the newest is the current job */
  char text[kTextBytes];
  char names[kMaxPipeline][32]; /* each process's command, for the line a signal's end gets */
};

static struct job table[kMaxJobs];
static unsigned clock_now;
static int terminal = -1; /* the descriptor of the session's terminal, or -1 */
static pid_t shell_group;

static void set_stops(void (*disposition)(int)) {
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_handler = disposition;
  sigaction(SIGTSTP, &action, NULL);
  sigaction(SIGTTIN, &action, NULL);
  sigaction(SIGTTOU, &action, NULL);
}

void job_control_set(int on) {
  job_control = on;
  if (!on) return;
  set_stops(SIG_IGN);
  shell_group = getpgrp();
  if (terminal < 0 && tcgetpgrp(0) >= 0) {
    /* The shell leads a group, in the terminal's foreground. */
    if (shell_group != getpid() && setpgid(0, 0) == 0) shell_group = getpid();
    if (tcsetpgrp(0, shell_group) == 0) terminal = 0;
  }
}

static void give_terminal(pid_t group) {
  if (terminal >= 0) tcsetpgrp(terminal, group);
}

/* A job's text: its commands as written (their words before expansion), at most kTextBytes. */
static void append(char* text, const char* more) {
  const size_t used = strlen(text);
  snprintf(text + used, kTextBytes - used, "%s", more);
}

static void append_command(char* text, const struct node* n) {
  if (n->kind == kSimple) {
    for (const struct word* w = n->assignments; w; w = w->next) {
      append(text, w->raw);
      append(text, " ");
    }
    for (const struct word* w = n->words; w; w = w->next) {
      append(text, w->raw);
      if (w->next) append(text, " ");
    }
  } else {
    append(text, n->kind == kSubshell ? "( ... )" : "{ ... }");
  }
}

static void append_pipeline(char* text, const struct node* p) {
  if (p->timed) append(text, p->timed == 2 ? "time -p " : "time ");
  if (p->negate) append(text, "! ");
  for (const struct node* c = p->a; c; c = c->next) {
    append_command(text, c);
    if (c->next) append(text, " | ");
  }
}

/* The name of a command's process: its first word, or sh's. */
static void name_command(char* name, const struct node* n) {
  snprintf(name, 32, "%s", n->kind == kSimple && n->words ? n->words->raw : "sh");
}

struct job* job_start(const struct node* n, int background) {
  if (!job_control) return NULL;
  struct job* job = NULL;
  int id = 1;
  for (int used = 1; used;) { /* the smallest number no job has */
    used = 0;
    for (int i = 0; i < kMaxJobs; i++)
      if (table[i].id == id) {
        used = 1;
        id++;
      }
  }
  for (int i = 0; i < kMaxJobs && !job; i++)
    if (table[i].id == 0) job = &table[i];
  if (!job) return NULL; /* a full table: the command runs without a job of its own */
  memset(job, 0, sizeof *job);
  job->id = id;
  job->background = background;
  if (n->kind == kAndOr) { /* a child shell runs it */
    for (const struct node* p = n->a; p; p = p->next) {
      if (p != n->a) append(job->text, p->after == kIfSuccess ? " && " : " || ");
      append_pipeline(job->text, p);
    }
    name_command(job->names[0], n);
  } else if (n->kind == kPipeline) {
    append_pipeline(job->text, n);
    int i = 0;
    for (const struct node* c = n->a; c && i < kMaxPipeline; c = c->next) name_command(job->names[i++], c);
  } else {
    append_command(job->text, n);
    name_command(job->names[0], n);
  }
  if (background) job->age = ++clock_now;
  return job;
}

/* The child and the shell both put the child in its group, and a foreground job's group in
 * the terminal's foreground: whichever comes first, the child runs its program there. */
void job_forked(struct job* job, pid_t pid) {
  if (!job || pid <= 0 || job->count == kMaxPipeline) return;
  if (job->count == 0) job->group = pid;
  job->pids[job->count++] = pid;
  setpgid(pid, job->group);
  if (job->count == 1 && !job->background) give_terminal(job->group);
}

void job_enter(struct job* job) {
  if (!job) return;
  const pid_t group = job->count > 0 ? job->group : getpid();
  setpgid(0, group);
  if (!job->background) give_terminal(group);
  set_stops(SIG_DFL);
  job_control = 0; /* a job's own children are in its group */
  terminal = -1;
}

static void job_free(struct job* job) { job->id = 0; }

/* How many of the job's processes are in `state`. */
static int job_count(const struct job* job, enum process_state state) {
  int n = 0;
  for (int i = 0; i < job->count; i++) n += job->state[i] == state;
  return n;
}

static int job_done(const struct job* job) { return job_count(job, kEnded) == job->count; }

/* A job is stopped once none of its processes runs and one is stopped. */
static int job_stopped(const struct job* job) { return job_count(job, kRunning) == 0 && !job_done(job); }

/* "Running", "Stopped", "Done", "Exit 3" or the signal that ended it. */
static const char* job_state(const struct job* job, char* buffer, size_t size) {
  if (!job_done(job)) return job_stopped(job) ? "Stopped" : "Running";
  if (WIFEXITED(job->status))
    return WEXITSTATUS(job->status) == 0 ? "Done"
                                         : (snprintf(buffer, size, "Exit %d", WEXITSTATUS(job->status)), buffer);
  return strsignal(WTERMSIG(job->status));
}

static struct job* current_job(int rank) { /* rank 0: the current job (+), 1: the previous (-) */
  struct job *first = NULL, *second = NULL;
  for (int i = 0; i < kMaxJobs; i++) {
    struct job* job = &table[i];
    if (job->id == 0) continue;
    if (!first || job->age > first->age) {
      second = first;
      first = job;
    } else if (!second || job->age > second->age) {
      second = job;
    }
  }
  return rank == 0 ? first : second;
}

/* Its line in `jobs`, as bash writes it: " &" after a background job's text while it runs. */
static void job_print(const struct job* job) {
  char buffer[16];
  const char mark = job == current_job(0) ? '+' : job == current_job(1) ? '-' : ' ';
  fprintf(stderr, "[%d]%c  %-24s%s%s\n", job->id, mark, job_state(job, buffer, sizeof buffer), job->text,
          job->background && job_count(job, kRunning) > 0 ? " &" : "");
}

/* The job a process of which is `pid`, and the process's place in it. */
static struct job* job_of(pid_t pid, int* index) {
  for (int i = 0; i < kMaxJobs; i++)
    for (int k = 0; table[i].id != 0 && k < table[i].count; k++)
      if (table[i].pids[k] == pid) {
        *index = k;
        return &table[i];
      }
  return NULL;
}

int job_note(pid_t pid, int status, int report_killed) {
  int index;
  struct job* job = job_of(pid, &index);
  if (!job) return 0;
  if (WIFSTOPPED(status)) {
    job->state[index] = kStopped;
    job->stop_signal = WSTOPSIG(status);
    if (job_stopped(job)) job->age = ++clock_now;
  } else if (WIFCONTINUED(status)) {
    job->state[index] = kRunning;
    job->reported = 0;
  } else {
    job->state[index] = kEnded;
    if (index == job->count - 1) job->status = status;
    if (report_killed && job_done(job) && WIFSIGNALED(job->status) && WTERMSIG(job->status) != SIGINT) {
      job_print(job);
      job_free(job);
    }
  }
  return 1;
}

int job_wait(struct job* job) {
  if (job->count == 0) { /* its first fork failed */
    job_free(job);
    return 1;
  }
  while (job_count(job, kRunning) > 0) {
    int status, index;
    /* A change of any of its processes (all in its group); the first running one's when the
     * group is none of the shell's children (a setpgid that failed). */
    pid_t got = waitpid(-job->group, &status, WUNTRACED);
    for (index = 0; got < 0 && errno == ECHILD && index < job->count; index++)
      if (job->state[index] == kRunning) got = waitpid(job->pids[index], &status, WUNTRACED);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) { /* reaped already (the wait builtin's): their statuses are lost */
      for (int i = 0; i < job->count; i++)
        if (job->state[i] == kRunning) job_note(job->pids[i], 1 << 8, 0);
      break;
    }
    job_note(got, status, 0);
    if (job_of(got, &index) == job && index < job->count - 1 && job->state[index] == kEnded)
      status_of(got, status, job->names[index]);
  }
  give_terminal(shell_group);
  if (job_stopped(job)) {
    job->age = ++clock_now;
    fputc('\n', stderr); /* on a new line: a terminal echoed the suspend (^Z) */
    job_print(job);
    job->reported = 1;
    return 128 + mkh_linux_signal(job->stop_signal);
  }
  const int last = job->count - 1;
  const int status = status_of(job->pids[last], job->status, job->names[last]);
  job_free(job);
  return status;
}

void job_background(struct job* job) {
  if (is_interactive) fprintf(stderr, "[%d] %d\n", job->id, (int)job->pids[job->count - 1]);
}

/* Notes every change of the children without waiting. */
static void jobs_reap(void) {
  int status;
  pid_t pid;
  while ((pid = waitpid(-1, &status, WNOHANG | WUNTRACED | WCONTINUED)) > 0)
    if (!job_note(pid, status, 0)) status_of(pid, status, NULL);
}

void jobs_notify(void) {
  if (!job_control) return;
  jobs_reap();
  for (int i = 0; i < kMaxJobs; i++) {
    struct job* job = &table[i];
    if (job->id == 0) continue;
    if (job_done(job)) {
      job_print(job);
      job_free(job);
    } else if (job_stopped(job) && !job->reported) {
      job_print(job);
      job->reported = 1;
    }
  }
}

/* The job `spec` names (%N, %+, %%, %-, or none: the current one); NULL with a message. */
static struct job* job_named(const char* caller, const char* spec) {
  struct job* job = NULL;
  if (!spec || !strcmp(spec, "%%") || !strcmp(spec, "%+") || !strcmp(spec, "%")) {
    job = current_job(0);
  } else if (!strcmp(spec, "%-")) {
    job = current_job(1);
  } else {
    char* end;
    const long id = strtol(spec + (spec[0] == '%'), &end, 10);
    for (int i = 0; i < kMaxJobs && *end == '\0' && end != spec + (spec[0] == '%'); i++)
      if (table[i].id != 0 && table[i].id == id) job = &table[i];
  }
  if (!job) fprintf(stderr, "sh: %s: %s: no such job\n", caller, spec ? spec : "current");
  return job;
}

int jobs_kill_arguments(struct fields* f) {
  if (f->argc < 2 || !strcmp(f->argv[1], "-l")) return 0;
  int first = !strcmp(f->argv[1], "-s") ? 3 : f->argv[1][0] == '-' && strcmp(f->argv[1], "--") ? 2 : 1;
  const int separated = first < f->argc && !strcmp(f->argv[first], "--");
  int specs = 0;
  for (int i = first + separated; i < f->argc; i++) {
    if (f->argv[i][0] != '%') continue;
    const struct job* job = job_named("kill", f->argv[i]);
    char group[16];
    if (!job) return -1;
    snprintf(group, sizeof group, "-%d", (int)job->group);
    free(f->argv[i]);
    f->argv[i] = strdup(group);
    if (!f->argv[i]) return -1;
    specs++;
  }
  if (specs == 0 || separated || f->argc == kMaxWords) return 0;
  /* "--" before the operands: /bin/kill reads none of them as a signal */
  char* separator = strdup("--");
  if (!separator) return -1;
  memmove(f->argv + first + 1, f->argv + first, (size_t)(f->argc - first + 1) * sizeof *f->argv);
  f->argv[first] = separator;
  f->argc++;
  return 0;
}

int jobs_builtin(int argc, char** argv) {
  if (!strcmp(argv[0], "jobs")) {
    jobs_reap();
    for (int i = 0; i < kMaxJobs; i++) {
      struct job* job = &table[i];
      if (job->id == 0) continue;
      job_print(job);
      if (job_done(job)) job_free(job);
      else if (job_stopped(job)) job->reported = 1;
    }
    return 0;
  }
  if (!job_control) {
    fprintf(stderr, "sh: %s: no job control\n", argv[0]);
    return 1;
  }
  struct job* job = job_named(argv[0], argc > 1 ? argv[1] : NULL); /* more arguments are not looked at, as bash */
  if (!job) return 1;
  const int foreground = !strcmp(argv[0], "fg");
  job->background = !foreground;
  if (foreground) {
    fprintf(stderr, "%s\n", job->text);
    give_terminal(job->group);
  } else {
    job->age = ++clock_now;
    fprintf(stderr, "[%d]+ %s &\n", job->id, job->text);
  }
  for (int i = 0; i < job->count; i++)
    if (job->state[i] == kStopped) job->state[i] = kRunning;
  job->reported = 0;
  if (kill(-job->group, SIGCONT) < 0 && errno != ESRCH) fprintf(stderr, "sh: %s: %s\n", argv[0], strerror(errno));
  return foreground ? job_wait(job) : 0;
}
