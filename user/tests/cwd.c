/* cwd: the working directory against Linux (user/tests/): getcwd after a folder above it is
 * renamed; a folder removed while the process stands in it (its "." and ".." are still there,
 * nothing can be made in it, getcwd is ENOENT, getdents64 ENOENT); chdir("..") out of it. In a
 * scratch directory cwd.d made in the current one; paths are printed from there, the rest
 * differs by runner. The same bytes under qemu-riscv32 and mkh exec. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "linux_syscalls.h"
#include "random_calls.h"

static char g_base[256];

static void show(const char* what, long value) {
  printf("%s", what);
  result(value);
}

static void show_cwd(void) {
  char cwd[256];
  printf("getcwd");
  if (getcwd(cwd, sizeof cwd) == NULL) {
    result(-1);
    return;
  }
  const size_t base = strlen(g_base);
  printf(" -> .%s\n", strncmp(cwd, g_base, base) == 0 ? cwd + base : cwd);
}

static void show_stat(const char* path) {
  struct stat st;
  printf("stat %s", path);
  if (stat(path, &st) < 0) result(-1);
  else printf(" -> %s, %ld links\n", S_ISDIR(st.st_mode) ? "directory" : "file", (long)st.st_nlink);
}

/* Five nested folders of 60-character names: paths of more than 300 bytes, named whole. */
static void long_paths(void) {
  static char path[4200];
  static char cwd[4096];
  const char* name = "a-folder-name-of-sixty-characters-as-long-names-may-be-00000";
  path[0] = '\0';
  for (int depth = 0; depth < 5; depth++) {
    strcat(path, depth == 0 ? "" : "/");
    strcat(path, name);
    path[strlen(path) - 1] = (char)('1' + depth);
    printf("mkdir (%d bytes)", (int)strlen(path));
    result(mkdir(path, 0755));
  }
  strcat(path, "/file");
  printf("open O_CREAT (%d bytes)", (int)strlen(path));
  const int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
  result(fd);
  if (fd >= 0) {
    show("write", write(fd, "deep\n", 5));
    close(fd);
  }
  show_stat(path);
  path[strlen(path) - strlen("/file")] = '\0';
  show("chdir (the deepest folder)", chdir(path));
  printf("getcwd");
  if (getcwd(cwd, sizeof cwd) == NULL) result(-1);
  else printf(" -> %d bytes below cwd.d, ends in %s\n", (int)(strlen(cwd) - strlen(g_base)), strrchr(cwd, '/'));
  show_stat("file");
  show("chdir back", chdir(g_base));

  /* "./" repeated: 4095 bytes name this folder, 4096 are too long */
  for (int i = 0; i < 4095; i++) path[i] = i % 2 == 0 ? '.' : '/';
  path[4095] = '\0';
  printf("open (4095 bytes) O_DIRECTORY");
  int dir = open(path, O_RDONLY | O_DIRECTORY);
  result(dir < 0 ? dir : 0);
  if (dir >= 0) close(dir);
  path[4095] = '/';
  path[4096] = '\0';
  printf("open (4096 bytes) O_DIRECTORY");
  dir = open(path, O_RDONLY | O_DIRECTORY);
  result(dir < 0 ? dir : 0);
  if (dir >= 0) close(dir);

  /* and out again, deepest first */
  path[0] = '\0';
  for (int depth = 0; depth < 5; depth++) {
    strcat(path, depth == 0 ? "" : "/");
    strcat(path, name);
    path[strlen(path) - 1] = (char)('1' + depth);
  }
  strcat(path, "/file");
  show("unlink (the file)", unlink(path));
  for (int depth = 5; depth > 0; depth--) {
    *strrchr(path, '/') = '\0';
    printf("rmdir (%d bytes)", (int)strlen(path));
    result(rmdir(path));
  }
}

int main(void) {
  if (mkdir("cwd.d", 0755) < 0 || chdir("cwd.d") < 0 || getcwd(g_base, sizeof g_base) == NULL) {
    printf("cwd: cannot make cwd.d\n");
    return 1;
  }
  show("mkdir a", mkdir("a", 0755));
  show("mkdir a/b", mkdir("a/b", 0755));
  show("mkdir a/b/c", mkdir("a/b/c", 0755));
  show("mkdir a/d", mkdir("a/d", 0755));
  show_stat("a");
  show_stat("a/b/c");
  show("rmdir a/d", rmdir("a/d"));
  show_stat("a");
  show("chdir a/b/c", chdir("a/b/c"));
  show_cwd();
  show("rename ../../../a ../../../moved", rename("../../../a", "../../../moved"));
  show_cwd();
  show("rename .. ../renamed", rename("..", "../renamed")); /* ".." itself: EBUSY */
  show("rename ../../b ../../renamed", rename("../../b", "../../renamed"));
  show_cwd();
  show_stat("../../../moved/renamed/c");

  show("rmdir ../c", rmdir("../c"));  /* the working directory itself */
  show_cwd();
  show_stat(".");
  show_stat("..");
  show_stat("./..");
  show_stat("x");
  show("mkdir x", mkdir("x", 0755));
  show("open y O_CREAT", open("y", O_WRONLY | O_CREAT, 0644));
  const int self = open(".", O_RDONLY | O_DIRECTORY);
  show("open . O_DIRECTORY", self < 0 ? -1 : 0);
  if (self >= 0) {
    char entries[512];
    show("getdents64 .", getdents64(self, entries, sizeof entries));
    close(self);
  }
  show("chdir ..", chdir(".."));
  show_cwd();
  show("chdir ../..", chdir("../.."));
  show_cwd();

  show("rmdir moved/renamed", rmdir("moved/renamed"));
  show("rmdir moved", rmdir("moved"));
  long_paths();
  show("chdir ..", chdir(".."));
  show("rmdir cwd.d", rmdir("cwd.d"));
  return 0;
}
