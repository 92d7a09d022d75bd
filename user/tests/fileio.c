/* fileio: the referee program of file I/O (user/tests/): in a scratch directory fileio.d made
 * under argv[1] (the current directory when absent) it creates, writes, reads, seeks, appends,
 * reads and writes at offsets and with vectors, renames and exchanges names (renameat2's
 * RENAME_EXCHANGE), lists with getdents64 (removing what it lists as it goes, as rm -r
 * does), sizes with statx, unlinks and removes, printing what each step saw; every result is
 * checked and the first wrong one ends it with status 1. The same bytes under qemu-riscv32 and mkh exec. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "linux_syscalls.h"

static int failures;

static void check(int ok, const char* what) {
  printf("%s %s\n", ok ? "ok  " : "FAIL", what);
  if (!ok) failures++;
}

static void check_errno(int result, const char* what) {
  if (result < 0) printf("     (%s: %s)\n", what, strerror(errno));
  check(result >= 0, what);
}

static long size_of(const char* path) {
  struct statx info;
  if (statx(AT_FDCWD, path, 0, STATX_SIZE, &info) < 0) return -1;
  return (long)info.stx_size;
}

static int compare_names(const void* a, const void* b) { return strcmp(*(char* const*)a, *(char* const*)b); }

static void list(const char* path) {
  int fd = open(path, O_RDONLY | O_DIRECTORY);
  check_errno(fd, "open the directory");
  if (fd < 0) return;
  static char buffer[1024];
  static char names[16][64];
  char* sorted[16];
  int count = 0, got;
  while ((got = getdents64(fd, buffer, sizeof buffer)) > 0)
    for (int at = 0; at < got;) {
      struct linux_dirent64* entry = (struct linux_dirent64*)(buffer + at);
      at += entry->d_reclen;
      if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0 || count == 16) continue;
      snprintf(names[count], sizeof names[count], "%s%s", entry->d_name, entry->d_type == DT_DIR ? "/" : "");
      sorted[count] = names[count];
      count++;
    }
  check_errno(got, "getdents64");
  close(fd);
  qsort(sorted, (size_t)count, sizeof sorted[0], compare_names);
  printf("     %s holds %d entries:", path, count);
  for (int i = 0; i < count; i++) printf(" %s", sorted[i]);
  printf("\n");
}

/* Lists `path` a few entries at a time and removes each file as soon as it is listed: every
 * one must come (a removal must not move the entries after it), and the folder ends empty. */
static void remove_while_listing(const char* path, int files) {
  char name[64];
  check_errno(mkdir(path, 0755), "mkdir for the removal while listing");
  for (int i = 0; i < files; i++) {
    snprintf(name, sizeof name, "%s/file%02d.txt", path, i);
    int fd = open(name, O_WRONLY | O_CREAT | O_EXCL, 0644);
    if (fd >= 0) close(fd);
  }
  int fd = open(path, O_RDONLY | O_DIRECTORY);
  check_errno(fd, "open the directory");
  if (fd < 0) return;
  char buffer[96]; /* two or three entries a call */
  int removed = 0, got;
  while ((got = getdents64(fd, buffer, sizeof buffer)) > 0)
    for (int at = 0; at < got;) {
      struct linux_dirent64* entry = (struct linux_dirent64*)(buffer + at);
      at += entry->d_reclen;
      if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0) continue;
      snprintf(name, sizeof name, "%s/%s", path, entry->d_name);
      if (unlink(name) == 0) removed++;
    }
  check_errno(got, "getdents64 while removing");
  close(fd);
  printf("     %d of %d files removed while listed\n", removed, files);
  check(removed == files, "every file listed once while the others went");
  check_errno(rmdir(path), "rmdir the emptied folder");
}

static void write_text(const char* path, const char* text) {
  const int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
  check(fd >= 0 && write(fd, text, strlen(text)) == (ssize_t)strlen(text) && close(fd) == 0, path);
}

static int same_file(const char* a, const char* b) {
  struct statx one, two;
  return statx(AT_FDCWD, a, 0, STATX_INO, &one) == 0 && statx(AT_FDCWD, b, 0, STATX_INO, &two) == 0 &&
         one.stx_ino == two.stx_ino;
}

static void expect_errno(int result, int wanted, const char* what) {
  const int ok = result < 0 && errno == wanted;
  if (!ok) printf("     (%s: %d, %s)\n", what, result, strerror(errno));
  check(ok, what);
}

/* renameat2's RENAME_EXCHANGE (Linux's vfat has it since Linux 6.0): two files, two folders of
 * different parents, a file and a folder, then what Linux refuses. */
static void exchange_names(void) {
  enum { kNoReplace = 1, kExchange = 2 };
  check_errno(mkdir("x", 0755), "mkdir x");
  check_errno(mkdir("x/in", 0755), "mkdir x/in");
  check_errno(mkdir("y", 0755), "mkdir y");
  write_text("one.txt", "one");
  write_text("x/two.txt", "two!");
  write_text("x/in/f.txt", "f");
  check_errno(renameat2(AT_FDCWD, "one.txt", AT_FDCWD, "x/two.txt", kExchange), "exchange one.txt and x/two.txt");
  check(size_of("one.txt") == 4 && size_of("x/two.txt") == 3, "  what they name swapped");
  check_errno(renameat2(AT_FDCWD, "x/in", AT_FDCWD, "y", kExchange), "exchange the folders x/in and y");
  check(size_of("y/f.txt") == 1 && size_of("x/in/f.txt") < 0, "  y holds what x/in held");
  check(same_file("y/..", ".") && same_file("x/in/..", "x"), "  each one's .. is its new parent");
  check_errno(renameat2(AT_FDCWD, "one.txt", AT_FDCWD, "x", kExchange), "exchange the file one.txt and the folder x");
  check(size_of("x") == 4 && size_of("one.txt/two.txt") == 3, "  one.txt is the folder, x the file");
  expect_errno(renameat2(AT_FDCWD, "x", AT_FDCWD, "missing", kExchange), ENOENT, "exchange with a missing name");
  expect_errno(renameat2(AT_FDCWD, "x", AT_FDCWD, "y", kExchange | kNoReplace), EINVAL, "exchange and no-replace");
  expect_errno(renameat2(AT_FDCWD, "one.txt", AT_FDCWD, "one.txt/in", kExchange), EINVAL,
               "exchange a folder and a folder it holds");
  expect_errno(renameat2(AT_FDCWD, "one.txt/in", AT_FDCWD, "one.txt", kExchange), EINVAL,
               "exchange a folder and the folder that holds it");
  expect_errno(renameat2(AT_FDCWD, "x/", AT_FDCWD, "y", kExchange), ENOTDIR, "exchange a file named with a slash");
  check_errno(renameat2(AT_FDCWD, "y", AT_FDCWD, "y", kExchange), "exchange a name with itself");
  check_errno(unlink("x"), "unlink x");
  check_errno(unlink("y/f.txt"), "unlink y/f.txt");
  check_errno(rmdir("y"), "rmdir y");
  check_errno(unlink("one.txt/two.txt"), "unlink one.txt/two.txt");
  check_errno(rmdir("one.txt/in"), "rmdir one.txt/in");
  check_errno(rmdir("one.txt"), "rmdir one.txt");
}

int main(int argc, char** argv) {
  if (argc > 1 && chdir(argv[1]) < 0) {
    printf("fileio: %s: %s\n", argv[1], strerror(errno));
    return 1;
  }
  check_errno(mkdir("fileio.d", 0755), "mkdir fileio.d");
  check_errno(chdir("fileio.d"), "chdir fileio.d");

  int fd = open("data.txt", O_RDWR | O_CREAT | O_TRUNC, 0644);
  check_errno(fd, "create data.txt");
  const char* line = "0123456789abcdef\n";
  for (int i = 0; i < 100; i++)
    if (write(fd, line, 17) != 17) check(0, "write a line");
  check(size_of("data.txt") == 1700, "100 lines written: 1700 bytes");
  check(lseek(fd, 0, SEEK_CUR) == 1700, "lseek SEEK_CUR is at the end");
  check(lseek(fd, 17 * 50 + 10, SEEK_SET) == 860, "lseek SEEK_SET 860");
  char buffer[64] = {0};
  check(read(fd, buffer, 7) == 7 && memcmp(buffer, "abcdef\n", 7) == 0, "read 7 bytes there: abcdef");
  check(lseek(fd, -17, SEEK_END) == 1683, "lseek SEEK_END -17");
  memset(buffer, 0, sizeof buffer);
  check(read(fd, buffer, sizeof buffer) == 17 && strcmp(buffer, line) == 0, "read the last line, short");
  check(read(fd, buffer, sizeof buffer) == 0, "read at the end answers 0");
  check(lseek(fd, 4000, SEEK_SET) == 4000 && write(fd, "!", 1) == 1, "write past the end");
  check(size_of("data.txt") == 4001, "the file grew to 4001 bytes");
  check(pread(fd, buffer, 4, 1990) == 4 && memcmp(buffer, "\0\0\0\0", 4) == 0, "pread of the hole: zeros");
  check(pwrite64(fd, "XY", 2, 17) == 2 && pread64(fd, buffer, 3, 16) == 3 && memcmp(buffer, "\nXY", 3) == 0,
        "pwrite64 then pread64 at 17");
  check(lseek(fd, 0, SEEK_CUR) == 4001, "pread and pwrite leave the offset alone");
  char first[5] = {0}, second[6] = {0};
  struct linux_iovec vectors[2] = {{first, 4}, {second, 5}};
  check(lseek(fd, 0, SEEK_SET) == 0 && readv(fd, vectors, 2) == 9 && strcmp(first, "0123") == 0 &&
            strcmp(second, "4567\x38") == 0,
        "readv into two buffers");
  /* A read into the vector itself: the second entry is the one given, as Linux copies the
   * vector once before it moves anything. */
  char expected[5];
  memset(second, 0, sizeof second);
  vectors[0].iov_base = vectors;
  vectors[0].iov_len = sizeof vectors;
  vectors[1].iov_base = second;
  vectors[1].iov_len = 5;
  check(pread(fd, expected, 5, sizeof vectors) == 5 && lseek(fd, 0, SEEK_SET) == 0 &&
            readv(fd, vectors, 2) == (ssize_t)sizeof vectors + 5 && memcmp(second, expected, 5) == 0,
        "readv over its own vector");
  check_errno(close(fd), "close data.txt");

  fd = open("log.txt", O_WRONLY | O_CREAT | O_APPEND, 0644);
  check_errno(fd, "create log.txt with O_APPEND");
  struct linux_iovec parts[3] = {{"one ", 4}, {"two ", 4}, {"three\n", 6}};
  check(writev(fd, parts, 3) == 14, "writev of three parts");
  struct linux_iovec many[12]; /* more than the eight Linux copies onto its stack */
  for (int i = 0; i < 12; i++) many[i] = (struct linux_iovec){"-", 1};
  const int dashes = open("dashes.txt", O_WRONLY | O_CREAT | O_EXCL, 0644);
  check(dashes >= 0 && writev(dashes, many, 12) == 12 && close(dashes) == 0 && size_of("dashes.txt") == 12 &&
            unlink("dashes.txt") == 0,
        "writev of twelve parts");
  check(lseek(fd, 0, SEEK_SET) == 0 && write(fd, "four\n", 5) == 5, "write after lseek to 0");
  close(fd);
  fd = open("log.txt", O_RDONLY);
  memset(buffer, 0, sizeof buffer);
  check(read(fd, buffer, sizeof buffer) == 19 && strcmp(buffer, "one two three\nfour\n") == 0,
        "O_APPEND wrote at the end");
  close(fd);

  FILE* file = fopen("stdio.txt", "w");
  check(file != NULL, "fopen for writing");
  if (file != NULL) {
    for (int i = 0; i < 3; i++) fprintf(file, "line %d of stdio\n", i);
    check(fwrite("the end\n", 1, 8, file) == 8, "fwrite");
    check(fclose(file) == 0, "fclose");
  }
  file = fopen("stdio.txt", "r");
  check(file != NULL, "fopen for reading");
  if (file != NULL) {
    char text[128] = {0};
    size_t got = fread(text, 1, sizeof text - 1, file);
    check(got == 56 && strncmp(text + 32, "line 2 of stdio\nthe end\n", 24) == 0, "fread the four lines");
    fclose(file);
  }

  check_errno(mkdir("sub", 0755), "mkdir sub");
  check_errno(rename("log.txt", "sub/moved.txt"), "rename log.txt to sub/moved.txt");
  check(size_of("sub/moved.txt") == 19 && size_of("log.txt") < 0 && errno == ENOENT, "the file moved");
  check_errno(renameat2(AT_FDCWD, "stdio.txt", AT_FDCWD, "renamed.txt", 0), "renameat2 stdio.txt");
  list(".");
  list("sub");
  char cwd[256];
  check(getcwd(cwd, sizeof cwd) != NULL && strcmp(strrchr(cwd, '/'), "/fileio.d") == 0, "getcwd ends in /fileio.d");
  int copy = dup(1);
  check(copy > 2 && write(copy, "     (written through dup(1))\n", 30) == 30, "dup of stdout");
  close(copy);

  check_errno(unlink("data.txt"), "unlink data.txt");
  check_errno(unlink("renamed.txt"), "unlink renamed.txt");
  check_errno(unlink("sub/moved.txt"), "unlink sub/moved.txt");
  check_errno(rmdir("sub"), "rmdir sub");
  list(".");
  exchange_names();
  remove_while_listing("many", 30);
  check_errno(chdir(".."), "chdir ..");
  check_errno(rmdir("fileio.d"), "rmdir fileio.d");
  printf("fileio: %d failures\n", failures);
  return failures ? 1 : 0;
}
