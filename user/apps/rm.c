/* rm: removes each file named; with -r, directories and everything under them (read with
 * getdents64, removed with unlinkat). A user program of mkh's /bin (user/apps/): plain C, runs
 * unchanged under qemu-riscv32. Errors are reported with strerror; the status is then 1. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "linux_syscalls.h"

static int fail(const char* path) {
  fprintf(stderr, "rm: %s: %s\n", path, strerror(errno));
  return 1;
}

static int remove_tree(const char* path) {
  struct statx info;
  if (statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, STATX_TYPE, &info) < 0) return fail(path);
  if ((info.stx_mode & 0170000) != 0040000) return unlink(path) < 0 ? fail(path) : 0;
  /* A buffer of entries at a time, the directory closed before going down into them (a deep
   * tree does not hold a descriptor per level); read again until nothing is left. */
  for (;;) {
    int fd = open(path, O_RDONLY | O_DIRECTORY);
    if (fd < 0) return fail(path);
    char buffer[2048];
    int got = getdents64(fd, buffer, sizeof buffer), removed = 0;
    close(fd);
    if (got < 0) return fail(path);
    for (int at = 0; at < got;) {
      struct linux_dirent64* entry = (struct linux_dirent64*)(buffer + at);
      at += entry->d_reclen;
      if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0) continue;
      char child[512];
      snprintf(child, sizeof child, "%s/%s", path, entry->d_name);
      if (remove_tree(child) != 0) return 1;
      removed++;
    }
    if (removed == 0) break;
  }
  return rmdir(path) < 0 ? fail(path) : 0;
}

int main(int argc, char** argv) {
  int recursive = 0, first = 1, status = 0;
  if (argc > 1 && strcmp(argv[1], "-r") == 0) {
    recursive = 1;
    first = 2;
  }
  if (first == argc) {
    fprintf(stderr, "usage: rm [-r] PATH...\n");
    return 1;
  }
  for (int i = first; i < argc; i++) {
    if (recursive) status |= remove_tree(argv[i]);
    else if (unlink(argv[i]) < 0) status |= fail(argv[i]);
  }
  return status;
}
