/* cat: copies each file named (standard input when none) to standard output, by read and
 * write. A user program of mkh's /bin (user/apps/): plain C, runs unchanged under
 * qemu-riscv32. A file it cannot read is reported with strerror; the status is then 1. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int copy(int fd, const char* name) {
  static char buffer[4096];
  for (;;) {
    ssize_t got = read(fd, buffer, sizeof buffer);
    if (got == 0) return 0;
    if (got < 0) {
      fprintf(stderr, "cat: %s: %s\n", name, strerror(errno));
      return 1;
    }
    for (ssize_t done = 0; done < got;) {
      ssize_t put = write(1, buffer + done, (size_t)(got - done));
      if (put < 0) {
        fprintf(stderr, "cat: write: %s\n", strerror(errno));
        return 1;
      }
      done += put;
    }
  }
}

int main(int argc, char** argv) {
  if (argc < 2) return copy(0, "stdin");
  int status = 0;
  for (int i = 1; i < argc; i++) {
    int fd = open(argv[i], O_RDONLY);
    if (fd < 0) {
      fprintf(stderr, "cat: %s: %s\n", argv[i], strerror(errno));
      status = 1;
      continue;
    }
    status |= copy(fd, argv[i]);
    close(fd);
  }
  return status;
}
