/* truncate: the referee program of truncate, ftruncate (the 32-bit machine's truncate64 and
 * ftruncate64: the length in two registers), fsync, fdatasync, sync, umask and the user and
 * group ids (user/tests/): a file cut and grown (zeros where it grew), each call's refusals in
 * Linux's order. Lengths past FAT's 4 GiB are not asked for: the host's file system behind
 * qemu-riscv32 would make them. The same bytes under qemu-riscv32 and mkh exec. Works in a
 * scratch folder truncate.d made in the current one. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void show(const char* what, int result) {
  printf("%s -> %d%s%s\n", what, result, result < 0 ? " " : "", result < 0 ? strerror(errno) : "");
}

/* The file's size and its bytes, a zero shown as '.'. */
static void contents(const char* path) {
  struct stat status;
  char bytes[32] = {0};
  const int fd = open(path, O_RDONLY);
  const ssize_t got = fd < 0 ? -1 : read(fd, bytes, sizeof bytes - 1);
  if (fd >= 0) close(fd);
  for (ssize_t i = 0; i < got; i++)
    if (bytes[i] == '\0') bytes[i] = '.';
  printf("  %s: size %ld, \"%s\"\n", path, stat(path, &status) == 0 ? (long)status.st_size : -1L, got >= 0 ? bytes : "?");
}

int main(void) {
  if (mkdir("truncate.d", 0755) != 0 || chdir("truncate.d") != 0) {
    printf("truncate: cannot make truncate.d: %s\n", strerror(errno));
    return 1;
  }
  const int fd = open("file", O_RDWR | O_CREAT | O_EXCL, 0644);
  if (fd < 0 || write(fd, "0123456789", 10) != 10) {
    printf("truncate: cannot make truncate.d/file: %s\n", strerror(errno));
    return 1;
  }
  show("ftruncate(file, 4)", ftruncate(fd, 4));
  contents("file");
  show("ftruncate(file, 8)", ftruncate(fd, 8));
  contents("file");
  show("truncate(\"file\", 2)", truncate("file", 2));
  contents("file");
  show("write at the old position", (int)write(fd, "x", 1));
  contents("file");
  show("truncate(\"file\", 0)", truncate("file", 0));
  contents("file");
  show("truncate(\"file\", 6000)", truncate("file", 6000));
  struct stat status;
  stat("file", &status);
  printf("  file: size %ld\n", (long)status.st_size);

  show("truncate(\"file\", -1)", truncate("file", -1));
  show("ftruncate(file, -1)", ftruncate(fd, -1));
  show("ftruncate(99, -1)", ftruncate(99, -1));
  show("ftruncate(99, 0)", ftruncate(99, 0));
  const int reader = open("file", O_RDONLY);
  show("ftruncate(read-only descriptor, 0)", ftruncate(reader, 0));
  close(reader);
  const int folder = open(".", O_RDONLY | O_DIRECTORY);
  show("ftruncate(folder, 0)", ftruncate(folder, 0));
  show("truncate(\".\", 0)", truncate(".", 0));
  show("truncate(\"missing\", 0)", truncate("missing", 0));
  show("truncate(\"file/below\", 0)", truncate("file/below", 0));
  show("truncate(\"\", 0)", truncate("", 0));

  show("fsync(file)", fsync(fd));
  show("fdatasync(file)", fdatasync(fd));
  show("fsync(folder)", fsync(folder));
  show("fsync(99)", fsync(99));
  sync();
  printf("sync() returned\n");
  close(folder);
  close(fd);

  umask(027);
  printf("umask(0) after umask(027) -> %03o\n", (unsigned)umask(0));
  umask(01777);
  printf("umask(022) after umask(01777) -> %03o\n", (unsigned)umask(022));
  printf("uid == euid: %s, gid == egid: %s\n", getuid() == geteuid() ? "yes" : "no",
         getgid() == getegid() ? "yes" : "no");

  unlink("file");
  chdir("..");
  rmdir("truncate.d");
  return 0;
}
