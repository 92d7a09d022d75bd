// ioc: the block device's driver (command function) and its client calls. Layer: dev.
// Calls dev/chdev.hpp, the chdev directory, the host's pread/pwrite/preadv/pwritev.
// Host I/O runs in the DEV thread of the I/O cluster (or a host thread's direct run): one
// system call per command, whatever its size (a vectored command of up to
// kIocBuffersPerCommand buffers is one preadv/pwritev); short counts are continued and EINTR
// retried.
#include "dev/ioc.hpp"

#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <string>

#include <fmt/format.h>

#include "dev/chdev.hpp"
#include "dev/dev.hpp"
#include "dev/drivers.hpp"

namespace mkh::dev {

namespace {

enum IocOp : uint32_t {
  kRead = 0,
  kWrite = 1,
  kReadv = 2,
  kWritev = 3,
  kOpMask = 0xff,
  kHostArray = 0x100,  // `buffers` is a host address (a host thread's direct run), not an xptr
};

// Moves all of `iov` (advanced in place) at `offset`: loops on short counts, retries EINTR.
Errno host_io(int fd, bool write, iovec* iov, int iovcnt, uint64_t offset) {
  while (iovcnt > 0) {
    const ssize_t done = write ? ::pwritev(fd, iov, iovcnt, off_t(offset)) : ::preadv(fd, iov, iovcnt, off_t(offset));
    if (done < 0) {
      if (errno == EINTR) continue;
      return Errno::kIo;
    }
    if (done == 0) return Errno::kIo;  // end of file inside the disk: truncated underneath
    offset += uint64_t(done);
    auto left = std::size_t(done);
    while (iovcnt > 0 && left >= iov->iov_len) {
      left -= iov->iov_len;
      ++iov;
      --iovcnt;
    }
    if (iovcnt > 0) {
      iov->iov_base = static_cast<char*>(iov->iov_base) + left;
      iov->iov_len -= left;
    }
  }
  return Errno::kOk;
}

// A write of `sectors` from `first`: traced (MachineConfig::disk_write_trace_fd) and counted
// in the I/O cluster's directory; returns how many of them the disk keeps under its write
// limit (the rest is dropped: a power cut).
uint64_t account_write(uint64_t first, uint64_t sectors) {
  DevDirectory* dir = dev_directory_at(kIoCxy);
  if (const int fd = hal::remote_load(hal::Xptr<int32_t>(kIoCxy, &dir->m_disk_write_trace_fd)); fd >= 0) {
    const std::string line = fmt::format("{} {}\n", first, sectors);
    (void)!::write(fd, line.data(), line.size());  // a trace, not the disk: a failed write loses a line
  }
  const uint64_t before = hal::remote_atomic_add(hal::Xptr<uint64_t>(kIoCxy, &dir->m_disk_sectors_written), sectors);
  const uint64_t limit = hal::remote_load(hal::Xptr<uint64_t>(kIoCxy, &dir->m_disk_write_limit));
  const uint64_t kept = before >= limit ? 0 : std::min(sectors, limit - before);
  if (kept < sectors) hal::remote_atomic_add(hal::Xptr<uint64_t>(kIoCxy, &dir->m_disk_sectors_dropped), sectors - kept);
  return kept;
}

// Cuts `iov` to its first `bytes`; returns the vectors left.
int cut_iov(iovec* iov, int iovcnt, uint64_t bytes) {
  int kept = 0;
  for (; kept < iovcnt && bytes != 0; ++kept) {
    iov[kept].iov_len = std::min<uint64_t>(iov[kept].iov_len, bytes);
    bytes -= iov[kept].iov_len;
  }
  return kept;
}

Errno ioc_command(const ChdevIo& io, const kern::DevCommand& command, uint64_t* bytes) {
  const uint32_t op = command.op & kOpMask;
  const bool vectored = op == kReadv || op == kWritev;
  const bool write = op == kWrite || op == kWritev;
  const uint64_t total =
      vectored ? uint64_t(command.count) * command.bytes_each : uint64_t(command.count) * kSectorSize;
  const uint64_t sectors = total / kSectorSize;
  if (command.offset > io.size || sectors > io.size - command.offset) return Errno::kIo;
  iovec iov[kIocBuffersPerCommand];
  int iovcnt = 0;
  if (!vectored) {
    iov[0] = {hal::GET_PTR(command.buffer), total};
    iovcnt = 1;
  } else {
    for (uint32_t i = 0; i < command.count; ++i) {
      const hal::xptr_t buffer =
          (command.op & kHostArray) != 0
              ? reinterpret_cast<const hal::xptr_t*>(command.buffers)[i]
              : hal::remote_load(hal::Xptr<hal::xptr_t>(command.buffers + i * sizeof(hal::xptr_t)));
#if defined(MKH_DEBUG_CHECKS)
      hal::check_xptr(buffer, command.bytes_each, "ioc buffer");
#endif
      iov[i] = {hal::GET_PTR(buffer), command.bytes_each};
    }
    iovcnt = int(command.count);
  }
#if defined(MKH_DEBUG_CHECKS)
  if (!vectored) hal::check_xptr(command.buffer, total, "ioc buffer");
#endif
  if (write) {
    const uint64_t kept = account_write(command.offset, sectors);
    if (kept < sectors) iovcnt = cut_iov(iov, iovcnt, kept * kSectorSize);
  }
  const Errno e = host_io(io.host_fd, write, iov, iovcnt, command.offset * kSectorSize);
  if (e == Errno::kOk) *bytes = total;
  return e;
}

Result<hal::Xptr<Chdev>> ioc_chdev() {
  const hal::xptr_t chdev = hal::local_load(dev_directory_here()->m_ioc);
  if (chdev == hal::XPTR_NULL) return error(Errno::kNoDev);
  return hal::Xptr<Chdev>(chdev);
}

Result<void> ioc_move(bool write, uint64_t lba, hal::Xptr<void> buffer, uint32_t count) {
  const hal::Xptr<Chdev> chdev = TRY(ioc_chdev());
  if (buffer.is_null()) return error(Errno::kInval);
  if (count == 0) return {};
  kern::DevCommand command;
  command.op = write ? kWrite : kRead;
  command.offset = lba;
  command.count = count;
  command.buffer = buffer.raw();
  return chdev_submit(chdev, command);
}

Result<void> ioc_move_vector(bool write, uint64_t lba, const hal::Xptr<void>* buffers, uint32_t n,
                             uint32_t bytes_each) {
  const hal::Xptr<Chdev> chdev = TRY(ioc_chdev());
  if (n == 0 || n > kIocMaxBuffers || bytes_each == 0 || bytes_each % kSectorSize != 0 || buffers == nullptr)
    return error(Errno::kInval);
  const bool host = kern::thread_current() == nullptr;
  // Each batch's xptrs are copied to this stack: a kernel thread's stack is in its cluster's
  // bank, so the DEV thread reads them by remote loads, wherever the caller's array lives.
  hal::xptr_t batch[kIocBuffersPerCommand];
  for (uint32_t first = 0; first < n; first += kIocBuffersPerCommand) {
    const uint32_t count = std::min(kIocBuffersPerCommand, n - first);
    for (uint32_t i = 0; i < count; ++i) {
      if (buffers[first + i].is_null()) return error(Errno::kInval);
      batch[i] = buffers[first + i].raw();
    }
    kern::DevCommand command;
    command.op = uint32_t(write ? kWritev : kReadv) | (host ? uint32_t(kHostArray) : 0u);
    command.offset = lba + uint64_t(first) * (bytes_each / kSectorSize);
    command.count = count;
    command.buffers = host ? reinterpret_cast<uintptr_t>(batch) : hal::XPTR(hal::local_cxy(), batch);
    command.bytes_each = bytes_each;
    TRY(chdev_submit(chdev, command));
  }
  return {};
}

}  // namespace

ChdevCommandFn ioc_command_fn() { return ioc_command; }

Result<void> ioc_read(uint64_t lba, hal::Xptr<void> buffer, uint32_t count) {
  return ioc_move(false, lba, buffer, count);
}
Result<void> ioc_write(uint64_t lba, hal::Xptr<void> buffer, uint32_t count) {
  return ioc_move(true, lba, buffer, count);
}
Result<void> ioc_readv(uint64_t lba, const hal::Xptr<void>* buffers, uint32_t n, uint32_t bytes_each) {
  return ioc_move_vector(false, lba, buffers, n, bytes_each);
}
Result<void> ioc_writev(uint64_t lba, const hal::Xptr<void>* buffers, uint32_t n, uint32_t bytes_each) {
  return ioc_move_vector(true, lba, buffers, n, bytes_each);
}

uint64_t ioc_sector_count() {
  const hal::xptr_t chdev = hal::local_load(dev_directory_here()->m_ioc);
  if (chdev == hal::XPTR_NULL) return 0;
  return hal::remote_load(hal::Xptr<Chdev>(chdev).field(&Chdev::m_io).field(&ChdevIo::size));
}

}  // namespace mkh::dev
