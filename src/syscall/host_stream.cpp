// What the host says of a process's host streams (descriptors 0, 1 and 2 under mkh exec):
// their type and size, a terminal's attributes and window size; and their times set there.
// Compiled alone even in a unity build: <sys/stat.h> defines S_IF* and AT_* macros, names
// the other sources of this layer give to Linux's user ABI constants. Layer: syscall.
#include <sys/ioctl.h>
#include <sys/stat.h>

#include <cerrno>

#include "syscall/call.hpp"

namespace mkh::syscall {

Result<HostStreamStat> host_stream_stat(int host_fd) {
  struct stat host {};
  if (::fstat(host_fd, &host) < 0) return error(errno_from_host(errno));
  return HostStreamStat{.mode = uint32_t(host.st_mode), .size = uint64_t(host.st_size)};
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

Result<void> host_stream_set_times(int host_fd, const timespec (&times)[2]) {
  if (::futimens(host_fd, times) != 0) return error(errno_from_host(errno));
  return {};
}

}  // namespace mkh::syscall
