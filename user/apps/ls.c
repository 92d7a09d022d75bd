/* ls [-a] [-l] [PATH...]: lists the entries of each directory named (the current one when
 * none), sorted by name, those whose name starts with '.' left out unless -a is given (as
 * ls(1)); with -l, each entry's type (d, c or -) and a file's size. Reads the
 * directory with getdents64 and each entry with statx, as Linux's tools do. A user program of
 * mkh's /bin (user/apps/): plain C, runs unchanged under qemu-riscv32. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "linux_syscalls.h"

static int compare_names(const void* a, const void* b) { return strcmp(*(char* const*)a, *(char* const*)b); }

static void print_entry(int dirfd, const char* name, int long_format) {
  if (!long_format) {
    printf("%s\n", name);
    return;
  }
  struct statx info;
  if (statx(dirfd, name, 0, STATX_TYPE | STATX_SIZE, &info) < 0) {
    printf("? %10s %s\n", "?", name);
    return;
  }
  if ((info.stx_mode & 0170000) == 0040000) printf("d %10s %s\n", "-", name);
  else if ((info.stx_mode & 0170000) == 0020000)
    printf("c %10s %s\n", "-", name);  // a character device: no size (ls(1) shows its number)
  else printf("- %10llu %s\n", (unsigned long long)info.stx_size, name);
}

static int list(const char* path, int long_format, int all) {
  struct statx info;
  if (statx(AT_FDCWD, path, 0, STATX_TYPE | STATX_SIZE, &info) < 0) {
    fprintf(stderr, "ls: %s: %s\n", path, strerror(errno));
    return 1;
  }
  if ((info.stx_mode & 0170000) != 0040000) {
    print_entry(AT_FDCWD, path, long_format);
    return 0;
  }
  int fd = open(path, O_RDONLY | O_DIRECTORY);
  if (fd < 0) {
    fprintf(stderr, "ls: %s: %s\n", path, strerror(errno));
    return 1;
  }
  char** names = NULL;
  size_t count = 0, capacity = 0;
  static char buffer[4096];
  int got;
  while ((got = getdents64(fd, buffer, sizeof buffer)) > 0) {
    for (int at = 0; at < got;) {
      struct linux_dirent64* entry = (struct linux_dirent64*)(buffer + at);
      at += entry->d_reclen;
      if (entry->d_name[0] == '.' && !all) continue;
      if (count == capacity) {
        capacity = capacity ? 2 * capacity : 16;
        names = realloc(names, capacity * sizeof *names);
        if (names == NULL) {
          fprintf(stderr, "ls: %s\n", strerror(errno));
          return 1;
        }
      }
      names[count++] = strdup(entry->d_name);
    }
  }
  if (got < 0) {
    fprintf(stderr, "ls: %s: %s\n", path, strerror(errno));
    close(fd);
    return 1;
  }
  qsort(names, count, sizeof *names, compare_names);
  for (size_t i = 0; i < count; i++) {
    print_entry(fd, names[i], long_format);
    free(names[i]);
  }
  free(names);
  close(fd);
  return 0;
}

int main(int argc, char** argv) {
  int long_format = 0, all = 0, first = 1;
  for (; first < argc && argv[first][0] == '-' && argv[first][1] != '\0'; first++) {
    for (const char* option = argv[first] + 1; *option; option++) {
      if (*option == 'l') long_format = 1;
      else if (*option == 'a') all = 1;
      else {
        fprintf(stderr, "ls: invalid option -- '%c'\nusage: ls [-a] [-l] [PATH...]\n", *option);
        return 2;
      }
    }
  }
  if (first == argc) return list(".", long_format, all);
  int status = 0;
  for (int i = first; i < argc; i++) {
    if (argc - first > 1) printf("%s%s:\n", i > first ? "\n" : "", argv[i]);
    status |= list(argv[i], long_format, all);
  }
  return status;
}
