/* sh: the shell's pieces (user/apps/sh/): main.c takes the options and the input, parse.c makes
 * the commands' trees, expand.c the variables and the words' expansions, run.c runs the trees,
 * builtins.c the builtins, jobs.c job control. See main.c for what the shell is. */
#ifndef MKH_SH_H
#define MKH_SH_H

#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

enum { kLineBytes = 4096, kMaxWords = 256, kMaxPipeline = 8 };

/* realloc, or the shell ends (status 2) saying it is out of memory. */
void* grow(void* p, size_t size);

/* ---- The trees (parse.c) ---------------------------------------------------------------
 * A complete command is a tree of nodes, its words kept as written (quotes included) and
 * expanded when the command runs, so that a loop sees its variables change. Nodes and words
 * live in an arena emptied after each complete command. */

/* A word as written: its quotes and escapes still in it. */
struct word {
  const char* raw;
  struct word* next;
};

/* A redirection: descriptor `fd` opened on the expansion of `target` with `flags` (<, >, >>),
 * or made a copy of the descriptor `target` names (>&N, <&N), or closed (>&-), or reading a
 * here-document (<<, <<-: `target` its delimiter, `here` its lines, expanded when the
 * delimiter was not quoted). */
struct redirection {
  int fd;
  int is_copy;
  int flags;
  const char* target;
  const char* here;
  int here_expands;
  struct redirection* next;
};

enum node_kind {
  kList,     /* and-or lists: a the first, each ended by ';', a newline or '&' */
  kAndOr,    /* pipelines joined by && and ||: a the first */
  kPipeline, /* commands joined by |: a the first; negate for '!', timed for 'time' */
  kSimple,   /* assignments, words, redirections */
  kIf,       /* if a then b [else c]: an elif is an kIf in c */
  kWhile,    /* while a do b done */
  kUntil,    /* until a do b done */
  kFor,      /* for name [in words] do b done */
  kGroup,    /* { a } */
  kSubshell, /* ( a ) */
  kCase,     /* case words in items esac: a the first item */
  kCaseItem, /* words) a ;; (a may be NULL) */
  kFunction, /* name() a: a function's definition */
};

enum connector { kFirst, kIfSuccess, kIfFailure };

struct node {
  enum node_kind kind;
  struct node* next;    /* the next item of its list, and-or list or pipeline */
  enum connector after; /* a pipeline in an and-or list: how it follows the one before */
  int background;       /* an and-or list ended by '&' */
  int negate;           /* a pipeline: '!' */
  int timed;            /* a pipeline: 'time' (1), 'time -p' (2) */
  int count;            /* a pipeline: its commands */
  struct node *a, *b, *c;
  struct word* words;       /* a simple command's arguments; a for loop's list; a case's word, a case item's patterns */
  struct word* assignments; /* a simple command's NAME=value before its name */
  const char* name;         /* a for loop's variable */
  int has_list;             /* a for loop with "in" */
  struct redirection* redirections;
};

/* Where the commands come from: a stream (a prompt before each line when it is the terminal)
 * or a string's lines (sh -c). */
struct source {
  FILE* file;
  const char* string;
  int prompt;
  int nested; /* eval's or a trap's commands: a break, continue or return ends them too */
};

/* Reads the commands of `source` from now on. */
void parse_begin(struct source* source);
/* Parses the next complete command (up to the end of a line that ends it): 1 with *tree set
 * (NULL for an empty line), 0 at the end of the input, -1 on a syntax error (a message said
 * what; the rest of that line is skipped). The tree lives until parse_free. */
int parse_next(struct node** tree);
void parse_free(void);
/* Keeps the trees parsed so far for good (a function's body is one). */
void parse_keep(void);
/* Sets the parser's state aside (the tree running, the line being read) for another source's
 * commands (eval's, a trap's), then puts it back. */
struct saved_parser* parse_push(void);
void parse_pop(struct saved_parser* saved);

/* ---- Variables and words (expand.c) ----------------------------------------------------- */

const char* variable_get(const char* name);
/* What alias NAME stands for (builtins.c: alias, unalias); NULL when it is none. */
const char* alias_value(const char* name);
/* `s` quoted for the shell to read again (trap's and alias's lists): in single quotes, a
 * quote as '\''. */
void print_quoted(const char* s);
/* Sets NAME to VALUE (exported when `export`, or when it already was); 0, or -1 with a
 * message when NAME is not a name. */
int variable_set(const char* name, const char* value, int export);
void variable_unset(const char* name);
/* Whether `s` (its first n bytes) is a name: a letter or '_', then letters, digits, '_'. */
int is_name(const char* s, size_t n);
/* Writes every variable on stdout, NAME=VALUE a line (set alone). */
void variables_print(void);
/* The environment of a program: the exported variables, then `assignments` (NAME=value,
 * already expanded) over them. malloc'd; freed by the exec or the process's end. */
char** environment_for(char** assignments, int assignment_count);

/* The characters that split fields (IFS, " \t\n" when unset); whether c is one of IFS's blanks. */
const char* ifs(void);
int is_ifs_blank(char c);

/* A command's expanded arguments. */
struct fields {
  char* argv[kMaxWords + 1];
  int argc;
  char* storage; /* the fields' bytes */
  size_t used, capacity;
  int overflow;
};

/* Appends the fields of `raw` to f: parameters expanded ($NAME ${NAME} $? $$ $! $# $0..$9
 * $@ $*), quotes removed, unquoted expansions split at blanks, pathname expansion of the
 * word's own unquoted * ? [. 0, or -1 with a message. */
int expand_fields(const char* raw, struct fields* f);
/* The expansion of `raw` as one string, no splitting nor pathname expansion (an assignment's
 * value, a redirection's target); malloc'd, or NULL with a message. */
char* expand_string(const char* raw);
/* A here-document's lines expanded: parameters, $( ), $(( )), a backslash quoting only $ ` \
 * and a newline; quotes are characters. malloc'd, or NULL with a message. */
char* expand_here(const char* raw);
/* The expansion of `raw` as a pattern for fnmatch (a case's): its own unquoted * ? [ special,
 * every other character itself; malloc'd, or NULL with a message. */
char* expand_pattern(const char* raw);
void fields_free(struct fields* f);

/* ---- Running (run.c) --------------------------------------------------------------------- */

int run_tree(struct node* tree); /* its status, also in last_status */
/* A command substitution: what the commands of the `length` bytes at `script` print, run in
 * a child shell, without its last newlines (malloc'd), or NULL with a message. Its status
 * is what an assignment alone gives ($?). */
char* command_output(const char* script, size_t length);
/* Runs the commands of `source` until its end or an exit; a syntax error makes the status 2
 * and skips what is left of its line. */
void run_source(struct source* source);
/* Runs the commands of a string while a command runs (eval, a trap's action); their status. */
int run_string(const char* commands);
/* Reports the background children that ended, without waiting for the others. */
void reap_background(void);
/* Without job control: the status of child `pid` if the shell reaped it already (run.c keeps
 * them), which it forgets then; 0 when it did not. */
int take_reaped(pid_t pid, int* status);
/* Without job control, once `wait` waited for every child: those reaped before are said (as
 * status_of says a background child's end) and forgotten. */
void forget_reaped(void);
/* SIGINT's and SIGQUIT's disposition (run.c says when each). */
void set_interrupts(void (*disposition)(int));

/* The status a wait reported, as sh gives it ($?), with a line on standard error when a signal
 * other than SIGPIPE and SIGINT ended the child and, for a background child (`name` NULL) of an
 * interactive shell, when it ended at all. */
int status_of(pid_t pid, int status, const char* name);
/* The state of the running commands builtins change: the loops running, those left to break
 * out of, a continue or a return (and its status) pending, set -e and -x. */
extern int loop_depth, breaking, continuing, returning, return_status, errexit, xtrace;
/* Whether a function of that name is defined. */
int is_function(const char* name);

/* ---- Builtins (builtins.c) --------------------------------------------------------------- */

int is_builtin(const char* name);
/* POSIX's special builtins (2.14): assignments before them stay. */
int is_special_builtin(const char* name);
/* Runs builtin argv[0] (is_builtin); its status. */
int builtin(int argc, char** argv);

/* ---- Traps (trap.c) ---------------------------------------------------------------------- */

/* The dispositions the shell started with (a script cannot trap a signal ignored then). */
void traps_init(void);
/* trap [ACTION] CONDITION... | trap: the builtin. */
int trap_builtin(int argc, char** argv);
/* Runs the actions of the trapped signals that came, each once ($? kept). */
void run_traps(void);
/* The EXIT trap's action, run once as the shell (or a child shell) ends; the status it ends with. */
int run_exit_trap(int status);
/* The wait builtin's waitpid(pid, raw, 0) (POSIX 2.11): a signal with a trap (or an interactive
 * shell's SIGINT) caught since the traps last ran ends it. The child's pid; -1 with errno
 * (ECHILD: none); 0 when a trapped signal came first, Linux's number of it in *signal. */
pid_t trap_wait(pid_t pid, int* raw, int* signal);
/* A child shell's traps: those not ignored go back to their defaults (POSIX 2.12). */
void traps_reset_in_child(void);
/* An interactive shell's SIGINT: a handler that shows the prompt again when it comes while a
 * line is read (`prompt_shown`, set while read_line waits for one). */
void trap_interrupt_at_prompt(void);
extern const char* volatile prompt_shown;
/* How many times that handler showed the prompt again: the line being edited is dropped. */
extern volatile sig_atomic_t prompt_interrupts;

/* ---- Line editing (edit.c) --------------------------------------------------------------- */

/* Reads a line from the terminal on stdin, edited (its keys in edit.c), after `prompt` (shown
 * by the caller; drawn again by a redraw) into *line (grown): its length with its newline;
 * -1 at the input's end, -2 when stdin is no terminal (nothing was read). */
ssize_t edit_line(const char* prompt, char** line, size_t* line_capacity);
/* The history builtin: the lines edit_line gave, numbered from the oldest. */
void history_list(void);

/* ---- Jobs (jobs.c) ------------------------------------------------------------------------ */

struct job;
extern int job_control; /* set -m */
/* set -m (on) or +m: the shell ignores the terminal's stops and, on its terminal, takes its
 * foreground. */
void job_control_set(int on);
/* A job for the command `n` (a simple command, a subshell, a pipeline or an and-or list run
 * by a child shell) about to be forked; NULL without job control (or with a full table). */
struct job* job_start(const struct node* n, int background);
/* After each fork of the job's processes: in the shell, the child `pid`; in the child. */
void job_forked(struct job* job, pid_t pid);
void job_enter(struct job* job);
/* Waits for a foreground job: its status as status_of gives it, or 128 + the stop signal
 * when it stops (it stays in the table). */
int job_wait(struct job* job);
/* An interactive shell says a background job's number and last pid. */
void job_background(struct job* job);
/* A change of child `pid` (its raw wait status) noted in its job: 1, or 0 when no job has it.
 * `report_killed` (the wait builtin's): a job a signal other than SIGINT ended is reported
 * at once, and goes. */
int job_note(pid_t pid, int status, int report_killed);
/* Before a prompt: the jobs that ended or stopped in the background are reported. */
void jobs_notify(void);
/* jobs, fg [%JOB], bg [%JOB]. */
int jobs_builtin(int argc, char** argv);
/* kill's arguments (`f`, its name first) with each job spec (%N, %+, %%, %-) made its job's
 * group, -PGID, and "--" before the operands, for /bin/kill; 0, or -1 with a message (no
 * such job). */
int jobs_kill_arguments(struct fields* f);

/* ---- The shell's state (main.c) ---------------------------------------------------------- */

extern int last_status;
extern pid_t last_background; /* $! */
extern pid_t shell_pid;       /* $$: the shell's, in its child shells too (POSIX 2.5.2) */
extern int is_interactive;    /* reading a terminal: a prompt, and a line for each background child */
extern int is_exit_requested; /* exit ran */
extern int script_argc;       /* $0 and the positional parameters */
extern char** script_argv;

#endif
