/* echo: prints its arguments separated by spaces and a newline (none with -n first). A user
 * program of mkh's /bin (user/apps/): plain C, runs unchanged under qemu-riscv32. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char** argv) {
  int first = 1, newline = 1;
  if (argc > 1 && strcmp(argv[1], "-n") == 0) {
    newline = 0;
    first = 2;
  }
  for (int i = first; i < argc; i++) {
    if (i > first) putchar(' ');
    fputs(argv[i], stdout);
  }
  if (newline) putchar('\n');
  if (fflush(stdout) != 0 || ferror(stdout)) {  // as coreutils' echo: `echo a >/dev/full` fails
    fprintf(stderr, "echo: write error: %s\n", strerror(errno));
    return 1;
  }
  return 0;
}
