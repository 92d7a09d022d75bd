/* cp: copies the file SOURCE to DESTINATION, or into it under the same name when it is a
 * directory (cp SOURCE DESTINATION). A user program of mkh's /bin (user/apps/): plain C, runs
 * unchanged under qemu-riscv32. Errors are reported with strerror; the status is then 1. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int fail(const char* what) {
  fprintf(stderr, "cp: %s: %s\n", what, strerror(errno));
  return 1;
}

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: cp SOURCE DESTINATION\n");
    return 1;
  }
  const char* source = argv[1];
  char destination[512];
  struct stat info;
  if (stat(argv[2], &info) == 0 && S_ISDIR(info.st_mode)) {
    const char* base = strrchr(source, '/');
    snprintf(destination, sizeof destination, "%s/%s", argv[2], base ? base + 1 : source);
  } else {
    snprintf(destination, sizeof destination, "%s", argv[2]);
  }
  int in = open(source, O_RDONLY);
  if (in < 0) return fail(source);
  int out = open(destination, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (out < 0) return fail(destination);
  static char buffer[4096];
  ssize_t got;
  while ((got = read(in, buffer, sizeof buffer)) > 0) {
    for (ssize_t done = 0; done < got;) {
      ssize_t put = write(out, buffer + done, (size_t)(got - done));
      if (put < 0) return fail(destination);
      done += put;
    }
  }
  if (got < 0) return fail(source);
  close(in);
  if (close(out) < 0) return fail(destination);
  return 0;
}
