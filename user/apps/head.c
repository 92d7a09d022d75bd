/* head [-n N | -N | -c N] [FILE...]: the first N lines (10 by default), or with -c the first N
 * bytes, of each file, standard input when none; with several files, each under a `==> FILE <==` line, a blank line between them, as
 * coreutils' head does. A file it cannot read is reported and the status is 1; a bad option
 * or count is a usage error (2). A user program of mkh's /bin (user/apps/): plain C, runs
 * unchanged under qemu-riscv32. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int usage(void) {
  fprintf(stderr, "usage: head [-n N | -N | -c N] [FILE...]\n");
  return 2;
}

/* Copies the first `count` lines (or, `bytes`, bytes) of `fd` to standard output, stopping as
 * soon as they are out. */
static int head(int fd, const char* name, long count, int bytes) {
  static char buffer[4096];
  while (count > 0) {
    const ssize_t got = read(fd, buffer, bytes && count < (long)sizeof buffer ? (size_t)count : sizeof buffer);
    if (got == 0) return 0;
    if (got < 0) {
      fprintf(stderr, "head: %s: %s\n", name, strerror(errno));
      return 1;
    }
    ssize_t end = bytes ? got : 0;
    if (bytes) count -= got;
    while (end < got && count > 0)
      if (buffer[end++] == '\n') count--;
    fwrite(buffer, 1, (size_t)end, stdout);
  }
  return 0;
}

int main(int argc, char** argv) {
  long count = 10;
  int first = 1, bytes = 0;
  /* -n N, the older -N, or -c N */
  const int short_form = first < argc && argv[first][0] == '-' && argv[first][1] >= '0' && argv[first][1] <= '9';
  bytes = first < argc && !strcmp(argv[first], "-c");
  if (first < argc && (!strcmp(argv[first], "-n") || bytes || short_form)) {
    if (!short_form && first + 1 == argc) return usage();
    const char* number = short_form ? argv[first] + 1 : argv[first + 1];
    char* end;
    count = strtol(number, &end, 10);
    if (number[0] == '\0' || *end != '\0' || count < 0) {
      fprintf(stderr, "head: %s: invalid number of %s\n", number, bytes ? "bytes" : "lines");
      return usage();
    }
    first += short_form ? 1 : 2;
  }
  if (first < argc && argv[first][0] == '-' && argv[first][1] != '\0') return usage();
  if (first == argc) return head(0, "standard input", count, bytes);
  int status = 0, shown = 0;
  for (int i = first; i < argc; i++) {
    const int fd = open(argv[i], O_RDONLY);
    if (fd < 0) {
      fprintf(stderr, "head: %s: %s\n", argv[i], strerror(errno));
      status = 1;
      continue;
    }
    if (argc - first > 1) printf("%s==> %s <==\n", shown++ ? "\n" : "", argv[i]);
    status |= head(fd, argv[i], count, bytes);
    close(fd);
  }
  return status;
}
