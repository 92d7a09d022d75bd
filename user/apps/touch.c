/* touch: sets each file's modification time to now, making an empty file where there is none
 * (not with -c), as coreutils' touch without its other options. A user program of mkh's /bin
 * (user/apps/): plain C, runs unchanged under qemu-riscv32. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char** argv) {
  int create = 1, first = 1;
  if (argc > 1 && strcmp(argv[1], "-c") == 0) {
    create = 0;
    first = 2;
  }
  if (first >= argc) {
    fputs("touch: missing file operand\n", stderr);
    return 1;
  }
  int status = 0;
  for (int i = first; i < argc; i++) {
    if (utimensat(AT_FDCWD, argv[i], NULL, 0) == 0) continue;
    if (errno == ENOENT) {
      if (!create) continue;
      const int fd = open(argv[i], O_WRONLY | O_CREAT, 0666);
      if (fd >= 0) {
        close(fd);
        continue;
      }
    }
    fprintf(stderr, "touch: cannot touch '%s': %s\n", argv[i], strerror(errno));
    status = 1;
  }
  return status;
}
