/* rmdir [-p] [--] DIRECTORY...: removes each empty directory named; with -p, then each of its
 * parents the path names, from the innermost out ("a/b/c": a/b/c, a/b, a), stopping at the
 * first that cannot go, as coreutils' rmdir -p. A directory that is not empty, missing or not a
 * directory is reported and the others are still removed; the status is then 1. An unknown
 * option or no operand is a usage error (2). A user program of mkh's /bin (user/apps/): plain
 * C, runs unchanged under qemu-riscv32. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int usage(void) {
  fprintf(stderr, "usage: rmdir [-p] DIRECTORY...\n");
  return 2;
}

/* Removes the directory `path`; 1, reported, when it cannot. */
static int remove_one(const char* path) {
  if (rmdir(path) == 0) return 0;
  fprintf(stderr, "rmdir: %s: %s\n", path, strerror(errno));
  return 1;
}

/* Removes the parents `path` names, the innermost first: the path is cut at its last slash (and
 * the slashes before it) again and again, each prefix removed, until no slash is left or a
 * removal fails. Works on a copy; 1 on a failure, reported. */
static int remove_parents(const char* path) {
  char* prefix = strdup(path);
  if (prefix == NULL) {
    fprintf(stderr, "rmdir: %s: %s\n", path, strerror(errno));
    return 1;
  }
  size_t end = strlen(prefix);
  int status = 0;
  for (;;) {
    while (end > 1 && prefix[end - 1] == '/') end--; /* the trailing slashes */
    while (end > 0 && prefix[end - 1] != '/') end--; /* the last component */
    if (end == 0) break;
    while (end > 1 && prefix[end - 1] == '/') end--; /* the slashes before it */
    prefix[end] = '\0';
    status = remove_one(prefix);
    if (status != 0) break;
  }
  free(prefix);
  return status;
}

int main(int argc, char** argv) {
  int parents = 0, first = 1;
  for (; first < argc && argv[first][0] == '-' && argv[first][1] != '\0'; first++) {
    if (strcmp(argv[first], "--") == 0) {
      first++;
      break;
    }
    for (const char* option = argv[first] + 1; *option; option++)
      if (*option == 'p') parents = 1;
      else return usage();
  }
  if (first == argc) return usage();
  int status = 0;
  for (int i = first; i < argc; i++) {
    if (remove_one(argv[i]) != 0) status = 1;
    else if (parents) status |= remove_parents(argv[i]);
  }
  return status;
}
