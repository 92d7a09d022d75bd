/* head [-n N | -N] [FILE...]: the first N lines (10 by default) of each file, standard input when
 * none; with several files, each under a `==> FILE <==` line, a blank line between them, as
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
  fprintf(stderr, "usage: head [-n N | -N] [FILE...]\n");
  return 2;
}

/* Copies the first `lines` lines of `fd` to standard output, stopping as soon as they are out. */
static int head(int fd, const char* name, long lines) {
  static char buffer[4096];
  while (lines > 0) {
    const ssize_t got = read(fd, buffer, sizeof buffer);
    if (got == 0) return 0;
    if (got < 0) {
      fprintf(stderr, "head: %s: %s\n", name, strerror(errno));
      return 1;
    }
    ssize_t end = 0;
    while (end < got && lines > 0)
      if (buffer[end++] == '\n') lines--;
    fwrite(buffer, 1, (size_t)end, stdout);
  }
  return 0;
}

int main(int argc, char** argv) {
  long lines = 10;
  int first = 1;
  /* -n N, or the older -N */
  const int short_form = first < argc && argv[first][0] == '-' && argv[first][1] >= '0' && argv[first][1] <= '9';
  if (first < argc && (!strcmp(argv[first], "-n") || short_form)) {
    if (!short_form && first + 1 == argc) return usage();
    const char* count = short_form ? argv[first] + 1 : argv[first + 1];
    char* end;
    lines = strtol(count, &end, 10);
    if (count[0] == '\0' || *end != '\0' || lines < 0) {
      fprintf(stderr, "head: %s: invalid number of lines\n", count);
      return usage();
    }
    first += short_form ? 1 : 2;
  }
  if (first < argc && argv[first][0] == '-' && argv[first][1] != '\0') return usage();
  if (first == argc) return head(0, "standard input", lines);
  int status = 0, shown = 0;
  for (int i = first; i < argc; i++) {
    const int fd = open(argv[i], O_RDONLY);
    if (fd < 0) {
      fprintf(stderr, "head: %s: %s\n", argv[i], strerror(errno));
      status = 1;
      continue;
    }
    if (argc - first > 1) printf("%s==> %s <==\n", shown++ ? "\n" : "", argv[i]);
    status |= head(fd, argv[i], lines);
    close(fd);
  }
  return status;
}
