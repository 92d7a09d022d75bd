// What a system call handler receives, and the helpers the handlers share. Layer: syscall.
#pragma once

#include <array>
#include <cstdint>
#include <optional>

#include "libk/result.hpp"
#include "mm/kmem.hpp"
#include "proc/process.hpp"
#include "proc/user_thread.hpp"

namespace mkh::syscall {

struct Call {
  proc::UserThread* thread;
  proc::Process* process;
  uint32_t a[6];
  bool context_set = false;  // the handler set the registers and pc itself (rt_sigreturn): a0 is not the answer
};

// A handler's answer: the value of a0, or an error returned as -errno.
using Answer = Result<uint32_t>;

inline constexpr int32_t AT_FDCWD = -100;

// A path a program names (up to proc::kPathMax bytes, Linux's PATH_MAX, its NUL included),
// copied into a page of the calling cluster (a kernel stack has no room for a rename's two),
// and where it starts when it is relative.
struct UserPath {
  mm::PageBlock page;
  proc::FileRef start;  // the folder a relative path starts in, held while the path is used
  fs::At at;
  const char* c_str() const { return static_cast<const char*>(page.base()); }
};

// The user's path `address`, relative to the folder open as `dirfd`, or the working
// directory's for AT_FDCWD (the VFS resolves "." and ".." where they stand, as Linux does).
// kFault, kNameTooLong, kNoEnt (empty), kBadF, kNotDir (`dirfd` is not a file of the VFS),
// kNoMem.
[[nodiscard]] Result<UserPath> user_path(Call& call, uint32_t dirfd, uint32_t address);

// Linux's open and status flags the descriptor calls share (fs::OpenFlags has the same
// numbers for those the VFS knows): O_NONBLOCK, O_DIRECT, O_CLOEXEC.
inline constexpr uint32_t kOpenNonblock = 04000;
inline constexpr uint32_t kOpenDirect = 040000;
inline constexpr uint32_t kOpenCloexec = 02000000;
// Status flags an open file keeps for F_GETFL, without effect here (nothing blocks, FAT has
// no link to follow, no cache is bypassed or synced apart): O_NONBLOCK, O_DSYNC, O_DIRECT,
// O_LARGEFILE, O_NOFOLLOW, O_NOATIME, O_SYNC's own bit.
inline constexpr uint32_t kStatusFlagsKept = 04000 | 010000 | 040000 | 0100000 | 0400000 | 01000000 | 04000000;
// What F_SETFL changes (Linux's SETFL_MASK but O_ASYNC): O_APPEND, O_NONBLOCK, O_DIRECT, O_NOATIME.
inline constexpr uint32_t kSetFlags = fs::O_APPEND | kOpenNonblock | kOpenDirect | 01000000;
// Whether a descriptor may be read, or written: a host stream both ways, a pipe's end its own
// way, a file as it was opened (syscall/files.cpp).
bool readable(const proc::UserFd& fd);
bool writable(const proc::UserFd& fd);

// A host stream's type and rights (st_mode) and size, as the host's fstat gives them.
struct HostStreamStat {
  uint32_t mode;
  uint64_t size;
};
[[nodiscard]] Result<HostStreamStat> host_stream_stat(int host_fd);
// A file system as statfs describes it (Linux's struct statfs64, in its order).
struct FsDescription {
  uint32_t type = 0;
  uint32_t block_size = 0;
  uint64_t blocks = 0, free_blocks = 0, available_blocks = 0, files = 0, free_files = 0;
  uint32_t name_max = 0, fragment_size = 0, flags = 0;
};
// The file system of a host stream, as the host's fstatfs gives it.
[[nodiscard]] Result<FsDescription> host_stream_statfs(int host_fd);
// A host stream that is a terminal: its attributes as Linux's TCGETS gives them (the kernel's
// struct termios: four flag words, the line discipline, 19 control characters; the same 36
// bytes on x86-64 and RV32) and its window size (0 when the host does not say). kNotTy when
// the stream is not a terminal.
struct HostTerminal {
  std::array<uint8_t, 36> termios;
  uint16_t rows = 0;
  uint16_t columns = 0;
};
[[nodiscard]] Result<HostTerminal> host_stream_terminal(int host_fd);
// Sets a host terminal's attributes: Linux's TCSETS, TCSETSW (once the output is written) or
// TCSETSF (the input not yet read dropped too), `request` being the request's number, the same
// on x86-64 and RV32; the struct termios as TCGETS gives it. kNotTy when the stream is not a
// terminal, kInval for another request.
[[nodiscard]] Result<void> host_stream_set_terminal(int host_fd, uint32_t request,
                                                    const std::array<uint8_t, 36>& termios);
// When `file`, just opened by openat with `flags` (those the VFS keeps), is a device that
// stands for a stream (/dev/tty, /dev/stdin...: fs::devfs_stream), the entry of that stream
// for the calling process, `file` closed (syscall/stream_devices.cpp); none for another file.
[[nodiscard]] Result<std::optional<proc::UserFd>> open_stream_device(Call& call, hal::Xptr<fs::File> file,
                                                                     uint32_t flags);
// A new host stream: `path` of the host opened with `access` (Linux's O_RDONLY, O_WRONLY or
// O_RDWR: 0, 1, 2), `status` among Linux's O_APPEND, O_NONBLOCK and O_TRUNC, never as the
// host's controlling terminal and closed at an exec of the host's. The open itself does not
// wait: a FIFO without a reader answers ENXIO to a writer, as Linux's non-blocking open. Its
// host descriptor, or the host's error.
[[nodiscard]] Result<int32_t> host_stream_open(const char* path, uint32_t access, uint32_t status);
// The access mode of a host stream (0, 1, 2 as Linux's O_ACCMODE), as the host's F_GETFL says.
[[nodiscard]] Result<uint32_t> host_stream_access(int host_fd);
// futimens(2) on a host stream (its access and modification times, UTIME_NOW and UTIME_OMIT
// as the host reads them).
[[nodiscard]] Result<void> host_stream_set_times(int host_fd, const timespec (&times)[2]);

// A struct timespec64 of RV32 in user memory (a 64-bit tv_sec, a 32-bit tv_nsec, 4 bytes of
// padding) as nanoseconds, INT64_MAX past what 64 bits hold (Linux's KTIME_MAX); kInval when
// negative or tv_nsec is past a second, kFault.
[[nodiscard]] Result<int64_t> timespec_ns_from_user(Call& call, uint32_t address);
// A struct timespec64 of RV32 into user memory. kFault.
[[nodiscard]] Result<void> timespec_to_user(Call& call, uint32_t address, const timespec& time);
// The time `ns` from now on the host clock `clock`, in its nanoseconds (INT64_MAX at most).
int64_t deadline_after(clockid_t clock, int64_t ns);
// Blocks the calling thread for about `ns` nanoseconds on a timer of its core (its core runs
// its other threads or sleeps meanwhile; the time is not the thread's CPU time). It may wake
// earlier (the caller looks at what it waits for again): exit_group, a fatal signal and a
// signal with a handler wake it. False when the sleep was interrupted as it began (the process
// ending, a handler's signal waiting: proc::wait_interrupted); one that comes during the
// sleep is seen at the caller's next look, or its next sleep_for.
bool sleep_for(Call& call, uint64_t ns);
// Linux's struct rusage for RV32 at `address` (two timevals of 32-bit longs, 14 longs: 72
// bytes): `time`'s user and system parts, the other fields 0. kFault.
[[nodiscard]] Answer rusage_to_user(Call& call, uint32_t address, const proc::CpuTime& time);

// The file calls (syscall/files.cpp).
Answer sys_read(Call& call);
Answer sys_write(Call& call);
Answer sys_readv(Call& call);
Answer sys_writev(Call& call);
Answer sys_pread64(Call& call);
Answer sys_pwrite64(Call& call);
Answer sys_openat(Call& call);
Answer sys_close(Call& call);
Answer sys_llseek(Call& call);
Answer sys_truncate64(Call& call);
Answer sys_ftruncate64(Call& call);
Answer sys_fsync(Call& call);
Answer sys_sync(Call& call);
Answer sys_getdents64(Call& call);
Answer sys_statx(Call& call);
Answer sys_statfs64(Call& call);
Answer sys_fstatfs64(Call& call);
Answer sys_faccessat(Call& call);
Answer sys_faccessat2(Call& call);
Answer sys_utimensat_time64(Call& call);
Answer sys_mkdirat(Call& call);
Answer sys_unlinkat(Call& call);
Answer sys_renameat2(Call& call);
Answer sys_getcwd(Call& call);
Answer sys_chdir(Call& call);
Answer sys_fchdir(Call& call);
Answer sys_dup(Call& call);
Answer sys_dup3(Call& call);
Answer sys_pipe2(Call& call);
Answer sys_fcntl64(Call& call);
Answer sys_ioctl(Call& call);
// The thread calls (syscall/threads.cpp).
Answer sys_clone(Call& call);
Answer sys_execve(Call& call);
Answer sys_exit(Call& call);
Answer sys_gettid(Call& call);
Answer sys_set_tid_address(Call& call);
Answer sys_futex_time64(Call& call);
Answer sys_mkh_place_thread(Call& call);
Answer sys_mkh_place_fork(Call& call);
Answer sys_waitid(Call& call);
// Process groups and sessions (syscall/groups.cpp).
Answer sys_setpgid(Call& call);
Answer sys_getpgid(Call& call);
Answer sys_getsid(Call& call);
Answer sys_setsid(Call& call);
// The signal calls (syscall/signals.cpp).
Answer sys_kill(Call& call);
Answer sys_tkill(Call& call);
Answer sys_tgkill(Call& call);
Answer sys_rt_sigaction(Call& call);
Answer sys_rt_sigprocmask(Call& call);
Answer sys_rt_sigsuspend(Call& call);
Answer sys_rt_sigtimedwait_time64(Call& call);
Answer sys_sigaltstack(Call& call);
Answer sys_rt_sigreturn(Call& call);
// The signal hooks of proc::SignalHooks (syscall/signals.cpp): the handlers of the signals
// waiting for `thread` run (their frames pushed), and a handler's return.
void signals_deliver(proc::UserThread* thread);
void signals_return(proc::UserThread* thread);
bool signals_fault(proc::UserThread* thread, uint32_t signal, const user::Trap& trap);
void signals_leave(proc::UserThread* thread);
Answer sys_rt_sigpending(Call& call);
// The calling thread's mask becomes the signal set at `address`, of `size` bytes (Linux's 8,
// else kInval; kFault), for the time of a wait (rt_sigsuspend, ppoll, pselect6): the frame of
// a handler that runs saves the mask it replaced, which the handler's return restores; a call
// that ends without a handler's signal restores it with wait_mask_restore.
[[nodiscard]] Result<void> wait_mask_set(Call& call, uint32_t address, uint32_t size);
void wait_mask_restore(Call& call);
// The interval timers (syscall/timers.cpp).
Answer sys_setitimer(Call& call);
Answer sys_getitimer(Call& call);
// The waits for descriptors (syscall/poll.cpp).
Answer sys_ppoll_time64(Call& call);
Answer sys_pselect6_time64(Call& call);
// A signal the calling thread raises on itself (SIGPIPE), sent by its process (SI_USER).
void raise_on_caller(Call& call, uint32_t signal);
// A read (`signal` SIGTTIN) or a change of its modes or foreground group (SIGTTOU) of the
// host stream `host_fd` when it is the machine's terminal, by a process of a background group
// of its session while a process does job control: `signal` to that group, and true (Linux's
// __tty_check_change): the caller makes the call again once the process goes on. A read
// refused SIGTTIN (ignored or blocked by the caller) answers kIo, a change refused SIGTTOU is
// made (false); kIo too for an orphaned group, which nothing would continue.
[[nodiscard]] Result<bool> terminal_access_stops(Call& call, int host_fd, uint32_t signal);
// A signal another process sent to `process` (its owner's descriptor, held): PROCESS_MAKE_KILL's
// action for the signals it does not take itself (proc::set_signal_handler), with the origin
// it names.
[[nodiscard]] Result<void> signal_from_other(proc::Process* process, uint32_t signal, proc::SignalOrigin origin);
// An mmap2 call's request: the protection without PROT_SEM, MAP_FIXED as the placement.
struct MapRequest {
  uint32_t hint;
  uint32_t size;
  uint32_t prot;
  vmm::Placement placement;
  bool shared;
};
// The VMM's mmap for the request (MAP_FIXED replaces what is mapped there); the files no
// mapping holds any longer are released after it.
Answer map_request(Call& call, const MapRequest& request, hal::Xptr<mapper::Mapper> mapper, uint32_t file_offset,
                   uint32_t file_size);
// mmap2 of a file (syscall/files.cpp): a private copy of its bytes; a shared writable
// mapping is not there yet (ENOSYS), once the descriptor would allow it.
Answer map_file(Call& call, const MapRequest& request, int32_t fd, uint32_t page_offset);

}  // namespace mkh::syscall
