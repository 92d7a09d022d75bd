/* xargs [-0] [-a FILE] [-d DELIM] [-n MAX-ARGS] [-L MAX-LINES] [-I REPLACE] [-P MAX-PROCS] [-r]
 *       [-t] [--] [COMMAND [INITIAL-ARG...]]
 * Builds command lines from its standard input (or FILE's, -a) and runs them, as GNU
 * findutils' xargs: the command (echo when none) with its initial arguments, then as many
 * items of the input as the limits allow, again until the input ends.
 *   items  by default separated by blanks and newlines, where single and double quotes keep
 *          what they enclose together (a quote does not span lines) and a backslash keeps the
 *          next character; with -0 each ends at a NUL, with -d at DELIM (a character, or \n
 *          \t \0 \\ \xHH), nothing quoted then
 *   -n N   at most N items a command;  -L N  the items of at most N nonblank lines a command
 *          (a line that ends with a blank goes on on the next)
 *   -I R   a command per input line (its leading blanks dropped, the rest one item, as it
 *          is), every R in the initial arguments replaced by it; none without a line
 *   -r     runs nothing when the input holds no item (else the command runs once without)
 *   -t     writes each command line on stderr before it runs
 *   -P N   runs up to N commands at once (0: as many as the input gives), each forked on the
 *          next cluster of the machine in turn under mkh (place_fork; a no-op elsewhere)
 * A command line stays within what exec takes (sysconf's ARG_MAX less the environment and
 * 2048 bytes, and 1000 arguments): a longer one is split, a single item too long for it is an
 * error. Each command's standard input is /dev/null (xargs' own with -a). Statuses, as GNU's: 0; 123 when a command
 * exited 1-125; 124 when one exited 255, 125 when a signal killed one (xargs stops there,
 * waiting for those running); 126 when the command could not be run, 127 when it was not
 * found; 1 for a bad option, an unmatched quote or an item too long. A user program of mkh's
 * /bin (user/apps/): plain C. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mkh.h"

extern char** environ;

enum { kMaxArgs = 1000, kMaxProcs = 64 };

static const char* replace;       /* -I's string, or NULL */
static int separator = -1;        /* -0 and -d's: an item ends there; -1: blanks, quotes */
static long max_items, max_lines; /* -n, -L (0: no limit) */
static int no_run_if_empty, trace;
static FILE* input;         /* stdin, or -a's FILE */
static int input_from_file; /* -a: the commands keep xargs' standard input */
static long max_procs = 1;
static size_t size_limit; /* the bytes of a command line: its strings and their NULs */

static char** initial;    /* the command and its initial arguments */
static int initial_count; /* (echo when none) */
static size_t initial_size;

static int status;  /* the status so far */
static int running; /* commands not waited for */

static int usage(void) {
  fprintf(stderr,
          "usage: xargs [-0] [-a FILE] [-d DELIM] [-n MAX-ARGS] [-L MAX-LINES] [-I REPLACE] [-P MAX-PROCS] [-r] [-t] "
          "[COMMAND [INITIAL-ARG...]]\n");
  return 1;
}

/* A command's end, its status folded into xargs' own; 1 when xargs is to stop. */
static int account(int raw) {
  if (WIFSIGNALED(raw)) {
    status = 125;
    return 1;
  }
  const int code = WEXITSTATUS(raw);
  if (code == 255) {
    status = 124;
    return 1;
  }
  if (code == 126 || code == 127) {
    status = code;
    return 1;
  }
  if (code != 0 && status == 0) status = 123;
  return 0;
}

/* Waits for one command (any); 1 when xargs is to stop. */
static int wait_one(void) {
  int raw = 0;
  const pid_t pid = wait(&raw);
  if (pid < 0) return 0;
  running--;
  return account(raw);
}

/* Runs argv (the child on the next cluster in turn), waiting for one first when -P's number
 * run already; 1 when xargs is to stop. */
static int run(char** argv) {
  if (trace) {
    for (char** a = argv; *a; a++) fprintf(stderr, "%s%s", a == argv ? "" : " ", *a);
    fputc('\n', stderr);
  }
  while (max_procs > 0 && running >= max_procs)
    if (wait_one()) return 1;
  mkh_place_next_fork();
  fflush(stdout);
  fflush(stderr);
  const pid_t pid = fork();
  if (pid < 0) {
    fprintf(stderr, "xargs: fork: %s\n", strerror(errno));
    status = 1;
    return 1;
  }
  if (pid == 0) {
    const int null = input_from_file ? -1 : open("/dev/null", O_RDONLY);
    if (null > 0) {
      dup2(null, 0);
      close(null);
    }
    execvp(argv[0], argv);
    const int error = errno;
    fprintf(stderr, "xargs: %s: %s\n", argv[0], strerror(error));
    _exit(error == ENOENT ? 127 : 126);
  }
  running++;
  if (max_procs == 1) return wait_one();
  return 0;
}

/* The command line being made: the initial arguments, then the items. */
static char* line_args[kMaxArgs + 1];
static int line_count;
static size_t line_size;
static long line_items, line_lines;

static void line_start(void) {
  for (int i = 0; i < initial_count; i++) line_args[i] = initial[i];
  line_count = initial_count;
  line_size = initial_size;
  line_items = line_lines = 0;
}

static void line_free(void) {
  for (int i = initial_count; i < line_count; i++) free(line_args[i]);
}

/* Runs the line made so far (when it holds an item, or `always`); 1 when xargs is to stop. */
static int line_run(int always) {
  int stop = 0;
  if (line_count > initial_count || always) {
    line_args[line_count] = NULL;
    stop = run(line_args);
  }
  line_free();
  line_start();
  return stop;
}

/* Adds an item (malloc'd, taken), running the line first when it has no room; 1 when xargs is
 * to stop. */
static int line_add(char* item) {
  const size_t size = strlen(item) + 1;
  if (initial_size + size > size_limit) {
    fprintf(stderr, "xargs: an item of %zu bytes is too long for a command line (%zu bytes)\n", size - 1, size_limit);
    free(item);
    status = 1;
    return 1;
  }
  if (line_count == kMaxArgs || line_size + size > size_limit)
    if (line_run(0)) {
      free(item);
      return 1;
    }
  line_args[line_count++] = item;
  line_size += size;
  line_items++;
  if (max_items > 0 && line_items >= max_items) return line_run(0);
  return 0;
}

/* -I: the initial arguments with each REPLACE replaced by `item`, run. */
static int run_replaced(const char* item) {
  char* argv[kMaxArgs + 1];
  size_t total = 0;
  int stop = 0, i = 0;
  for (; i < initial_count && !stop; i++) {
    size_t count = 0, length = strlen(replace);
    for (const char* at = initial[i]; (at = strstr(at, replace)); at += length) count++;
    const size_t size = strlen(initial[i]) + count * strlen(item) - count * length + 1;
    char* out = malloc(size);
    if (!out) {
      fprintf(stderr, "xargs: %s\n", strerror(ENOMEM));
      status = 1;
      stop = 1;
      break;
    }
    out[0] = '\0';
    const char* from = initial[i];
    for (const char* at; (at = strstr(from, replace)); from = at + length) {
      strncat(out, from, (size_t)(at - from));
      strcat(out, item);
    }
    strcat(out, from);
    argv[i] = out;
    total += size;
  }
  if (!stop && total > size_limit) {
    fprintf(stderr, "xargs: the command line for %s is too long (%zu bytes)\n", item, total);
    status = 1;
    stop = 1;
  }
  if (!stop) {
    argv[i] = NULL;
    stop = run(argv);
  }
  for (int j = 0; j < i; j++) free(argv[j]);
  return stop;
}

/* A growing buffer for an item. */
struct item {
  char* bytes;
  size_t length, capacity;
};

static int item_put(struct item* item, char c) {
  if (item->length + 1 >= item->capacity) {
    const size_t capacity = item->capacity ? item->capacity * 2 : 64;
    char* bytes = realloc(item->bytes, capacity);
    if (!bytes) return -1;
    item->bytes = bytes;
    item->capacity = capacity;
  }
  item->bytes[item->length++] = c;
  item->bytes[item->length] = '\0';
  return 0;
}

/* The item made so far, taken (an empty string when nothing was put). */
static char* item_take(struct item* item) {
  char* bytes = item->bytes ? item->bytes : strdup("");
  *item = (struct item){0};
  return bytes;
}

static int is_blank(int c) { return c == ' ' || c == '\t'; }

/* Reads the input and runs the commands; 0 when it read it all, 1 when it stopped. */
static int read_items(void) {
  struct item item = {0};
  int any_item = 0, stop = 0;
  int c, quote = 0, escaped = 0, started = 0, line_has_item = 0, previous = '\n';
  while (!stop && (c = getc(input)) != EOF) {
    if (replace) { /* a line a command: its leading blanks dropped */
      if (c == '\n') {
        if (started) {
          char* line = item_take(&item);
          any_item = 1;
          stop = run_replaced(line);
          free(line);
        }
        started = 0;
      } else if (started || !is_blank(c)) {
        started = 1;
        if (item_put(&item, (char)c) < 0) break;
      }
      continue;
    }
    if (separator >= 0) { /* -0, -d: the separator ends an item, nothing else */
      if (c == separator) {
        any_item = 1;
        stop = line_add(item_take(&item));
        started = 0;
      } else {
        started = 1;
        if (item_put(&item, (char)c) < 0) break;
      }
      continue;
    }
    if (escaped) {
      escaped = 0;
      started = 1;
      if (item_put(&item, (char)c) < 0) break;
    } else if (quote) {
      if (c == '\n') {
        fprintf(stderr, "xargs: unmatched %s quote\n", quote == '\'' ? "single" : "double");
        status = 1;
        stop = 1;
      } else if (c == quote) {
        quote = 0;
      } else if (item_put(&item, (char)c) < 0) {
        break;
      }
    } else if (c == '\\') {
      escaped = 1;
    } else if (c == '\'' || c == '"') {
      quote = c;
      started = 1;
    } else if (is_blank(c) || c == '\n') {
      if (started) {
        any_item = line_has_item = 1;
        stop = line_add(item_take(&item));
        started = 0;
      }
      /* -L: a nonblank line ends here, unless it ends with a blank */
      if (!stop && c == '\n' && line_has_item && !is_blank(previous)) {
        line_has_item = 0;
        if (max_lines > 0 && ++line_lines >= max_lines) stop = line_run(0);
      }
    } else {
      started = 1;
      if (item_put(&item, (char)c) < 0) break;
    }
    previous = c;
  }
  if (!stop && quote) {
    fprintf(stderr, "xargs: unmatched %s quote\n", quote == '\'' ? "single" : "double");
    status = 1;
    stop = 1;
  }
  if (!stop && c != EOF) { /* a put that failed */
    fprintf(stderr, "xargs: %s\n", strerror(ENOMEM));
    status = 1;
    stop = 1;
  }
  if (!stop && started) { /* the last item, with no separator after it */
    if (replace) {
      char* line = item_take(&item);
      stop = run_replaced(line);
      free(line);
    } else {
      stop = line_add(item_take(&item));
    }
    any_item = 1;
  }
  free(item.bytes);
  if (!stop && !replace) stop = line_run(!any_item && !no_run_if_empty);
  return stop;
}

/* -d's DELIM: a character, or an escape (\n \t \0 \\ \xHH); -1 when it is neither. */
static int delimiter(const char* text) {
  if (text[0] != '\0' && text[1] == '\0') return (unsigned char)text[0];
  if (text[0] != '\\') return -1;
  if (!strcmp(text, "\\n")) return '\n';
  if (!strcmp(text, "\\t")) return '\t';
  if (!strcmp(text, "\\0")) return '\0';
  if (!strcmp(text, "\\\\")) return '\\';
  if (text[1] == 'x' && text[2] != '\0') {
    char* end;
    const long value = strtol(text + 2, &end, 16);
    if (*end == '\0' && value >= 0 && value <= 255) return (int)value;
  }
  return -1;
}

/* A positive number (or 0 for -P), -1 when it is not. */
static long count_of(const char* text, long least) {
  char* end;
  const long value = strtol(text, &end, 10);
  return *text != '\0' && *end == '\0' && value >= least ? value : -1;
}

int main(int argc, char** argv) {
  int i = 1;
  for (; i < argc && argv[i][0] == '-' && argv[i][1] != '\0'; i++) {
    const char* option = argv[i];
    if (!strcmp(option, "--")) {
      i++;
      break;
    }
    if (!strcmp(option, "-0")) separator = '\0';
    else if (!strcmp(option, "-r")) no_run_if_empty = 1;
    else if (!strcmp(option, "-t")) trace = 1;
    else if (strchr("adnLIP", option[1]) && option[2] == '\0') {
      if (i + 1 >= argc) {
        fprintf(stderr, "xargs: %s needs an argument\n", option);
        return usage();
      }
      const char* value = argv[++i];
      if (option[1] == 'd' && (separator = delimiter(value)) < 0) {
        fprintf(stderr, "xargs: -d %s: not a character\n", value);
        return usage();
      }
      if (option[1] == 'I') replace = value;
      if (option[1] == 'a') {
        if (!(input = fopen(value, "r"))) {
          fprintf(stderr, "xargs: %s: %s\n", value, strerror(errno));
          return 1;
        }
        input_from_file = 1;
      }
      if ((option[1] == 'n' && (max_items = count_of(value, 1)) < 0) ||
          (option[1] == 'L' && (max_lines = count_of(value, 1)) < 0) ||
          (option[1] == 'P' && (max_procs = count_of(value, 0)) < 0)) {
        fprintf(stderr, "xargs: %s %s: not a number%s\n", option, value, option[1] == 'P' ? "" : " above 0");
        return usage();
      }
      if (option[1] == 'I' && *replace == '\0') {
        fprintf(stderr, "xargs: -I needs a string to replace\n");
        return usage();
      }
    } else {
      fprintf(stderr, "xargs: %s: not an option\n", option);
      return usage();
    }
  }
  if (max_procs > kMaxProcs || max_procs == 0) max_procs = kMaxProcs;
  if (!input) input = stdin;
  static char* echo[] = {"echo", NULL};
  initial = i < argc ? argv + i : echo;
  initial_count = i < argc ? argc - i : 1;
  for (int j = 0; j < initial_count; j++) initial_size += strlen(initial[j]) + 1;
  size_t environment = 0;
  for (char** e = environ; e && *e; e++) environment += strlen(*e) + 1;
  const long arg_max = sysconf(_SC_ARG_MAX);
  size_limit = arg_max > 0 && (size_t)arg_max > environment + 2048 + 1024 ? (size_t)arg_max - environment - 2048 : 1024;
  if (replace && initial_count >= kMaxArgs) return usage();
  line_start();
  read_items();
  while (running > 0) wait_one();
  return status;
}
