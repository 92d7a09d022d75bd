/* which [-a] NAME...: where PATH finds each NAME as a program, as Debian's which
 * (debianutils 5) says it: the first folder of PATH holding a regular file NAME that may be
 * executed, written as FOLDER/NAME (an empty folder of PATH is "."; an empty or unset PATH has
 * none); a NAME with a slash is written when it is itself such a file. -a writes every match,
 * not the first. The status is 0 when every NAME was found, 1 when one was not or none was
 * given, 2 for an unknown option. A user program of mkh's /bin (user/apps/): plain C, runs
 * unchanged under qemu-riscv32. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int all;

static int is_program(const char* path) {
  struct stat status;
  return stat(path, &status) == 0 && S_ISREG(status.st_mode) && access(path, X_OK) == 0;
}

/* Whether NAME was found; each match written (the first only without -a). */
static int which(const char* name, const char* search) {
  if (strchr(name, '/')) return is_program(name) && puts(name) >= 0;
  if (!search || !*search) return 0;
  int matched = 0;
  for (const char* folder = search;;) {
    const char* end = strchr(folder, ':');
    const int length = end ? (int)(end - folder) : (int)strlen(folder);
    char path[PATH_MAX];
    if (snprintf(path, sizeof path, "%.*s/%s", length ? length : 1, length ? folder : ".", name) < (int)sizeof path &&
        is_program(path)) {
      matched = puts(path) >= 0;
      if (!all) return matched;
    }
    if (!end) return matched;
    folder = end + 1;
  }
}

int main(int argc, char** argv) {
  int first = 1;
  for (; first < argc && argv[first][0] == '-' && argv[first][1] != '\0'; first++) {
    if (!strcmp(argv[first], "--")) {
      first++;
      break;
    }
    for (const char* option = argv[first] + 1; *option; option++) {
      if (*option != 'a') {
        fprintf(stderr, "Illegal option -%c\nUsage: which [-a] NAME...\n", *option);
        return 2;
      }
      all = 1;
    }
  }
  const char* search = getenv("PATH");
  int status = first == argc;
  for (int i = first; i < argc; i++)
    if (!which(argv[i], search)) status = 1;
  if (fflush(stdout) != 0) {
    perror("which: write error");
    return 1;
  }
  return status;
}
