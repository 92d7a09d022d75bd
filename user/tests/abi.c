/* abi: the referee program of system calls at their edges (user/tests/), called by their raw
 * numbers so that what is printed is the kernel's answer, not the C library's: MAP_FIXED over
 * the heap and the data, mmap's and mprotect's refusals, F_GETFL and F_SETFL, F_DUPFD's range,
 * statx's argument checks, O_CREAT with O_DIRECTORY (EINVAL since Linux 6.4), SEEK_DATA and
 * SEEK_HOLE, a writev whose second length is negative, offsets at their limits, the ioctl
 * requests of every descriptor, names past NAME_MAX, the host's streams, the clocks. Works in a scratch folder
 * abi.d made in the current one; `abi terminal` a terminal's answers (below). The same bytes
 * under qemu-riscv32 and mkh exec. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "linux_syscalls.h"
#include "random_calls.h"

#define CALL(n, a, b, c) linux_syscall((n), (long)(a), (long)(b), (long)(c), 0, 0, 0)

enum { TCGETS_ = 0x5401, TIOCGWINSZ_ = 0x5413 };  /* a terminal's requests */
enum { FIONBIO_ = 0x5421, FIONREAD_ = 0x541b, FIONCLEX_ = 0x5450, FIOCLEX_ = 0x5451 };

enum {
  kPage = 4096,
  PROT_RW = 3,
  PROT_SEM = 8,
  MAP_SHARED_ = 1,
  MAP_PRIVATE_ = 2,
  MAP_FIXED_ = 0x10,
  MAP_ANON_ = 0x20,
  O_WRONLY_ = 1,
  O_RDWR_ = 2,
  O_CREAT_ = 0100,
  O_EXCL_ = 0200,
  O_TRUNC_ = 01000,
  O_APPEND_ = 02000,
  O_NONBLOCK_ = 04000,
  O_DIRECTORY_ = 0200000,
  F_DUPFD_ = 0,
  F_GETFD_ = 1,
  F_GETFL_ = 3,
  F_SETFL_ = 4,
  F_DUPFD_CLOEXEC_ = 1030,
  LINUX_ENAMETOOLONG = 36, /* picolibc's is another number */
};

static int failures;

/* A call's answer: the value, or the error's name. */
static void show(const char* what, long answer) {
  if (answer < 0 && answer > -4096) printf("%s: %s\n", what, errno_name(__mkh_errno_from_linux(-answer)));
  else printf("%s: %ld\n", what, answer);
}
static void expect(const char* what, long answer, long wanted) {
  show(what, answer);
  if (answer != wanted) {
    printf("FAIL %s: wanted %ld\n", what, wanted);
    failures++;
  }
}

static long map2(long address, long length, long prot, long flags, long fd) {
  return linux_syscall(SYS_mmap2, address, length, prot, flags, fd, 0);
}
static long open_at(const char* path, long flags) { return linux_syscall(SYS_openat, LINUX_AT_FDCWD, (long)path, flags, 0644, 0, 0); }
static long seek(long fd, long offset, long whence) {
  int64_t at = -1;
  long answer = linux_syscall(SYS_llseek, fd, 0, offset, (long)&at, whence, 0);
  return answer < 0 ? answer : (long)at;
}

static char data_page[2 * kPage] __attribute__((aligned(kPage))) = {1};

static void memory(void) {
  /* MAP_FIXED where the heap is: there, zeroed, the heap's page replaced. */
  long heap = CALL(SYS_brk, 0, 0, 0);
  long top = CALL(SYS_brk, heap + 3 * kPage, 0, 0);
  long page = (heap + kPage - 1) & ~(long)(kPage - 1);
  printf("heap grown: %s\n", top == heap + 3 * kPage ? "yes" : "no");
  ((volatile char*)page)[0] = 7;
  expect("mmap MAP_FIXED over the heap (at the address asked: 0)",
         map2(page, kPage, PROT_RW, MAP_PRIVATE_ | MAP_ANON_ | MAP_FIXED_, -1) - page, 0);
  printf("its first byte: %d\n", ((volatile char*)page)[0]);
  ((volatile char*)page)[1] = 1;
  /* ... and over initialised data. */
  long data = ((long)data_page + kPage - 1) & ~(long)(kPage - 1);
  ((volatile char*)data)[0] = 9;
  expect("mmap MAP_FIXED over the data (at the address asked: 0)",
         map2(data, kPage, PROT_RW, MAP_PRIVATE_ | MAP_ANON_ | MAP_FIXED_, -1) - data, 0);
  printf("its first byte: %d\n", ((volatile char*)data)[0]);
  /* The refusals. */
  expect("mmap MAP_FIXED unaligned", map2(data + 1, kPage, PROT_RW, MAP_PRIVATE_ | MAP_ANON_ | MAP_FIXED_, -1), -EINVAL);
  expect("mmap of 0xf0000000 bytes", map2(0, (long)0xf0000000u, PROT_RW, MAP_PRIVATE_ | MAP_ANON_, -1), -ENOMEM);
  expect("mmap of 0xffffffff bytes", map2(0, (long)0xffffffffu, PROT_RW, MAP_PRIVATE_ | MAP_ANON_, -1), -ENOMEM);
  expect("mmap MAP_FIXED wrapping at the top",
         map2((long)0xfffff000u, 2 * kPage, PROT_RW, MAP_PRIVATE_ | MAP_ANON_ | MAP_FIXED_, -1), -ENOMEM);
  expect("mmap of 0 bytes", map2(0, 0, PROT_RW, MAP_PRIVATE_ | MAP_ANON_, -1), -EINVAL);
  expect("mmap neither shared nor private", map2(0, kPage, PROT_RW, MAP_ANON_, -1), -EINVAL);
  long sem = map2(0, kPage, PROT_RW | PROT_SEM, MAP_PRIVATE_ | MAP_ANON_, -1);
  const int refused = sem < 0 && sem > -4096; /* an address may be negative as a long */
  printf("mmap with PROT_SEM: %s\n", refused ? errno_name((int)-sem) : "mapped");
  if (!refused) expect("mprotect with PROT_SEM", CALL(SYS_mprotect, sem, kPage, 1 | PROT_SEM), 0);
  expect("mprotect with an unknown bit", CALL(SYS_mprotect, sem, kPage, 0x10), -EINVAL);
}

static void descriptors(void) {
  long fd = open_at("flags.txt", O_CREAT_ | O_EXCL_ | O_TRUNC_ | O_WRONLY_);
  expect("F_GETFL after O_CREAT|O_EXCL|O_TRUNC|O_WRONLY", CALL(SYS_fcntl64, fd, F_GETFL_, 0), O_WRONLY_);
  expect("F_SETFL O_APPEND|O_NONBLOCK", CALL(SYS_fcntl64, fd, F_SETFL_, O_APPEND_ | O_NONBLOCK_), 0);
  expect("F_GETFL after it", CALL(SYS_fcntl64, fd, F_GETFL_, 0), O_WRONLY_ | O_APPEND_ | O_NONBLOCK_);
  expect("F_SETFL 0", CALL(SYS_fcntl64, fd, F_SETFL_, 0), 0);
  expect("F_GETFL after it", CALL(SYS_fcntl64, fd, F_GETFL_, 0), O_WRONLY_);
  CALL(SYS_close, fd, 0, 0);
  fd = open_at("flags.txt", O_RDWR_ | O_NONBLOCK_);
  expect("F_GETFL after O_RDWR|O_NONBLOCK", CALL(SYS_fcntl64, fd, F_GETFL_, 0), O_RDWR_ | O_NONBLOCK_);
  expect("F_DUPFD from -1", CALL(SYS_fcntl64, fd, F_DUPFD_, -1), -EINVAL);
  expect("F_DUPFD from 1 << 20", CALL(SYS_fcntl64, fd, F_DUPFD_, 1 << 20), -EINVAL);
  expect("F_DUPFD_CLOEXEC from 1 << 20", CALL(SYS_fcntl64, fd, F_DUPFD_CLOEXEC_, 1 << 20), -EINVAL);
  expect("dup3 to 1 << 20", CALL(SYS_dup3, fd, 1 << 20, 0), -EBADF);
  expect("dup3 to 1023", CALL(SYS_dup3, fd, 1023, 0), 1023); /* under Linux's default limit of 1024 */
  expect("close 1023", CALL(SYS_close, 1023, 0, 0), 0);
  /* A writev whose second length is negative as a signed size: nothing is written. */
  struct linux_iovec vector[2] = {{"ab", 2}, {"cd", (uint32_t)-2}};
  expect("writev with a negative length", CALL(SYS_writev, fd, vector, 2), -EINVAL);
  expect("the file's size after it", seek(fd, 0, 2), 0);
  /* A FAT file has no holes: data anywhere in it, the hole at its end. */
  expect("write 10 bytes", CALL(SYS_write, fd, "0123456789", 10), 10);
  expect("SEEK_DATA from 0", seek(fd, 0, 3), 0);
  expect("SEEK_HOLE from 0", seek(fd, 0, 4), 10);
  expect("SEEK_DATA from 10", seek(fd, 10, 3), -ENXIO);
  expect("SEEK_HOLE from 10", seek(fd, 10, 4), -ENXIO);
  CALL(SYS_close, fd, 0, 0);
  expect("open O_CREAT|O_DIRECTORY of a new name", open_at("new.d", O_CREAT_ | O_DIRECTORY_), -EINVAL);
  expect("and the name is not there", open_at("new.d", 0), -ENOENT);
}

static long seek64(long fd, int64_t offset, long whence) {
  int64_t at = -1;
  long answer = linux_syscall(SYS_llseek, fd, (long)(offset >> 32), (long)(uint32_t)offset, (long)&at, whence, 0);
  return answer < 0 ? answer : (long)at;
}
static long positioned(long number, long fd, const void* buffer, long count, int64_t offset) {
  return linux_syscall(number, fd, (long)buffer, count, (long)(uint32_t)offset, (long)(offset >> 32), 0);
}

/* Offsets at their limits, away from the sizes where the file systems differ (FAT holds 4 GiB,
 * the host's more): a seek past every file system's limit is EINVAL, a position plus a count
 * past INT64_MAX is EINVAL, a write of nothing is 0 anywhere, a read where no file reaches is
 * 0. The requests every descriptor answers, and names longer than NAME_MAX. */
static void limits(void) {
  const int64_t huge = (int64_t)1 << 50, top = INT64_MAX;
  char byte = 0;
  long fd = open_at("limits.txt", O_CREAT_ | O_EXCL_ | O_RDWR_);
  expect("write 10 bytes", CALL(SYS_write, fd, "0123456789", 10), 10);
  expect("seek to 1 << 50", seek64(fd, huge, 0), -EINVAL);
  expect("seek to INT64_MAX", seek64(fd, top, 0), -EINVAL);
  expect("pwrite of nothing at INT64_MAX", positioned(SYS_pwrite64, fd, "y", 0, top), 0);
  expect("pwrite of a byte at INT64_MAX", positioned(SYS_pwrite64, fd, "y", 1, top), -EINVAL);
  expect("pread of a byte at INT64_MAX", positioned(SYS_pread64, fd, &byte, 1, top), -EINVAL);
  expect("pread of a byte at 1 << 50", positioned(SYS_pread64, fd, &byte, 1, huge), 0);
  expect("pwrite of nothing at 1 << 50", positioned(SYS_pwrite64, fd, "y", 0, huge), 0);
  expect("pwrite of a byte at 1 << 50", positioned(SYS_pwrite64, fd, "y", 1, huge), -EFBIG);
  expect("the size after them", seek(fd, 0, 2), 10);

  int32_t word = 1;
  expect("FIOCLEX", CALL(SYS_ioctl, fd, FIOCLEX_, 0), 0);
  expect("F_GETFD after it", CALL(SYS_fcntl64, fd, F_GETFD_, 0), 1);
  expect("FIONCLEX", CALL(SYS_ioctl, fd, FIONCLEX_, 0), 0);
  expect("F_GETFD after it", CALL(SYS_fcntl64, fd, F_GETFD_, 0), 0);
  expect("FIONBIO on", CALL(SYS_ioctl, fd, FIONBIO_, &word), 0);
  expect("F_GETFL after it", CALL(SYS_fcntl64, fd, F_GETFL_, 0), O_RDWR_ | O_NONBLOCK_);
  word = 0;
  expect("FIONBIO off", CALL(SYS_ioctl, fd, FIONBIO_, &word), 0);
  expect("F_GETFL after it", CALL(SYS_fcntl64, fd, F_GETFL_, 0), O_RDWR_);
  expect("FIONBIO with a bad pointer", CALL(SYS_ioctl, fd, FIONBIO_, 16), -EFAULT);
  expect("seek to 3", seek(fd, 3, 0), 3);
  expect("FIONREAD", CALL(SYS_ioctl, fd, FIONREAD_, &word), 0);
  expect("  the bytes left", word, 7);
  expect("TCGETS on a file", CALL(SYS_ioctl, fd, TCGETS_, &word), -ENOTTY);
  CALL(SYS_close, fd, 0, 0);
  fd = open_at(".", O_DIRECTORY_);
  expect("FIONREAD on a folder", CALL(SYS_ioctl, fd, FIONREAD_, &word), -ENOTTY);
  CALL(SYS_close, fd, 0, 0);
  expect("unlink limits.txt", linux_syscall(SYS_unlinkat, LINUX_AT_FDCWD, (long)"limits.txt", 0, 0, 0, 0), 0);

  static char name[300];
  memset(name, 'n', 256);
  expect("open a missing name of 256 bytes", open_at(name, 0), -LINUX_ENAMETOOLONG);
  memcpy(name + 256, "/x", 3);
  expect("open below a missing name of 256 bytes", open_at(name, 0), -LINUX_ENAMETOOLONG);
  memcpy(name, "x/", 2);
  expect("open a name of 254 bytes below a missing folder", open_at(name, 0), -ENOENT);
  name[255] = '\0';
  fd = open_at(name + 2, O_CREAT_ | O_EXCL_ | O_WRONLY_);
  expect("create a name of 253 bytes", fd < 0 ? fd : 0, 0);
  CALL(SYS_close, fd, 0, 0);
  expect("unlink it", linux_syscall(SYS_unlinkat, LINUX_AT_FDCWD, (long)(name + 2), 0, 0, 0, 0), 0);
  /* 297 bytes in 99 characters: past NAME_MAX, which counts bytes (FAT could hold it). */
  for (int i = 0; i < 99; i++) memcpy(name + 3 * i, "\xe8\xaa\x9e", 3);
  name[297] = '\0';
  expect("create a name of 297 bytes in 99 characters", open_at(name, O_CREAT_ | O_EXCL_ | O_WRONLY_),
         -LINUX_ENAMETOOLONG);
  expect("mkdir it", linux_syscall(SYS_mkdirat, LINUX_AT_FDCWD, (long)name, 0755, 0, 0, 0), -LINUX_ENAMETOOLONG);
  name[255] = '\0';
  fd = open_at(name, O_CREAT_ | O_EXCL_ | O_WRONLY_);
  expect("create its first 255 bytes (85 characters)", fd < 0 ? fd : 0, 0);
  CALL(SYS_close, fd, 0, 0);
  expect("unlink it", linux_syscall(SYS_unlinkat, LINUX_AT_FDCWD, (long)name, 0, 0, 0, 0), 0);
}

static void status(void) {
  struct statx info;
  expect("statx with STATX__RESERVED", linux_syscall(SYS_statx, LINUX_AT_FDCWD, (long)".", 0, (long)0x80000000u, (long)&info, 0),
         -EINVAL);
  expect("statx with both sync kinds", linux_syscall(SYS_statx, LINUX_AT_FDCWD, (long)".", 0x6000, 0x7ff, (long)&info, 0),
         -EINVAL);
  expect("statx with an unknown flag", linux_syscall(SYS_statx, LINUX_AT_FDCWD, (long)".", 1, 0x7ff, (long)&info, 0), -EINVAL);
  expect("statx of \"\" at AT_FDCWD with AT_EMPTY_PATH",
         linux_syscall(SYS_statx, LINUX_AT_FDCWD, (long)"", LINUX_AT_EMPTY_PATH, 0x7ff, (long)&info, 0), 0);
  printf("  a folder: %s\n", (info.stx_mode & 0170000) == 0040000 ? "yes" : "no");
}

/* The host's streams as the tests run a program: stdin /dev/null, stdout a file. What the
 * host says of them passes through (qemu passes it on too). */
static void host_streams(void) {
  struct statx info;
  long answer = linux_syscall(SYS_statx, 1, (long)"", LINUX_AT_EMPTY_PATH, 0x7ff, (long)&info, 0);
  show("statx of stdout", answer);
  printf("  a regular file: %s\n", (info.stx_mode & 0170000) == 0100000 ? "yes" : "no");
  answer = linux_syscall(SYS_statx, 0, (long)"", LINUX_AT_EMPTY_PATH, 0x7ff, (long)&info, 0);
  show("statx of stdin", answer);
  printf("  a character device: %s\n", (info.stx_mode & 0170000) == 0020000 ? "yes" : "no");
  fflush(stdout);
  printf("stdout's offset is where its bytes end: %s\n", seek(1, 0, 1) > 0 ? "yes" : "no");
  expect("seek stdin (/dev/null) to 5", seek(0, 5, 0), 0);
  char byte = 0;
  expect("pread of stdin (/dev/null)", positioned(SYS_pread64, 0, &byte, 1, 0), 0);
  expect("mmap of stdin (/dev/null)", map2(0, kPage, 1, MAP_PRIVATE_, 0), -ENODEV);
  expect("TCGETS of stdin (/dev/null)", CALL(SYS_ioctl, 0, TCGETS_, &byte), -ENOTTY);
}

/* `abi terminal`, run on a pseudo-terminal (user/tests/terminal.sh, under qemu-riscv32 and mkh
 * exec): each standard stream's attributes and window size as TCGETS and TIOCGWINSZ give
 * them, every byte the kernel wrote. */
static int terminal(void) {
  for (int fd = 0; fd < 3; fd++) {
    unsigned char termios[36];
    uint16_t size[4];
    memset(termios, 0xa5, sizeof termios);
    memset(size, 0xa5, sizeof size);
    printf("fd %d: TCGETS %ld:", fd, CALL(SYS_ioctl, fd, TCGETS_, termios));
    for (unsigned i = 0; i < sizeof termios; i++) printf(" %02x", termios[i]);
    const long sized = CALL(SYS_ioctl, fd, TIOCGWINSZ_, size);
    printf("\nfd %d: TIOCGWINSZ %ld: %u rows, %u columns\n", fd, sized, size[0], size[1]);
  }
  return 0;
}

static void clocks(void) {
  int64_t time[2];
  static const long readable[] = {0, 1, 4, 5, 6, 7, 11};
  for (unsigned i = 0; i < sizeof readable / sizeof readable[0]; i++) {
    char what[40];
    snprintf(what, sizeof what, "clock_gettime64 of clock %ld", readable[i]);
    expect(what, CALL(SYS_clock_gettime64, readable[i], time, 0), 0);
  }
  expect("clock_gettime64 of clock 99", CALL(SYS_clock_gettime64, 99, time, 0), -EINVAL);
  int64_t nap[2] = {0, 1000};
  expect("clock_nanosleep on clock 1", linux_syscall(SYS_clock_nanosleep_time64, 1, 0, (long)nap, 0, 0, 0), 0);
  expect("clock_nanosleep on clock 99", linux_syscall(SYS_clock_nanosleep_time64, 99, 0, (long)nap, 0, 0, 0), -EINVAL);
  expect("clock_nanosleep on the thread's CPU clock", linux_syscall(SYS_clock_nanosleep_time64, 3, 0, (long)nap, 0, 0, 0),
         -EOPNOTSUPP);
  expect("clock_nanosleep on clock 4", linux_syscall(SYS_clock_nanosleep_time64, 4, 0, (long)nap, 0, 0, 0), -EOPNOTSUPP);
}

int main(int argc, char** argv) {
  if (argc > 1 && strcmp(argv[1], "terminal") == 0) return terminal();
  if (linux_syscall(SYS_mkdirat, LINUX_AT_FDCWD, (long)"abi.d", 0755, 0, 0, 0) < 0 || CALL(SYS_chdir, "abi.d", 0, 0) < 0) {
    printf("cannot make and enter abi.d\n");
    return 2;
  }
  memory();
  descriptors();
  limits();
  status();
  host_streams();
  clocks();
  printf("%d failure(s)\n", failures);
  return failures != 0;
}
