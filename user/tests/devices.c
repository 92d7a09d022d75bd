/* devices: the referee program of /dev's memory devices (user/tests/): null, zero, full and
 * urandom read, written, sought, stated and refused as Linux's drivers answer; prints
 * judgements and errors, never a random byte, so the bytes are the same under qemu-riscv32
 * (the host's /dev) and mkh exec (devfs). */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "linux_syscalls.h"

static void show(const char* what, long result) {
  printf("%s -> %ld%s%s\n", what, result, result < 0 ? " " : "", result < 0 ? strerror(errno) : "");
}

static void describe(const char* path) {
  struct statx info;
  if (statx(AT_FDCWD, path, 0, STATX_BASIC_STATS, &info) < 0) {
    printf("%s: %s\n", path, strerror(errno));
    return;
  }
  printf("%s: character device %s, mode %o, device %u,%u, size %llu\n", path,
         (info.stx_mode & 0170000) == 0020000 ? "yes" : "no", info.stx_mode & 07777, (unsigned)info.stx_rdev_major,
         (unsigned)info.stx_rdev_minor, (unsigned long long)info.stx_size);
}

int main(void) {
  static char buffer[10000];
  const char* const devices[] = {"/dev/null", "/dev/zero", "/dev/full", "/dev/urandom"};
  for (unsigned i = 0; i < sizeof devices / sizeof devices[0]; i++) describe(devices[i]);

  /* a shell's `>/dev/null`: created, truncated, written */
  int null = open("/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0644);
  show("open /dev/null for a redirection", null >= 0 ? 0 : -1);
  show("write 10000 bytes to /dev/null", write(null, buffer, sizeof buffer));
  show("read /dev/null opened for writing", read(null, buffer, 1));
  close(null);
  null = open("/dev/null", O_RDWR);
  show("read /dev/null", read(null, buffer, sizeof buffer));
  show("lseek /dev/null to 100", lseek(null, 100, SEEK_SET));
  show("ftruncate /dev/null", ftruncate(null, 0));
  close(null);

  int zero = open("/dev/zero", O_RDWR);
  memset(buffer, 'x', sizeof buffer);
  show("read 10000 bytes of /dev/zero", read(zero, buffer, sizeof buffer));
  int zeros = 1;
  for (unsigned i = 0; i < sizeof buffer; i++) zeros &= buffer[i] == 0;
  printf("  all zero: %s\n", zeros ? "yes" : "no");
  show("write 5 bytes to /dev/zero", write(zero, "hello", 5));
  show("lseek /dev/zero to 4096 from the end", lseek(zero, 4096, SEEK_END));
  show("pread 3 bytes of /dev/zero at 1000", pread(zero, buffer, 3, 1000));
  /* past the largest file (a device has no places) */
  printf("pread64 3 bytes of /dev/zero at 5 GiB -> %ld (the raw call)\n",
         linux_syscall(SYS_pread64, zero, (long)buffer, 3, 0x40000000, 1, 0));
  int64_t at = -1;
  show("llseek /dev/zero SEEK_DATA 10", llseek(zero, 10, &at, 3 /* SEEK_DATA */));
  printf("  at %lld\n", (long long)at);
  show("fsync /dev/zero", fsync(zero));
  close(zero);

  int full = open("/dev/full", O_RDWR);
  show("write 1 byte to /dev/full", write(full, "x", 1));
  show("read 7 bytes of /dev/full", read(full, buffer, 7));
  close(full);

  int urandom = open("/dev/urandom", O_RDONLY);
  memset(buffer, 0, 64);
  show("read 64 bytes of /dev/urandom", read(urandom, buffer, 64));
  int nonzero = 0;
  for (unsigned i = 0; i < 64; i++) nonzero |= buffer[i] != 0;
  printf("  not all zero: %s\n", nonzero ? "yes" : "no");
  close(urandom);

  /* a file of stdio on a device */
  FILE* out = fopen("/dev/full", "w");
  fputs("lost", out);
  show("fclose of a stream on /dev/full", fclose(out));
  FILE* in = fopen("/dev/null", "r");
  show("fgetc of /dev/null is EOF", fgetc(in) == EOF ? 0 : -1);
  fclose(in);

  /* what is not a program, nor a folder */
  char* const argv[] = {"/dev/null", NULL};
  char* const envp[] = {NULL};
  printf("execve /dev/null -> %ld (the raw call)\n",
         linux_syscall(SYS_execve, (long)"/dev/null", (long)argv, (long)envp, 0, 0, 0));
  show("open /dev/null/x", open("/dev/null/x", O_RDONLY));
  show("open /dev/null as a folder", open("/dev/null", O_RDONLY | O_DIRECTORY));
  show("open /dev/NULL (names keep their case)", open("/dev/NULL", O_RDONLY));
  show("mkdir /dev/null", mkdir("/dev/null", 0755));
  return 0;
}
