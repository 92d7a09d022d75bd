/* streams: the referee program of /dev/stdin, /dev/stdout and /dev/stderr (user/tests/): an
 * open of one is Linux's open of /proc/self/fd/N, a new open of what descriptor N names. A
 * file opened again has its own offset, O_APPEND and O_TRUNC act on it, stat follows to it; a
 * pipe's read end gives its bytes, and its write end to an open for writing; a descriptor not
 * open names nothing (ENOENT). The same bytes under qemu-riscv32 and mkh exec. Works in a
 * scratch folder streams.d made in the current one; prints on a copy of its stdout, which it
 * moves. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int out = -1; /* the first stdout */

static void say(const char* format, ...) {
  char line[200];
  va_list args;
  va_start(args, format);
  const int length = vsnprintf(line, sizeof line, format, args);
  va_end(args);
  if (write(out, line, (size_t)length) != length) _exit(3);
}

static void show(const char* what, long result) {
  say("%s -> %ld%s%s\n", what, result, result < 0 ? " " : "", result < 0 ? strerror(errno) : "");
}

/* What `path` holds, a newline shown as '|', a zero as '.'. */
static void contents(const char* path) {
  char bytes[64] = {0};
  const int fd = open(path, O_RDONLY);
  const ssize_t got = fd < 0 ? -1 : read(fd, bytes, sizeof bytes - 1);
  if (fd >= 0) close(fd);
  for (ssize_t i = 0; i < got; i++)
    if (bytes[i] == '\n' || bytes[i] == '\0') bytes[i] = bytes[i] == '\n' ? '|' : '.';
  say("  %s: %ld bytes, \"%s\"\n", path, (long)got, got >= 0 ? bytes : "?");
}

static const char* type_of(mode_t mode) {
  return S_ISREG(mode) ? "a file" : S_ISFIFO(mode) ? "a pipe" : S_ISCHR(mode) ? "a character device" : "other";
}

int main(void) {
  out = dup(1);
  if (out < 0 || mkdir("streams.d", 0755) != 0 || chdir("streams.d") != 0) {
    printf("streams: cannot make streams.d: %s\n", strerror(errno));
    return 1;
  }
  const int file = open("file", O_RDWR | O_CREAT | O_EXCL, 0644);
  if (file < 0 || write(file, "abcdef\n", 7) != 7 || dup2(file, 1) != 1) {
    say("streams: cannot make streams.d/file: %s\n", strerror(errno));
    return 1;
  }
  say("stdout is streams.d/file, written up to 7\n");
  struct stat status;
  show("stat(/dev/stdout)", stat("/dev/stdout", &status));
  say("  %s of %ld bytes\n", type_of(status.st_mode), (long)status.st_size);
  const int again = open("/dev/stdout", O_WRONLY);
  show("open(/dev/stdout, O_WRONLY)", again >= 0);
  show("write(it, \"X\")", write(again, "X", 1));
  show("its offset", lseek(again, 0, SEEK_CUR));
  show("stdout's offset", lseek(1, 0, SEEK_CUR));
  contents("file");
  const int append = open("/dev/stdout", O_WRONLY | O_APPEND);
  show("open(/dev/stdout, O_WRONLY | O_APPEND)", append >= 0);
  show("write(it, \"+\\n\")", write(append, "+\n", 2));
  contents("file");
  show("fstat(it)", fstat(append, &status));
  say("  %s of %ld bytes\n", type_of(status.st_mode), (long)status.st_size);
  const int cut = open("/dev/stdout", O_RDWR | O_TRUNC);
  show("open(/dev/stdout, O_RDWR | O_TRUNC)", cut >= 0);
  contents("file");
  show("write(stdout, \"after\\n\")", write(1, "after\n", 6));
  contents("file");
  close(again);
  close(append);
  close(cut);

  int ends[2];
  if (pipe(ends) != 0 || write(ends[1], "through\n", 8) != 8 || dup2(ends[0], 0) != 0) {
    say("streams: no pipe: %s\n", strerror(errno));
    return 1;
  }
  close(ends[0]);
  say("stdin is a pipe's read end\n");
  show("stat(/dev/stdin)", stat("/dev/stdin", &status));
  say("  %s\n", type_of(status.st_mode));
  const int in = open("/dev/stdin", O_RDONLY);
  show("open(/dev/stdin, O_RDONLY)", in >= 0);
  char bytes[16] = {0};
  show("read(it)", read(in, bytes, sizeof bytes - 1));
  say("  \"%.7s\"\n", bytes);
  close(in);
  const int back = open("/dev/stdin", O_WRONLY);
  show("open(/dev/stdin, O_WRONLY), the pipe's other end", back >= 0);
  show("write(it, \"back\\n\")", write(back, "back\n", 5));
  close(back);
  memset(bytes, 0, sizeof bytes);
  show("read(stdin)", read(0, bytes, sizeof bytes - 1));
  say("  \"%.4s\"\n", bytes);
  close(ends[1]);
  show("read(stdin) once the writer is gone", read(0, bytes, sizeof bytes));

  close(0);
  say("stdin closed\n");
  show("open(/dev/stdin, O_RDONLY)", open("/dev/stdin", O_RDONLY));
  show("stat(/dev/stdin)", stat("/dev/stdin", &status));
  show("access(/dev/stdin, F_OK)", access("/dev/stdin", F_OK));
  return 0;
}
