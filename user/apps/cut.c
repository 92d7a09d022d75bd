/* cut -b LIST | -c LIST | -f LIST [-d DELIM] [-s] [-n] [FILE...]: parts of each line of the
 * files (standard input when none, or for "-"), as coreutils' cut does in the C locale.
 *   -b LIST   the bytes at the positions of LIST (counted from 1), in the line's order, each
 *             once; -c LIST is the same (a character is a byte in the C locale)
 *   -f LIST   the fields of LIST, the fields being what DELIM (-d, a tab by default; -d ''
 *             is the NUL byte) separates, written with DELIM between them; a line without
 *             DELIM is written whole, or left out with -s
 *   -n        ignored (as coreutils does)
 * LIST: numbers and ranges N, N-M, N- (to the end), -M (from 1), separated by commas or
 * blanks. Each line written ends with a newline, the last one too. Options may be grouped
 * (-sf1), their value attached (-d:) and mixed with the files; "--" ends them. A file it
 * cannot read is reported and the status is 1; a usage error (no list or two, a bad list, -d
 * or -s without -f, a DELIM of several bytes, an unknown option) is 2. Not coreutils': no
 * long options, --complement, --output-delimiter or -z; a newline as DELIM splits each line
 * (coreutils' takes the lines of the whole input as the fields). A user program of mkh's
 * /bin (user/apps/): plain C, runs unchanged under qemu-riscv32. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Positions first to last (from 1); ~0 as last: to the end of the line. */
struct range {
  unsigned long long first, last;
};

/* What the options ask for: the kind of list ('b', 'c' or 'f', 0 before one is given), its
 * ranges (sorted, merged), the delimiter and -s. */
struct cut {
  char mode;
  const char* list_text;
  struct range* ranges;
  size_t count;
  int delimiter, delimiter_given, suppress;
};

static int usage(void) {
  fprintf(stderr, "usage: cut -b LIST | -c LIST | -f LIST [-d DELIM] [-s] [FILE...]\n");
  return 2;
}

/* Reports a usage error (the message after "cut: ", then `what`); returns -1. */
static int bad_use(const char* message, const char* what) {
  fprintf(stderr, "cut: %s%s\n", message, what);
  return -1;
}

/* Adds the range first-last to the list; 0, or -1 (no memory) after a report. */
static int add_range(struct cut* c, unsigned long long first, unsigned long long last, size_t* capacity) {
  if (c->count == *capacity) {
    *capacity = *capacity ? *capacity * 2 : 8;
    struct range* bigger = realloc(c->ranges, *capacity * sizeof *bigger);
    if (bigger == NULL) return bad_use(strerror(ENOMEM), "");
    c->ranges = bigger;
  }
  c->ranges[c->count].first = first;
  c->ranges[c->count++].last = last;
  return 0;
}

/* Ends a number or range of the list (at a comma, a blank or the end): adds it; 0, or -1 after
 * the report of a bad one. */
static int end_item(struct cut* c, int dash, int low_given, int high_given, unsigned long long start,
                    unsigned long long value, size_t* capacity) {
  const int fields = c->mode == 'f';
  if (!dash) {
    if (value == 0)
      return bad_use(fields ? "fields are numbered from 1" : "byte/character positions are numbered from 1", "");
    return add_range(c, value, value, capacity);
  }
  if (!low_given && !high_given) return bad_use("invalid range with no endpoint: -", "");
  if (!high_given) return add_range(c, start, ~0ULL, capacity);
  if (value < start) return bad_use("invalid decreasing range", "");
  return add_range(c, start, value, capacity);
}

/* Sorts the ranges by their start (an insertion sort: lists are short) and merges the ones
 * that overlap. */
static void merge_ranges(struct cut* c) {
  for (size_t i = 1; i < c->count; i++) {
    const struct range r = c->ranges[i];
    size_t j = i;
    for (; j > 0 && c->ranges[j - 1].first > r.first; j--) c->ranges[j] = c->ranges[j - 1];
    c->ranges[j] = r;
  }
  size_t kept = 0;
  for (size_t i = 0; i < c->count; i++) {
    if (kept > 0 && c->ranges[i].first <= c->ranges[kept - 1].last) {
      if (c->ranges[i].last > c->ranges[kept - 1].last) c->ranges[kept - 1].last = c->ranges[i].last;
    } else {
      c->ranges[kept++] = c->ranges[i];
    }
  }
  c->count = kept;
}

/* Reads the LIST into ranges; 0, or -1 after the report of a bad one. */
static int parse_list(struct cut* c) {
  const int fields = c->mode == 'f';
  size_t capacity = 0;
  unsigned long long value = 0, start = 1;
  int dash = 0, low_given = 0, high_given = 0;
  const char* digits = NULL; /* where the number being read starts */
  for (const char* at = c->list_text;; at++) {
    if (*at == '-') {
      if (dash) return bad_use(fields ? "invalid field range" : "invalid byte or character range", "");
      if (low_given && value == 0)
        return bad_use(fields ? "fields are numbered from 1" : "byte/character positions are numbered from 1", "");
      dash = 1;
      start = low_given ? value : 1;
      value = 0;
      digits = NULL;
    } else if (*at == ',' || *at == ' ' || *at == '\t' || *at == '\0') {
      if (end_item(c, dash, low_given, high_given, start, value, &capacity) < 0) return -1;
      if (*at == '\0') break;
      dash = low_given = high_given = 0;
      value = 0;
      digits = NULL;
    } else if (*at >= '0' && *at <= '9') {
      if (digits == NULL) digits = at;
      if (dash) high_given = 1;
      else low_given = 1;
      const unsigned digit = (unsigned)(*at - '0');
      if (value > (~0ULL - digit) / 10 || (value = value * 10 + digit) == ~0ULL) {
        const size_t length = strspn(digits, "0123456789");
        fprintf(stderr, "cut: %s %.*s is too large\n", fields ? "field number" : "byte/character offset", (int)length,
                digits);
        return -1;
      }
    } else {
      return bad_use(fields ? "invalid field value " : "invalid byte/character position ", at);
    }
  }
  merge_ranges(c);
  return 0;
}

/* Whether `position` is in the list; `next` is the first range that may hold it, moved on as
 * the positions asked for grow. */
static int selected(const struct cut* c, size_t* next, unsigned long long position) {
  while (*next < c->count && c->ranges[*next].last < position) ++*next;
  return *next < c->count && c->ranges[*next].first <= position;
}

/* Writes the selected bytes of a line (`length` bytes, without its newline). */
static void cut_bytes(const struct cut* c, const char* line, size_t length) {
  for (size_t i = 0; i < c->count && c->ranges[i].first <= length; i++) {
    const size_t first = (size_t)c->ranges[i].first - 1;
    const size_t last = c->ranges[i].last < length ? (size_t)c->ranges[i].last : length;
    fwrite(line + first, 1, last - first, stdout);
  }
  putchar('\n');
}

/* Writes the selected fields of a line (`length` bytes, without its newline), or the line
 * when it holds no delimiter (nothing then with -s). */
static void cut_fields(const struct cut* c, const char* line, size_t length) {
  const char* end = line + length;
  if (memchr(line, c->delimiter, length) == NULL) {
    if (c->suppress) return;
    fwrite(line, 1, length, stdout);
    putchar('\n');
    return;
  }
  size_t next = 0;
  int written = 0;
  unsigned long long number = 1;
  for (const char* field = line; next < c->count; number++) {
    const char* stop = memchr(field, c->delimiter, (size_t)(end - field));
    if (stop == NULL) stop = end;
    if (selected(c, &next, number)) {
      if (written++) putchar(c->delimiter);
      fwrite(field, 1, (size_t)(stop - field), stdout);
    }
    if (stop == end) break;
    field = stop + 1;
  }
  putchar('\n');
}

/* Cuts each line of the file `name` ("-": standard input); 0, or 1 after a report. */
static int cut_file(const struct cut* c, const char* name) {
  const int standard = !strcmp(name, "-");
  FILE* in = standard ? stdin : fopen(name, "r");
  if (in == NULL) {
    fprintf(stderr, "cut: %s: %s\n", name, strerror(errno));
    return 1;
  }
  char* line = NULL;
  size_t size = 0;
  ssize_t got;
  /* picolibc's stdio takes a failed read (a directory's) for the end: errno tells them apart */
  while ((errno = 0, got = getline(&line, &size, in)) >= 0) {
    size_t length = (size_t)got;
    if (length > 0 && line[length - 1] == '\n') length--;
    if (c->mode == 'f') cut_fields(c, line, length);
    else cut_bytes(c, line, length);
  }
  const int error = errno;
  const int failed = error != 0 || ferror(in) || !feof(in);
  free(line);
  if (!standard) fclose(in);
  if (failed) {
    fprintf(stderr, "cut: %s: %s\n", standard ? "standard input" : name, strerror(error));
    return 1;
  }
  return 0;
}

/* Reads the options of one argument (after its '-'); how many of the next arguments it took
 * (0 or 1), or -1 after a usage error's report. */
static int parse_options(const char* letters, const char* next, struct cut* c) {
  for (; *letters; letters++) {
    const char letter = *letters;
    if (letter == 's') {
      c->suppress = 1;
    } else if (letter == 'n') {
      continue;
    } else if (letter == 'b' || letter == 'c' || letter == 'f' || letter == 'd') {
      const char* value = letters[1] ? letters + 1 : next;
      if (value == NULL) {
        fprintf(stderr, "cut: option requires an argument -- '%c'\n", letter);
        return -1;
      }
      if (letter == 'd') {
        if (value[0] != '\0' && value[1] != '\0') return bad_use("the delimiter must be a single character", "");
        c->delimiter = (unsigned char)value[0];
        c->delimiter_given = 1;
      } else {
        if (c->mode) return bad_use("only one list may be specified", "");
        c->mode = letter;
        c->list_text = value;
      }
      return value == next;
    } else {
      fprintf(stderr, "cut: invalid option -- '%c'\n", letter);
      return -1;
    }
  }
  return 0;
}

/* Whether the options go together: 0, or -1 after a report. */
static int check_use(const struct cut* c) {
  if (!c->mode) return bad_use("you must specify a list of bytes, characters, or fields", "");
  if (c->delimiter_given && c->mode != 'f')
    return bad_use("an input delimiter may be specified only when operating on fields", "");
  if (c->suppress && c->mode != 'f')
    return bad_use("suppressing non-delimited lines makes sense\n\tonly when operating on fields", "");
  return 0;
}

int main(int argc, char** argv) {
  struct cut c = {0, NULL, NULL, 0, '\t', 0, 0};
  const char** files = malloc((size_t)argc * sizeof *files);
  if (files == NULL) {
    fprintf(stderr, "cut: %s\n", strerror(ENOMEM));
    return 1;
  }
  int count = 0, options_done = 0;
  for (int i = 1; i < argc; i++) {
    const char* arg = argv[i];
    if (options_done || arg[0] != '-' || arg[1] == '\0') {
      files[count++] = arg;
    } else if (!strcmp(arg, "--")) {
      options_done = 1;
    } else {
      const int took = parse_options(arg + 1, i + 1 < argc ? argv[i + 1] : NULL, &c);
      if (took < 0) return usage();
      i += took;
    }
  }
  if (check_use(&c) < 0 || parse_list(&c) < 0) return usage();
  if (count == 0) files[count++] = "-";
  int status = 0;
  for (int i = 0; i < count; i++) status |= cut_file(&c, files[i]);
  if (fflush(stdout) != 0 || ferror(stdout)) {
    fprintf(stderr, "cut: write error: %s\n", strerror(errno));
    return 1;
  }
  return status;
}
