/* tee [-a] [--] [FILE...]: copies standard input to standard output and to each FILE, made
 * empty first (created when missing), or added to with -a. A file it cannot open or write is
 * reported and left out, the others still written, and the status is then 1; an unknown option
 * is a usage error (2). A user program of mkh's /bin (user/apps/): plain C, runs unchanged
 * under qemu-riscv32. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int usage(void) {
  fprintf(stderr, "usage: tee [-a] [FILE...]\n");
  return 2;
}

/* Writes all `size` bytes of `data` to `fd`; -1 (errno set) when a write fails. */
static int write_all(int fd, const char* data, size_t size) {
  while (size > 0) {
    const ssize_t put = write(fd, data, size);
    if (put < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    data += put;
    size -= (size_t)put;
  }
  return 0;
}

/* Copies standard input to each of the `count` descriptors `fds` (named `names`), until its
 * end; a descriptor that fails is reported, closed and set to -1. 1 when anything failed. */
static int copy(int* fds, const char* const* names, int count) {
  static char buffer[4096];
  int status = 0;
  for (;;) {
    const ssize_t got = read(0, buffer, sizeof buffer);
    if (got < 0 && errno == EINTR) continue;
    if (got == 0) return status;
    if (got < 0) {
      fprintf(stderr, "tee: standard input: %s\n", strerror(errno));
      return 1;
    }
    for (int i = 0; i < count; i++) {
      if (fds[i] < 0 || write_all(fds[i], buffer, (size_t)got) == 0) continue;
      fprintf(stderr, "tee: %s: %s\n", names[i], strerror(errno));
      if (fds[i] != 1) close(fds[i]);
      fds[i] = -1;
      status = 1;
    }
  }
}

int main(int argc, char** argv) {
  int append = 0, first = 1;
  for (; first < argc && argv[first][0] == '-' && argv[first][1] != '\0'; first++) {
    if (strcmp(argv[first], "--") == 0) {
      first++;
      break;
    }
    for (const char* option = argv[first] + 1; *option; option++)
      if (*option == 'a') append = 1;
      else return usage();
  }
  /* Slot 0 is standard output, then the files in their order. */
  const int count = argc - first + 1;
  int* fds = malloc((size_t)count * sizeof *fds);
  const char** names = malloc((size_t)count * sizeof *names);
  if (fds == NULL || names == NULL) {
    fprintf(stderr, "tee: %s\n", strerror(errno));
    return 1;
  }
  fds[0] = 1;
  names[0] = "standard output";
  int status = 0;
  const int flags = O_WRONLY | O_CREAT | (append ? O_APPEND : O_TRUNC);
  for (int i = 1; i < count; i++) {
    names[i] = argv[first + i - 1];
    fds[i] = open(names[i], flags, 0666);
    if (fds[i] < 0) {
      fprintf(stderr, "tee: %s: %s\n", names[i], strerror(errno));
      status = 1;
    }
  }
  status |= copy(fds, names, count);
  for (int i = 1; i < count; i++)
    if (fds[i] >= 0 && close(fds[i]) < 0) {
      fprintf(stderr, "tee: %s: %s\n", names[i], strerror(errno));
      status = 1;
    }
  free(fds);
  free(names);
  return status;
}
