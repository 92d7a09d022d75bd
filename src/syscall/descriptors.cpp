// The calls on a descriptor itself rather than its file's bytes: dup, dup3, pipe2, fcntl64 and
// ioctl. Layer: syscall.
#include "fs/vfs/vfs.hpp"
#include "proc/groups.hpp"
#include "proc/pipe.hpp"
#include "syscall/call.hpp"

namespace mkh::syscall {

using proc::UserFd;

Answer sys_dup(Call& call) { return uint32_t(TRY(proc::fd_dup(call.process, int32_t(call.a[0]), 0, false, 0))); }

Answer sys_dup3(Call& call) {
  if (call.a[0] == call.a[1] || (call.a[2] & ~kOpenCloexec) != 0) return error(Errno::kInval);
  return uint32_t(TRY(proc::fd_dup(call.process, int32_t(call.a[0]), int32_t(call.a[1]), true,
                                   (call.a[2] & kOpenCloexec) != 0 ? proc::kFdCloexec : 0)));
}

// pipe2(fds, flags): a pipe of the caller's cluster, its read end at the lowest free
// descriptor and its write end at the next, both with O_CLOEXEC's FD_CLOEXEC and O_NONBLOCK's
// status as `flags` asks (O_DIRECT's packet mode and the notification pipes are not there:
// EINVAL). A fault on `fds` closes both (EFAULT), as Linux, which writes them before it
// installs them.
Answer sys_pipe2(Call& call) {
  if ((call.a[1] & ~(kOpenCloexec | kOpenNonblock)) != 0) return error(Errno::kInval);
  const hal::Xptr<proc::Pipe> pipe = TRY(proc::pipe_create(call.a[1] & kOpenNonblock));
  proc::PipeRef read_ref(pipe, proc::PipeEnd::kRead), write_ref(pipe, proc::PipeEnd::kWrite);
  const uint32_t fd_flags = (call.a[1] & kOpenCloexec) != 0 ? proc::kFdCloexec : 0;
  auto end = [&](UserFd::Kind kind) {
    return UserFd{.kind = kind, .host_fd = -1, .flags = fd_flags, .file = {}, .pipe = pipe};
  };
  int32_t fds[2] = {TRY(proc::fd_install(call.process, end(UserFd::Kind::kPipeRead))), -1};
  read_ref.release();  // the table's now
  auto written = proc::fd_install(call.process, end(UserFd::Kind::kPipeWrite));
  if (written) {
    write_ref.release();
    fds[1] = *written;
  }
  if (!written || !proc::copy_to_user(call.process, call.a[0], fds, sizeof fds)) {
    // Installed, so seen by the process's other threads: closed only if still this pipe's.
    (void)proc::fd_release_if(call.process, fds[0], end(UserFd::Kind::kPipeRead));
    if (written) (void)proc::fd_release_if(call.process, *written, end(UserFd::Kind::kPipeWrite));
    return error(written ? Errno::kFault : written.error());
  }
  return 0;
}

Answer sys_fcntl64(Call& call) {
  enum : uint32_t { F_DUPFD = 0, F_GETFD = 1, F_SETFD = 2, F_GETFL = 3, F_SETFL = 4, F_DUPFD_CLOEXEC = 1030 };
  const int32_t fd = int32_t(call.a[0]);
  const proc::HeldFd held = TRY(proc::fd_lookup(call.process, fd));
  const UserFd& entry = held.fd;
  switch (call.a[1]) {
    case F_DUPFD:
    case F_DUPFD_CLOEXEC:
      // A lowest descriptor that no descriptor can have: EINVAL (dup3's target: EBADF).
      if (call.a[2] >= proc::kMaxFds) return error(Errno::kInval);
      return uint32_t(TRY(proc::fd_dup(call.process, fd, int32_t(call.a[2]), false,
                                       call.a[1] == F_DUPFD_CLOEXEC ? proc::kFdCloexec : 0)));
    case F_GETFD: return entry.flags;
    case F_SETFD: TRY(proc::fd_set_flags(call.process, fd, call.a[2] & proc::kFdCloexec)); return 0;
    case F_GETFL:
      if (entry.kind == UserFd::Kind::kHost) return TRY(host_stream_access(entry.host_fd));
      if (entry.is_pipe())
        return (readable(entry) ? fs::O_RDONLY : fs::O_WRONLY) | proc::pipe_status(entry.pipe, entry.pipe_end());
      // The creation flags are the open's, not the file's (Linux clears them at the open).
      return fs::rload(entry.file, &fs::File::m_flags) &
             (fs::O_ACCMODE | fs::O_APPEND | fs::O_DIRECTORY | kStatusFlagsKept);
    case F_SETFL:
      if (entry.kind == UserFd::Kind::kFile) fs::vfs_set_flags(entry.file, kSetFlags, call.a[2]);
      if (entry.is_pipe()) {
        if ((call.a[2] & kOpenDirect) != 0) return error(Errno::kInval);  // Linux's packet mode: not in mkh
        proc::pipe_set_status(entry.pipe, entry.pipe_end(), kSetFlags, call.a[2]);
      }
      return 0;
    default: return error(Errno::kInval);
  }
}

// The requests every Linux descriptor answers (do_vfs_ioctl): close-on-exec, non-blocking
// (kept for the file, as F_SETFL keeps it; a host stream stays as it is), and for a regular
// file the bytes between its offset and its end. Of a terminal's, a host stream that is one
// answers what the host's terminal says to TCGETS (so isatty is true and picolibc buffers
// stdout by lines, as under qemu-riscv32, which passes the request on) and TIOCGWINSZ, passes
// TCSETS, TCSETSW and TCSETSF on to it, and
// is the machine's terminal for its foreground group and session (TIOCGPGRP, TIOCSPGRP,
// TIOCGSID: proc/groups.hpp); the rest are a terminal's or a device's that mkh has not: ENOTTY.
Answer sys_ioctl(Call& call) {
  enum : uint32_t {
    TCGETS = 0x5401,
    TCSETS = 0x5402,
    TCSETSW = 0x5403,
    TCSETSF = 0x5404,
    TIOCGPGRP = 0x540f,
    TIOCSPGRP = 0x5410,
    TIOCGWINSZ = 0x5413,
    TIOCGSID = 0x5429,
    FIONBIO = 0x5421,
    FIONREAD = 0x541b,
    FIONCLEX = 0x5450,
    FIOCLEX = 0x5451
  };
  const int32_t fd = int32_t(call.a[0]);
  const proc::HeldFd held = TRY(proc::fd_lookup(call.process, fd));
  const UserFd& entry = held.fd;
  switch (call.a[1]) {
    case FIOCLEX: TRY(proc::fd_set_flags(call.process, fd, proc::kFdCloexec)); return 0;
    case FIONCLEX: TRY(proc::fd_set_flags(call.process, fd, 0)); return 0;
    case FIONBIO: {
      int32_t on = 0;
      TRY(proc::copy_from_user(call.process, &on, call.a[2], sizeof on));
      if (entry.kind == UserFd::Kind::kFile) fs::vfs_set_flags(entry.file, kOpenNonblock, on != 0 ? kOpenNonblock : 0);
      if (entry.is_pipe())
        proc::pipe_set_status(entry.pipe, entry.pipe_end(), kOpenNonblock, on != 0 ? kOpenNonblock : 0);
      return 0;
    }
    case TCGETS:
    case TIOCGWINSZ: {
      if (entry.kind != UserFd::Kind::kHost) break;
      const HostTerminal terminal = TRY(host_stream_terminal(entry.host_fd));
      if (call.a[1] == TCGETS) {
        TRY(proc::copy_to_user(call.process, call.a[2], terminal.termios.data(), terminal.termios.size()));
      } else {
        const uint16_t size[4] = {terminal.rows, terminal.columns, 0, 0};  // struct winsize, pixels unknown
        TRY(proc::copy_to_user(call.process, call.a[2], size, sizeof size));
      }
      return 0;
    }
    case TCSETS:
    case TCSETSW:
    case TCSETSF: {
      // The host's terminal takes them: a program's raw mode (a shell's line editing) is the
      // host terminal's, which mkh exec puts back as it found it when it ends.
      if (entry.kind != UserFd::Kind::kHost) break;
      if (TRY(terminal_access_stops(call, entry.host_fd, proc::kSigTtou))) {
        call.context_set = true;  // its registers as they were: the call again once it goes on
        return 0;
      }
      std::array<uint8_t, 36> termios{};
      TRY(proc::copy_from_user(call.process, termios.data(), call.a[2], termios.size()));
      TRY(host_stream_set_terminal(entry.host_fd, call.a[1], termios));
      return 0;
    }
    case TIOCGPGRP:
    case TIOCGSID:
    case TIOCSPGRP: {
      if (entry.kind != UserFd::Kind::kHost) break;
      TRY(host_stream_terminal(entry.host_fd));  // kNotTy when the stream is no terminal
      if (call.a[1] == TIOCSPGRP) {
        if (TRY(terminal_access_stops(call, entry.host_fd, proc::kSigTtou))) {
          call.context_set = true;
          return 0;
        }
        int32_t group = 0;
        TRY(proc::copy_from_user(call.process, &group, call.a[2], sizeof group));
        TRY(proc::terminal_set_foreground(call.process, group));
        return 0;
      }
      const uint32_t id = call.a[1] == TIOCGPGRP ? TRY(proc::terminal_foreground(call.process))
                                                 : TRY(proc::terminal_session(call.process));
      TRY(proc::copy_to_user(call.process, call.a[2], &id, sizeof id));
      return 0;
    }
    case FIONREAD: {
      if (entry.is_pipe()) {
        const int32_t waiting = int32_t(proc::pipe_bytes(entry.pipe));
        TRY(proc::copy_to_user(call.process, call.a[2], &waiting, sizeof waiting));
        return 0;
      }
      if (entry.kind != UserFd::Kind::kFile) break;
      const fs::Stat stat = TRY(fs::vfs_fstat(entry.file));
      if (stat.type != fs::InodeType::kFile) break;
      const uint64_t offset = TRY(fs::vfs_lseek(entry.file, 0, fs::Whence::kCur));
      const int32_t left = int32_t(stat.size - offset);  // negative past the end, as Linux's
      TRY(proc::copy_to_user(call.process, call.a[2], &left, sizeof left));
      return 0;
    }
    default: break;
  }
  return error(Errno::kNotTy);
}

}  // namespace mkh::syscall
