/* mkdir: makes each directory named; with -p, its missing parents too and no error when it
 * exists. A user program of mkh's /bin (user/apps/): plain C, runs unchanged under
 * qemu-riscv32. Errors are reported with strerror; the status is then 1. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static int make(const char* path, int parents) {
  if (parents) {
    char prefix[512];
    snprintf(prefix, sizeof prefix, "%s", path);
    for (char* slash = strchr(prefix + 1, '/'); slash != NULL; slash = strchr(slash + 1, '/')) {
      *slash = '\0';
      if (mkdir(prefix, 0755) < 0 && errno != EEXIST) {
        fprintf(stderr, "mkdir: %s: %s\n", prefix, strerror(errno));
        return 1;
      }
      *slash = '/';
    }
  }
  if (mkdir(path, 0755) < 0 && !(parents && errno == EEXIST)) {
    fprintf(stderr, "mkdir: %s: %s\n", path, strerror(errno));
    return 1;
  }
  return 0;
}

int main(int argc, char** argv) {
  int parents = 0, first = 1, status = 0;
  if (argc > 1 && strcmp(argv[1], "-p") == 0) {
    parents = 1;
    first = 2;
  }
  if (first == argc) {
    fprintf(stderr, "usage: mkdir [-p] DIRECTORY...\n");
    return 1;
  }
  for (int i = first; i < argc; i++) status |= make(argv[i], parents);
  return status;
}
