// What the host says of a process's host streams (descriptors 0, 1 and 2 under mkh exec).
// Compiled alone even in a unity build: <sys/stat.h> defines S_IF* and AT_* macros, names
// the other sources of this layer give to Linux's user ABI constants. Layer: syscall.
#include <sys/stat.h>

#include <cerrno>

#include "syscall/call.hpp"

namespace mkh::syscall {

Result<HostStreamStat> host_stream_stat(int host_fd) {
  struct stat host {};
  if (::fstat(host_fd, &host) < 0) return error(errno_from_host(errno));
  return HostStreamStat{.mode = uint32_t(host.st_mode), .size = uint64_t(host.st_size)};
}

}  // namespace mkh::syscall
