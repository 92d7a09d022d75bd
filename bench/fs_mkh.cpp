// mkh's side of `mkh bench fs`: the VFS measures in a kernel thread. Layer: bench.
#include "fs_mkh.hpp"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "boot/files.hpp"
#include "fs/vfs/vfs.hpp"
#include "hal/cpu.hpp"
#include "hal/xptr.hpp"
#include "mm/kmem.hpp"

namespace mkh::bench {

namespace {

using Clock = std::chrono::steady_clock;
using hal::Xptr;

constexpr uint32_t kChunkOrder = 4;
static_assert(hal::kPageSize << kChunkOrder == kChunkBytes);
static_assert(kRandomReadBytes <= kChunkBytes && kSmallFileBytes <= kChunkBytes);

// "PATH: ENOENT (No such file or directory)"
Error fs_error(std::string_view path, Errno code) {
  return Error(code, fmt::format("{}: {} ({})", path, errno_name(code), std::strerror(int(code))));
}

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

// Adds up the time spent in the calls it runs.
class Stopwatch {
 public:
  template <typename F>
  auto time(F&& call) {
    const auto start = Clock::now();
    auto result = call();
    m_elapsed += Clock::now() - start;
    return result;
  }
  double seconds() const { return std::chrono::duration<double>(m_elapsed).count(); }

 private:
  Clock::duration m_elapsed{};
};

// The kernel buffer of a measure, in the bank of the cluster that runs it.
struct Buffer {
  uint8_t* base;
  Xptr<void> xptr;
};

using Measure = std::function<Result<double, Error>(const Buffer&)>;

Result<double, Error> in_kernel(Machine& machine, const Measure& measure) {
  Result<double, Error> outcome = error(Errno::kCanceled, "the measure did not run");
  auto ran = boot::run_in_kernel(machine.clusters().back(), [&] {
    auto block = mm::PageBlock::alloc(kChunkOrder);
    if (!block) {
      outcome = error(block.error(), "no memory for the buffer of the measure");
      return;
    }
    outcome = measure(Buffer{static_cast<uint8_t*>(block->base()), Xptr<void>(hal::local_cxy(), block->base())});
  });
  if (!ran) return error(ran.error(), "cannot start the kernel thread of the measure");
  return outcome;
}

// kIo naming the first byte where the buffer is not `expected`, which starts at `offset`.
Result<void, Error> check_bytes(const char* path, uint64_t offset, const uint8_t* got,
                                std::span<const uint8_t> expected) {
  if (std::memcmp(got, expected.data(), expected.size()) == 0) return {};
  const auto [g, e] = std::mismatch(got, got + expected.size(), expected.begin());
  return error(Errno::kIo, "{}: byte {} read as {:#04x}, {:#04x} was written", path, offset + uint64_t(g - got), *g,
               *e);
}

}  // namespace

Result<std::unique_ptr<Machine>, Error> boot_on_volume(const MachineConfig& config) {
  auto machine = Machine::boot(config);
  if (!machine) return error(machine.error().context("boot"));
  return std::move(*machine);
}

Result<void, Error> shut_down(std::unique_ptr<Machine> machine) {
  const MachineReport report = machine->shutdown();
  if (!report.disk_error.empty()) return error(Errno::kIo, "shutdown: {}", report.disk_error);
  if (report.threads_left != 0)
    return error(Errno::kBusy, "shutdown: {} kernel threads did not finish", report.threads_left);
  return {};
}

Result<double, Error> vfs_read_seconds(Machine& machine, const char* path, std::span<const uint8_t> expected) {
  return in_kernel(machine, [&](const Buffer& buffer) -> Result<double, Error> {
    Stopwatch clock;
    const auto file = clock.time([&] { return fs::vfs_open(path, fs::O_RDONLY); });
    if (!file) return error(fs_error(path, file.error()));
    uint64_t done = 0;
    Result<void, Error> read = {};
    for (;;) {
      const auto count = clock.time([&] { return fs::vfs_read(*file, buffer.xptr, kChunkBytes); });
      if (!count) {
        read = error(fs_error(path, count.error()));
        break;
      }
      if (*count == 0) break;
      if (*count > expected.size() - done) {
        read = error(Errno::kIo, "{}: more than the {} bytes written", path, expected.size());
        break;
      }
      read = check_bytes(path, done, buffer.base, expected.subspan(done, *count));
      if (!read) break;
      done += *count;
    }
    const auto closed = clock.time([&] { return fs::vfs_close(*file); });
    TRY(read);
    if (!closed) return error(fs_error(path, closed.error()));
    if (done != expected.size())
      return error(Errno::kIo, "{}: {} bytes read, {} were written", path, done, expected.size());
    return clock.seconds();
  });
}

Result<double, Error> vfs_random_reads_per_s(Machine& machine, const char* path, std::span<const uint8_t> expected,
                                             uint32_t reads, uint64_t seed) {
  const uint64_t pages = expected.size() / kRandomReadBytes;
  if (pages == 0 || expected.size() % kRandomReadBytes != 0 || reads == 0)
    return error(Errno::kInval, "{}: random reads need a file of whole pages, and reads", path);
  return in_kernel(machine, [&](const Buffer& buffer) -> Result<double, Error> {
    const auto file = fs::vfs_open(path, fs::O_RDONLY);
    if (!file) return error(fs_error(path, file.error()));
    std::mt19937_64 random(seed);
    Stopwatch clock;
    Result<void, Error> read = {};
    for (uint32_t i = 0; i < reads && read; ++i) {
      const uint64_t offset = random() % pages * kRandomReadBytes;
      const auto sought = clock.time([&] { return fs::vfs_lseek(*file, int64_t(offset), fs::Whence::kSet); });
      if (!sought) {
        read = error(fs_error(path, sought.error()));
        break;
      }
      const auto count = clock.time([&] { return fs::vfs_read(*file, buffer.xptr, kRandomReadBytes); });
      if (!count) read = error(fs_error(path, count.error()));
      else if (*count != kRandomReadBytes)
        read = error(Errno::kIo, "{}: {} bytes read at {}, {} expected", path, *count, offset, kRandomReadBytes);
      else read = check_bytes(path, offset, buffer.base, expected.subspan(offset, kRandomReadBytes));
    }
    const auto closed = fs::vfs_close(*file);
    TRY(read);
    if (!closed) return error(fs_error(path, closed.error()));
    return double(reads) / clock.seconds();
  });
}

Result<double, Error> vfs_write_seconds(Machine& machine, const char* path, std::span<const uint8_t> data) {
  return in_kernel(machine, [&](const Buffer& buffer) -> Result<double, Error> {
    const auto start = Clock::now();
    const auto file = fs::vfs_open(path, fs::O_WRONLY | fs::O_CREAT | fs::O_EXCL);
    if (!file) return error(fs_error(path, file.error()));
    Result<void, Error> wrote = {};
    for (uint64_t done = 0; done < data.size() && wrote;) {
      const uint64_t size = std::min<uint64_t>(kChunkBytes, data.size() - done);
      std::memcpy(buffer.base, data.data() + done, size);
      const auto count = fs::vfs_write(*file, buffer.xptr, size);
      if (!count) wrote = error(fs_error(path, count.error()));
      else if (*count != size) wrote = error(Errno::kIo, "{}: {} bytes of {} written at {}", path, *count, size, done);
      done += size;
    }
    const auto closed = fs::vfs_close(*file);
    TRY(wrote);
    if (!closed) return error(fs_error(path, closed.error()));
    if (auto synced = fs::vfs_sync(); !synced) return error(fs_error("sync", synced.error()));
    return seconds_since(start);
  });
}

Result<double, Error> vfs_create_seconds(Machine& machine, const char* folder, const FsData& data) {
  return in_kernel(machine, [&](const Buffer& buffer) -> Result<double, Error> {
    const auto start = Clock::now();
    if (auto made = fs::vfs_mkdir(folder); !made) return error(fs_error(folder, made.error()));
    for (uint32_t i = 0; i < data.files; ++i) {
      const std::string path = fmt::format("{}/{}", folder, small_file_name(i));
      const auto file = fs::vfs_open(path.c_str(), fs::O_WRONLY | fs::O_CREAT | fs::O_EXCL);
      if (!file) return error(fs_error(path, file.error()));
      std::memcpy(buffer.base, data.small_file(i).data(), kSmallFileBytes);
      const auto count = fs::vfs_write(*file, buffer.xptr, kSmallFileBytes);
      const auto closed = fs::vfs_close(*file);
      if (!count) return error(fs_error(path, count.error()));
      if (*count != kSmallFileBytes)
        return error(Errno::kIo, "{}: {} bytes of {} written", path, *count, kSmallFileBytes);
      if (!closed) return error(fs_error(path, closed.error()));
    }
    if (auto synced = fs::vfs_sync(); !synced) return error(fs_error("sync", synced.error()));
    return seconds_since(start);
  });
}

}  // namespace mkh::bench
