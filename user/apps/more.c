/* more [FILE...]: files, or stdin without one, a screen at a time, as util-linux's more. On a
 * terminal (stdout one, and /dev/tty there to read keys from, so that more can page a pipe), a
 * screen of the terminal's rows but one, then a prompt in reverse video: --More-- and how far
 * into a file it is ((42%)), or the next file's name at a file's end. Keys, read as typed:
 * space or f a screen more, Return or j a line, d half a screen, b a screen back (a file, not a
 * pipe), /PATTERN the next line matching the regular expression (n: again), h the keys, q or
 * the terminal's interrupt quits, the terminal's modes restored. A line longer than the
 * terminal is counted as the rows it takes. Elsewhere, a copy of each file, after a header of
 * its name when there are several or stdin is no terminal (util-linux's ::::::::::::::), as
 * util-linux's more prints it. A file that cannot be opened is named on stderr, a folder on
 * stdout; more goes on and exits 0, as util-linux's. None of util-linux's options: one is a
 * usage error, as no file with stdin a terminal (exit 1, as util-linux's). A user program of
 * mkh's /bin (user/apps/). */
#include <errno.h>
#include <fcntl.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "linux_syscalls.h"

static int keys = -1; /* /dev/tty, read for keys on a terminal; -1 elsewhere */
static int rows = 24; /* the terminal's */
static int columns = 80;
static struct linux_termios before;
static volatile sig_atomic_t interrupted;

static void on_interrupt(int signal) {
  (void)signal;
  interrupted = 1;
}

/* Ends with the terminal as it was: after q, or by the interrupt as it would have. */
static void finish(void) {
  fputs("\r\033[K", stdout);
  fflush(stdout);
  linux_tcsets(keys, &before);
  if (interrupted) {
    signal(SIGINT, SIG_DFL);
    raise(SIGINT);
  }
  exit(0);
}

/* The next key typed, or finish() for the interrupt or the terminal's end. */
static int key(void) {
  fflush(stdout);
  unsigned char byte = 0;
  while (!interrupted) {
    const ssize_t got = read(keys, &byte, 1);
    if (got == 1) return byte;
    if (got == 0 || errno != EINTR) break;
  }
  finish();
  return 0;
}

static void header(const char* name) { printf("::::::::::::::\n%s\n::::::::::::::\n", name); }

/* The rows `line` takes on the terminal: tabs to the next multiple of 8, a UTF-8 character's
 * continuation bytes none. */
static int rows_of(const char* line) {
  int column = 0;
  for (const char* c = line; *c != '\0' && *c != '\n'; c++) {
    if (*c == '\t') column = (column / 8 + 1) * 8;
    else if (((unsigned char)*c & 0xc0) != 0x80) column++;
  }
  return column == 0 ? 1 : (column + columns - 1) / columns;
}

/* A file being paged: its stream, its size when it is a file (0: a pipe, no percentage, no
 * going back), the place of each line shown so far for going back. */
struct paged {
  FILE* stream;
  long size;
  long* starts; /* the place of line i */
  long lines;   /* lines read */
  long capacity;
  char* line;
  size_t line_capacity;
};

/* The next line into p->line; 0 at the end. */
static int next_line(struct paged* p) {
  const long place = p->size > 0 ? ftell(p->stream) : 0;
  if (getline(&p->line, &p->line_capacity, p->stream) < 0) return 0;
  if (p->size > 0) {
    if (p->lines == p->capacity) {
      p->capacity = p->capacity == 0 ? 256 : p->capacity * 2;
      long* grown = realloc(p->starts, (size_t)p->capacity * sizeof *grown);
      if (grown == NULL) {
        p->size = 0; /* no memory to go back: paged as a pipe */
        return 1;
      }
      p->starts = grown;
    }
    p->starts[p->lines] = place;
  }
  p->lines++;
  return 1;
}

/* Shows lines until `count` rows are filled or the file ends; 0 at its end. */
static int show_rows(struct paged* p, int count) {
  while (count > 0) {
    if (!next_line(p)) return 0;
    fputs(p->line, stdout);
    if (strchr(p->line, '\n') == NULL) putchar('\n');
    count -= rows_of(p->line);
  }
  return 1;
}

/* Goes back to line `line` of a file (its place known). */
static void seek_line(struct paged* p, long line) {
  fseek(p->stream, p->starts[line], SEEK_SET);
  p->lines = line;
}

static void help(void) {
  fputs(
      "\r\033[K"
      "space, f   a screen more\n"
      "Return, j  a line more\n"
      "d          half a screen more\n"
      "b          a screen back (a file)\n"
      "/PATTERN   on to the next line matching the regular expression\n"
      "n          on to the next match of the last one\n"
      "h          these keys\n"
      "q          quit\n",
      stdout);
}

/* Reads a pattern typed after '/', echoed; 0 when erased or interrupted by Return alone. */
static int read_pattern(char* pattern, size_t size) {
  size_t length = 0;
  fputs("\r\033[K/", stdout);
  for (;;) {
    const int c = key();
    if (c == '\r' || c == '\n') break;
    if (c == 0x7f || c == '\b') {
      if (length == 0) return 0;
      length--;
      fputs("\b \b", stdout);
    } else if (c >= ' ' && length + 1 < size) {
      pattern[length++] = (char)c;
      putchar(c);
    }
  }
  pattern[length] = '\0';
  return length > 0;
}

/* On from the line after the screen's to the next line matching `pattern`, shown first with
 * a screen after it: its number, or -1 (the file left where it was) when no line matches. */
static long search(struct paged* p, regex_t* pattern) {
  const long from = p->lines;
  const long place = ftell(p->stream);
  while (next_line(p)) {
    if (regexec(pattern, p->line, 0, NULL, 0) == 0) {
      const long found = p->lines - 1;
      fputs("...skipping\n", stdout);
      fputs(p->line, stdout);
      if (strchr(p->line, '\n') == NULL) putchar('\n');
      show_rows(p, rows - 2 - rows_of(p->line));
      return found;
    }
  }
  clearerr(p->stream);
  if (p->size > 0) {
    fseek(p->stream, place, SEEK_SET);
    p->lines = from;
  }
  return -1;
}

/* Pages one file, its first screen `header_rows` shorter; `next` the name of the one after it
 * (NULL for the last). */
static void page(struct paged* p, int header_rows, const char* next) {
  static regex_t pattern;
  static int have_pattern;
  char message[80] = "";
  long top = 0; /* the first line of the screen */
  int more = show_rows(p, rows - 1 - header_rows);
  for (;;) {
    if (!more && next == NULL) return;
    fputs("\033[7m--More--", stdout);
    if (!more) printf("(Next file: %s)", next);
    else if (p->size > 0) printf("(%ld%%)", ftell(p->stream) * 100 / p->size);
    if (message[0] != '\0') printf("[%s]", message);
    fputs("\033[27m", stdout);
    message[0] = '\0';
    const int c = key();
    if (c == 'q' || c == 'Q') finish();
    if (!more) {
      if (c == ' ' || c == 'f' || c == '\r' || c == '\n' || c == 'j') {
        fputs("\r\033[K", stdout);
        return;
      }
      strcpy(message, "Press 'h' for the keys");
      fputs("\r\033[K", stdout);
      continue;
    }
    fputs("\r\033[K", stdout);
    switch (c) {
      case ' ':
      case 'f':
      case 6: /* Ctrl-F */
        top = p->lines;
        more = show_rows(p, rows - 1);
        break;
      case '\r':
      case '\n':
      case 'j':
        top++;
        more = show_rows(p, 1);
        break;
      case 'd':
      case 4: /* Ctrl-D */
        top += rows / 2;
        more = show_rows(p, rows / 2);
        break;
      case 'b':
      case 2: /* Ctrl-B */
        if (p->size == 0) {
          strcpy(message, "Cannot go back in a pipe");
          break;
        }
        top = top > rows - 1 ? top - (rows - 1) : 0;
        seek_line(p, top);
        fputs("\n...back one screen\n\n", stdout);
        more = show_rows(p, rows - 4);
        break;
      case '/':
      case 'n': {
        char typed[128];
        if (c == '/') {
          if (!read_pattern(typed, sizeof typed)) {
            fputs("\r\033[K", stdout);
            break;
          }
          fputs("\r\033[K", stdout);
          if (have_pattern) regfree(&pattern);
          have_pattern = regcomp(&pattern, typed, REG_NOSUB) == 0;
          if (!have_pattern) {
            strcpy(message, "Not a regular expression");
            break;
          }
        } else if (!have_pattern) {
          strcpy(message, "No previous pattern");
          break;
        }
        const long found = search(p, &pattern);
        if (found >= 0) top = found;
        else strcpy(message, "Pattern not found");
        break;
      }
      case 'h':
      case '?': help(); break;
      default: strcpy(message, "Press 'h' for the keys");
    }
  }
}

/* Opens `name` (NULL: stdin; "-" is a name, as util-linux's); NULL after saying why. */
static FILE* open_input(const char* name) {
  if (name == NULL) return stdin;
  struct stat status;
  if (stat(name, &status) == 0 && S_ISDIR(status.st_mode)) {
    printf("\n*** %s: directory ***\n\n", name);
    return NULL;
  }
  FILE* stream = fopen(name, "r");
  if (stream == NULL) {
    fflush(stdout);
    fprintf(stderr, "more: cannot open %s: %s\n", name, strerror(errno));
  }
  return stream;
}

/* A usage error, said as util-linux's more says it: exit 1. */
static int usage(const char* what) {
  fprintf(stderr, "more: %s\nTry 'more --help' for more information.\n", what);
  return 1;
}

int main(int argc, char** argv) {
  const int files = argc - 1;
  for (int i = 1; i < argc; i++)
    if (argv[i][0] == '-' && argv[i][1] != '\0') {
      char what[64];
      if (argv[i][1] == '-') snprintf(what, sizeof what, "unrecognized option '%.40s'", argv[i]);
      else snprintf(what, sizeof what, "invalid option -- '%c'", argv[i][1]);
      return usage(what);
    }
  if (files == 0 && isatty(0)) return usage("bad usage");
  if (isatty(1)) keys = open("/dev/tty", O_RDONLY);
  if (keys >= 0 && linux_tcgets(keys, &before) != 0) {
    close(keys);
    keys = -1;
  }
  if (keys < 0) {
    /* A copy of each: no screens, no keys. */
    const int names = files > 1 || !isatty(0);
    for (int i = 1; i <= (files == 0 ? 1 : files); i++) {
      FILE* in = open_input(files == 0 ? NULL : argv[i]);
      if (in == NULL) continue;
      if (names && files > 0) header(argv[i]);
      char buffer[4096];
      size_t got;
      while ((got = fread(buffer, 1, sizeof buffer, in)) > 0) fwrite(buffer, 1, got, stdout);
      if (in != stdin) fclose(in);
    }
    return 0;
  }
  struct linux_winsize size = {0};
  if (ioctl(1, LINUX_TIOCGWINSZ, &size) == 0 && size.ws_row > 2 && size.ws_col > 0) {
    rows = size.ws_row;
    columns = size.ws_col;
  }
  struct linux_termios raw = before;
  linux_make_raw(&raw);
  linux_tcsets(keys, &raw);
  struct sigaction action = {0};
  action.sa_handler = on_interrupt; /* no SA_RESTART: the key's read ends */
  sigaction(SIGINT, &action, NULL);
  for (int i = 1; i <= (files == 0 ? 1 : files); i++) {
    struct paged p = {0};
    p.stream = open_input(files == 0 ? NULL : argv[i]);
    if (p.stream == NULL) continue;
    struct stat status;
    if (fstat(fileno(p.stream), &status) == 0 && S_ISREG(status.st_mode)) p.size = (long)status.st_size;
    if (files > 1) header(argv[i]);
    page(&p, files > 1 ? 3 : 0, i < files ? argv[i + 1] : NULL);
    free(p.starts);
    free(p.line);
    if (p.stream != stdin) fclose(p.stream);
  }
  finish();
}
