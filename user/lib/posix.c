/* The POSIX functions picolibc leaves to the system (its stdio's open/read/write/lseek/close,
 * fstat, isatty, getpid, kill, _exit), fork, wait, waitpid, the exec family, the signals (sigaction and its
 * handlers, signal, raise, sigprocmask, sigpending, sigsuspend, pause, sigaltstack), the usual
 * file-system ones (stat, lstat, mkdir, unlink, rmdir, rename, truncate, ftruncate, fsync,
 * fdatasync, sync, umask, access, faccessat, utimensat, futimens, chdir, fchdir, getcwd,
 * realpath, dup, dup2, pipe, pipe2, fcntl, statfs, fstatfs), sysinfo, process groups and sessions
 * (setpgid, getpgid, setsid, getsid, tcgetpgrp, tcsetpgrp), the waits for descriptors (poll,
 * ppoll, select, pselect), the waits for a signal (sigwait, sigwaitinfo, sigtimedwait), the user
 * and group ids,
 * gethostname, getentropy and sysconf, on the Linux calls:
 * picolibc's constants (newlib's O_*, AT_*, F_*, SIG*, SA_* and struct stat) are turned into
 * Linux's here. Layer: the user library (user/lib/); calls linux.c, mkh.c and the ecall. sbrk
 * and the standard streams are in runtime.c, the time functions in time.c. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysinfo.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "linux_syscalls.h"
#include "mkh.h"
#include "syscall.h"

static const struct {
  int picolibc, linux_flag;
} open_flags[] = {
    {O_CREAT, LINUX_O_CREAT},         {O_EXCL, LINUX_O_EXCL},         {O_NOCTTY, LINUX_O_NOCTTY},
    {O_TRUNC, LINUX_O_TRUNC},         {O_APPEND, LINUX_O_APPEND},     {O_NONBLOCK, LINUX_O_NONBLOCK},
    {O_DIRECTORY, LINUX_O_DIRECTORY}, {O_NOFOLLOW, LINUX_O_NOFOLLOW}, {O_CLOEXEC, LINUX_O_CLOEXEC},
};

static int linux_open_flags(int flags) {
  int result = flags & O_ACCMODE;
  for (size_t i = 0; i < sizeof open_flags / sizeof open_flags[0]; i++)
    if (flags & open_flags[i].picolibc) result |= open_flags[i].linux_flag;
  return result;
}

static int picolibc_open_flags(int linux_flags) {
  int result = linux_flags & O_ACCMODE;
  for (size_t i = 0; i < sizeof open_flags / sizeof open_flags[0]; i++)
    if (linux_flags & open_flags[i].linux_flag) result |= open_flags[i].picolibc;
  return result;
}

/* The mode follows the flags only with O_CREAT (O_TMPFILE is not supported). */
int openat(int dirfd, const char* path, int flags, ...) {
  va_list args;
  va_start(args, flags);
  int mode = (flags & O_CREAT) ? va_arg(args, int) : 0;
  va_end(args);
  return (int)__mkh_result(__MKH_SC4(SYS_openat, __mkh_linux_dirfd(dirfd), path, linux_open_flags(flags), mode));
}

int open(const char* path, int flags, ...) {
  va_list args;
  va_start(args, flags);
  int mode = (flags & O_CREAT) ? va_arg(args, int) : 0;
  va_end(args);
  return openat(AT_FDCWD, path, flags, mode);
}

int mkdirat(int dirfd, const char* path, mode_t mode) {
  return (int)__mkh_result(__MKH_SC3(SYS_mkdirat, __mkh_linux_dirfd(dirfd), path, mode));
}

int unlinkat(int dirfd, const char* path, int flags) {
  return (int)__mkh_result(__MKH_SC3(SYS_unlinkat, __mkh_linux_dirfd(dirfd), path, __mkh_linux_at_flags(flags)));
}

ssize_t pread(int fd, void* buffer, size_t size, off_t offset) { return pread64(fd, buffer, size, offset); }

ssize_t pwrite(int fd, const void* buffer, size_t size, off_t offset) { return pwrite64(fd, buffer, size, offset); }

ssize_t read(int fd, void* buffer, size_t size) { return __mkh_result(__MKH_SC3(SYS_read, fd, buffer, size)); }

ssize_t write(int fd, const void* buffer, size_t size) { return __mkh_result(__MKH_SC3(SYS_write, fd, buffer, size)); }

int close(int fd) { return (int)__mkh_result(__MKH_SC1(SYS_close, fd)); }

off_t lseek(int fd, off_t offset, int whence) {
  int64_t result;
  if (llseek(fd, offset, &result, whence) < 0) return -1;
  if (result > LONG_MAX) {
    errno = EOVERFLOW;
    return -1;
  }
  return (off_t)result;
}

static void stat_from_statx(struct stat* out, const struct statx* in) {
  memset(out, 0, sizeof *out);
  out->st_dev = ((dev_t)in->stx_dev_major << 8) | in->stx_dev_minor;
  out->st_ino = (ino_t)in->stx_ino;
  out->st_mode = in->stx_mode;
  out->st_nlink = in->stx_nlink;
  out->st_uid = in->stx_uid;
  out->st_gid = in->stx_gid;
  out->st_rdev = ((dev_t)in->stx_rdev_major << 8) | in->stx_rdev_minor;
  out->st_size = (off_t)in->stx_size;
  out->st_blksize = in->stx_blksize;
  out->st_blocks = in->stx_blocks;
  out->st_atim.tv_sec = in->stx_atime.tv_sec;
  out->st_atim.tv_nsec = in->stx_atime.tv_nsec;
  out->st_mtim.tv_sec = in->stx_mtime.tv_sec;
  out->st_mtim.tv_nsec = in->stx_mtime.tv_nsec;
  out->st_ctim.tv_sec = in->stx_ctime.tv_sec;
  out->st_ctim.tv_nsec = in->stx_ctime.tv_nsec;
}

int fstat(int fd, struct stat* out) {
  struct statx buffer;
  if (statx(fd, "", LINUX_AT_EMPTY_PATH, STATX_BASIC_STATS, &buffer) < 0) return -1;
  stat_from_statx(out, &buffer);
  return 0;
}

int fstatat(int dirfd, const char* path, struct stat* out, int flags) {
  struct statx buffer;
  if (statx(dirfd, path, flags, STATX_BASIC_STATS, &buffer) < 0) return -1;
  stat_from_statx(out, &buffer);
  return 0;
}

int stat(const char* path, struct stat* out) { return fstatat(AT_FDCWD, path, out, 0); }

int lstat(const char* path, struct stat* out) { return fstatat(AT_FDCWD, path, out, AT_SYMLINK_NOFOLLOW); }

/* A terminal answers TCGETS (struct termios, 36 bytes on Linux); anything else ENOTTY. */
int isatty(int fd) {
  unsigned char termios[64];
  return ioctl(fd, LINUX_TCGETS, termios) == 0;
}

/* The foreground process group of the terminal `fd` is (ENOTTY when it is none, or not the
 * caller's session's). */
pid_t tcgetpgrp(int fd) {
  pid_t group;
  return ioctl(fd, LINUX_TIOCGPGRP, &group) == 0 ? group : -1;
}
int tcsetpgrp(int fd, pid_t group) { return ioctl(fd, LINUX_TIOCSPGRP, &group); }

pid_t getpid(void) { return (pid_t)__MKH_SC0(SYS_getpid); }

/* The file system of a path, or of an open file. */
int statfs(const char* path, struct statfs* buf) {
  return (int)__mkh_result(__MKH_SC3(SYS_statfs64, path, sizeof *buf, buf));
}
int fstatfs(int fd, struct statfs* buf) { return (int)__mkh_result(__MKH_SC3(SYS_fstatfs64, fd, sizeof *buf, buf)); }

/* The machine's uptime, load averages, memory and threads. */
int sysinfo(struct sysinfo* info) { return (int)__mkh_result(__MKH_SC1(SYS_sysinfo, info)); }

/* Process groups and sessions. */
int setpgid(pid_t pid, pid_t pgid) { return (int)__mkh_result(__MKH_SC2(SYS_setpgid, pid, pgid)); }
int setpgrp(void) { return setpgid(0, 0); }
pid_t getpgid(pid_t pid) { return (pid_t)__mkh_result(__MKH_SC1(SYS_getpgid, pid)); }
pid_t getpgrp(void) { return getpgid(0); }
pid_t setsid(void) { return (pid_t)__mkh_result(__MKH_SC0(SYS_setsid)); }
pid_t getsid(pid_t pid) { return (pid_t)__mkh_result(__MKH_SC1(SYS_getsid, pid)); }

/* picolibc numbers the signals from 16 up as BSD does (SIGCHLD 20, SIGUSR1 30, ...) and a few
 * below differently (SIGBUS 10, SIGSYS 12): Linux's number for each of picolibc's 1-31, 0
 * for SIGEMT and SIGLOST, which Linux has not. Real-time signals (32 and up) pass as they are. */
int __mkh_linux_signal(int signal) {
  static const unsigned char linux_of[32] = {
      0,  1,  2,  3,  4,  5,  6,  0,  8,  9,  7,  11, 31, 13, 14, 15, /* 0-15: SIGBUS 10 -> 7, SIGSYS 12 -> 31 */
      23, 19, 20, 18, 17, 21, 22, 29, 24, 25, 26, 27, 28, 0,  10, 12, /* URG STOP TSTP CONT CHLD ... USR1 USR2 */
  };
  if (signal < 0 || signal >= 32) return signal;
  if (signal != 0 && linux_of[signal] == 0) return -1; /* no such signal on Linux: EINVAL */
  return linux_of[signal];
}

int mkh_linux_signal(int signal) { return __mkh_linux_signal(signal); }

static const char* const signal_names[] = {"HUP",  "INT",    "QUIT", "ILL",   "TRAP", "ABRT", "BUS",  "FPE",
                                           "KILL", "USR1",   "SEGV", "USR2",  "PIPE", "ALRM", "TERM", "STKFLT",
                                           "CHLD", "CONT",   "STOP", "TSTP",  "TTIN", "TTOU", "URG",  "XCPU",
                                           "XFSZ", "VTALRM", "PROF", "WINCH", "IO",   "PWR",  "SYS"};
enum { kSignalNames = sizeof signal_names / sizeof signal_names[0] };

const char* mkh_signal_name(int number) {
  return number >= 1 && number <= kSignalNames ? signal_names[number - 1] : NULL;
}

int mkh_signal_number(const char* text) {
  char* end;
  const long number = strtol(text, &end, 10);
  if (*text != '\0' && *end == '\0') return number >= 0 && number <= 64 ? (int)number : -1;
  if (!strncmp(text, "SIG", 3)) text += 3;
  for (int i = 0; i < kSignalNames; i++)
    if (!strcmp(text, signal_names[i])) return i + 1;
  return -1;
}

int kill(pid_t pid, int signal) { return (int)__mkh_result(__MKH_SC2(SYS_kill, pid, __mkh_linux_signal(signal))); }

/* picolibc's number for Linux's signal `linux_number` (the inverse of __mkh_linux_signal). */
static int picolibc_signal(int linux_number) {
  for (int signal = 1; signal < 32; signal++)
    if (__mkh_linux_signal(signal) == linux_number) return signal;
  return linux_number;
}

/* fork is clone(SIGCHLD); waitpid and wait are waitid (USERMODE.md), WUNTRACED its WSTOPPED,
 * the status word made as Linux's: the exit status in bits 8-15, or the signal that killed the
 * child; a stop: 0x7f and the stop signal in bits 8-15; a continue (WCONTINUED): 0xffff. */
pid_t fork(void) { return (pid_t)__mkh_result(__MKH_SC5(SYS_clone, 17 /* Linux's SIGCHLD */, 0, 0, 0, 0)); }

pid_t waitpid(pid_t pid, int* status, int options) {
  enum { P_ALL = 0, P_PID = 1, P_PGID = 2, WEXITED = 4, CLD_EXITED = 1, CLD_STOPPED = 5, CLD_CONTINUED = 6 };
  struct {
    int signo, error, code;
    pid_t pid;
    unsigned uid;
    int status;
    int rest[26];
  } info = {0};
  const int idtype = pid > 0 ? P_PID : pid == -1 ? P_ALL : P_PGID;
  const long id = pid < -1 ? -pid : pid > 0 ? pid : 0;
  if (__mkh_result(
          __MKH_SC5(SYS_waitid, idtype, id, &info, (options & (WNOHANG | WUNTRACED | WCONTINUED)) | WEXITED, 0)) < 0)
    return -1;
  if (info.pid != 0 && status != NULL) {
    if (info.code == CLD_EXITED) *status = (info.status & 0xff) << 8;
    else if (info.code == CLD_STOPPED) *status = (picolibc_signal(info.status) & 0xff) << 8 | 0x7f;
    else if (info.code == CLD_CONTINUED) *status = 0xffff;
    else *status = picolibc_signal(info.status) & 0x7f;
  }
  return info.pid;
}

pid_t wait(int* status) { return waitpid(-1, status, 0); }

/* execve is Linux's call; execv passes environ; execvp and execvpe look a name without a slash
 * up in PATH ("/bin:/usr/bin" when PATH is unset), going on past a directory where it is
 * missing or may not be run (EACCES, answered if nothing else is found), and answering any
 * other error at once, as musl does (glibc would run a file of ENOEXEC with /bin/sh). */
int execve(const char* path, char* const argv[], char* const envp[]) {
  return (int)__mkh_result(__MKH_SC3(SYS_execve, path, argv, envp));
}

int execv(const char* path, char* const argv[]) { return execve(path, argv, environ); }

int execvpe(const char* file, char* const argv[], char* const envp[]) {
  if (file[0] == '\0') {
    errno = ENOENT;
    return -1;
  }
  if (strchr(file, '/') != NULL) return execve(file, argv, envp);
  const char* search = getenv("PATH");
  if (search == NULL) search = "/bin:/usr/bin";
  const size_t length = strlen(file);
  int first_error = ENOENT;
  for (const char* at = search;; ++at) {
    const char* end = strchr(at, ':');
    if (end == NULL) end = at + strlen(at);
    const size_t prefix = (size_t)(end - at);
    if (prefix + 1 + length < PATH_MAX) {
      char path[PATH_MAX];
      memcpy(path, at, prefix);
      path[prefix] = '/';
      memcpy(path + prefix + 1, file, length + 1);
      execve(prefix == 0 ? file : path, argv, envp);
      /* Missing there, or not to be run from there: the next entry; else the answer (musl's). */
      if (errno == EACCES) first_error = EACCES;
      else if (errno != ENOENT && errno != ENOTDIR) return -1;
    }
    at = end;
    if (*at == '\0') break;
  }
  errno = first_error;
  return -1;
}

int execvp(const char* file, char* const argv[]) { return execvpe(file, argv, environ); }

/* picolibc's sigset_t has bit n for its signal n; Linux's 64-bit set bit n - 1 for its own. */
static uint64_t linux_sigset(sigset_t set) {
  uint64_t out = 0;
  for (int signal = 1; signal < 32; signal++) {
    const int linux_number = __mkh_linux_signal(signal);
    if ((set & (1UL << signal)) != 0 && linux_number > 0) out |= (uint64_t)1 << (linux_number - 1);
  }
  return out;
}

static sigset_t picolibc_sigset(uint64_t set) {
  sigset_t out = 0;
  for (int signal = 1; signal < 32; signal++) {
    const int linux_number = __mkh_linux_signal(signal);
    if (linux_number > 0 && (set & ((uint64_t)1 << (linux_number - 1))) != 0) out |= 1UL << signal;
  }
  return out;
}

/* The handlers the program gave, by Linux's number. The kernel runs signal_entry with Linux's
 * number (as Linux would), which runs the program's handler with picolibc's. */
static _sig_func_ptr handlers[65];

static void signal_entry(int linux_number) { handlers[linux_number](picolibc_signal(linux_number)); }

/* RV32 Linux's struct sigaction: no restorer on RISC-V. */
struct linux_sigaction {
  unsigned long handler, flags;
  uint64_t mask;
};

/* sa_flags pass as they are: picolibc's SA_NOCLDSTOP is Linux's, and <signal.h> adds
 * SA_RESTART, SA_NODEFER, SA_RESETHAND and SA_ONSTACK with Linux's values. */
int sigaction(int signal, const struct sigaction* action, struct sigaction* old) {
  struct linux_sigaction in = {0}, out = {0};
  const int linux_number = __mkh_linux_signal(signal);
  const int known = linux_number > 0 && linux_number <= 64;
  const _sig_func_ptr previous = known ? handlers[linux_number] : SIG_DFL;
  if (action != NULL) {
    in.handler = (unsigned long)action->sa_handler;
    if (known && action->sa_handler != SIG_DFL && action->sa_handler != SIG_IGN) {
      handlers[linux_number] = action->sa_handler;
      in.handler = (unsigned long)signal_entry;
    }
    in.flags = (unsigned long)(unsigned)action->sa_flags;
    in.mask = linux_sigset(action->sa_mask);
  }
  const long answer = __MKH_SC4(SYS_rt_sigaction, linux_number, action ? &in : NULL, old ? &out : NULL, 8);
  if (__mkh_result(answer) < 0) {
    if (known) handlers[linux_number] = previous;
    return -1;
  }
  if (old != NULL) {
    *old = (struct sigaction){0};
    old->sa_handler = out.handler == (unsigned long)signal_entry ? previous : (_sig_func_ptr)out.handler;
    old->sa_flags = (int)out.flags;
    old->sa_mask = picolibc_sigset(out.mask);
  }
  return 0;
}

/* signal() and raise() of the kernel's signals, replacing picolibc's, which keep the handlers
 * in the library: signal() installs a handler as BSD and glibc do (SA_RESTART); raise() sends
 * the signal to the calling thread, whose handler runs before it returns. */
_sig_func_ptr signal(int signal, _sig_func_ptr handler) {
  struct sigaction action = {0}, old;
  action.sa_handler = handler;
  action.sa_flags = SA_RESTART;
  if (sigaction(signal, &action, &old) < 0) return SIG_ERR;
  return old.sa_handler;
}

int raise(int signal) {
  const long pid = __MKH_SC0(SYS_getpid), tid = __MKH_SC0(SYS_gettid);
  return (int)__mkh_result(__MKH_SC3(SYS_tgkill, pid, tid, __mkh_linux_signal(signal)));
}

/* picolibc's stack_t is Linux's (ss_sp, ss_flags, ss_size). */
int sigaltstack(const stack_t* stack, stack_t* old) {
  return (int)__mkh_result(__MKH_SC2(SYS_sigaltstack, stack, old));
}

/* The calling thread's whole mask in *mask: 0, or -1. */
static int current_mask(uint64_t* mask) {
  return (int)__mkh_result(__MKH_SC4(SYS_rt_sigprocmask, 0 /* SIG_BLOCK */, NULL, mask, 8));
}

/* A mask that is picolibc's `set` for the signals picolibc names, and the thread's mask now for
 * the others (Linux's SIGSTKFLT and the real-time signals), which its set cannot say. */
static int whole_mask(sigset_t set, uint64_t* out) {
  uint64_t now = 0;
  if (current_mask(&now) < 0) return -1;
  *out = linux_sigset(set) | (now & ~linux_sigset(~(sigset_t)0));
  return 0;
}

/* sigsuspend always answers -1 (EINTR) once a handler ran; it and sigprocmask's SIG_SETMASK keep
 * the signals picolibc's set cannot name as they are (whole_mask). pause is sigsuspend with the
 * current mask, all 64 bits of it, as Linux has no pause call for RV32. */
int sigsuspend(const sigset_t* set) {
  uint64_t in;
  if (whole_mask(*set, &in) < 0) return -1;
  return (int)__mkh_result(__MKH_SC2(SYS_rt_sigsuspend, &in, 8));
}

int pause(void) {
  uint64_t mask = 0;
  if (current_mask(&mask) < 0) return -1;
  return (int)__mkh_result(__MKH_SC2(SYS_rt_sigsuspend, &mask, 8));
}

/* The waits for descriptors, on ppoll_time64 and pselect6_time64 as glibc's for RV32: a mask
 * is whole_mask's; a timeout left null waits for ever; select writes what is left of its
 * timeout back, as Linux's select does. */
static const struct linux_timespec64* linux_timeout(const struct timespec* timeout, struct linux_timespec64* out) {
  if (timeout == NULL) return NULL;
  *out = (struct linux_timespec64){.tv_sec = timeout->tv_sec, .tv_nsec = timeout->tv_nsec};
  return out;
}

int ppoll(struct pollfd* fds, nfds_t count, const struct timespec* timeout, const sigset_t* mask) {
  struct linux_timespec64 time;
  uint64_t set = 0;
  if (mask != NULL && whole_mask(*mask, &set) < 0) return -1;
  return (int)__mkh_result(
      __MKH_SC5(SYS_ppoll_time64, fds, count, linux_timeout(timeout, &time), mask != NULL ? &set : NULL, 8));
}

int poll(struct pollfd* fds, nfds_t count, int timeout_ms) {
  const struct timespec timeout = {.tv_sec = timeout_ms / 1000, .tv_nsec = timeout_ms % 1000 * 1000000L};
  return ppoll(fds, count, timeout_ms < 0 ? NULL : &timeout, NULL);
}

int pselect(int count, fd_set* readable, fd_set* writable, fd_set* errors, const struct timespec* timeout,
            const sigset_t* mask) {
  struct linux_timespec64 time;
  uint64_t set = 0;
  if (mask != NULL && whole_mask(*mask, &set) < 0) return -1;
  const uint32_t sig[2] = {mask != NULL ? (uint32_t)(uintptr_t)&set : 0, 8};
  return (int)__mkh_result(
      __MKH_SC6(SYS_pselect6_time64, count, readable, writable, errors, linux_timeout(timeout, &time), sig));
}

int select(int count, fd_set* readable, fd_set* writable, fd_set* errors, struct timeval* timeout) {
  struct linux_timespec64 time;
  if (timeout != NULL) {
    if (timeout->tv_sec < 0 || timeout->tv_usec < 0) {
      errno = EINVAL;
      return -1;
    }
    time = (struct linux_timespec64){.tv_sec = timeout->tv_sec + timeout->tv_usec / 1000000,
                                     .tv_nsec = timeout->tv_usec % 1000000 * 1000};
  }
  const int ready = (int)__mkh_result(
      __MKH_SC6(SYS_pselect6_time64, count, readable, writable, errors, timeout != NULL ? &time : NULL, NULL));
  if (timeout != NULL) *timeout = (struct timeval){.tv_sec = time.tv_sec, .tv_usec = time.tv_nsec / 1000};
  return ready;
}

/* The waits for a signal, on rt_sigtimedwait_time64. picolibc's siginfo_t has si_signo (its
 * number), si_code (POSIX's SI_USER, SI_QUEUE, SI_TIMER, SI_ASYNCIO, SI_MESGQ, from Linux's;
 * Linux's own codes else: SI_TKILL, SI_KERNEL, CLD_*) and si_value, no si_pid. */
int sigtimedwait(const sigset_t* set, siginfo_t* info, const struct timespec* timeout) {
  const uint64_t linux_set = linux_sigset(*set);
  struct linux_timespec64 time;
  int32_t fields[32] = {0}; /* Linux's siginfo: si_signo, si_errno, si_code, then the union */
  const int got =
      (int)__mkh_result(__MKH_SC4(SYS_rt_sigtimedwait_time64, &linux_set, fields, linux_timeout(timeout, &time), 8));
  if (got < 0) return -1;
  const int signal = picolibc_signal(got);
  if (info != NULL) {
    static const int posix_codes[] = {SI_USER, SI_QUEUE, SI_TIMER, SI_MESGQ, SI_ASYNCIO}; /* Linux's 0, -1 .. -4 */
    const int code = fields[2];
    info->si_signo = signal;
    info->si_code = code <= 0 && code >= -4 ? posix_codes[-code] : code;
    info->si_value.sival_int = fields[5];
  }
  return signal;
}

int sigwaitinfo(const sigset_t* set, siginfo_t* info) { return sigtimedwait(set, info, NULL); }

/* Answers the error, as POSIX says (EINTR never: a handler's signal makes it wait again). */
int sigwait(const sigset_t* set, int* signal) {
  for (;;) {
    const int got = sigtimedwait(set, NULL, NULL);
    if (got > 0) {
      *signal = got;
      return 0;
    }
    if (errno != EINTR) return errno;
  }
}

/* picolibc's SIG_SETMASK 0, SIG_BLOCK 1, SIG_UNBLOCK 2 are Linux's 2, 0, 1. */
int sigprocmask(int how, const sigset_t* set, sigset_t* old) {
  const int linux_how = how == SIG_SETMASK ? 2 : how == SIG_BLOCK ? 0 : how == SIG_UNBLOCK ? 1 : -1;
  uint64_t in = set != NULL ? linux_sigset(*set) : 0, out = 0;
  if (set != NULL && how == SIG_SETMASK && whole_mask(*set, &in) < 0) return -1;
  if (__mkh_result(__MKH_SC4(SYS_rt_sigprocmask, linux_how, set ? &in : NULL, old ? &out : NULL, 8)) < 0) return -1;
  if (old != NULL) *old = picolibc_sigset(out);
  return 0;
}

/* The calling thread's mask (sigprocmask's own, on Linux too): an error number, not -1. */
int pthread_sigmask(int how, const sigset_t* set, sigset_t* old) { return sigprocmask(how, set, old) == 0 ? 0 : errno; }

int sigpending(sigset_t* set) {
  uint64_t pending = 0;
  if (__mkh_result(__MKH_SC2(SYS_rt_sigpending, &pending, 8)) < 0) return -1;
  *set = picolibc_sigset(pending);
  return 0;
}

void _exit(int status) { exit_group(status); }

int mkdir(const char* path, mode_t mode) { return mkdirat(AT_FDCWD, path, mode); }

int unlink(const char* path) { return unlinkat(AT_FDCWD, path, 0); }

int rmdir(const char* path) { return unlinkat(AT_FDCWD, path, AT_REMOVEDIR); }

int rename(const char* oldpath, const char* newpath) { return renameat2(AT_FDCWD, oldpath, AT_FDCWD, newpath, 0); }

/* The length in two registers, low first (a 32-bit machine's truncate64 and ftruncate64). */
int truncate(const char* path, off_t length) {
  const long long wide = length;
  return (int)__mkh_result(__MKH_SC3(SYS_truncate64, path, (unsigned long)wide, (unsigned long)(wide >> 32)));
}

int ftruncate(int fd, off_t length) {
  const long long wide = length;
  return (int)__mkh_result(__MKH_SC3(SYS_ftruncate64, fd, (unsigned long)wide, (unsigned long)(wide >> 32)));
}

/* The times as Linux's struct timespec64 (UTIME_NOW and UTIME_OMIT are Linux's values:
 * <sys/stat.h>). A null path sets the times of the descriptor `dirfd` itself, as Linux does
 * (futimens). */
int utimensat(int dirfd, const char* path, const struct timespec times[2], int flags) {
  struct linux_timespec64 linux_times[2];
  for (int i = 0; times != NULL && i < 2; i++)
    linux_times[i] = (struct linux_timespec64){.tv_sec = times[i].tv_sec, .tv_nsec = times[i].tv_nsec};
  return (int)__mkh_result(__MKH_SC4(SYS_utimensat_time64, __mkh_linux_dirfd(dirfd), path,
                                     times != NULL ? linux_times : NULL, __mkh_linux_at_flags(flags)));
}

int futimens(int fd, const struct timespec times[2]) { return utimensat(fd, NULL, times, 0); }

int fsync(int fd) { return (int)__mkh_result(__MKH_SC1(SYS_fsync, fd)); }

int fdatasync(int fd) { return (int)__mkh_result(__MKH_SC1(SYS_fdatasync, fd)); }

void sync(void) { (void)__MKH_SC0(SYS_sync); }

mode_t umask(mode_t mask) { return (mode_t)__MKH_SC1(SYS_umask, mask); }

uid_t getuid(void) { return (uid_t)__MKH_SC0(SYS_getuid); }
uid_t geteuid(void) { return (uid_t)__MKH_SC0(SYS_geteuid); }
gid_t getgid(void) { return (gid_t)__MKH_SC0(SYS_getgid); }
gid_t getegid(void) { return (gid_t)__MKH_SC0(SYS_getegid); }

/* Up to 256 random bytes (EIO for more, as glibc), from getrandom: picolibc's arc4random
 * draws its seed here. */
int getentropy(void* buffer, size_t size) {
  if (size > 256) {
    errno = EIO;
    return -1;
  }
  for (size_t done = 0; done < size;) {
    const ssize_t got = getrandom((char*)buffer + done, size - done, 0);
    if (got < 0) return -1;
    done += (size_t)got;
  }
  return 0;
}

/* uname's node name; ENAMETOOLONG when it and its NUL do not fit, as glibc. */
int gethostname(char* name, size_t size) {
  struct linux_utsname host;
  if (linux_uname(&host) != 0) return -1;
  const size_t length = strlen(host.nodename);
  if (length >= size) {
    errno = ENAMETOOLONG;
    return -1;
  }
  memcpy(name, host.nodename, length + 1);
  return 0;
}

/* The absolute path naming what `path` names, without "." or ".." or doubled slashes: each
 * component checked as it comes (there: ENOENT; a folder when a slash follows it: ENOTDIR),
 * ".." taking the last one off. Symbolic links are not followed (FAT has none). Into `resolved`
 * (PATH_MAX bytes: picolibc's 1024, what a program sees), or a block of PATH_MAX the caller
 * frees when it is NULL; ENAMETOOLONG for a longer result. */
char* realpath(const char* restrict path, char* restrict resolved) {
  if (path == NULL) {
    errno = EINVAL;
    return NULL;
  }
  if (path[0] == '\0') {
    errno = ENOENT;
    return NULL;
  }
  char result[PATH_MAX];
  size_t length = 0;
  if (path[0] != '/') {
    if (getcwd(result, sizeof result) == NULL) return NULL;
    length = strlen(result);
    if (length == 1) length = 0; /* the root: its slash comes with the first component */
  }
  for (const char* at = path; *at != '\0';) {
    while (*at == '/') at++;
    const char* end = at;
    while (*end != '\0' && *end != '/') end++;
    const size_t size = (size_t)(end - at);
    if (size == 0 || (size == 1 && at[0] == '.')) {
      at = end;
      continue;
    }
    if (size == 2 && at[0] == '.' && at[1] == '.') {
      while (length > 0 && result[length - 1] != '/') length--;
      if (length > 0) length--; /* the slash before it */
      at = end;
      continue;
    }
    if (length + 1 + size >= sizeof result) {
      errno = ENAMETOOLONG;
      return NULL;
    }
    result[length++] = '/';
    memcpy(result + length, at, size);
    length += size;
    result[length] = '\0';
    struct stat status;
    if (stat(result, &status) != 0) return NULL;
    if (*end == '/' && !S_ISDIR(status.st_mode)) { /* more follows, or a trailing slash */
      errno = ENOTDIR;
      return NULL;
    }
    at = end;
  }
  if (length == 0) result[length++] = '/';
  result[length] = '\0';
  if (resolved == NULL) {
    resolved = malloc(PATH_MAX);
    if (resolved == NULL) return NULL;
  }
  memcpy(resolved, result, length + 1);
  return resolved;
}

/* Linux's R_OK, W_OK and X_OK are picolibc's. Without flags, the older call (every kernel
 * has it). */
int faccessat(int dirfd, const char* path, int mode, int flags) {
  if (flags == 0) return (int)__mkh_result(__MKH_SC3(SYS_faccessat, __mkh_linux_dirfd(dirfd), path, mode));
  return (int)__mkh_result(
      __MKH_SC4(SYS_faccessat2, __mkh_linux_dirfd(dirfd), path, mode, __mkh_linux_at_flags(flags)));
}

int access(const char* path, int mode) { return faccessat(AT_FDCWD, path, mode, 0); }

/* What mkh gives a process: its exec's room for argv and envp (12 KiB), 1024 descriptors,
 * 4 KiB pages, CLK_TCK as picolibc defines it (times() counts in it), the machine's cores
 * (mkh_get_config; 1 where the kernel does not answer it, as under qemu-riscv32). Another
 * name is EINVAL, as POSIX says. */
long sysconf(int name) {
  switch (name) {
    case _SC_ARG_MAX: return 12 * 1024;
    case _SC_CLK_TCK: return CLK_TCK;
    case _SC_OPEN_MAX: return 1024;
    case _SC_PAGESIZE: return 4096;
    case _SC_NPROCESSORS_CONF:
    case _SC_NPROCESSORS_ONLN: {
      unsigned int x = 0, y = 0, cores = 0;
      return mkh_get_config(&x, &y, &cores) == 0 ? (long)(x * y * cores) : 1;
    }
    default: errno = EINVAL; return -1;
  }
}

int chdir(const char* path) { return (int)__mkh_result(__MKH_SC1(SYS_chdir, path)); }

int fchdir(int fd) { return (int)__mkh_result(__MKH_SC1(SYS_fchdir, fd)); }

/* The call answers the length written, the null included; libc answers the buffer. */
char* getcwd(char* buffer, size_t size) {
  if (__mkh_result(__MKH_SC2(SYS_getcwd, buffer, size)) < 0) return NULL;
  return buffer;
}

int dup(int fd) { return (int)__mkh_result(__MKH_SC1(SYS_dup, fd)); }

/* pipe is pipe2 without flags, as Linux's libcs make it on RISC-V (no pipe call there). */
int pipe2(int fds[2], int flags) { return (int)__mkh_result(__MKH_SC2(SYS_pipe2, fds, linux_open_flags(flags))); }

int pipe(int fds[2]) { return pipe2(fds, 0); }

int dup2(int oldfd, int newfd) {
  if (oldfd == newfd) return fcntl64(oldfd, F_GETFD, 0) < 0 ? -1 : newfd;
  return dup3(oldfd, newfd, 0);
}

/* The basic commands: F_DUPFD, F_GETFD, F_SETFD (FD_CLOEXEC is 1 in both) and F_GETFL, F_SETFL
 * (the status flags translated). */
int fcntl(int fd, int command, ...) {
  va_list args;
  va_start(args, command);
  long arg = va_arg(args, long);
  va_end(args);
  switch (command) {
    case F_DUPFD:
    case F_GETFD:
    case F_SETFD: return fcntl64(fd, command, arg);
    case F_GETFL: {
      int linux_flags = fcntl64(fd, F_GETFL, 0);
      return linux_flags < 0 ? -1 : picolibc_open_flags(linux_flags);
    }
    case F_SETFL: return fcntl64(fd, F_SETFL, linux_open_flags((int)arg));
    default: errno = EINVAL; return -1;
  }
}
