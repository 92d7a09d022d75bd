// What the host says of a process's host streams (descriptors 0, 1 and 2 under mkh exec, and
// those opened for /dev/tty or /dev/stdout): their type and size, their file system, a
// terminal's attributes and window size; their times set there; their opening.
// Compiled alone even in a unity build: <sys/stat.h> defines S_IF* and AT_* macros, names
// the other sources of this layer give to Linux's user ABI constants. Layer: syscall.
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include <cerrno>

#include "syscall/call.hpp"

// After the kernel's headers: its O_* names (fs::OpenFlags) are macros here.
#include <fcntl.h>  // NOLINT(llvm-include-order)

namespace mkh::syscall {

Result<HostStreamStat> host_stream_stat(int host_fd) {
  struct stat host {};
  if (::fstat(host_fd, &host) < 0) return error(errno_from_host(errno));
  return HostStreamStat{.mode = uint32_t(host.st_mode), .size = uint64_t(host.st_size)};
}

Result<FsDescription> host_stream_statfs(int host_fd) {
  struct statfs host {};
  if (::fstatfs(host_fd, &host) < 0) return error(errno_from_host(errno));
  return FsDescription{.type = uint32_t(host.f_type),
                       .block_size = uint32_t(host.f_bsize),
                       .blocks = host.f_blocks,
                       .free_blocks = host.f_bfree,
                       .available_blocks = host.f_bavail,
                       .files = host.f_files,
                       .free_files = host.f_ffree,
                       .name_max = uint32_t(host.f_namelen),
                       .fragment_size = uint32_t(host.f_frsize),
                       .flags = uint32_t(host.f_flags)};
}

Result<HostTerminal> host_stream_terminal(int host_fd) {
  HostTerminal terminal{};
  // The host kernel's TCGETS writes its own struct termios (not glibc's, which is longer).
  if (::ioctl(host_fd, TCGETS, terminal.termios.data()) < 0) return error(errno_from_host(errno));
  winsize size{};
  if (::ioctl(host_fd, TIOCGWINSZ, &size) == 0) {
    terminal.rows = size.ws_row;
    terminal.columns = size.ws_col;
  }
  return terminal;
}

Result<void> host_stream_set_terminal(int host_fd, uint32_t request, const std::array<uint8_t, 36>& termios) {
  if (request != TCSETS && request != TCSETSW && request != TCSETSF) return error(Errno::kInval);
  std::array<uint8_t, 36> copy = termios;
  if (::ioctl(host_fd, request, copy.data()) < 0) return error(errno_from_host(errno));
  return {};
}

Result<int32_t> host_stream_open(const char* path, uint32_t access, uint32_t status) {
  // Linux's numbers, the host's names (the same numbers on Linux's generic ABI and x86-64's).
  constexpr uint32_t kAppend = 02000, kNonblock = 04000, kTruncate = 01000;
  static_assert(O_APPEND == kAppend && O_NONBLOCK == kNonblock && O_TRUNC == kTruncate && O_ACCMODE == 3);
  if (access > O_RDWR) return error(Errno::kInval);
  const int fd = ::open(path, int(access | (status & (kAppend | kTruncate))) | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) return error(errno_from_host(errno));
  if ((status & kNonblock) == 0) (void)::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  return fd;
}

Result<uint32_t> host_stream_access(int host_fd) {
  const int flags = ::fcntl(host_fd, F_GETFL);
  if (flags < 0) return error(errno_from_host(errno));
  return uint32_t(flags & O_ACCMODE);
}

Result<void> host_stream_set_times(int host_fd, const timespec (&times)[2]) {
  if (::futimens(host_fd, times) != 0) return error(errno_from_host(errno));
  return {};
}

}  // namespace mkh::syscall
