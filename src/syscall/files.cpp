// The file system calls: reads and writes, paths, directories, mappings of files (the calls on
// a descriptor itself are in syscall/descriptors.cpp). Layer: syscall.
// A read or write moves bytes straight between the file's mapper (or the host stream) and
// the user's pages, one page at a time.
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <iterator>
#include <optional>
#include <utility>

#include "fs/vfs/devfs.hpp"
#include "fs/vfs/vfs.hpp"
#include "hal/clock.hpp"
#include "hal/remote.hpp"
#include "kern/sched.hpp"
#include "mm/kmem.hpp"
#include "syscall/call.hpp"

namespace mkh::syscall {

namespace {

using proc::UserFd;

// Linux's open flags this VFS knows (fs::OpenFlags has the same numbers).
constexpr uint32_t kOpenFlagsKnown =
    fs::O_ACCMODE | fs::O_CREAT | fs::O_EXCL | fs::O_TRUNC | fs::O_APPEND | fs::O_DIRECTORY;
constexpr uint32_t AT_REMOVEDIR = 0x200;
constexpr uint32_t AT_EMPTY_PATH = 0x1000;
constexpr uint32_t AT_SYMLINK_NOFOLLOW = 0x100;
constexpr uint32_t kPipeMode = 0010600;  // what statx says of a pipe: a FIFO, read and write for its owner

// A host stream's turn, held from the look that found it ready to the end of the transfer:
// one thread of the process at a time, else two could see the one byte there and the second's
// read would block its core's host thread.
class HostTurn {
 public:
  HostTurn() = default;
  HostTurn(const HostTurn&) = delete;
  HostTurn& operator=(const HostTurn&) = delete;
  ~HostTurn() { give_back(); }
  // Takes the turn of the stream whose word is `word` (null: a stream no turn guards); false
  // when another thread has it.
  bool take(hal::Xptr<uint32_t> word) {
    if (!word.is_null() && hal::remote_exchange(word, 1u) != 0) return false;
    m_word = word;
    return true;
  }
  void give_back() {
    if (!m_word.is_null()) hal::remote_store(std::exchange(m_word, {}), 0u);
  }

 private:
  hal::Xptr<uint32_t> m_word;
};

// Whether the host stream is ready for a read (`to_user`) or a write, looked at without
// waiting (poll) with the stream's turn taken; with `wait`, the thread sleeps on its core's
// timer until it is, looking again after 1 ms, then twice as long each time up to 32 ms: a
// terminal or a pipe without data (or a full pipe, or another thread's turn) holds the
// thread, not its core's host thread, whose other threads run meanwhile (a key pressed is
// seen within 32 ms; another thread's turn is first yielded for). Ready too when the host says the stream ended or failed: the transfer
// then says how. Ready, `turn` holds the stream's turn. kIntr when the process ends meanwhile.
Result<bool> host_ready(Call& call, int host_fd, bool to_user, bool wait, HostTurn& turn) {
  // The turns are the reference's: a copy's threads take them there.
  constexpr uint32_t kTurns = std::extent_v<decltype(proc::Process::m_host_turns)>;
  const hal::Xptr<uint32_t> word =
      host_fd >= 0 && uint32_t(host_fd) < kTurns
          ? proc::process_reference(call.process).field(&proc::Process::m_host_turns).as<uint32_t>() + host_fd
          : hal::Xptr<uint32_t>();
  pollfd stream{.fd = host_fd, .events = short(to_user ? POLLIN : POLLOUT), .revents = 0};
  uint64_t pause_ns = 1'000'000;
  uint64_t yield_until = 0;  // another thread's turn lasts one host call: yielded for, 50 us at most
  for (;;) {
    if (turn.take(word)) {
      const int ready = ::poll(&stream, 1, 0);
      if (ready != 0 && !(ready < 0 && errno == EINTR)) return true;
      turn.give_back();
    } else {
      if (yield_until == 0) yield_until = hal::ticks() + hal::ns_to_ticks(50'000);
      if (hal::ticks() < yield_until) {
        kern::sched_yield();
        continue;
      }
    }
    if (!wait) return false;
    if (!sleep_for(call, pause_ns)) return error(Errno::kIntr);
    pause_ns = std::min<uint64_t>(pause_ns * 2, 32'000'000);
  }
}

// A write to a pipe: its count, or EPIPE when no reader was left for any byte; SIGPIPE on the
// caller whenever it met no reader, even after some bytes (Linux's pipe_write).
Answer pipe_answer(Call& call, Result<proc::PipeWritten> written) {
  const proc::PipeWritten moved = TRY(std::move(written));
  if (moved.no_reader) raise_on_caller(call, proc::kSigPipe);
  if (moved.no_reader && moved.count == 0) return error(Errno::kPipe);
  return moved.count;
}

// RV32's struct iovec.
struct UserIovec {
  uint32_t base;
  uint32_t length;
};

// writev to a pipe of at most PIPE_BUF bytes in all: the vectors gathered in a page, then put in
// as one write (Linux's pipe_write takes them as one: they go in whole). A fault writes the
// bytes gathered before it (EFAULT for none).
Answer gathered_pipe_write(Call& call, const UserFd& fd, const UserIovec* iov, uint32_t count) {
  if (!writable(fd)) return error(Errno::kBadF);
  auto block = TRY(mm::PageBlock::alloc(0));
  auto* staged = static_cast<uint8_t*>(block.base());
  uint32_t total = 0;
  for (uint32_t i = 0; i < count; ++i) {
    if (!proc::copy_from_user(call.process, staged + total, iov[i].base, iov[i].length)) {
      if (total == 0) return error(Errno::kFault);
      break;
    }
    total += iov[i].length;
  }
  return pipe_answer(call, proc::pipe_write_staged(call.process, fd.pipe, staged, total));
}

// Moves up to `size` bytes between the descriptor and the user's buffer at `address`; the
// count moved. A fault after some bytes moved ends the transfer short, as Linux does. A host
// stream is read or written at `host_offset` when it is not negative (pread, pwrite);
// `moved_before` bytes were moved by the same call already (readv's earlier vectors).
Answer transfer(Call& call, const UserFd& fd, uint32_t address, uint32_t size, bool to_user, int64_t host_offset = -1,
                uint32_t moved_before = 0) {
  if (to_user ? !readable(fd) : !writable(fd)) return error(Errno::kBadF);
  if (fd.kind == UserFd::Kind::kHost && to_user && host_offset < 0 && moved_before == 0 &&
      TRY(terminal_access_stops(call, fd.host_fd, proc::kSigTtin))) {
    call.context_set = true;  // its registers as they were: the call again once it goes on
    return 0;
  }
  if (fd.is_pipe()) {  // a readv's later vectors take what is there, as Linux's one pipe_read
    if (to_user) return proc::pipe_read(call.process, fd.pipe, address, size, moved_before == 0);
    return pipe_answer(call, proc::pipe_write(call.process, fd.pipe, address, size));
  }
  if (size == 0 && fd.kind == UserFd::Kind::kFile)  // the VFS's refusals all the same (a folder read: EISDIR)
    return uint32_t(TRY(to_user ? fs::vfs_read(fd.file, {}, 0) : fs::vfs_write(fd.file, {}, 0)));
  uint32_t done = 0;
  while (done < size) {
    const uint64_t at = uint64_t(address) + done;
    const uint32_t chunk = uint32_t(std::min<uint64_t>(size - done, vmm::kPageSize - (at & (vmm::kPageSize - 1))));
    // A host stream is ready (a read waits for its first bytes only, and returns what it has
    // when no more are ready, as Linux's) before the page is held: a thread of a copy holds
    // it by counting as in user code for the shootdown, never through a wait without end.
    HostTurn turn;  // given back once the chunk moved
    if (fd.kind == UserFd::Kind::kHost && host_offset < 0) {
      auto ready = host_ready(call, fd.host_fd, to_user, !to_user || moved_before + done == 0, turn);
      if (!ready) {
        if (done > 0) break;
        return error(ready.error());
      }
      if (!*ready) break;
    }
    auto page = at < vmm::kUserEnd
                    ? proc::UserPage::hold(call.process, uint32_t(at), to_user ? vmm::VSEG_WRITE : vmm::VSEG_READ)
                    : Result<proc::UserPage>(error(Errno::kFault));
    if (!page) {
      if (done > 0) break;
      return error(page.error());
    }
    const hal::xptr_t byte = page->byte(uint32_t(at));
    uint64_t moved = 0;
    if (fd.kind == UserFd::Kind::kHost) {
      // The host stream, read or written by this core's host thread (a terminal's channel
      // comes with the txt device's user channels).
      void* host = hal::GET_PTR(byte);
      ssize_t n = 0;
      if (host_offset < 0) n = to_user ? ::read(fd.host_fd, host, chunk) : ::write(fd.host_fd, host, chunk);
      else if (to_user) n = ::pread(fd.host_fd, host, chunk, host_offset + done);
      else n = ::pwrite(fd.host_fd, host, chunk, host_offset + done);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (done > 0) break;
        return error(errno_from_host(errno));
      }
      moved = uint64_t(n);
    } else {
      auto n = to_user ? fs::vfs_read(fd.file, hal::Xptr<void>(byte), chunk)
                       : fs::vfs_write(fd.file, hal::Xptr<void>(byte), chunk);
      if (!n) {
        if (done > 0) break;
        return error(n.error());
      }
      moved = *n;
    }
    done += uint32_t(moved);
    if (moved < chunk && (to_user || moved == 0)) break;  // the end of the file, or a short read
  }
  return done;
}

Answer read_or_write(Call& call, bool to_user) {
  const proc::HeldFd held = TRY(proc::fd_lookup(call.process, int32_t(call.a[0])));
  const UserFd& fd = held.fd;
  return transfer(call, fd, call.a[1], call.a[2], to_user);
}

Answer vectored(Call& call, bool to_user) {
  constexpr uint32_t kMaxTransfer = 0x7fff'f000;  // Linux's MAX_RW_COUNT: a longer total is cut there
  constexpr uint32_t kMaxIov = 1024;              // UIO_MAXIOV
  static_assert(sizeof(UserIovec) * kMaxIov <= 2 * hal::kPageSize);
  const proc::HeldFd held = TRY(proc::fd_lookup(call.process, int32_t(call.a[0])));
  const UserFd& fd = held.fd;
  const uint32_t count = call.a[2];
  if (count > kMaxIov) return error(Errno::kInval);
  // The vector is copied once, as Linux does (import_iovec): a read into the vector itself
  // changes none of the entries still to come. Every length is checked before anything
  // moves: one negative as a signed size is EINVAL, and nothing is read or written. A short
  // vector is copied onto the stack (Linux's UIO_FASTIOV), a longer one into a block.
  UserIovec few[8];
  std::optional<mm::PageBlock> block;
  UserIovec* iov = few;
  if (count > std::size(few)) {
    block.emplace(TRY(mm::PageBlock::alloc(1)));
    iov = static_cast<UserIovec*>(block->base());
  }
  TRY(proc::copy_from_user(call.process, iov, call.a[1], count * sizeof(UserIovec)));
  uint64_t sum = 0;
  for (uint32_t i = 0; i < count; ++i) {
    if (int32_t(iov[i].length) < 0) return error(Errno::kInval);
    sum += iov[i].length;
  }
  if (fd.is_pipe() && !to_user && sum <= proc::kPipeAtomicBytes) return gathered_pipe_write(call, fd, iov, count);
  uint32_t total = 0;
  for (uint32_t i = 0; i < count && total < kMaxTransfer; ++i) {
    const uint32_t length = std::min(iov[i].length, kMaxTransfer - total);
    if (length == 0) continue;
    auto moved = transfer(call, fd, iov[i].base, length, to_user, -1, total);
    if (!moved) {
      if (total > 0) break;
      return moved;
    }
    total += *moved;
    if (*moved < length) break;
  }
  return total;
}

// pread64 / pwrite64: at an offset, the file's own left where it was.
Answer positioned(Call& call, bool to_user) {
  const proc::HeldFd held = TRY(proc::fd_lookup(call.process, int32_t(call.a[0])));
  const UserFd& fd = held.fd;
  const int64_t offset = int64_t(uint64_t(call.a[3]) | uint64_t(call.a[4]) << 32);
  const uint32_t size = call.a[2];
  if (offset < 0 || offset > INT64_MAX - int64_t(size)) return error(Errno::kInval);  // Linux's rw_verify_area
  if (fd.is_pipe()) return error(Errno::kSPipe);
  if (fd.kind == UserFd::Kind::kHost)  // the host's answer: ESPIPE for a pipe or a terminal
    return transfer(call, fd, call.a[1], size, to_user, offset);
  // Where no file reaches: nothing read, and no byte written (a device has no places).
  if (uint64_t(offset) > fs::kMaxFileSize && TRY(fs::vfs_fstat(fd.file)).type != fs::InodeType::kDev) {
    TRY(transfer(call, fd, call.a[1], 0, to_user));  // the descriptor's refusals (EBADF, EISDIR)
    if (to_user || size == 0) return 0;
    return error(Errno::kFBig);
  }
  const uint64_t saved = TRY(fs::vfs_lseek(fd.file, 0, fs::Whence::kCur));
  TRY(fs::vfs_lseek(fd.file, offset, fs::Whence::kSet));
  auto moved = transfer(call, fd, call.a[1], size, to_user);
  (void)fs::vfs_lseek(fd.file, int64_t(saved), fs::Whence::kSet);
  return moved;
}

uint32_t mode_of(const fs::Stat& stat) {
  constexpr uint32_t S_IFDIR = 0040000, S_IFREG = 0100000, S_IFCHR = 0020000, kReadOnly = 0x01;
  if (stat.type == fs::InodeType::kDir) return S_IFDIR | 0755;
  if (stat.type == fs::InodeType::kDev) return S_IFCHR | 0666;  // Linux's memory devices' mode
  // Linux's vfat with its default mask (the mounter's umask, 022) and no showexec: every file
  // may be executed, FAT's read-only attribute takes the write bits away.
  return S_IFREG | ((stat.attr & kReadOnly) != 0 ? 0555 : 0755);
}

}  // namespace

bool readable(const UserFd& fd) {
  if (fd.kind == UserFd::Kind::kHost) return true;
  if (fd.is_pipe()) return fd.kind == UserFd::Kind::kPipeRead;
  return (fs::rload(fd.file, &fs::File::m_flags) & fs::O_ACCMODE) != fs::O_WRONLY;
}

bool writable(const UserFd& fd) {
  if (fd.kind == UserFd::Kind::kHost) return true;
  if (fd.is_pipe()) return fd.kind == UserFd::Kind::kPipeWrite;
  return (fs::rload(fd.file, &fs::File::m_flags) & fs::O_ACCMODE) != fs::O_RDONLY;
}

Result<UserPath> user_path(Call& call, uint32_t dirfd, uint32_t address) {
  static_assert(proc::kPathMax <= hal::kPageSize);
  UserPath path{TRY(mm::PageBlock::alloc(0)), proc::FileRef(), fs::At{}};
  auto* text = static_cast<char*>(path.page.base());
  const uint32_t length = TRY(proc::string_from_user(call.process, text, address, proc::kPathMax));
  if (length == 0) return error(Errno::kNoEnt);
  if (text[0] == '/') return path;  // dirfd is not even looked at, as Linux
  if (int32_t(dirfd) == AT_FDCWD) {
    path.start = proc::cwd_hold(call.process);
  } else {
    proc::HeldFd held = TRY(proc::fd_lookup(call.process, int32_t(dirfd)));
    if (held.fd.kind != UserFd::Kind::kFile) return error(Errno::kNotDir);
    path.start = std::move(held.ref);  // the VFS checks it is a folder
  }
  path.at = fs::At{path.start.get()};
  return path;
}

Answer sys_read(Call& call) { return read_or_write(call, true); }
Answer sys_write(Call& call) { return read_or_write(call, false); }
Answer sys_readv(Call& call) { return vectored(call, true); }
Answer sys_writev(Call& call) { return vectored(call, false); }
Answer sys_pread64(Call& call) { return positioned(call, true); }
Answer sys_pwrite64(Call& call) { return positioned(call, false); }

// openat: a file of the VFS, or for a device that stands for a stream, the stream
// (syscall/stream_devices.cpp).
Answer sys_openat(Call& call) {
  const UserPath path = TRY(user_path(call, call.a[0], call.a[1]));
  const uint32_t flags = call.a[2], kept = flags & (kOpenFlagsKnown | kStatusFlagsKept);
  const auto file = TRY(fs::vfs_open(path.at, path.c_str(), kept));
  UserFd entry;
  entry.kind = UserFd::Kind::kFile;
  entry.file = file;
  if (auto stream = TRY(open_stream_device(call, file, kept))) entry = *stream;
  entry.flags = (flags & kOpenCloexec) != 0 ? proc::kFdCloexec : 0;
  auto installed = proc::fd_install(call.process, entry);
  if (!installed) {
    proc::fd_entry_drop(entry);
    return error(installed.error());
  }
  return uint32_t(*installed);
}

Answer sys_close(Call& call) {
  TRY(proc::fd_release(call.process, int32_t(call.a[0])));
  return 0;
}

// truncate64 and ftruncate64 (a 32-bit machine's truncate and ftruncate): the length in two
// registers, low first; a negative one is EINVAL before anything is looked up, as Linux. A
// host stream is the host's to cut (qemu passes it on).
namespace {
int64_t length_of(uint32_t low, uint32_t high) { return int64_t(uint64_t(high) << 32 | low); }
}  // namespace

Answer sys_truncate64(Call& call) {
  const int64_t length = length_of(call.a[1], call.a[2]);
  if (length < 0) return error(Errno::kInval);
  const UserPath path = TRY(user_path(call, uint32_t(AT_FDCWD), call.a[0]));
  TRY(fs::vfs_truncate(path.at, path.c_str(), uint64_t(length)));
  return 0;
}

Answer sys_ftruncate64(Call& call) {
  const int64_t length = length_of(call.a[1], call.a[2]);
  if (length < 0) return error(Errno::kInval);
  const proc::HeldFd held = TRY(proc::fd_lookup(call.process, int32_t(call.a[0])));
  const UserFd& fd = held.fd;
  if (fd.kind == UserFd::Kind::kHost) {
    if (::ftruncate(fd.host_fd, off_t(length)) != 0) return error(errno_from_host(errno));
    return 0;
  }
  if (fd.is_pipe()) return error(Errno::kInval);
  TRY(fs::vfs_ftruncate(fd.file, uint64_t(length)));
  return 0;
}

// utimensat (the time64 call of RV32): the modification time of the file at `path` from
// `dirfd`, or of the descriptor `dirfd` itself when `path` is null (futimens, as Linux) or
// empty with AT_EMPTY_PATH, set to the second entry of `times` (now when `times` is null or
// its tv_nsec is UTIME_NOW; kept with UTIME_OMIT), as FAT keeps it (vfs_set_mtime). FAT keeps
// an access date only: the access time, which statx answers as the modification time, is not
// set. A host stream's times are the host's (futimens there). The refusals in Linux's order:
// the vector (EFAULT), nothing at all when both times are left, the flags, the file (EBADF,
// ENOENT...), then the nanoseconds (EINVAL: vfs_utimes checks them last).
Answer sys_utimensat_time64(Call& call) {
  constexpr int32_t kNow = (1 << 30) - 1, kOmit = (1 << 30) - 2;  // UTIME_NOW, UTIME_OMIT
  const uint32_t dirfd = call.a[0], address = call.a[1], times = call.a[2], flags = call.a[3];
  // Two struct timespec64 of RV32: a 64-bit tv_sec, a 32-bit tv_nsec, 4 bytes of padding.
  struct UserTimespec {
    int64_t seconds;
    int32_t nanoseconds;
    int32_t padding;
  } given[2] = {{0, kNow, 0}, {0, kNow, 0}};
  static_assert(sizeof(UserTimespec) == 16);
  if (times != 0) {
    TRY(proc::copy_from_user(call.process, given, times, sizeof given));
    if (given[0].nanoseconds == kOmit && given[1].nanoseconds == kOmit) return 0;
  }
  const bool valid = std::all_of(std::begin(given), std::end(given), [](const UserTimespec& time) {
    return time.nanoseconds == kNow || time.nanoseconds == kOmit ||
           (time.nanoseconds >= 0 && time.nanoseconds < 1'000'000'000);
  });
  const UserTimespec& modified = given[1];
  const bool set = modified.nanoseconds != kOmit;
  const int64_t mtime = modified.nanoseconds == kNow ? int64_t(std::time(nullptr)) : modified.seconds;
  const bool of_descriptor = address == 0 && int32_t(dirfd) != AT_FDCWD;
  if (of_descriptor ? flags != 0 : (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) != 0) return error(Errno::kInval);
  if (!of_descriptor) {
    if (address == 0) return error(Errno::kFault);
    char first = 0;
    TRY(proc::copy_from_user(call.process, &first, address, 1));
    const bool empty = first == '\0' && (flags & AT_EMPTY_PATH) != 0;
    if (!empty || int32_t(dirfd) == AT_FDCWD) {
      // A path, or the working directory ("" with AT_EMPTY_PATH at AT_FDCWD).
      std::optional<UserPath> path;
      proc::FileRef cwd;
      fs::At at;
      const char* name = ".";
      if (empty) {
        cwd = proc::cwd_hold(call.process);
        at = fs::At{cwd.get()};
      } else {
        path.emplace(TRY(user_path(call, dirfd, address)));
        at = path->at;
        name = path->c_str();
      }
      TRY(fs::vfs_stat(at, name));  // the file is found first
      if (!valid) return error(Errno::kInval);
      if (set) TRY(fs::vfs_set_mtime(at, name, mtime));
      return 0;
    }
  }
  // The descriptor's own file (a null path, or "" with AT_EMPTY_PATH).
  const proc::HeldFd held = TRY(proc::fd_lookup(call.process, int32_t(dirfd)));
  if (!valid) return error(Errno::kInval);
  if (held.fd.kind == UserFd::Kind::kHost) {
    const timespec host[2] = {{given[0].seconds, given[0].nanoseconds}, {given[1].seconds, given[1].nanoseconds}};
    TRY(host_stream_set_times(held.fd.host_fd, host));
  } else if (set && !held.fd.is_pipe()) {  // a pipe keeps no times (statx answers 0)
    TRY(fs::vfs_fset_mtime(held.fd.file, mtime));
  }
  return 0;
}

// fsync and fdatasync write every dirty page of the volume (the VFS syncs as a whole), the
// file's among them; a host stream is the host's to sync (EINVAL for a pipe or a terminal, as
// for a pipe or a device here).
Answer sys_fsync(Call& call) {
  const proc::HeldFd held = TRY(proc::fd_lookup(call.process, int32_t(call.a[0])));
  const UserFd& fd = held.fd;
  if (fd.kind == UserFd::Kind::kHost) {
    if (::fsync(fd.host_fd) != 0) return error(errno_from_host(errno));
    return 0;
  }
  if (fd.is_pipe() || TRY(fs::vfs_fstat(fd.file)).type == fs::InodeType::kDev) return error(Errno::kInval);
  TRY(fs::vfs_sync());
  return 0;
}

// sync(2) reports nothing, as Linux's.
Answer sys_sync(Call&) {
  (void)fs::vfs_sync();
  return 0;
}

Answer sys_llseek(Call& call) {
  const proc::HeldFd held = TRY(proc::fd_lookup(call.process, int32_t(call.a[0])));
  const UserFd& fd = held.fd;
  const int64_t offset = int64_t(uint64_t(call.a[1]) << 32 | call.a[2]);
  enum : uint32_t { kSeekData = 3, kSeekHole = 4 };  // SEEK_DATA, SEEK_HOLE
  uint64_t at = 0;
  if (fd.kind == UserFd::Kind::kHost) {  // the host's answer: ESPIPE for a pipe or a terminal
    const off_t moved = ::lseek(fd.host_fd, off_t(offset), int(call.a[4]));
    if (moved < 0) return error(errno_from_host(errno));
    at = uint64_t(moved);
  } else if (fd.is_pipe()) {
    return error(Errno::kSPipe);
  } else if (call.a[4] == kSeekData || call.a[4] == kSeekHole) {
    // A FAT file has no holes: data from any offset inside it, the one hole at its end.
    const fs::Stat stat = TRY(fs::vfs_fstat(fd.file));
    if (stat.type == fs::InodeType::kDev) {
      at = 0;  // a device has no places (Linux's null_lseek)
    } else {
      if (offset < 0 || uint64_t(offset) >= stat.size) return error(Errno::kNxIo);
      at = TRY(fs::vfs_lseek(fd.file, call.a[4] == kSeekData ? offset : int64_t(stat.size), fs::Whence::kSet));
    }
  } else {
    if (call.a[4] > 2) return error(Errno::kInval);
    at = TRY(fs::vfs_lseek(fd.file, offset, fs::Whence(call.a[4])));
  }
  TRY(proc::copy_to_user(call.process, call.a[3], &at, sizeof at));
  return 0;
}

// The descriptor's position: 0 and 1 are "." and ".." (every Linux file system lists them,
// FAT's root too), 2 + p the VFS's offset p (a place in the directory, which removals do not
// move). An entry's d_off is the position after it, its d_ino that position + 2 (never 0: a
// libc skips an entry of inode 0).
Answer sys_getdents64(Call& call) {
  const proc::HeldFd held = TRY(proc::fd_lookup(call.process, int32_t(call.a[0])));
  const UserFd& fd = held.fd;
  if (fd.kind != UserFd::Kind::kFile) return error(Errno::kNotDir);
  TRY(fs::vfs_listable(fd.file));  // checked before the position moves
  constexpr uint32_t kBatch = 8;
  constexpr uint64_t kDots = 2;
  auto block = TRY(mm::PageBlock::alloc(1));
  auto* entries = static_cast<fs::DirEntry*>(block.base());
  static_assert(sizeof(fs::DirEntry) * kBatch <= 2 * hal::kPageSize);
  uint64_t position = TRY(fs::vfs_lseek(fd.file, 0, fs::Whence::kCur));
  uint32_t written = 0;
  // One struct linux_dirent64 (d_ino, d_off, d_reclen, d_type, d_name, padded to 8) for the
  // entry that ends at `next`; false when it does not fit.
  auto emit = [&](const char* name, uint32_t name_len, fs::InodeType type, uint64_t next) -> Result<bool> {
    uint8_t record[8 + 8 + 2 + 1 + fs::kNameMax + 1 + 8] = {};
    const uint32_t size = (19 + name_len + 1 + 7) & ~7u;
    if (written + size > call.a[2]) {
      if (written == 0) return error(Errno::kInval);  // no room for the next entry
      return false;
    }
    const uint64_t ino = next + 2;
    const int64_t offset = int64_t(next);
    const uint16_t reclen = uint16_t(size);
    std::memcpy(record, &ino, 8);
    std::memcpy(record + 8, &offset, 8);
    std::memcpy(record + 16, &reclen, 2);
    record[18] = type == fs::InodeType::kDir ? 4 : type == fs::InodeType::kDev ? 2 : 8;  // DT_DIR, DT_CHR, DT_REG
    std::memcpy(record + 19, name, name_len);
    TRY(proc::copy_to_user(call.process, call.a[1] + written, record, size));
    written += size;
    position = next;
    return true;
  };
  bool fits = true;
  while (position < kDots && fits)
    fits = TRY(emit(position == 0 ? "." : "..", uint32_t(position + 1), fs::InodeType::kDir, position + 1));
  if (fits) TRY(fs::vfs_lseek(fd.file, int64_t(position - kDots), fs::Whence::kSet));
  for (bool more = fits; more;) {
    const uint32_t got = TRY(fs::vfs_readdir(fd.file, entries, kBatch));
    for (uint32_t i = 0; i < got && fits; ++i)
      fits = TRY(emit(entries[i].name, entries[i].name_len, entries[i].type, kDots + entries[i].next));
    more = fits && got == kBatch;
  }
  TRY(fs::vfs_lseek(fd.file, int64_t(position), fs::Whence::kSet));
  return written;
}

namespace {

// What statx and faccessat2 name: the path from `dirfd`, or with AT_EMPTY_PATH and an empty
// path the descriptor itself (a host stream as the host has it: qemu passes them on), or the
// working directory for AT_FDCWD. /dev/stdin, /dev/stdout and /dev/stderr are what their
// descriptor names unless `flags` has AT_SYMLINK_NOFOLLOW (Linux's links to /proc/self/fd;
// ENOENT when it is not open).
struct Named {
  fs::Stat stat;
  std::optional<HostStreamStat> host;
  uint32_t mode() const { return host ? host->mode : mode_of(stat); }
};

Result<Named> stat_fd(Call& call, int32_t descriptor) {
  Named named;
  const proc::HeldFd held = TRY(proc::fd_lookup(call.process, descriptor));
  const UserFd& fd = held.fd;
  if (fd.kind == UserFd::Kind::kHost) named.host = TRY(host_stream_stat(fd.host_fd));
  else if (fd.is_pipe()) named.host = HostStreamStat{.mode = kPipeMode, .size = 0};
  else named.stat = TRY(fs::vfs_fstat(fd.file));
  return named;
}

Result<Named> stat_named(Call& call, uint32_t dirfd, uint32_t address, uint32_t flags) {
  char first = 0;
  if (address != 0) TRY(proc::copy_from_user(call.process, &first, address, 1));
  if (first == '\0' && (flags & AT_EMPTY_PATH) != 0 && int32_t(dirfd) == AT_FDCWD) {
    const proc::FileRef cwd = proc::cwd_hold(call.process);
    return Named{.stat = TRY(fs::vfs_stat(fs::At{cwd.get()}, ".")), .host = std::nullopt};
  }
  if (first == '\0' && (flags & AT_EMPTY_PATH) != 0) return stat_fd(call, int32_t(dirfd));
  const UserPath path = TRY(user_path(call, dirfd, address));
  const fs::Stat stat = TRY(fs::vfs_stat(path.at, path.c_str()));
  const auto stream = stat.type == fs::InodeType::kDev ? fs::devfs_stream(stat.device) : std::nullopt;
  if (stream && *stream >= 0 && (flags & AT_SYMLINK_NOFOLLOW) == 0) {
    auto named = stat_fd(call, *stream);
    if (!named && named.error() == Errno::kBadF) return error(Errno::kNoEnt);
    return named;
  }
  return Named{.stat = stat, .host = std::nullopt};
}

// access(2) as Linux answers root, whom a process of mkh is: any file may be read and
// written (the disk is not read-only), and executed when it is a folder or has an execute
// bit (mode_of gives every file of the disk one, a device none). So the answer is whether
// the path resolves, and for X_OK whether it names a folder or has an execute bit.
Answer access_named(Call& call, uint32_t flags) {
  // Linux's X_OK, R_OK | W_OK | X_OK, AT_SYMLINK_NOFOLLOW, AT_EACCESS, S_IFMT and S_IFDIR
  // (host headers define some of these names as macros).
  constexpr uint32_t kExecute = 1, kAccessModes = 7, kEffectiveIds = 0x200;
  constexpr uint32_t kTypeBits = 0170000, kFolder = 0040000, kAnyExecute = 0111;
  const uint32_t wanted = call.a[2];
  if ((wanted & ~kAccessModes) != 0 || (flags & ~(kEffectiveIds | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) != 0)
    return error(Errno::kInval);
  const uint32_t mode = TRY(stat_named(call, call.a[0], call.a[1], flags)).mode();
  if ((wanted & kExecute) != 0 && (mode & kTypeBits) != kFolder && (mode & kAnyExecute) == 0)
    return error(Errno::kAcces);
  return 0;
}

}  // namespace

Answer sys_faccessat(Call& call) { return access_named(call, 0); }
Answer sys_faccessat2(Call& call) { return access_named(call, call.a[3]); }

namespace {
// RV32's struct statfs64 (88 bytes: asm-generic's, 32-bit words and 64-bit counts, f_fsid
// zeros); its size argument must be the struct's: EINVAL otherwise, as Linux.
Answer put_statfs(Call& call, uint32_t size, uint32_t address, const FsDescription& fs) {
  constexpr uint32_t kSize = 88;
  if (size != kSize) return error(Errno::kInval);
  const uint32_t head[2] = {fs.type, fs.block_size};
  const uint64_t counts[5] = {fs.blocks, fs.free_blocks, fs.available_blocks, fs.files, fs.free_files};
  const uint32_t tail[3] = {fs.name_max, fs.fragment_size, fs.flags};
  uint8_t out[kSize] = {};
  std::memcpy(out, head, sizeof head);
  std::memcpy(out + 8, counts, sizeof counts);
  std::memcpy(out + 56, tail, sizeof tail);
  TRY(proc::copy_to_user(call.process, address, out, sizeof out));
  return 0;
}

// A file system of the VFS as Linux's vfat describes its volume (MSDOS_SUPER_MAGIC, a block a
// cluster, no inode counts, 255 UTF-16 units a name at 6 bytes each) and its devtmpfs
// (TMPFS_MAGIC, no blocks); f_flags ST_VALID. A pipe's is Linux's pipefs.
constexpr uint32_t kStValid = 0x20;
FsDescription describe(const fs::StatFs& fs) {
  if (fs.type == fs::FsType::kDevfs)
    return {.type = 0x01021994, .block_size = 4096, .name_max = 255, .fragment_size = 4096, .flags = kStValid};
  return {.type = 0x4d44,
          .block_size = fs.cluster_size,
          .blocks = fs.clusters,
          .free_blocks = fs.free_clusters,
          .available_blocks = fs.free_clusters,
          .name_max = 1530,
          .fragment_size = fs.cluster_size,
          .flags = kStValid};
}
}  // namespace

// statfs64(path, size, buf) and fstatfs64(fd, size, buf): the file system of a path or of an
// open file (a host stream's is the host's, as qemu passes the call on).
Answer sys_statfs64(Call& call) {
  const UserPath path = TRY(user_path(call, uint32_t(AT_FDCWD), call.a[0]));
  return put_statfs(call, call.a[1], call.a[2], describe(TRY(fs::vfs_statfs_at(path.at, path.c_str()))));
}

Answer sys_fstatfs64(Call& call) {
  const proc::HeldFd held = TRY(proc::fd_lookup(call.process, int32_t(call.a[0])));
  const UserFd& fd = held.fd;
  if (fd.kind == UserFd::Kind::kHost)
    return put_statfs(call, call.a[1], call.a[2], TRY(host_stream_statfs(fd.host_fd)));
  if (fd.is_pipe())
    return put_statfs(
        call, call.a[1], call.a[2],
        {.type = 0x50495045, .block_size = 4096, .name_max = 255, .fragment_size = 4096, .flags = kStValid});
  return put_statfs(call, call.a[1], call.a[2], describe(TRY(fs::vfs_fstatfs(fd.file))));
}

Answer sys_statx(Call& call) {
  constexpr uint32_t AT_NO_AUTOMOUNT = 0x800, AT_STATX_SYNC_TYPE = 0x6000;
  constexpr uint32_t STATX__RESERVED = 0x8000'0000;
  const uint32_t flags = call.a[2];
  // Linux's checks, in its order: unknown flags, both sync kinds at once, the reserved mask bit.
  if ((flags & ~(AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | AT_EMPTY_PATH | AT_STATX_SYNC_TYPE)) != 0 ||
      (flags & AT_STATX_SYNC_TYPE) == AT_STATX_SYNC_TYPE || (call.a[3] & STATX__RESERVED) != 0)
    return error(Errno::kInval);
  const Named named = TRY(stat_named(call, call.a[0], call.a[1], flags));
  const fs::Stat& stat = named.stat;
  const std::optional<HostStreamStat>& host = named.host;
  // struct statx (256 bytes): the basic fields, the times as mtime.
  uint8_t out[256] = {};
  const uint32_t mask = 0x7ff;  // STATX_BASIC_STATS
  // As Linux's vfat: the I/O block is the cluster, the blocks (of 512 bytes) are the clusters
  // the file holds; a device has none.
  const uint32_t blksize = stat.cluster_size != 0 ? stat.cluster_size : 4096, nlink = host ? 1 : stat.links;
  const uint16_t mode = uint16_t(named.mode());
  const uint64_t ino = host ? 0 : stat.inode, size = host ? host->size : stat.size;
  const uint64_t blocks = host ? (size + 511) / 512 : uint64_t(stat.clusters) * stat.cluster_size / 512;
  const int64_t time = int64_t(host ? 0 : stat.mtime);
  std::memcpy(out + 0, &mask, 4);
  std::memcpy(out + 4, &blksize, 4);
  std::memcpy(out + 16, &nlink, 4);
  std::memcpy(out + 28, &mode, 2);
  std::memcpy(out + 32, &ino, 8);
  std::memcpy(out + 40, &size, 8);
  std::memcpy(out + 48, &blocks, 8);
  for (const uint32_t at : {64u, 80u, 96u, 112u}) std::memcpy(out + at, &time, 8);  // atime btime ctime mtime
  const uint32_t device[2] = {fs::device_major(stat.device), fs::device_minor(stat.device)};
  std::memcpy(out + 128, device, sizeof device);  // stx_rdev_major, stx_rdev_minor
  TRY(proc::copy_to_user(call.process, call.a[4], out, sizeof out));
  return 0;
}

Answer sys_mkdirat(Call& call) {
  const UserPath path = TRY(user_path(call, call.a[0], call.a[1]));
  TRY(fs::vfs_mkdir(path.at, path.c_str()));
  return 0;
}

Answer sys_unlinkat(Call& call) {
  if ((call.a[2] & ~AT_REMOVEDIR) != 0) return error(Errno::kInval);
  const UserPath path = TRY(user_path(call, call.a[0], call.a[1]));
  if ((call.a[2] & AT_REMOVEDIR) != 0) TRY(fs::vfs_rmdir(path.at, path.c_str()));
  else TRY(fs::vfs_unlink(path.at, path.c_str()));
  return 0;
}

Answer sys_renameat2(Call& call) {
  const UserPath from = TRY(user_path(call, call.a[0], call.a[1]));
  const UserPath to = TRY(user_path(call, call.a[2], call.a[3]));
  // RENAME_NOREPLACE and RENAME_EXCHANGE, as Linux's vfat (since Linux 6.0 for the exchange)
  TRY(fs::vfs_rename(from.at, from.c_str(), to.at, to.c_str(), call.a[4]));
  return 0;
}

// The working directory's path, from its folder up (a folder renamed above it shows; one
// removed is ENOENT, as Linux).
Answer sys_getcwd(Call& call) {
  char path[proc::kPathMax];
  const uint32_t length = TRY(fs::vfs_dir_path(proc::cwd_hold(call.process).get(), path, sizeof path)) + 1;
  if (call.a[1] < length) return error(Errno::kRange);
  TRY(proc::copy_to_user(call.process, call.a[0], path, length));
  return length;
}

Answer sys_chdir(Call& call) {
  const UserPath path = TRY(user_path(call, AT_FDCWD, call.a[0]));
  proc::cwd_set(call.process, proc::FileRef(TRY(fs::vfs_open(path.at, path.c_str(), fs::O_RDONLY | fs::O_DIRECTORY))));
  return 0;
}

// The folder open as the descriptor becomes the working directory (its own reference: the
// descriptor may be closed after); a file or a host stream is ENOTDIR.
Answer sys_fchdir(Call& call) {
  const proc::HeldFd held = TRY(proc::fd_lookup(call.process, int32_t(call.a[0])));
  const UserFd& fd = held.fd;
  if (fd.kind != UserFd::Kind::kFile) return error(Errno::kNotDir);
  proc::cwd_set(call.process, proc::FileRef(TRY(fs::vfs_open(fs::At{fd.file}, ".", fs::O_RDONLY | fs::O_DIRECTORY))));
  return 0;
}

Answer map_request(Call& call, const MapRequest& request, hal::Xptr<mapper::Mapper> mapper, uint32_t file_offset,
                   uint32_t file_size) {
  proc::TlbShootdown shootdown{call.process, call.thread};
  auto mapped = vmm::vmm_mmap(&call.process->m_vmm, request.hint, request.placement, request.size, request.prot, mapper,
                              file_offset, file_size, proc::user_flush_page, &shootdown, request.shared);
  // A fixed mapping may have replaced a file's last mapping; a refused one, the pin of its own file.
  if (!mapped || request.placement == vmm::Placement::kFixed) proc::release_unmapped_files(call.process);
  return TRY(std::move(mapped));
}

Answer map_file(Call& call, const MapRequest& request, int32_t fd, uint32_t page_offset) {
  const proc::HeldFd held = TRY(proc::fd_lookup(call.process, fd));
  const UserFd& entry = held.fd;
  if (entry.kind == UserFd::Kind::kHost || entry.is_pipe()) return error(Errno::kNoDev);  // a stream, not mapped here
  if (!readable(entry)) return error(Errno::kAcces);
  if (request.shared && (request.prot & vmm::VSEG_WRITE) != 0) {
    if (!writable(entry)) return error(Errno::kAcces);
    return error(Errno::kNoSys);  // writes that reach the file: not there yet
  }
  const fs::Stat stat = TRY(fs::vfs_fstat(entry.file));
  if (stat.type != fs::InodeType::kFile) return error(Errno::kNoDev);  // a folder, a device
  const uint64_t offset = uint64_t(page_offset) * vmm::kPageSize;
  if (offset > UINT32_MAX) return error(Errno::kInval);
  const uint64_t file_bytes = stat.size > offset ? stat.size - offset : 0;
  const auto inode = fs::rload(entry.file, &fs::File::m_inode);
  TRY(proc::pin_mapped_file(call.process, entry.file));  // its mapper outlives the descriptor
  return map_request(call, request, fs::rload(inode, &fs::Inode::m_mapper), uint32_t(offset),
                     uint32_t(std::min<uint64_t>(file_bytes, UINT32_MAX)));
}

}  // namespace mkh::syscall
