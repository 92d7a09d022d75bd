/* The thin wrappers of the Linux RISC-V 32-bit system calls (user/include/linux_syscalls.h):
 * each passes its arguments to the ecall as they are and turns -errno into errno and -1, as
 * libc does. Layer: the user library (user/lib/); calls only the ecall of syscall.h. The POSIX
 * functions picolibc needs (posix.c) are built on these. */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "linux_syscalls.h"
#include "syscall.h"

long __mkh_result(long raw) {
  if (raw < 0 && raw > -4096) {
    errno = __mkh_errno_from_linux(-raw);
    return -1;
  }
  return raw;
}

int getdents64(int fd, void* buffer, size_t size) {
  return (int)__mkh_result(__MKH_SC3(SYS_getdents64, fd, buffer, size));
}

/* picolibc's AT_FDCWD (-2) is Linux's -100. */
int __mkh_linux_dirfd(int dirfd) { return dirfd == AT_FDCWD ? LINUX_AT_FDCWD : dirfd; }

/* picolibc's AT_* flags (bits 0-4) to Linux's (bits 8-12); Linux's own pass as they are. */
int __mkh_linux_at_flags(int flags) {
  static const struct {
    int picolibc, linux_flag;
  } table[] = {{AT_EACCESS, LINUX_AT_EACCESS},
               {AT_SYMLINK_NOFOLLOW, LINUX_AT_SYMLINK_NOFOLLOW},
               {AT_SYMLINK_FOLLOW, 0x400},
               {AT_REMOVEDIR, LINUX_AT_REMOVEDIR},
               {AT_EMPTY_PATH, LINUX_AT_EMPTY_PATH}};
  int result = flags & ~0xff;
  for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
    if (flags & table[i].picolibc) result |= table[i].linux_flag;
  return result;
}

int statx(int dirfd, const char* path, int at_flags, unsigned int mask, struct statx* out) {
  return (int)__mkh_result(
      __MKH_SC5(SYS_statx, __mkh_linux_dirfd(dirfd), path, __mkh_linux_at_flags(at_flags), mask, out));
}

int renameat2(int olddirfd, const char* oldpath, int newdirfd, const char* newpath, unsigned int flags) {
  return (int)__mkh_result(
      __MKH_SC5(SYS_renameat2, __mkh_linux_dirfd(olddirfd), oldpath, __mkh_linux_dirfd(newdirfd), newpath, flags));
}

/* _llseek(fd, offset_high, offset_low, &result, whence). */
int llseek(int fd, int64_t offset, int64_t* result, int whence) {
  uint64_t bits = (uint64_t)offset;
  return (int)__mkh_result(__MKH_SC5(SYS_llseek, fd, (long)(bits >> 32), (long)(uint32_t)bits, result, whence));
}

ssize_t readv(int fd, const struct linux_iovec* iov, int count) {
  return __mkh_result(__MKH_SC3(SYS_readv, fd, iov, count));
}

ssize_t writev(int fd, const struct linux_iovec* iov, int count) {
  return __mkh_result(__MKH_SC3(SYS_writev, fd, iov, count));
}

/* A 64-bit argument takes the next two registers on RV32 (no aligned pair for system calls):
 * the offset's low word in a3, its high word in a4. */
ssize_t pread64(int fd, void* buffer, size_t size, int64_t offset) {
  uint64_t bits = (uint64_t)offset;
  return __mkh_result(
      __mkh_ecall(SYS_pread64, fd, (long)buffer, (long)size, (long)(uint32_t)bits, (long)(bits >> 32), 0));
}

ssize_t pwrite64(int fd, const void* buffer, size_t size, int64_t offset) {
  uint64_t bits = (uint64_t)offset;
  return __mkh_result(
      __mkh_ecall(SYS_pwrite64, fd, (long)buffer, (long)size, (long)(uint32_t)bits, (long)(bits >> 32), 0));
}

int dup3(int oldfd, int newfd, int flags) {
  int linux_flags = (flags & O_CLOEXEC) ? LINUX_O_CLOEXEC : 0;
  return (int)__mkh_result(__MKH_SC3(SYS_dup3, oldfd, newfd, linux_flags));
}

int fcntl64(int fd, int command, long arg) { return (int)__mkh_result(__MKH_SC3(SYS_fcntl64, fd, command, arg)); }

int ioctl(int fd, unsigned long request, void* arg) {
  return (int)__mkh_result(__MKH_SC3(SYS_ioctl, fd, request, arg));
}

int linux_tcgets(int fd, struct linux_termios* modes) { return ioctl(fd, LINUX_TCGETS, modes); }
int linux_tcsets(int fd, const struct linux_termios* modes) { return ioctl(fd, LINUX_TCSETS, (void*)modes); }

void linux_make_raw(struct linux_termios* modes) {
  enum { kIcrnl = 0000400, kIxon = 0002000 };    /* c_iflag */
  enum { kIcanon = 0000002, kIexten = 0100000 }; /* c_lflag */
  enum { kVtime = 5, kVmin = 6 };
  modes->c_iflag &= ~(uint32_t)(kIcrnl | kIxon);
  modes->c_lflag &= ~(uint32_t)(kIcanon | LINUX_ECHO | kIexten);
  modes->c_cc[kVmin] = 1;
  modes->c_cc[kVtime] = 0;
}

long linux_brk(long address) { return __MKH_SC1(SYS_brk, address); }

void* mmap2(void* address, size_t length, int prot, int flags, int fd, long page_offset) {
  long raw = __MKH_SC6(SYS_mmap2, address, length, prot, flags, fd, page_offset);
  if (raw < 0 && raw > -4096) {
    errno = __mkh_errno_from_linux(-raw);
    return MAP_FAILED;
  }
  return (void*)raw;
}

void* mmap(void* address, size_t length, int prot, int flags, int fd, off_t offset) {
  if (offset & 4095) {
    errno = EINVAL;
    return MAP_FAILED;
  }
  return mmap2(address, length, prot, flags, fd, offset / 4096);
}

int munmap(void* address, size_t length) { return (int)__mkh_result(__MKH_SC2(SYS_munmap, address, length)); }

int mprotect(void* address, size_t length, int prot) {
  return (int)__mkh_result(__MKH_SC3(SYS_mprotect, address, length, prot));
}

int riscv_flush_icache(void* start, void* end, unsigned long flags) {
  return (int)__mkh_result(__MKH_SC3(SYS_riscv_flush_icache, start, end, flags));
}

void exit_group(int status) {
  for (;;) __MKH_SC1(SYS_exit_group, status);
}

pid_t gettid(void) { return (pid_t)__MKH_SC0(SYS_gettid); }

pid_t getppid(void) { return (pid_t)__MKH_SC0(SYS_getppid); }

long set_tid_address(int* tidptr) { return __MKH_SC1(SYS_set_tid_address, tidptr); }

int linux_uname(struct linux_utsname* out) { return (int)__mkh_result(__MKH_SC1(SYS_uname, out)); }

ssize_t getrandom(void* buffer, size_t size, unsigned int flags) {
  return __mkh_result(__MKH_SC3(SYS_getrandom, buffer, size, flags));
}

int sched_yield(void) { return (int)__mkh_result(__MKH_SC0(SYS_sched_yield)); }

int clock_gettime64(int clock, struct linux_timespec64* out) {
  return (int)__mkh_result(__MKH_SC2(SYS_clock_gettime64, clock, out));
}

int linux_getrusage(int who, struct linux_rusage* out) { return (int)__mkh_result(__MKH_SC2(SYS_getrusage, who, out)); }

int clock_nanosleep_time64(int clock, int flags, const struct linux_timespec64* request,
                           struct linux_timespec64* remain) {
  /* Unlike the others, this call answers a positive errno, not -errno. */
  long raw = __MKH_SC4(SYS_clock_nanosleep_time64, clock, flags, request, remain);
  if (raw < 0) raw = -raw;
  return raw == 0 ? 0 : __mkh_errno_from_linux(raw);
}
