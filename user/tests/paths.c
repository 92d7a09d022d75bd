/* paths: the referee program of realpath, fchdir, lstat and gethostname (user/tests/): each
 * path realpath resolves is printed relative to the working directory it started from (qemu-riscv32's is
 * a host folder, mkh's a FAT one), with the refusals in Linux's order. The same bytes under
 * qemu-riscv32 and mkh exec. Works in a scratch folder paths.d made in the current one. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char top[PATH_MAX];

/* realpath of `path`, shown as "<top>/rest" when it is under the starting folder. */
static void show(const char* path) {
  errno = 0;
  char* resolved = realpath(path, NULL);
  if (resolved == NULL) {
    printf("realpath(\"%s\") -> NULL %s\n", path, strerror(errno));
    return;
  }
  const size_t length = strlen(top);
  if (strncmp(resolved, top, length) == 0 && (resolved[length] == '/' || resolved[length] == '\0'))
    printf("realpath(\"%s\") -> <top>%s\n", path, resolved + length);
  else if (strcmp(resolved, "/") == 0)
    printf("realpath(\"%s\") -> /\n", path);
  else
    printf("realpath(\"%s\") -> %s, outside <top>\n", path, resolved);
  free(resolved);
}

int main(void) {
  if (mkdir("paths.d", 0755) != 0 || chdir("paths.d") != 0 || getcwd(top, sizeof top) == NULL) {
    printf("paths: cannot make paths.d: %s\n", strerror(errno));
    return 1;
  }
  mkdir("a", 0755);
  mkdir("a/b", 0755);
  close(open("a/file", O_WRONLY | O_CREAT, 0644));
  show(".");
  show("a");
  show("a/");
  show("./a//b/.");
  show("a/b/..");
  show("a/b/../../a/file");
  show("a/../a/b/../file");
  show("../paths.d");
  show("/");
  show("/..");
  show("//.//");
  show("missing");
  show("a/missing");
  show("a/missing/..");
  show("a/file/");
  show("a/file/..");
  show("a/file/x");
  show("");
  char given[PATH_MAX];
  printf("realpath into a buffer answers it: %s\n", realpath("a", given) == given ? "yes" : "no");
  chdir("a/b");
  show("../file");
  show("../../../paths.d/a");

  chdir(top);
  const int folder = open("a/b", O_RDONLY | O_DIRECTORY);
  const int file = open("a/file", O_RDONLY);
  printf("fchdir(a/b) -> %d\n", fchdir(folder));
  close(folder);
  show(".");
  errno = 0;
  printf("fchdir(a file) -> %d %s\n", fchdir(file), strerror(errno));
  errno = 0;
  printf("fchdir(99) -> %d %s\n", fchdir(99), strerror(errno));
  close(file);
  struct stat status;
  printf("lstat(\"../file\") -> %d, a file of %ld bytes: %s\n", lstat("../file", &status), (long)status.st_size,
         S_ISREG(status.st_mode) ? "yes" : "no");
  printf("lstat(\"..\") -> %d, a folder: %s\n", lstat("..", &status), S_ISDIR(status.st_mode) ? "yes" : "no");
  errno = 0;
  printf("lstat(\"missing\") -> %d %s\n", lstat("missing", &status), strerror(errno));

  char name[256];
  const int got = gethostname(name, sizeof name);
  printf("gethostname -> %d, a name: %s\n", got, got == 0 && name[0] != '\0' ? "yes" : "no");
  errno = 0;
  printf("gethostname into 1 byte -> %d %s\n", gethostname(name, 1), strerror(errno));

  chdir(top);
  unlink("a/file");
  rmdir("a/b");
  rmdir("a");
  chdir("..");
  rmdir("paths.d");
  return 0;
}
