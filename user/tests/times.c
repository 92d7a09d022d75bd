/* times: the referee program of utimensat and futimens (the 32-bit machine's
 * utimensat_time64, user/tests/): a file's and a folder's modification time set, kept with
 * UTIME_OMIT, set to now (a null vector, UTIME_NOW), through a path, a descriptor (a null
 * path) and AT_EMPTY_PATH, and the refusals in Linux's order. The times set are even seconds of 1980..2107: FAT keeps two-second times
 * in that range, the host's file system behind qemu-riscv32 any. The same bytes under
 * qemu-riscv32 and mkh exec. Works in the current folder. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static void show(const char* what, int result) {
  printf("%s -> %d%s%s\n", what, result, result < 0 ? " " : "", result < 0 ? strerror(errno) : "");
}

static long long mtime_of(const char* path) {
  struct stat status;
  return stat(path, &status) == 0 ? (long long)status.st_mtime : -1;
}

/* Whether the time is now: between `before` (less the second FAT rounds down) and a second
 * after the call. */
static const char* is_now(long long mtime, time_t before) {
  return mtime >= (long long)before - 2 && mtime <= (long long)time(NULL) + 1 ? "now" : "not now";
}

int main(void) {
  const char* file = "times.tmp";
  const char* folder = "times.dir";
  unlink(file);
  rmdir(folder);
  const int fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return 1;

  struct timespec times[2] = {{0, UTIME_OMIT}, {1000000000, 0}};
  show("utimensat 1000000000", utimensat(AT_FDCWD, file, times, 0));
  printf("  mtime %lld\n", mtime_of(file));
  times[1].tv_sec = 1234567890;
  show("futimens 1234567890", futimens(fd, times));
  printf("  mtime %lld\n", mtime_of(file));
  times[1].tv_nsec = UTIME_OMIT;
  show("utimensat omit", utimensat(AT_FDCWD, file, times, 0));
  printf("  mtime %lld\n", mtime_of(file));
  times[1] = (struct timespec){4102444800, 999999999}; /* 2100-01-01, the nanoseconds dropped */
  show("utimensat 4102444800.999999999", utimensat(AT_FDCWD, file, times, 0));
  printf("  mtime %lld\n", mtime_of(file));

  time_t before = time(NULL);
  show("utimensat null", utimensat(AT_FDCWD, file, NULL, 0));
  printf("  mtime %s\n", is_now(mtime_of(file), before));
  times[1] = (struct timespec){0, UTIME_NOW};
  before = time(NULL);
  show("futimens now", futimens(fd, times));
  printf("  mtime %s\n", is_now(mtime_of(file), before));

  show("mkdir", mkdir(folder, 0755));
  times[1] = (struct timespec){1600000000, 0};
  show("utimensat folder 1600000000", utimensat(AT_FDCWD, folder, times, 0));
  printf("  mtime %lld\n", mtime_of(folder));
  const int dir = open(folder, O_RDONLY | O_DIRECTORY);
  show("utimensat from a folder", utimensat(dir, "../times.tmp", times, 0));
  printf("  mtime %lld\n", mtime_of(file));
  close(dir);

  /* The refusals. */
  show("utimensat missing", utimensat(AT_FDCWD, "times.none", times, 0));
  times[1].tv_nsec = 1000000000;
  show("utimensat nanoseconds past a second", utimensat(AT_FDCWD, file, times, 0));
  times[1].tv_nsec = -5;
  show("futimens negative nanoseconds", futimens(fd, times));
  times[1].tv_nsec = 0;
  show("futimens closed", futimens(99, times));
  show("utimensat bad flags", utimensat(AT_FDCWD, file, times, 0x10000));
  show("futimens with a flag", utimensat(fd, NULL, times, AT_SYMLINK_NOFOLLOW));
  printf("  mtime %lld\n", mtime_of(file));
  /* Linux's order: the file before the nanoseconds, the flags before the path. */
  times[1].tv_nsec = -5;
  show("futimens closed, negative nanoseconds", futimens(99, times));
  times[1].tv_nsec = 1000000000;
  show("utimensat missing, nanoseconds past a second", utimensat(AT_FDCWD, "times.none", times, 0));
  show("utimensat null path, bad flags", utimensat(AT_FDCWD, NULL, times, 0x10000));
  times[1] = (struct timespec){0, 0};
  show("utimensat null path at the working folder", utimensat(AT_FDCWD, NULL, times, 0));
  times[1] = (struct timespec){1700000000, 0};
  show("utimensat empty path of a descriptor", utimensat(fd, "", times, AT_EMPTY_PATH));
  printf("  mtime %lld\n", mtime_of(file));
  /* Both left: nothing to do, the path not even looked at (Linux's order). */
  const struct timespec left[2] = {{0, UTIME_OMIT}, {0, UTIME_OMIT}};
  show("utimensat both omitted, missing", utimensat(AT_FDCWD, "times.none", left, 0x10000));

  close(fd);
  show("unlink", unlink(file));
  show("rmdir", rmdir(folder));
  return 0;
}
