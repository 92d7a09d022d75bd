/* The Linux RISC-V 32-bit system calls of the user library, as thin wrappers: their numbers
 * (asm-generic unistd.h, 32-bit off_t and 64-bit time_t only: no fstat, no renameat, _llseek,
 * mmap2, fcntl64), the structures they take in Linux's layout, and the constants whose Linux
 * values differ from picolibc's (prefixed LINUX_). Each wrapper returns what the call returns,
 * or -1 with errno set (picolibc's numbering) as libc does. Layer: the user library (user/);
 * picolibc's own headers give the POSIX side (open, read, mkdir, ...), built on these. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The numbers (checked against the kernel's include/uapi/asm-generic/unistd.h). */
#define SYS_getcwd 17
#define SYS_dup 23
#define SYS_dup3 24
#define SYS_fcntl64 25
#define SYS_ioctl 29
#define SYS_mkdirat 34
#define SYS_unlinkat 35
#define SYS_truncate64 45
#define SYS_ftruncate64 46
#define SYS_faccessat 48
#define SYS_statfs64 43
#define SYS_fstatfs64 44
#define SYS_chdir 49
#define SYS_fchdir 50
#define SYS_openat 56
#define SYS_close 57
#define SYS_pipe2 59
#define SYS_getdents64 61
#define SYS_llseek 62
#define SYS_read 63
#define SYS_write 64
#define SYS_readv 65
#define SYS_writev 66
#define SYS_pread64 67
#define SYS_pwrite64 68
#define SYS_sync 81
#define SYS_fsync 82
#define SYS_fdatasync 83
#define SYS_exit 93
#define SYS_exit_group 94
#define SYS_waitid 95
#define SYS_set_tid_address 96
#define SYS_getitimer 102
#define SYS_setitimer 103
#define SYS_sched_yield 124
#define SYS_kill 129
#define SYS_tkill 130
#define SYS_tgkill 131
#define SYS_rt_sigaction 134
#define SYS_rt_sigprocmask 135
#define SYS_rt_sigpending 136
#define SYS_rt_sigsuspend 133
#define SYS_sigaltstack 132
#define SYS_times 153
#define SYS_setpgid 154
#define SYS_getpgid 155
#define SYS_getsid 156
#define SYS_setsid 157
#define SYS_uname 160
#define SYS_getrusage 165
#define SYS_umask 166
#define SYS_getpid 172
#define SYS_getppid 173
#define SYS_getuid 174
#define SYS_geteuid 175
#define SYS_getgid 176
#define SYS_getegid 177
#define SYS_gettid 178
#define SYS_sysinfo 179
#define SYS_brk 214
#define SYS_munmap 215
#define SYS_clone 220
#define SYS_execve 221
#define SYS_mmap2 222
#define SYS_mprotect 226
#define SYS_riscv_flush_icache 259
#define SYS_renameat2 276
#define SYS_getrandom 278
#define SYS_statx 291
#define SYS_clock_gettime64 403
#define SYS_clock_getres_time64 406
#define SYS_clock_nanosleep_time64 407
#define SYS_utimensat_time64 412
#define SYS_pselect6_time64 413
#define SYS_ppoll_time64 414
#define SYS_rt_sigtimedwait_time64 421
#define SYS_futex_time64 422
#define SYS_faccessat2 439

/* Linux's values where picolibc has its own (newlib's) under the plain name. */
#define LINUX_AT_FDCWD (-100)
#define LINUX_AT_SYMLINK_NOFOLLOW 0x100
#define LINUX_AT_REMOVEDIR 0x200
#define LINUX_AT_EACCESS 0x200 /* faccessat2's; the same bit as unlinkat's AT_REMOVEDIR */
#define LINUX_AT_EMPTY_PATH 0x1000
#define LINUX_O_CREAT 0100
#define LINUX_O_EXCL 0200
#define LINUX_O_NOCTTY 0400
#define LINUX_O_TRUNC 01000
#define LINUX_O_APPEND 02000
#define LINUX_O_NONBLOCK 04000
#define LINUX_O_DIRECTORY 0200000
#define LINUX_O_NOFOLLOW 0400000
#define LINUX_O_CLOEXEC 02000000
#define LINUX_F_DUPFD_CLOEXEC 1030
#define LINUX_TCGETS 0x5401
#define LINUX_TIOCGPGRP 0x540f
#define LINUX_TIOCSPGRP 0x5410
#define LINUX_TIOCGWINSZ 0x5413

/* TIOCGWINSZ's answer: a terminal's size. */
struct linux_winsize {
  unsigned short ws_row, ws_col, ws_xpixel, ws_ypixel;
};

/* TCGETS's and TCSETS's struct termios, the kernel's (36 bytes on RV32 as on x86-64). */
#define LINUX_TCSETS 0x5402
struct linux_termios {
  uint32_t c_iflag, c_oflag, c_cflag, c_lflag;
  uint8_t c_line;
  uint8_t c_cc[19];
};
#define LINUX_ECHO 0000010
/* The terminal of `fd`'s modes (TCGETS: -1 with ENOTTY when it is no terminal), and set
 * (TCSETS). */
int linux_tcgets(int fd, struct linux_termios* modes);
int linux_tcsets(int fd, const struct linux_termios* modes);
/* `modes` made raw for a program that reads keys: each byte as it is typed (VMIN 1, VTIME 0),
 * no echo, no CR to NL, no flow control or extended keys; the signals' keys kept (ISIG). */
void linux_make_raw(struct linux_termios* modes);

/* Names picolibc does not define. */
#define PROT_NONE 0
#define PROT_READ 1
#define PROT_WRITE 2
#define PROT_EXEC 4
#define MAP_SHARED 0x01
#define MAP_PRIVATE 0x02
#define MAP_FIXED 0x10
#define MAP_ANONYMOUS 0x20
#define MAP_FAILED ((void*)-1)
#define STATX_TYPE 0x001u
#define STATX_MODE 0x002u
#define STATX_NLINK 0x004u
#define STATX_INO 0x100u
#define STATX_SIZE 0x200u
#define STATX_BASIC_STATS 0x7ffu
#define DT_UNKNOWN 0
#define DT_DIR 4
#define DT_REG 8
#define LINUX_CLOCK_REALTIME 0
#define LINUX_CLOCK_MONOTONIC 1
#define LINUX_CLOCK_PROCESS_CPUTIME_ID 2

struct linux_timespec64 {
  int64_t tv_sec;
  int64_t tv_nsec;
};

struct statx_timestamp {
  int64_t tv_sec;
  uint32_t tv_nsec;
  int32_t reserved;
};

struct statx {
  uint32_t stx_mask;
  uint32_t stx_blksize;
  uint64_t stx_attributes;
  uint32_t stx_nlink;
  uint32_t stx_uid;
  uint32_t stx_gid;
  uint16_t stx_mode;
  uint16_t spare0;
  uint64_t stx_ino;
  uint64_t stx_size;
  uint64_t stx_blocks;
  uint64_t stx_attributes_mask;
  struct statx_timestamp stx_atime, stx_btime, stx_ctime, stx_mtime;
  uint32_t stx_rdev_major, stx_rdev_minor, stx_dev_major, stx_dev_minor;
  uint64_t spare2[14];
};
_Static_assert(sizeof(struct statx) == 256, "struct statx has Linux's layout");

struct linux_dirent64 {
  uint64_t d_ino;
  int64_t d_off;
  uint16_t d_reclen;
  uint8_t d_type;
  char d_name[];
};
_Static_assert(offsetof(struct linux_dirent64, d_name) == 19, "linux_dirent64 has Linux's layout");

struct linux_utsname {
  char sysname[65], nodename[65], release[65], version[65], machine[65], domainname[65];
};

/* Linux's struct rusage on RV32: the user and system times as two timevals of 32-bit longs,
 * then 14 longs (maximum resident set, faults, blocks, context switches...). */
struct linux_rusage {
  int32_t utime_sec, utime_usec, stime_sec, stime_usec;
  int32_t others[14];
};
_Static_assert(sizeof(struct linux_rusage) == 72, "linux_rusage has Linux's layout");

struct linux_iovec {
  void* iov_base;
  size_t iov_len;
};

/* The C library's errno for Linux's error number, as the wrappers set it (picolibc numbers
 * some errors otherwise, ENAMETOOLONG among them); EIO for a number it does not know. */
int __mkh_errno_from_linux(long linux_errno);

/* A system call by its number: a7 the number, a0-a5 the arguments, its answer as the kernel
 * gives it in a0 (-errno, Linux's numbering, on failure; errno is left alone). The wrappers
 * below are built on it; a program that tests the kernel itself may call it too. */
static inline long linux_syscall(long number, long a0, long a1, long a2, long a3, long a4, long a5) {
  register long r_a0 __asm__("a0") = a0;
  register long r_a1 __asm__("a1") = a1;
  register long r_a2 __asm__("a2") = a2;
  register long r_a3 __asm__("a3") = a3;
  register long r_a4 __asm__("a4") = a4;
  register long r_a5 __asm__("a5") = a5;
  register long r_a7 __asm__("a7") = number;
  __asm__ volatile("ecall" : "+r"(r_a0) : "r"(r_a1), "r"(r_a2), "r"(r_a3), "r"(r_a4), "r"(r_a5), "r"(r_a7) : "memory");
  return r_a0;
}

/* Files and directories. Where picolibc declares a function (openat, mkdirat, unlinkat, fstatat,
 * dup3, pread, pwrite: its headers), it takes picolibc's constants; a dirfd may be picolibc's
 * AT_FDCWD or Linux's, and the AT_* flags of statx may be either's (their bits do not overlap). */
int getdents64(int fd, void* buffer, size_t size);
int statx(int dirfd, const char* path, int at_flags, unsigned int mask, struct statx* out);
int renameat2(int olddirfd, const char* oldpath, int newdirfd, const char* newpath, unsigned int flags);
int llseek(int fd, int64_t offset, int64_t* result, int whence);
ssize_t readv(int fd, const struct linux_iovec* iov, int count);
ssize_t writev(int fd, const struct linux_iovec* iov, int count);
ssize_t pread64(int fd, void* buffer, size_t size, int64_t offset);
ssize_t pwrite64(int fd, const void* buffer, size_t size, int64_t offset);
int fcntl64(int fd, int command, long arg); /* Linux's command values */
int ioctl(int fd, unsigned long request, void* arg);

/* Memory. */
long linux_brk(long address); /* the raw call: the new break, or the old one when refused */
void* mmap2(void* address, size_t length, int prot, int flags, int fd, long page_offset);
void* mmap(void* address, size_t length, int prot, int flags, int fd, off_t offset);
int munmap(void* address, size_t length);
int mprotect(void* address, size_t length, int prot);
/* Instruction fetch sees the stores before it in [start, end) (flags 0: every thread). */
int riscv_flush_icache(void* start, void* end, unsigned long flags);

/* Processes, threads, time. */
void exit_group(int status) __attribute__((noreturn));
pid_t gettid(void);
pid_t getppid(void);
long set_tid_address(int* tidptr);
int linux_uname(struct linux_utsname* out);
/* flags: GRND_NONBLOCK 1, GRND_RANDOM 2, GRND_INSECURE 4 */
ssize_t getrandom(void* buffer, size_t size, unsigned int flags);
int sched_yield(void);
int clock_gettime64(int clock, struct linux_timespec64* out);
/* who: 0 the process, -1 its children waited for, 1 the calling thread. */
int linux_getrusage(int who, struct linux_rusage* out);
int clock_nanosleep_time64(int clock, int flags, const struct linux_timespec64* request,
                           struct linux_timespec64* remain);
