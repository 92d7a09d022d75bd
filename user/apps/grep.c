/* grep [-EFivcnlqsx] [-e PATTERN]... [PATTERN] [FILE...]: the lines of each file (standard input
 * when none, or for "-") that a pattern selects, as GNU grep does in the C locale. Patterns are
 * POSIX basic regular expressions (-E: extended ones, -F: fixed strings), matched by picolibc's
 * regcomp/regexec; a pattern holding newlines is one pattern per line, and an empty pattern
 * matches every line. Options (they may come after the operands, as GNU's do):
 *   -e PATTERN  the pattern (may be given several times; no PATTERN operand then)
 *   -i          ignore case          -v  select the lines that do not match
 *   -x          match whole lines    -c  print the count of selected lines, not the lines
 *   -n          prefix each line with its number          -l  print only the files' names
 *   -q          print nothing, stop at the first selected line
 *   -s          no messages about missing or unreadable files
 * With several files each output line starts with "FILE:". A file holding a NUL byte is binary:
 * from the 96 KiB block holding the first NUL on, NULs end lines too, and instead of its lines
 * "grep: FILE: binary file matches" is said on stderr. Not GNU's: the GNU extensions to basic
 * expressions (\+, \?, \|, \<, \>, \b, \w...) are not special, and in extended ones a `{` that
 * starts no valid interval, a leading `*` or `+` and a repeated repetition (`a**`) are errors;
 * a pattern that does not compile is reported with regerror's words. Exit status: 0 when a line
 * was selected, 1 when none, 2 after an error (a missing file, a bad pattern, a usage error),
 * even when a line was selected, except with -q, which exits 0 at the first selected line. A
 * user program of mkh's /bin (user/apps/): plain C, runs unchanged under qemu-riscv32. */
#include <errno.h>
#include <fcntl.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { BLOCK = 98304 };                      /* what one read asks for: 96 KiB, as GNU grep 3.8 reads */
enum { SELECTED = 1, FAILED = 2, STOP = 4 }; /* what searching one file gives */

/* What the options ask for, and the compiled patterns. */
struct grep {
  int invert, count, numbers, names_only, quiet, silent, whole, with_names;
  regex_t* patterns;
  size_t pattern_count;
  int empty_pattern; /* there was an empty one: it matches every line (every empty one with -x) */
};

/* The file being searched. */
struct file {
  const char* name;
  unsigned long long line, selected;
  int binary; /* a NUL was read: NULs end lines, lines are not shown */
};

/* The bytes read and not yet searched (a partial line at most between reads). */
struct buffer {
  char* data;
  size_t size, used;
};

static int usage(void) {
  fprintf(stderr, "usage: grep [-EFivcnlqsx] [-e PATTERN] [PATTERN] [FILE...]\n");
  return 2;
}

/* Compiles each line of each of the `count` patterns into `g`; on an error says which pattern
 * and returns 0. */
static int compile(struct grep* g, char** texts, int count, int flags) {
  size_t pieces = 0;
  for (int i = 0; i < count; i++)
    for (const char* c = texts[i];; c++) {
      if (*c == '\n' || *c == '\0') pieces++;
      if (*c == '\0') break;
    }
  g->patterns = malloc(pieces * sizeof *g->patterns);
  if (!g->patterns) {
    fprintf(stderr, "grep: %s\n", strerror(errno));
    return 0;
  }
  for (int i = 0; i < count; i++)
    for (const char* start = texts[i];;) {
      const size_t length = strcspn(start, "\n");
      char* piece = strndup(start, length);
      if (!piece) {
        fprintf(stderr, "grep: %s\n", strerror(errno));
        return 0;
      }
      if (length == 0) g->empty_pattern = 1;
      else {
        const int error = regcomp(&g->patterns[g->pattern_count], piece, flags);
        if (error) {
          char message[128];
          regerror(error, &g->patterns[g->pattern_count], message, sizeof message);
          fprintf(stderr, "grep: %s: %s\n", piece, message);
          return 0;
        }
        g->pattern_count++;
      }
      free(piece);
      if (start[length] == '\0') break;
      start += length + 1;
    }
  return 1;
}

/* Whether a pattern matches the `length` bytes at `line` (a whole line of them with -x). */
static int matches(const struct grep* g, const char* line, size_t length) {
  if (g->empty_pattern && (!g->whole || length == 0)) return 1;
  for (size_t i = 0; i < g->pattern_count; i++) {
    regmatch_t match = {0, (regoff_t)length};
    if (regexec(&g->patterns[i], line, 1, &match, REG_STARTEND) != 0) continue;
    if (!g->whole || (match.rm_so == 0 && match.rm_eo == (regoff_t)length)) return 1;
  }
  return 0;
}

/* Counts and shows one line of `f` if it is selected; returns 1 when the rest of the file need
 * not be read (-q, -l, or a binary file's first selected line). */
static int take_line(const struct grep* g, struct file* f, const char* line, size_t length) {
  f->line++;
  if (matches(g, line, length) == g->invert) return 0;
  f->selected++;
  if (g->quiet || g->names_only) return 1;
  if (g->count) return 0;
  if (f->binary) return 1;
  if (g->with_names) printf("%s:", f->name);
  if (g->numbers) printf("%llu:", f->line);
  fwrite(line, 1, length, stdout);
  putchar('\n');
  return 0;
}

/* Reads a block of `fd` to `into`: one read, or as many as a whole block takes from a regular
 * file (which block holds a NUL then does not depend on how much a read gives). Returns the
 * bytes read (0 at the end), or -1 with errno set. */
static ssize_t fill(int fd, char* into, int regular) {
  ssize_t done = 0;
  do {
    const ssize_t got = read(fd, into + done, (size_t)(BLOCK - done));
    if (got < 0) return -1;
    if (got == 0) break;
    done += got;
  } while (regular && done < BLOCK);
  return done;
}

/* Reads `fd` to its end (or until take_line says stop), passing it line by line to take_line;
 * the last line may lack its newline. Returns 0, or -1 with errno set. */
static int scan(const struct grep* g, int fd, int regular, struct file* f, struct buffer* b) {
  b->used = 0;
  for (;;) {
    if (b->size - b->used < BLOCK) {
      char* grown = realloc(b->data, b->used + BLOCK);
      if (!grown) {
        errno = ENOMEM;
        return -1;
      }
      b->data = grown;
      b->size = b->used + BLOCK;
    }
    const ssize_t got = fill(fd, b->data + b->used, regular);
    if (got < 0) return -1;
    if (!f->binary && memchr(b->data + b->used, '\0', (size_t)got)) f->binary = 1;
    /* What was kept from the last read holds no line end: start after it. */
    size_t start = 0, end = b->used;
    b->used += (size_t)got;
    for (; end < b->used; end++)
      if (b->data[end] == '\n' || (f->binary && b->data[end] == '\0')) {
        if (take_line(g, f, b->data + start, end - start)) return 0;
        start = end + 1;
      }
    if (got == 0) {
      if (start < b->used) take_line(g, f, b->data + start, b->used - start);
      return 0;
    }
    memmove(b->data, b->data + start, b->used - start);
    b->used -= start;
  }
}

/* Searches the file `path` ("-": standard input) and prints what the options ask for it;
 * returns SELECTED, FAILED and STOP (-q selected a line) or'ed. */
static int search(const struct grep* g, const char* path, struct buffer* b) {
  const int standard = !strcmp(path, "-");
  struct file f = {standard ? "(standard input)" : path, 0, 0, 0};
  const int fd = standard ? 0 : open(path, O_RDONLY);
  if (fd < 0) {
    if (!g->silent) fprintf(stderr, "grep: %s: %s\n", f.name, strerror(errno));
    return FAILED;
  }
  struct stat info;
  const int known = fstat(fd, &info) == 0;
  int failed = 0;
  if (known && S_ISDIR(info.st_mode)) {
    errno = EISDIR;
    failed = 1;
  } else {
    failed = scan(g, fd, known && S_ISREG(info.st_mode), &f, b) < 0;
  }
  if (failed && !g->silent) fprintf(stderr, "grep: %s: %s\n", f.name, strerror(errno));
  if (!standard) close(fd);
  if (g->quiet) return f.selected ? STOP : failed ? FAILED : 0;
  if (g->names_only) {
    if (f.selected) printf("%s\n", f.name);
  } else if (g->count) {
    if (g->with_names) printf("%s:", f.name);
    printf("%llu\n", f.selected);
  } else if (f.binary && f.selected) {
    fflush(stdout);
    fprintf(stderr, "grep: %s: binary file matches\n", f.name);
  }
  return (f.selected ? SELECTED : 0) | (failed ? FAILED : 0);
}

/* Sets the flag of option `option`; 0 for one grep does not have. */
static int set_flag(struct grep* g, int* flags, char option) {
  switch (option) {
    case 'i': *flags |= REG_ICASE; break;
    case 'v': g->invert = 1; break;
    case 'c': g->count = 1; break;
    case 'n': g->numbers = 1; break;
    case 'l': g->names_only = 1; break;
    case 'q': g->quiet = 1; break;
    case 's': g->silent = 1; break;
    case 'x': g->whole = 1; break;
    default: return 0;
  }
  return 1;
}

int main(int argc, char** argv) {
  struct grep g = {0};
  int flags = 0, pattern_count = 0, operand_count = 0;
  char matcher = 'G';
  char* patterns[argc];
  char* operands[argc];
  for (int i = 1; i < argc; i++) {
    char* arg = argv[i];
    if (!strcmp(arg, "--")) {
      while (++i < argc) operands[operand_count++] = argv[i];
      break;
    }
    if (arg[0] != '-' || arg[1] == '\0') {
      operands[operand_count++] = arg;
      continue;
    }
    if (arg[1] == '-') {
      fprintf(stderr, "grep: unrecognized option '%s'\n", arg);
      return usage();
    }
    for (const char* option = arg + 1; *option; option++) {
      if (*option == 'e') {
        if (option[1] == '\0' && i + 1 == argc) {
          fprintf(stderr, "grep: option requires an argument -- 'e'\n");
          return usage();
        }
        patterns[pattern_count++] = option[1] ? (char*)option + 1 : argv[++i];
        break;
      }
      if (*option == 'E' || *option == 'F') {
        if (matcher != 'G' && matcher != *option) {
          fprintf(stderr, "grep: conflicting matchers specified\n");
          return usage();
        }
        matcher = *option;
      } else if (!set_flag(&g, &flags, *option)) {
        fprintf(stderr, "grep: invalid option -- '%c'\n", *option);
        return usage();
      }
    }
  }
  int first = 0;
  if (pattern_count == 0) {
    if (operand_count == 0) return usage();
    patterns[pattern_count++] = operands[first++];
  }
  flags |= matcher == 'E' ? REG_EXTENDED : matcher == 'F' ? REG_NOSPEC : REG_BASIC;
  if (!compile(&g, patterns, pattern_count, flags)) return 2;
  g.with_names = operand_count - first > 1;
  struct buffer b = {NULL, 0, 0};
  int result = 0;
  if (first == operand_count) result = search(&g, "-", &b);
  for (int i = first; i < operand_count && !(result & STOP); i++) result |= search(&g, operands[i], &b);
  if (result & STOP) return 0;
  return result & FAILED ? 2 : result & SELECTED ? 0 : 1;
}
