/* statfs: the referee program of statfs and fstatfs (user/tests/), through the user library
 * and the raw calls: the counts of the working directory's file system agree with one another
 * (a block size, free blocks no more than blocks, available no more than free), fstatfs of an
 * open file answers as statfs of its path, a pipe is on pipefs; the refusals: a missing path,
 * a path through a file, an empty path, a bad pointer, a bad descriptor. Only relations are
 * printed, never a count: the volume differs between mkh's FAT disk and the host's. The same
 * bytes and status under qemu-riscv32 and mkh exec. (A struct size that is not statfs64's is
 * EINVAL on Linux and mkh; qemu-user 7.2 does not look at it, so it is not asked here.) */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "linux_syscalls.h"
#include "mkh.h"

static void say(const char* what, long result) {
  if (result < 0) printf("%s: %ld %s\n", what, result, strerror(errno));
  else printf("%s: %ld\n", what, result);
}

static void say_raw(const char* what, long result) {
  printf("%s: %s\n", what, result < 0 ? strerror(__mkh_errno_from_linux(-result)) : "0");
}

int main(void) {
  struct statfs here, file, pipe_fs;
  say("statfs(.)", statfs(".", &here));
  printf("a block size: %s\n", here.f_bsize > 0 && here.f_frsize > 0 ? "yes" : "no");
  printf("free <= blocks, available <= free: %s\n",
         here.f_bfree <= here.f_blocks && here.f_bavail <= here.f_bfree ? "yes" : "no");
  printf("a name length: %s\n", here.f_namelen >= 255 ? "yes" : "no");
  const int fd = open("README.txt", O_RDONLY);
  say("fstatfs(README.txt)", fstatfs(fd, &file));
  printf("the same file system as .: %s\n",
         file.f_type == here.f_type && file.f_bsize == here.f_bsize && file.f_blocks == here.f_blocks ? "yes" : "no");
  close(fd);
  int fds[2];
  if (pipe(fds) != 0) return 1;
  say("fstatfs(a pipe)", fstatfs(fds[0], &pipe_fs));
  printf("pipefs: %s\n", pipe_fs.f_type == 0x50495045 ? "yes" : "no");
  say("statfs(a missing path)", statfs("no/such/path", &file));
  say("statfs(through a file)", statfs("README.txt/x", &file));
  say("statfs(an empty path)", statfs("", &file));
  say("statfs(a bad buffer)", statfs(".", (struct statfs*)8));
  say("fstatfs(a bad descriptor)", fstatfs(99, &file));
  say_raw("statfs64 with a bad path", linux_syscall(SYS_statfs64, 8, sizeof file, (long)&file, 0, 0, 0));
  return 0;
}
