// The devices that stand for a process's streams (fs::devfs_stream): what openat of /dev/tty,
// /dev/stdin, /dev/stdout or /dev/stderr gives the process. Layer: syscall.
#include <optional>

#include <fmt/format.h>

#include "fs/vfs/devfs.hpp"
#include "fs/vfs/vfs.hpp"
#include "syscall/call.hpp"

namespace mkh::syscall {

using proc::UserFd;

namespace {

// The stream a device of devfs stands for (fs::devfs_stream), when `file` is open on one.
std::optional<int32_t> stream_device(hal::Xptr<fs::File> file) {
  const auto stat = fs::vfs_fstat(file);
  if (!stat || stat->type != fs::InodeType::kDev) return std::nullopt;
  return fs::devfs_stream(stat->device);
}

// What a process's open of a stream's device with `flags` gives. /dev/tty: mkh's terminal, the
// host's /dev/tty (ENXIO when mkh has none, as Linux answers a process without one).
// /dev/stdin, /dev/stdout, /dev/stderr: what Linux's open of /proc/self/fd/N gives, a new open
// of what descriptor N names — a file of the VFS (its own offset; O_TRUNC cuts it), a host
// stream (opened again through the host's /proc/self/fd) or the pipe's end the open asks for,
// which may be the other one (O_RDWR: the end N names). ENOENT when N is not open (Linux's
// link names nothing then).
Result<UserFd> open_stream(Call& call, int32_t stream, uint32_t flags) {
  const uint32_t access = flags & fs::O_ACCMODE, status = flags & (fs::O_APPEND | kOpenNonblock | fs::O_TRUNC);
  if (stream == fs::kStreamTerminal) return proc::host_stream_adopt(TRY(host_stream_open("/dev/tty", access, status)));
  auto held = proc::fd_lookup(call.process, stream);
  if (!held) return error(Errno::kNoEnt);
  UserFd entry = held->fd;
  entry.flags = 0;
  if (entry.kind == UserFd::Kind::kHost) {
    const auto path = fmt::format("/proc/self/fd/{}", entry.host_fd);
    return proc::host_stream_adopt(TRY(host_stream_open(path.c_str(), access, status)));
  }
  if (entry.kind == UserFd::Kind::kFile) {
    entry.file = TRY(fs::vfs_reopen(entry.file, flags));
    return entry;
  }
  if (access != fs::O_RDWR) entry.kind = access == fs::O_RDONLY ? UserFd::Kind::kPipeRead : UserFd::Kind::kPipeWrite;
  proc::pipe_take(entry.pipe, entry.pipe_end());  // the pipe is held by N's reference
  return entry;
}

}  // namespace

Result<std::optional<UserFd>> open_stream_device(Call& call, hal::Xptr<fs::File> file, uint32_t flags) {
  const auto stream = stream_device(file);
  if (!stream) return std::optional<UserFd>();
  (void)fs::vfs_close(file);
  return std::optional<UserFd>(TRY(open_stream(call, *stream, flags)));
}

}  // namespace mkh::syscall
