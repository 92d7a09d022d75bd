/* tail [-n N] [-n +N] [-c N] [-c +N] [FILE...]: the last N lines (10 by default) of each
 * file, standard input when none or for "-"; with +N, the lines from the Nth on; with -c,
 * bytes instead of lines. A last line without a newline counts as a line. With several files,
 * each comes under a `==> FILE <==` line, a blank line between them, as coreutils' tail does;
 * as it does, -n 0 and -c 0 end at once, without opening anything. The last -n or -c given
 * counts; they may follow the files; "-N" alone before at most one file is -n N. A file it
 * cannot read is reported and the status is 1; a bad option or count is a usage error (2).
 * A user program of mkh's /bin (user/apps/): plain C, runs unchanged under qemu-riscv32. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* What to write: the last `count` lines or bytes, or from the `count`th one on. */
struct what {
  unsigned long long count;
  int bytes, from_start;
};

static int usage(void) {
  fprintf(stderr, "usage: tail [-n [+]N] [-c [+]N] [FILE...]\n");
  return 2;
}

/* Reads a count (digits, after a '+' meaning "from the start" or a '-' meaning nothing) into
 * `what`; 0, or -1 after the report of a bad one. */
static int parse_count(const char* text, int bytes, struct what* what) {
  const char* digits = text + (text[0] == '+' || text[0] == '-');
  char* end;
  errno = 0;
  const unsigned long long count = strtoull(digits, &end, 10);
  if (*digits < '0' || *digits > '9' || *end != '\0' || errno == ERANGE) {
    fprintf(stderr, "tail: %s: invalid number of %s\n", text, bytes ? "bytes" : "lines");
    return -1;
  }
  what->count = count;
  what->bytes = bytes;
  what->from_start = text[0] == '+';
  return 0;
}

/* Reads everything `fd` holds into a block that grows; its length, or -1 (errno set). */
static ssize_t read_all(int fd, char** data) {
  size_t length = 0, capacity = 0;
  *data = NULL;
  for (;;) {
    if (capacity - length < 4096) {
      capacity = capacity ? capacity * 2 : 65536;
      char* bigger = realloc(*data, capacity);
      if (bigger == NULL) return -1;
      *data = bigger;
    }
    const ssize_t got = read(fd, *data + length, capacity - length);
    if (got < 0) return -1;
    if (got == 0) return (ssize_t)length;
    length += (size_t)got;
  }
}

/* Where the part to write of `length` bytes of `data` starts. */
static size_t start_of(const char* data, size_t length, const struct what* what) {
  if (what->from_start) {
    const unsigned long long skip = what->count ? what->count - 1 : 0;
    if (what->bytes) return skip < length ? (size_t)skip : length;
    size_t at = 0;
    for (unsigned long long lines = 0; lines < skip && at < length; at++) lines += data[at] == '\n';
    return at;
  }
  if (what->bytes) return what->count < length ? length - (size_t)what->count : 0;
  size_t at = length;
  if (at > 0 && data[at - 1] == '\n') at--; /* the newline of the last line */
  for (unsigned long long lines = what->count; at > 0; at--)
    if (data[at - 1] == '\n' && --lines == 0) break;
  return at;
}

/* Writes the part of the file `fd` that `what` asks for; 0, or 1 after a report. */
static int tail(int fd, const char* name, const struct what* what) {
  char* data;
  const ssize_t length = read_all(fd, &data);
  if (length < 0) {
    fprintf(stderr, "tail: %s: %s\n", name, strerror(errno));
    free(data);
    return 1;
  }
  const size_t start = start_of(data, (size_t)length, what);
  fwrite(data + start, 1, (size_t)length - start, stdout);
  free(data);
  return 0;
}

/* Writes the file `name` ("-": standard input), under its header when `header`; 0 or 1. */
static int tail_file(const char* name, const struct what* what, int header, int* shown) {
  const int standard = !strcmp(name, "-");
  if (standard) name = "standard input";
  const int fd = standard ? 0 : open(name, O_RDONLY);
  if (fd < 0) {
    fprintf(stderr, "tail: %s: %s\n", name, strerror(errno));
    return 1;
  }
  if (header) printf("%s==> %s <==\n", (*shown)++ ? "\n" : "", name);
  const int status = tail(fd, name, what);
  if (!standard) close(fd);
  return status;
}

/* Reads the options; the files are left in `files` (their number in `count`). 0 or -1 after
 * a usage error's report. */
static int parse_arguments(int argc, char** argv, struct what* what, const char** files, int* count) {
  int options_done = 0;
  /* The obsolete form: "-N", first, and then at most one file. */
  if (argc >= 2 && argv[1][0] == '-' && argv[1][1] >= '0' && argv[1][1] <= '9' &&
      (argc == 2 || (argc == 3 && (argv[2][0] != '-' || argv[2][1] == '\0')))) {
    if (parse_count(argv[1] + 1, 0, what) < 0) return -1;
    argv++, argc--;
  }
  for (int i = 1; i < argc; i++) {
    const char* arg = argv[i];
    if (options_done || arg[0] != '-' || arg[1] == '\0') {
      files[(*count)++] = arg;
    } else if (!strcmp(arg, "--")) {
      options_done = 1;
    } else if (arg[1] == 'n' || arg[1] == 'c') {
      const char* value = arg[2] ? arg + 2 : i + 1 < argc ? argv[++i] : NULL;
      if (value == NULL) {
        fprintf(stderr, "tail: option requires an argument -- '%c'\n", arg[1]);
        return -1;
      }
      if (parse_count(value, arg[1] == 'c', what) < 0) return -1;
    } else {
      fprintf(stderr, "tail: invalid option -- '%c'\n", arg[1]);
      return -1;
    }
  }
  return 0;
}

int main(int argc, char** argv) {
  struct what what = {10, 0, 0};
  const char** files = malloc((size_t)argc * sizeof *files);
  if (files == NULL) {
    fprintf(stderr, "tail: %s\n", strerror(ENOMEM));
    return 1;
  }
  int count = 0;
  if (parse_arguments(argc, argv, &what, files, &count) < 0) return usage();
  if (what.count == 0 && !what.from_start) return 0;
  if (count == 0) files[count++] = "-";
  int status = 0, shown = 0;
  for (int i = 0; i < count; i++) status |= tail_file(files[i], &what, count > 1, &shown);
  return status;
}
