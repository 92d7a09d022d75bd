/* sh: a small command interpreter, `sh [-l] [-c COMMANDS [NAME [ARG...]] | FILE [ARG...]]`. Reads
 * lines from standard input (a "$ " prompt on standard error when it is a terminal), from
 * FILE, or the COMMANDS string; runs each command in a forked child by execvp (PATH, else
 * "/bin:/usr/bin"), on the machine's clusters in turn under mkh, and waits for it, or not with
 * a final '&'.
 *
 * A line holds pipelines separated by ';', '&&', '||' and '&' (evaluated left to right, as sh
 * does); a pipeline is commands joined by '|', each in a child, the stdout of one the stdin of
 * the next; a command is words with redirections '<', '>', '>>', '2>', '2>>' and '2>&1'.
 * Words: 'single quotes' literal, "double quotes" with \" \\ \$ and expansion, a backslash
 * quotes the next character, '#' at a word's start comments out the rest of the line;
 * expansion of $NAME, ${NAME}, $? (the last status), $$ (the shell's pid), $! (the last
 * background child's), $# and $0..$9 (the script's arguments); an argument with an unquoted
 * '*', '?' or '[' of the line's own is replaced by the paths it matches (sorted; itself when
 * none does). Builtins: cd [DIR] (HOME, else /), pwd, exit [N], export NAME=VALUE..., unset
 * NAME..., exec COMMAND... (the shell's image replaced), wait (every background child). A
 * login shell (-l) first runs the lines of /etc/profile. No functions, control flow or job
 * control.
 *
 * Exit status: the last command's; 127 for a command not found, 126 for one that cannot be
 * run, 128+N for one killed by signal N (and a line on standard error saying so); 2 for a
 * usage or syntax error. A user program of mkh's /bin (user/apps/): plain C, runs unchanged
 * under qemu-riscv32 (whose execve runs its programs on the host). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mkh.h"

enum { kMaxWords = 256, kLineBytes = 4096, kMaxPipeline = 8, kMaxRedirections = 16 };

enum connector { kFirst, kAlways, kIfSuccess, kIfFailure, kPiped };

/* A redirection: descriptor `fd` opened on `path` with `flags`, or made a copy of descriptor 1
 * (2>&1) when `path` is null. */
struct redirection {
  int fd;
  const char* path;
  int flags;
};

struct command {
  char* argv[kMaxWords + 1];
  int argc;
  struct redirection redirections[kMaxRedirections]; /* applied in their order, as sh does */
  int redirection_count;
  int background;
  enum connector after; /* how it follows the command before it on the line */
  enum connector next;  /* how the command after it follows it */
};

static int last_status;
static pid_t last_background; /* $! */
static int is_interactive; /* reading a terminal: a prompt, and a line for each background child */
static int script_argc;
static char** script_argv;

/* ---- Words ---------------------------------------------------------------------------- */

/* Where a line's words are built: every word's bytes, each NUL-ended, in one buffer; beside
 * each byte, whether it is a pattern character of the line's own, unquoted (* ? [). */
struct words {
  char bytes[4 * kLineBytes];
  unsigned char is_pattern[4 * kLineBytes];
  size_t used;
  int overflow;
};

static void put_byte(struct words* w, char c, int is_pattern) {
  if (w->used + 1 < sizeof w->bytes) {
    w->is_pattern[w->used] = (unsigned char)is_pattern;
    w->bytes[w->used++] = c;
  } else {
    w->overflow = 1;
  }
}

static void put_char(struct words* w, char c) { put_byte(w, c, 0); }

static void put_string(struct words* w, const char* s) {
  while (*s) put_char(w, *s++);
}

static int is_name_char(char c) {
  return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* Expands the $ at *p (p just past it) into w; returns where the line goes on. */
static const char* expand(const char* p, struct words* w) {
  char number[16];
  if (*p == '?' || *p == '$' || *p == '#') {
    const int value = *p == '?' ? last_status : *p == '$' ? (int)getpid() : script_argc > 0 ? script_argc - 1 : 0;
    snprintf(number, sizeof number, "%d", value);
    put_string(w, number);
    return p + 1;
  }
  if (*p == '!') { /* the last background child's pid; nothing before the first */
    if (last_background > 0) {
      snprintf(number, sizeof number, "%d", (int)last_background);
      put_string(w, number);
    }
    return p + 1;
  }
  if (*p >= '0' && *p <= '9') {
    if (*p - '0' < script_argc) put_string(w, script_argv[*p - '0']);
    return p + 1;
  }
  const int braced = *p == '{';
  const char* name = p + braced;
  const char* end = name;
  while (is_name_char(*end)) end++;
  if (end == name || (braced && *end != '}')) { /* not a name: the $ is itself */
    put_char(w, '$');
    return p;
  }
  char key[256];
  const size_t length = (size_t)(end - name) < sizeof key ? (size_t)(end - name) : sizeof key - 1;
  memcpy(key, name, length);
  key[length] = '\0';
  const char* value = getenv(key);
  if (value) put_string(w, value);
  return end + braced;
}

/* A character of a word, an escape or an expansion at `p`, into w; where the word goes on. A
 * backslash quotes the next character, inside double quotes (`quoted`) only ", \ and $. */
static const char* put_word_part(const char* p, struct words* w, int quoted) {
  if (*p == '\\' && (quoted ? p[1] == '"' || p[1] == '\\' || p[1] == '$' : p[1] != '\0')) {
    put_char(w, p[1]);
    return p + 2;
  }
  if (*p == '$') return expand(p + 1, w);
  put_char(w, *p);
  return p + 1;
}

static int is_operator_char(char c) { return c == ';' || c == '&' || c == '|' || c == '<' || c == '>'; }

static int is_separator(const char* op) {
  return !strcmp(op, ";") || !strcmp(op, "&&") || !strcmp(op, "||") || !strcmp(op, "&") || !strcmp(op, "|");
}

/* A line's tokens: each a word or an operator ("2>" and "2>&1" included). */
struct token {
  const char* text;
  int is_operator;
};

/* Splits the command at `line` into tokens, up to and including the separator that ends it
 * (';', '&&', '||' or '&'); *rest is where the next command starts, NULL at the line's end.
 * The count, or -1 with a message on an unterminated quote or too many words. */
static int tokenize(const char* line, struct words* w, struct token* tokens, int max_tokens, const char** rest) {
  int count = 0;
  const char* p = line;
  *rest = NULL;
  for (;;) {
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') p++;
    if (*p == '\0' || *p == '#') return count;
    if (count == max_tokens) {
      fprintf(stderr, "sh: too many words in a command (at most %d)\n", max_tokens);
      return -1;
    }
    struct token* t = &tokens[count++];
    t->text = &w->bytes[w->used];
    t->is_operator = 0;
    if (p[0] == '2' && p[1] == '>') { /* 2>, 2>> or 2>&1 */
      const char* op = p[2] == '&' && p[3] == '1' ? "2>&1" : p[2] == '>' ? "2>>" : "2>";
      put_string(w, op);
      put_char(w, '\0');
      t->is_operator = 1;
      p += strlen(op);
      continue;
    }
    if (is_operator_char(*p)) {
      const int doubled = (p[0] == '&' || p[0] == '|' || p[0] == '>') && p[1] == p[0];
      put_char(w, *p);
      if (doubled) put_char(w, p[1]);
      put_char(w, '\0');
      t->is_operator = 1;
      p += 1 + doubled;
      if (is_separator(t->text)) {
        *rest = p;
        return count;
      }
      continue;
    }
    while (*p && *p != ' ' && *p != '\t' && *p != '\n' && *p != '\r' && !is_operator_char(*p)) {
      if (*p == '\'') {
        const char* end = strchr(p + 1, '\'');
        if (!end) {
          fprintf(stderr, "sh: syntax error: unterminated '\n");
          return -1;
        }
        while (++p < end) put_char(w, *p);
        p++;
      } else if (*p == '"') {
        for (p++; *p != '"';) {
          if (*p == '\0') {
            fprintf(stderr, "sh: syntax error: unterminated \"\n");
            return -1;
          }
          p = put_word_part(p, w, 1);
        }
        p++;
      } else if (*p == '*' || *p == '?' || *p == '[') {
        put_byte(w, *p++, 1);
      } else {
        p = put_word_part(p, w, 0);
      }
    }
    put_char(w, '\0');
  }
}

/* ---- Pathname expansion (POSIX 2.13.3; picolibc has fnmatch, not glob) ------------------- */

enum { kPathBytes = 4096 };

/* The paths a pattern matches, before they are sorted. */
struct matches {
  char* paths[kMaxWords + 1];
  int count;
};

/* Whether the n bytes at `s` hold a pattern character not escaped by a backslash. */
static int has_pattern_char(const char* s, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (s[i] == '\\' && i + 1 < n) i++;
    else if (s[i] == '*' || s[i] == '?' || s[i] == '[') return 1;
  }
  return 0;
}

static void add_match(struct matches* m, const char* path) {
  if (m->count <= kMaxWords) m->paths[m->count++] = strdup(path); /* one more than fits: too many */
}

/* The matches of `pattern` (the rest of the path's components, escapes as fnmatch takes them)
 * under `path` (its first `length` bytes: "" for the working directory, else ending in '/'). */
static void match_from(char* path, size_t length, const char* pattern, struct matches* m) {
  const char* slash = strchr(pattern, '/');
  const size_t n = slash ? (size_t)(slash - pattern) : strlen(pattern);
  if (!has_pattern_char(pattern, n)) { /* a plain component: it is there or not */
    for (size_t i = 0; i < n && length + 2 < kPathBytes; i++) {
      if (pattern[i] == '\\' && i + 1 < n) i++;
      path[length++] = pattern[i];
    }
    if (slash && length + 2 < kPathBytes) path[length++] = '/';
    path[length] = '\0';
    if (slash) match_from(path, length, slash + 1, m);
    else if (access(path, F_OK) == 0) add_match(m, path);
    return;
  }
  char component[n + 1];
  memcpy(component, pattern, n);
  component[n] = '\0';
  DIR* dir = opendir(length ? path : ".");
  if (!dir) return;
  for (struct dirent* entry; (entry = readdir(dir)) != NULL && m->count <= kMaxWords;) {
    const char* name = entry->d_name;
    if (!strcmp(name, ".") || !strcmp(name, "..") || (name[0] == '.' && component[0] != '.')) continue;
    const size_t name_length = strlen(name);
    if (fnmatch(component, name, 0) != 0 || length + name_length + 2 >= kPathBytes) continue;
    memcpy(path + length, name, name_length + 1);
    if (!slash) {
      add_match(m, path);
    } else {
      path[length + name_length] = '/';
      path[length + name_length + 1] = '\0';
      match_from(path, length + name_length + 1, slash + 1, m);
    }
    path[length] = '\0';
  }
  closedir(dir);
}

static int compare_paths(const void* a, const void* b) { return strcmp(*(char* const*)a, *(char* const*)b); }

/* ---- Commands ------------------------------------------------------------------------- */

/* Appends to c's arguments the word at `word` (in w), or the paths its pattern matches when it
 * has a pattern character of its own (sorted, a leading '.' matched only by a '.', the word
 * itself when nothing matches). 0, or -1 with a message when they are too many. */
static int add_argument(struct command* c, struct words* w, char* word) {
  const size_t at = (size_t)(word - w->bytes);
  const size_t length = strlen(word);
  int has_pattern = 0;
  for (size_t i = 0; i < length; i++) has_pattern |= w->is_pattern[at + i];
  struct matches found = {.count = 0};
  if (has_pattern) {
    /* The pattern: the word with its quoted pattern characters (and backslashes) escaped; a
     * ']' needs none (it closes a bracket expression only after an unquoted '['). */
    char pattern[2 * kLineBytes];
    size_t n = 0;
    for (size_t i = 0; i < length && n + 2 < sizeof pattern; i++) {
      if (!w->is_pattern[at + i] && strchr("*?[\\", word[i])) pattern[n++] = '\\';
      pattern[n++] = word[i];
    }
    pattern[n] = '\0';
    char path[kPathBytes] = "";
    const int absolute = pattern[0] == '/';
    if (absolute) strcpy(path, "/");
    match_from(path, absolute, pattern + absolute, &found);
    qsort(found.paths, (size_t)found.count, sizeof found.paths[0], compare_paths);
  }
  const int count = found.count > 0 ? found.count : 1;
  int status = 0;
  for (int i = 0; i < count && status == 0; i++) {
    char* argument = word;
    if (found.count > 0) {
      argument = &w->bytes[w->used];
      put_string(w, found.paths[i] ? found.paths[i] : "");
      put_char(w, '\0');
    }
    if (c->argc == kMaxWords || w->overflow) {
      fprintf(stderr, "sh: too many words in a command (at most %d, %zu bytes)\n", kMaxWords, sizeof w->bytes);
      status = -1;
    } else {
      c->argv[c->argc++] = argument;
    }
  }
  for (int i = 0; i < found.count; i++) free(found.paths[i]);
  return status;
}

/* Makes one command of its tokens (those tokenize gives); 0, or -1 with a message on a
 * syntax error. `after` is how it follows the command before it; c->next says how the one
 * after it follows (kFirst when it ends the line). */
static int parse(const struct token* tokens, int count, enum connector after, struct words* w, struct command* c) {
  memset(c, 0, sizeof *c);
  c->after = after;
  c->next = kFirst;
  if (count > 0 && tokens[count - 1].is_operator && is_separator(tokens[count - 1].text)) {
    const char* separator = tokens[--count].text;
    c->background = !strcmp(separator, "&");
    c->next = !strcmp(separator, "&&")   ? kIfSuccess
              : !strcmp(separator, "||") ? kIfFailure
              : !strcmp(separator, "|")  ? kPiped
                                         : kAlways;
    if (count == 0) {
      fprintf(stderr, "sh: syntax error near '%s'\n", separator);
      return -1;
    }
  }
  for (int i = 0; i < count; i++) {
    const char* text = tokens[i].text;
    if (!tokens[i].is_operator) {
      if (add_argument(c, w, (char*)text) != 0) return -1;
      continue;
    }
    if (c->redirection_count == kMaxRedirections) {
      fprintf(stderr, "sh: too many redirections in a command (at most %d)\n", kMaxRedirections);
      return -1;
    }
    struct redirection* r = &c->redirections[c->redirection_count++];
    if (!strcmp(text, "2>&1")) {
      *r = (struct redirection){.fd = 2, .path = NULL, .flags = 0};
      continue;
    }
    if (i + 1 == count || tokens[i + 1].is_operator) {
      fprintf(stderr, "sh: syntax error near '%s'\n", text);
      return -1;
    }
    const size_t length = strlen(text); /* <, >, >>, 2> or 2>> */
    const int append = length >= 2 && text[length - 1] == '>' && text[length - 2] == '>';
    r->path = tokens[++i].text;
    r->fd = text[0] == '<' ? 0 : text[0] == '2' ? 2 : 1;
    r->flags = r->fd == 0 ? O_RDONLY : O_WRONLY | O_CREAT | (append ? O_APPEND : O_TRUNC);
  }
  return 0;
}

/* Opens `path` onto descriptor `fd`; 0, or -1 with a message. */
static int redirect(int fd, const char* path, int flags) {
  const int opened = open(path, flags, 0666);
  if (opened < 0) {
    fprintf(stderr, "sh: %s: %s\n", path, strerror(errno));
    return -1;
  }
  if (opened != fd) {
    if (dup2(opened, fd) < 0) {
      fprintf(stderr, "sh: %s: %s\n", path, strerror(errno));
      close(opened);
      return -1;
    }
    close(opened);
  }
  return 0;
}

static int apply_redirections(const struct command* c) {
  for (int i = 0; i < c->redirection_count; i++) {
    const struct redirection* r = &c->redirections[i];
    if (r->path != NULL ? redirect(r->fd, r->path, r->flags) < 0 : dup2(1, r->fd) < 0) return -1;
  }
  return 0;
}

/* The status a wait reported, as sh gives it ($?), with a line on standard error when a
 * signal other than SIGPIPE and SIGINT ended the child and, for a background child (`name`
 * NULL) of an interactive shell, when it ended at all. */
static int status_of(pid_t pid, int status, const char* name) {
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

/* Reports the background children that ended, without waiting for the others. */
static void reap_background(void) {
  int status;
  pid_t pid;
  while ((pid = waitpid(-1, &status, WNOHANG)) > 0) status_of(pid, status, NULL);
}

static int is_exit_requested;

/* The builtins, run in the shell itself; -1 when `c` is not one. */
static int builtin(const struct command* c) {
  const char* name = c->argv[0];
  if (!strcmp(name, "cd")) {
    const char* home = getenv("HOME");
    const char* to = c->argc > 1 ? c->argv[1] : home && *home ? home : "/";
    if (chdir(to) == 0) return 0;
    fprintf(stderr, "sh: cd: %s: %s\n", to, strerror(errno));
    return 1;
  }
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
    is_exit_requested = 1;
    return c->argc > 1 ? (int)(strtol(c->argv[1], NULL, 10) & 0xff) : last_status;
  }
  if (!strcmp(name, "export") || !strcmp(name, "unset")) {
    int status = 0;
    for (int i = 1; i < c->argc; i++) {
      char* equals = strchr(c->argv[i], '=');
      int failed;
      if (name[0] == 'u') {
        failed = unsetenv(c->argv[i]);
      } else if (equals == NULL) {
        continue; /* every variable is exported already */
      } else {
        *equals = '\0';
        failed = setenv(c->argv[i], equals + 1, 1);
        *equals = '=';
      }
      if (failed) {
        fprintf(stderr, "sh: %s: %s: %s\n", name, c->argv[i], strerror(errno));
        status = 1;
      }
    }
    return status;
  }
  if (!strcmp(name, "wait")) {
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, 0)) > 0) status_of(pid, status, NULL);
    return 0;
  }
  return -1;
}

/* Writes out what the standard streams buffer (picolibc's fflush takes no NULL). */
static void flush_output(void) {
  fflush(stdout);
  fflush(stderr);
}

/* fork, the child on the next cluster of the machine in turn (mkh's place_fork; a no-op under
 * another kernel): a session's commands, and a pipeline's, spread over the clusters. */
static pid_t fork_on_next_cluster(void) {
  static unsigned next;
  unsigned x, y, cores;
  if (mkh_get_config(&x, &y, &cores) == 0) {
    const unsigned cluster = next++ % (x * y);
    mkh_place_fork((cluster / y) << 4 | cluster % y);
  }
  return fork();
}

/* Runs `argv` in this process (the child's side of a command, and the builtin exec). */
static void exec_command(char** argv) {
  execvp(argv[0], argv);
  const int error = errno;
  fprintf(stderr, "sh: %s: %s\n", argv[0], error == ENOENT ? "not found" : strerror(error));
  fflush(stderr);
  _exit(error == ENOENT ? 127 : 126);
}

/* A child's side of a command: its redirections, then its builtin (one in the background or in
 * a pipeline runs in a child, as in sh) or its program. */
/* SIGINT's and SIGQUIT's disposition: an interactive shell ignores them (the interrupt of
 * its terminal, which mkh exec passes to every process, ends the command it runs, not
 * itself); its commands take them back, but those it runs in the background ignore them, as
 * POSIX asks of a shell without job control. */
static void set_interrupts(void (*disposition)(int)) {
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_handler = disposition;
  sigaction(SIGINT, &action, NULL);
  sigaction(SIGQUIT, &action, NULL);
}

static int in_background; /* the children being forked are a background job's */

static void run_in_child(struct command* c) {
  if (in_background) set_interrupts(SIG_IGN);
  else if (is_interactive) set_interrupts(SIG_DFL);
  if (apply_redirections(c) < 0) _exit(1);
  if (c->argc == 0) _exit(0);
  if (!strcmp(c->argv[0], "exec") && c->argc > 1) exec_command(c->argv + 1);
  const int status = builtin(c);
  if (status >= 0) {
    flush_output();
    _exit(status);
  }
  exec_command(c->argv);
}

/* Waits for `pid`; its status as status_of gives it, 1 when the wait fails. */
static int wait_for(pid_t pid, const char* name) {
  int status;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      fprintf(stderr, "sh: wait: %s\n", strerror(errno));
      return 1;
    }
  }
  return status_of(pid, status, name);
}

/* Runs a builtin in the shell itself, its redirections in force while it runs only (as sh
 * does: `cd DIR > FILE` moves the shell); its status, or -1 when `c` is not a builtin. */
static int run_builtin(const struct command* c) {
  if (c->redirection_count == 0) return builtin(c);
  static const char* const names[] = {"cd", "pwd", "exit", "export", "unset", "wait"};
  int known = 0;
  for (unsigned i = 0; i < sizeof names / sizeof names[0]; i++) known |= !strcmp(c->argv[0], names[i]);
  if (!known) return -1;
  int saved[3];
  flush_output();
  for (int fd = 0; fd < 3; fd++) saved[fd] = dup(fd);
  const int status = apply_redirections(c) < 0 ? 1 : builtin(c);
  flush_output();
  for (int fd = 0; fd < 3; fd++) {
    if (saved[fd] < 0) continue;
    dup2(saved[fd], fd);
    close(saved[fd]);
  }
  return status;
}

/* Runs one command; its status. */
static int run(struct command* c) {
  if (c->argc == 0) { /* redirections alone make or truncate their files, in a child */
    c->argv[0] = "true";
  } else if (!strcmp(c->argv[0], "exec") && c->argc > 1 && !c->background) {
    flush_output();
    if (apply_redirections(c) < 0) return 1;
    exec_command(c->argv + 1);
  } else if (!c->background) {
    const int status = run_builtin(c);
    if (status >= 0) return status;
  }
  flush_output(); /* nothing buffered is printed twice */
  in_background = c->background;
  const pid_t pid = fork_on_next_cluster();
  if (pid < 0) {
    fprintf(stderr, "sh: fork: %s\n", strerror(errno));
    return 1;
  }
  if (pid == 0) run_in_child(c);
  if (c->background) {
    last_background = pid;
    if (is_interactive) fprintf(stderr, "sh: [%d]\n", (int)pid);
    return 0;
  }
  return wait_for(pid, c->argv[0]);
}

/* Makes descriptor `from` (none when negative) descriptor `to`. */
static void move_fd(int from, int to) {
  if (from < 0 || from == to) return;
  dup2(from, to);
  close(from);
}

/* Runs `count` commands joined by pipes, each in a child whose stdout is the next one's stdin
 * (its own redirections apply after); the status is the last command's. In the background
 * (the last command's '&'), none is waited for. */
static int run_pipeline(struct command* commands, int count) {
  if (count == 1) return run(&commands[0]);
  pid_t pids[kMaxPipeline];
  int started = 0, input = -1;
  flush_output();
  in_background = commands[count - 1].background;
  for (; started < count; started++) {
    int fds[2] = {-1, -1};
    if (started + 1 < count && pipe(fds) != 0) {
      fprintf(stderr, "sh: pipe: %s\n", strerror(errno));
      if (input >= 0) close(input); /* the last command started sees the end of its output's reader */
      break;
    }
    const pid_t pid = fork_on_next_cluster();
    if (pid == 0) {
      if (fds[0] >= 0) close(fds[0]); /* the next command's end, first: it may be 0 or 1 */
      move_fd(input, 0);
      move_fd(fds[1], 1);
      run_in_child(&commands[started]);
    }
    if (input >= 0) close(input);
    if (fds[1] >= 0) close(fds[1]);
    input = fds[0];
    if (pid < 0) {
      fprintf(stderr, "sh: fork: %s\n", strerror(errno));
      if (input >= 0) close(input);
      break;
    }
    pids[started] = pid;
  }
  const struct command* last = &commands[count - 1];
  if (started == count && last->background) {
    last_background = pids[count - 1];
    if (is_interactive) fprintf(stderr, "sh: [%d]\n", (int)pids[count - 1]);
    return 0;
  }
  int status = 1;
  for (int i = 0; i < started; i++) status = wait_for(pids[i], commands[i].argc > 0 ? commands[i].argv[0] : "true");
  return started == count ? status : 1;
}

static int is_empty(const struct command* c) { return c->argc == 0 && c->redirection_count == 0; }

/* A command of a line and where its words are: a pipeline's commands keep theirs at once. */
struct slot {
  struct words words;
  struct token tokens[2 * kMaxWords + 8];
  struct command command;
};

/* Makes the command at `line` in `slot`; *rest as tokenize gives it. 0, or -1 (a message said
 * why). */
static int make_command(const char* line, enum connector after, struct slot* slot, const char** rest) {
  struct words* words = &slot->words;
  words->used = 0;
  words->overflow = 0;
  const int count = tokenize(line, words, slot->tokens, (int)(sizeof slot->tokens / sizeof slot->tokens[0]), rest);
  if (count >= 0 && words->overflow) {
    fprintf(stderr, "sh: a command expands to more than %zu bytes\n", sizeof words->bytes);
    return -1;
  }
  return count < 0 ? -1 : parse(slot->tokens, count, after, words, &slot->command);
}

/* Makes the pipeline at *line (one command, or several joined by '|') in `slots`, moving *line
 * past it; its command count, or -1 (a message said why). */
static int make_pipeline(const char** line, enum connector after, struct slot* slots) {
  for (int count = 0;;) {
    if (count == kMaxPipeline) {
      fprintf(stderr, "sh: a pipeline of more than %d commands\n", kMaxPipeline);
      return -1;
    }
    struct command* c = &slots[count].command;
    if (make_command(*line, count == 0 ? after : kPiped, &slots[count], line) < 0) return -1;
    count++;
    if (is_empty(c) && c->after != kFirst && c->after != kAlways) {
      fprintf(stderr, "sh: syntax error: a command must follow '%s'\n",
              c->after == kIfSuccess   ? "&&"
              : c->after == kIfFailure ? "||"
                                       : "|");
      return -1;
    }
    if (c->next != kPiped) return count;
  }
}

/* Runs one line, its words expanded pipeline by pipeline (so $? and the variables are those
 * the commands before left); the last status is in last_status. A syntax error anywhere in the
 * line runs none of it, as in sh. */
static void run_line(const char* line) {
  static struct slot slots[kMaxPipeline];
  enum connector after = kFirst;
  for (const char* p = line; p;) { /* the syntax first */
    const int count = make_pipeline(&p, after, slots);
    if (count < 0) {
      last_status = 2;
      return;
    }
    after = slots[count - 1].command.next;
  }
  after = kFirst;
  for (const char* p = line; p && !is_exit_requested;) {
    const int count = make_pipeline(&p, after, slots);
    if (count < 0) {
      last_status = 2;
      return;
    }
    const struct command* first = &slots[0].command;
    after = slots[count - 1].command.next;
    if (count == 1 && is_empty(first)) continue; /* the end of a line, after its last separator */
    if ((first->after == kIfSuccess && last_status != 0) || (first->after == kIfFailure && last_status == 0)) continue;
    struct command commands[kMaxPipeline];
    for (int i = 0; i < count; i++) commands[i] = slots[i].command;
    last_status = run_pipeline(commands, count);
  }
}

static int usage(void) {
  fprintf(stderr, "usage: sh [-l] [-c COMMANDS [NAME [ARG...]] | FILE [ARG...]]\n");
  return 2;
}

/* Runs the lines of `input` until its end or an exit; with a prompt before each when it is
 * the terminal. */
static void run_stream(FILE* input, int prompt) {
  char* line = NULL;
  size_t capacity = 0;
  while (!is_exit_requested) {
    if (prompt) {
      reap_background();
      fflush(stdout);
      fputs("$ ", stderr);
      fflush(stderr);
    }
    const ssize_t length = getline(&line, &capacity, input);
    if (length < 0) break;
    if ((size_t)length >= kLineBytes) {
      fprintf(stderr, "sh: a line of more than %d bytes\n", kLineBytes - 1);
      last_status = 2;
      continue;
    }
    run_line(line);
  }
  free(line);
}

int main(int argc, char** argv) {
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
    FILE* profile = fopen("/etc/profile", "r");
    if (profile) {
      run_stream(profile, 0);
      fclose(profile);
    }
    if (is_exit_requested) return last_status;
  }
  if (is_command) {
    script_argc = argc - 3;
    script_argv = argv + 3;
    if (script_argc == 0) { /* $0 is the shell's name */
      script_argc = 1;
      script_argv = argv;
    }
    /* The string's lines, one at a time. */
    char* commands = argv[2];
    for (char* line = commands; line && !is_exit_requested;) {
      char* end = strchr(line, '\n');
      if (end) *end = '\0';
      run_line(line);
      line = end ? end + 1 : NULL;
    }
    return last_status;
  }
  FILE* input = stdin;
  script_argc = argc > 1 ? argc - 1 : 1;
  script_argv = argc > 1 ? argv + 1 : argv;
  if (argc > 1 && (input = fopen(argv[1], "r")) == NULL) {
    fprintf(stderr, "sh: %s: %s\n", argv[1], strerror(errno));
    return 127;
  }
  is_interactive = input == stdin && isatty(0);
  if (is_interactive) set_interrupts(SIG_IGN);
  run_stream(input, is_interactive);
  if (input != stdin) fclose(input);
  return last_status;
}
