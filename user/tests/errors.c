/* errors: the referee program of error returns (user/tests/): provokes ENOENT, EBADF, EISDIR,
 * ENOTDIR, EEXIST, ENOTEMPTY (and a few more) in a scratch directory errors.d made in the
 * current one, and prints each as errno's name and strerror's text; exits 1 when one is not
 * the error Linux gives. The same bytes under qemu-riscv32 and mkh exec. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "linux_syscalls.h"
#include "random_calls.h"

static int failures;

static void expect(int result, int wanted, const char* what) {
  int got = errno;
  if (result >= 0) {
    printf("FAIL %s: succeeded, wanted %s\n", what, errno_name(wanted));
    failures++;
    return;
  }
  printf("%s %s: %s (%s)\n", got == wanted ? "ok  " : "FAIL", what, errno_name(got), strerror(got));
  if (got != wanted) failures++;
}

int main(void) {
  char buffer[16];
  if (mkdir("errors.d", 0755) < 0 || chdir("errors.d") < 0) {
    printf("errors: cannot make errors.d: %s\n", strerror(errno));
    return 1;
  }
  int fd = open("file", O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0 || write(fd, "x", 1) != 1 || close(fd) < 0 || mkdir("dir", 0755) < 0 || mkdir("full", 0755) < 0 ||
      close(open("full/inside", O_WRONLY | O_CREAT, 0644)) < 0) {
    printf("errors: cannot set up: %s\n", strerror(errno));
    return 1;
  }

  expect(open("missing", O_RDONLY), ENOENT, "open a missing file");
  expect(open("missing/file", O_RDONLY), ENOENT, "open under a missing directory");
  expect(unlink("missing"), ENOENT, "unlink a missing file");
  expect(chdir("missing"), ENOENT, "chdir to a missing directory");
  expect(read(99, buffer, 1), EBADF, "read fd 99");
  expect(write(99, buffer, 1), EBADF, "write fd 99");
  expect(close(99), EBADF, "close fd 99");
  expect(lseek(99, 0, SEEK_SET), EBADF, "lseek fd 99");
  fd = open("file", O_RDONLY);
  expect(write(fd, "y", 1), EBADF, "write to a file opened read-only");
  close(fd);
  expect(open("dir", O_WRONLY), EISDIR, "open a directory for writing");
  fd = open("dir", O_RDONLY | O_DIRECTORY);
  expect(read(fd, buffer, 1), EISDIR, "read a directory");
  close(fd);
  expect(unlink("dir"), EISDIR, "unlink a directory");
  expect(open("file/below", O_RDONLY), ENOTDIR, "open below a file");
  expect(mkdir("file/below", 0755), ENOTDIR, "mkdir below a file");
  expect(open("file", O_RDONLY | O_DIRECTORY), ENOTDIR, "open a file with O_DIRECTORY");
  expect(rmdir("file"), ENOTDIR, "rmdir a file");
  expect(chdir("file"), ENOTDIR, "chdir to a file");
  expect(mkdir("dir", 0755), EEXIST, "mkdir an existing directory");
  expect(mkdir("file", 0755), EEXIST, "mkdir over a file");
  expect(open("file", O_WRONLY | O_CREAT | O_EXCL, 0644), EEXIST, "open O_CREAT|O_EXCL an existing file");
  expect(rmdir("full"), ENOTEMPTY, "rmdir a directory that is not empty");
  expect(isatty(fd = open("file", O_RDONLY)) ? 0 : -1, ENOTTY, "isatty of a file");
  close(fd);
  expect(lseek(fd = open("file", O_RDONLY), -5, SEEK_SET), EINVAL, "lseek to a negative offset");
  close(fd);

  unlink("full/inside");
  rmdir("full");
  rmdir("dir");
  unlink("file");
  chdir("..");
  if (rmdir("errors.d") < 0) printf("errors: cannot remove errors.d: %s\n", strerror(errno));
  printf("errors: %d failures\n", failures);
  return failures ? 1 : 0;
}
