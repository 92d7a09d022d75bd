// The FAT32 fuzzer: libFuzzer's bytes are a disk image, mounted through the VFS of a machine
// booted once per process, walked whole (readdir, stat, open and read every file to its end),
// then unmounted. Layer: tests (a libFuzzer harness). Calls the public machine API and, as the
// unit tests do, boot (mount, unmount, kernel threads), fs (the VFS) and mm (kernel buffers).
//
// Checked for every input, besides crashes, hangs and sanitizer reports: a refused mount says
// why (a message); a session that only reads leaves every byte of the image as it was and never
// writes to it; unmount succeeds; no inode, dentry, file, mapper or FAT context outlives it;
// a file reads to exactly its size.
//
// The disk is a sparse host file of kDiskBytes (a memfd, so nothing is left on the host): the
// input at its start, zeros after it, so a 64 KiB slice of a volume reads as the whole volume
// (a FAT32 volume is at least ~33 MiB: 65525 clusters). A volume larger than the disk is
// refused as too large for its image.
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "boot/files.hpp"
#include "fs/fat/format.hpp"
#include "fs/vfs/vfs.hpp"
#include "hal/cpu.hpp"
#include "mkh/machine.hpp"
#include "mm/kmem.hpp"

namespace {

using namespace mkh;

// ---- what the harness allows itself

constexpr uint64_t kDiskBytes = uint64_t(4) << 30;  // room for every cluster size's smallest volume
constexpr uint64_t kPage = 4096;
constexpr uint32_t kMaxDepth = 8;                      // directories below the root
constexpr uint32_t kMaxEntries = 1024;                 // entries visited in one walk
constexpr uint32_t kMaxEntriesPerDir = 2048;           // entries listed in one directory
constexpr uint64_t kMaxBytesRead = uint64_t(8) << 20;  // file bytes read in one walk
constexpr uint32_t kBufferOrder = 4;                   // 64 KiB moves
constexpr uint64_t kBufferBytes = kPage << kBufferOrder;
// A written image has a modification time other than this one (any write sets it to now).
constexpr timespec kUntouched = {.tv_sec = 1, .tv_nsec = 0};

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "fat32_fuzz: %s\n", what.c_str());
  std::fflush(stderr);
  std::abort();  // libFuzzer keeps the input as a crash
}

// ---- the disk

bool all_zero(const std::vector<uint8_t>& bytes) {
  return bytes.empty() || (bytes[0] == 0 && std::memcmp(bytes.data(), bytes.data() + 1, bytes.size() - 1) == 0);
}

class Disk {
 public:
  Disk() {
    m_fd = memfd_create("mkh-fuzz-disk", MFD_CLOEXEC);
    if (m_fd < 0) fail(fmt::format("memfd_create: {}", std::strerror(errno)));
  }
  std::string path() const { return fmt::format("/proc/self/fd/{}", m_fd); }

  // The disk holds `bytes` at its start and zeros after them (holes: no host memory).
  void load(const uint8_t* bytes, std::size_t size) {
    m_size = std::min<uint64_t>(size, kDiskBytes);
    if (ftruncate(m_fd, 0) != 0 || ftruncate(m_fd, off_t(kDiskBytes)) != 0)
      fail(fmt::format("ftruncate: {}", std::strerror(errno)));
    for (uint64_t done = 0; done < m_size;) {
      const ssize_t n = pwrite(m_fd, bytes + done, m_size - done, off_t(done));
      if (n <= 0) fail(fmt::format("pwrite: {}", std::strerror(errno)));
      done += uint64_t(n);
    }
    m_bytes.assign(bytes, bytes + m_size);
    const timespec times[2] = {{.tv_sec = 0, .tv_nsec = UTIME_OMIT}, kUntouched};
    if (futimens(m_fd, times) != 0) fail(fmt::format("futimens: {}", std::strerror(errno)));
  }

  // Empty when the disk is as load() left it; else what changed.
  std::string changes() const {
    struct stat st {};
    if (fstat(m_fd, &st) != 0) fail(fmt::format("fstat: {}", std::strerror(errno)));
    std::string found;
    if (uint64_t(st.st_size) != kDiskBytes) found += fmt::format("its size is now {}; ", uint64_t(st.st_size));
    const bool written = st.st_mtim.tv_sec != kUntouched.tv_sec || st.st_mtim.tv_nsec != kUntouched.tv_nsec;
    if (written) found += "it was written; ";
    auto differs = [&](uint64_t at, uint8_t now, uint8_t was) {
      found += fmt::format("byte {} (sector {}) is {:#04x}, was {:#04x}; ", at, at / 512, now, was);
      return true;
    };
    // The input's bytes, then every byte the host holds past them (holes read as zeros).
    std::vector<uint8_t> now(m_size);
    if (m_size != 0 && pread(m_fd, now.data(), m_size, 0) != ssize_t(m_size))
      fail(fmt::format("pread: {}", std::strerror(errno)));
    if (m_size != 0 && std::memcmp(now.data(), m_bytes.data(), m_size) != 0)
      for (uint64_t at = 0; at < m_size; ++at)
        if (now[at] != m_bytes[at] && differs(at, now[at], m_bytes[at])) return found;
    for (off_t at = off_t(m_size); at < off_t(kDiskBytes);) {
      const off_t data = lseek(m_fd, at, SEEK_DATA);
      if (data < 0) break;  // ENXIO: holes to the end
      const off_t hole = lseek(m_fd, data, SEEK_HOLE);
      std::vector<uint8_t> extent(std::size_t(hole - data));
      if (pread(m_fd, extent.data(), extent.size(), data) != ssize_t(extent.size()))
        fail(fmt::format("pread: {}", std::strerror(errno)));
      if (!all_zero(extent))
        for (std::size_t i = 0; i < extent.size(); ++i)
          if (extent[i] != 0 && differs(uint64_t(data) + i, extent[i], 0)) return found;
      at = hole;
    }
    return found;
  }

 private:
  int m_fd = -1;
  uint64_t m_size = 0;
  std::vector<uint8_t> m_bytes;  // what load() wrote
};

// A sound, empty volume for the boot (the machine mounts its disk when it boots): 512-byte
// sectors and clusters, 65536 clusters, one FAT, no FSInfo sector.
std::vector<uint8_t> boot_volume() {
  using namespace mkh::fs::fat;
  constexpr uint32_t kReserved = 8;
  constexpr uint32_t kClusters = 65536;
  constexpr uint32_t kFatSectors = ((kClusters + 2) * 4 + 511) / 512;
  std::vector<uint8_t> image((kReserved + 1) * 512, 0);
  uint8_t* boot = image.data();
  boot[0] = 0xEB;
  boot[1] = 0x58;
  boot[2] = 0x90;
  store_le16(boot + bpb::kBytsPerSec, 512);
  boot[bpb::kSecPerClus] = 1;
  store_le16(boot + bpb::kRsvdSecCnt, kReserved);
  boot[bpb::kNumFats] = 1;
  boot[bpb::kMedia] = 0xF8;
  store_le32(boot + bpb::kTotSec32, kReserved + kFatSectors + kClusters);
  store_le32(boot + bpb::kFatSz32, kFatSectors);
  store_le32(boot + bpb::kRootClus, 2);
  store_le16(boot + bpb::kSignature, 0xAA55);
  uint8_t* fat = image.data() + kReserved * 512;
  store_le32(fat + 0, 0x0FFFFFF8);
  store_le32(fat + 4, kFatEndMark);
  store_le32(fat + 8, kFatEndMark);  // the root directory: one cluster
  return image;
}

// ---- the walk, in a kernel thread

struct Tally {
  uint64_t inputs = 0;
  uint64_t mounted = 0;
  uint64_t dirs = 0;
  uint64_t files = 0;
  uint64_t bytes = 0;
  std::map<std::string, uint64_t> refusals;  // the mount's errors, by errno
  std::map<std::string, uint64_t> errors;    // errors met while walking, by operation and errno
};

class Walker {
 public:
  Walker(Tally& tally, void* buffer) : m_tally(tally), m_buffer(buffer) {}

  // The first broken invariant, or empty.
  std::string run() {
    if (auto s = fs::vfs_statfs(); !s) note("statfs", s.error());
    else if (s->free_clusters > s->clusters)
      return fmt::format("statfs: {} free of {} clusters", s->free_clusters, s->clusters);
    std::vector<std::pair<std::string, uint32_t>> pending{{"/", 0}};
    while (!pending.empty() && m_problem.empty()) {
      const auto [dir, depth] = pending.back();
      pending.pop_back();
      for (const fs::DirEntry& e : list(dir)) {
        if (m_visited >= kMaxEntries || !m_problem.empty()) break;
        const std::string_view name(e.name, e.name_len);
        if (name == "." || name == ".." || name.empty() || name.find('/') != name.npos || name.find('\0') != name.npos)
          continue;  // not a child a path can name
        ++m_visited;
        const std::string path = (dir == "/" ? dir : dir + "/") + std::string(name);
        auto stat = fs::vfs_stat(path.c_str());
        if (!stat) {
          note("stat", stat.error());
          continue;
        }
        if (stat->type == fs::InodeType::kDir) {
          if (depth < kMaxDepth) pending.emplace_back(path, depth + 1);
        } else {
          read_file(path);
        }
      }
    }
    return m_problem;
  }

 private:
  void note(const char* operation, Errno e) { ++m_tally.errors[fmt::format("{} {}", operation, errno_name(e))]; }

  std::vector<fs::DirEntry> list(const std::string& path) {
    std::vector<fs::DirEntry> entries;
    auto dir = fs::vfs_open(path.c_str(), fs::O_RDONLY | fs::O_DIRECTORY);
    if (!dir) {
      note("opendir", dir.error());
      return entries;
    }
    ++m_tally.dirs;
    auto* chunk = static_cast<fs::DirEntry*>(m_buffer);
    const auto capacity = uint32_t(kBufferBytes / sizeof(fs::DirEntry));
    while (entries.size() < kMaxEntriesPerDir) {
      auto count = fs::vfs_readdir(*dir, chunk, capacity);
      if (!count) {
        note("readdir", count.error());
        break;
      }
      if (*count == 0) break;
      if (*count > capacity) {
        m_problem = fmt::format("readdir {}: {} entries for room for {}", path, *count, capacity);
        break;
      }
      for (uint32_t i = 0; i < *count; ++i)
        if (chunk[i].name_len > fs::kNameMax || chunk[i].name[chunk[i].name_len] != '\0')
          m_problem = fmt::format("readdir {}: a name of {} bytes", path, chunk[i].name_len);
      entries.insert(entries.end(), chunk, chunk + *count);
    }
    if (auto closed = fs::vfs_close(*dir); !closed)
      m_problem = fmt::format("close {}: {}", path, errno_name(closed.error()));
    return entries;
  }

  void read_file(const std::string& path) {
    auto file = fs::vfs_open(path.c_str(), fs::O_RDONLY);
    if (!file) {
      note("open", file.error());
      return;
    }
    ++m_tally.files;
    const auto stat = fs::vfs_fstat(*file);
    if (!stat) {
      m_problem = fmt::format("fstat {}: {} on an open file", path, errno_name(stat.error()));
    } else {
      const auto buffer = hal::Xptr<void>(hal::local_cxy(), m_buffer);
      uint64_t total = 0;
      bool whole = true;
      for (;;) {
        if (m_read >= kMaxBytesRead) {
          whole = false;
          break;
        }
        auto count = fs::vfs_read(*file, buffer, kBufferBytes);
        if (!count) {
          note("read", count.error());
          whole = false;
          break;
        }
        if (*count == 0) break;
        if (*count > kBufferBytes) {
          m_problem = fmt::format("read {}: {} bytes into {}", path, *count, kBufferBytes);
          break;
        }
        total += *count;
        m_read += *count;
      }
      m_tally.bytes += total;
      if (whole && m_problem.empty() && total != stat->size)
        m_problem = fmt::format("read {}: {} bytes to the end of a file of {}", path, total, stat->size);
    }
    if (auto closed = fs::vfs_close(*file); !closed && m_problem.empty())
      m_problem = fmt::format("close {}: {}", path, errno_name(closed.error()));
  }

  Tally& m_tally;
  void* m_buffer;  // kBufferBytes of kernel memory on the walker's cluster
  uint32_t m_visited = 0;
  uint64_t m_read = 0;
  std::string m_problem;
};

// ---- the machine, booted once

constexpr std::string_view kFsKcmTypes[] = {"inode", "dentry", "file", "mapper", "radix-node", "fat-context"};

struct Fuzzer {
  Disk disk;
  std::unique_ptr<Machine> machine;
  uint32_t io_cxy = 0;             // mounts and unmounts (the I/O cluster)
  uint32_t walk_cxy = 0;           // walks: another cluster, so that the VFS works remotely too
  std::vector<uint64_t> baseline;  // the file system's kcm objects with no volume mounted
  Tally tally;

  std::vector<uint64_t> fs_objects() const {
    std::vector<uint64_t> counts;
    for (const ClusterReport& cluster : machine->report().clusters)
      for (const KcmReport& kcm : cluster.kcm)
        if (std::find(std::begin(kFsKcmTypes), std::end(kFsKcmTypes), kcm.type) != std::end(kFsKcmTypes))
          counts.push_back(kcm.in_use);
    return counts;
  }
};

Fuzzer* g_fuzzer = nullptr;

void print_tally_and_shut_down() {
  Fuzzer* f = g_fuzzer;
  if (f == nullptr) return;
  const Tally& t = f->tally;
  std::string summary =
      fmt::format("fat32_fuzz: {} inputs, {} mounted, {} directories listed, {} files read ({} bytes)", t.inputs,
                  t.mounted, t.dirs, t.files, t.bytes);
  for (const auto& [e, n] : t.refusals) summary += fmt::format("\n  mount refused {}: {}", e, n);
  for (const auto& [e, n] : t.errors) summary += fmt::format("\n  walk {}: {}", e, n);
  std::fprintf(stderr, "%s\n", summary.c_str());
  g_fuzzer = nullptr;
  f->machine->shutdown();
  delete f;
}

void one_input(Fuzzer& f, const uint8_t* data, std::size_t size) {
  ++f.tally.inputs;
  f.disk.load(data, size);
  auto mounted = boot::mount_disk(f.io_cxy, false);  // the volume alone
  if (!mounted) {
    if (mounted.error().message.empty())
      fail(fmt::format("the mount was refused without a message ({})", errno_name(mounted.error().code)));
    ++f.tally.refusals[std::string(errno_name(mounted.error().code))];
  } else {
    ++f.tally.mounted;
    std::string problem;
    auto walked = boot::run_in_kernel(f.walk_cxy, [&] {
      auto buffer = mm::PageBlock::alloc(kBufferOrder);
      if (!buffer) {
        problem = "no memory for the walk's buffer";
        return;
      }
      problem = Walker(f.tally, buffer->base()).run();
    });
    if (!walked) fail(fmt::format("cannot start the walk: {}", errno_name(walked.error())));
    if (!problem.empty()) fail(problem);
    if (auto unmounted = boot::unmount_disk(f.io_cxy); !unmounted)
      fail(fmt::format("unmount after a read-only walk: {}", errno_name(unmounted.error())));
  }
  if (const std::string changed = f.disk.changes(); !changed.empty())
    fail(fmt::format("the image changed in a read-only session ({}): {}",
                     mounted ? "mounted, walked, unmounted" : fmt::format("mount refused: {}", mounted.error().text()),
                     changed));
  if (f.fs_objects() != f.baseline) fail("file-system objects outlive the unmount");
}

}  // namespace

// Every report halts, with its stack.
extern "C" const char* __ubsan_default_options() { return "halt_on_error=1:print_stacktrace=1"; }

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  auto* f = new Fuzzer;
  const std::vector<uint8_t> volume = boot_volume();
  f->disk.load(volume.data(), volume.size());
  MachineConfig config;
  config.topology = Topology{.x_size = 2, .y_size = 1, .cores_per_cluster = 1};
  config.bank_mib = 64;
  config.quiet = true;
  config.console_fd = -1;
  config.disk_image = f->disk.path();
  auto machine = Machine::boot(config);
  if (!machine) fail(fmt::format("boot: {}", machine.error().text()));
  f->machine = std::move(*machine);
  f->io_cxy = f->machine->clusters().front();
  f->walk_cxy = f->machine->clusters().back();
  // Every input mounts its own volume.
  if (auto unmounted = boot::unmount_disk(f->io_cxy); !unmounted)
    fail(fmt::format("unmount of the boot volume: {}", errno_name(unmounted.error())));
  f->baseline = f->fs_objects();
  g_fuzzer = f;
  std::atexit(print_tally_and_shut_down);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  one_input(*g_fuzzer, data, size);
  return 0;
}
