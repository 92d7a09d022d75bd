// The VFS tests' fixture: a machine booted on a FAT32 image made by mkfs.fat and mcopy,
// judged by fsck.fat and read back by mtools after the machine is gone; files of a known
// pattern written and checked from kernel threads. Test support, host memory.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include "fat_image.hpp"
#include "fs/vfs/vfs.hpp"
#include "kcheck.hpp"
#include "machine_fixture.hpp"
#include "mm/kmem.hpp"

namespace mkh::test {

// A page block of the calling kernel thread's cluster, as a buffer.
struct KernelBuffer {
  explicit KernelBuffer(uint32_t order) : block(mm::PageBlock::alloc(order)) {}
  uint8_t* data() { return static_cast<uint8_t*>(block->base()); }
  hal::Xptr<void> xptr() { return hal::Xptr<void>(hal::local_cxy(), block->base()); }
  Result<mm::PageBlock> block;
};

inline uint8_t pattern(uint64_t at, uint32_t seed) { return uint8_t((at * 131 + seed * 7 + (at >> 9)) & 0xFF); }

class VfsTest : public MachineTest {
 protected:
  // A FAT32 image of `mib` MiB (`sectors_per_cluster` sectors of 512 B a cluster); the host
  // files of `files` (path in the image -> bytes) copied in by mcopy.
  std::string make_image(uint32_t mib, uint32_t sectors_per_cluster,
                         const std::vector<std::pair<std::string, std::string>>& files = {}) {
    const std::string image = m_dir.path("disk.img");
    must_run(fat_tool("mkfs.fat", "dosfstools") + " -C -F 32 -s " + std::to_string(sectors_per_cluster) + " " + image +
             " " + std::to_string(mib * 1024) + " >/dev/null");
    const std::string mcopy = fat_tool("mcopy", "mtools");
    const std::string mmd = fat_tool("mmd", "mtools");
    for (const auto& [path, bytes] : files) {
      if (path.back() == '/') {
        must_run(mmd + " -i " + image + " ::" + path.substr(0, path.size() - 1));
        continue;
      }
      const std::string host = m_dir.path("host-file");
      std::ofstream(host, std::ios::binary) << bytes;
      must_run(mcopy + " -i " + image + " " + host + " '::" + path + "'");
    }
    return image;
  }

  void boot_disk(Topology topology, const std::string& image, uint64_t bank_mib = 16) {
    MachineConfig config = quiet_config(topology, bank_mib);
    config.disk_image = image;
    boot_config(config);
  }

  // After shutdown: fsck.fat -n finds nothing to say.
  void expect_fsck_clean(const std::string& image) {
    int status = 0;
    const std::string output = run_command(fat_tool("fsck.fat", "dosfstools") + " -n " + image + " 2>&1", &status);
    EXPECT_EQ(status, 0) << output;
  }

  std::string mcopy_out(const std::string& image, const std::string& path) {
    const std::string host = m_dir.path("read-back");
    must_run(fat_tool("mcopy", "mtools") + " -n -o -i " + image + " '::" + path + "' " + host);
    std::ifstream in(host, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  TempDir m_dir;
};

// Writes `bytes` bytes of pattern(seed) to `path` (created), in writes of `chunk` bytes.
inline void write_file(const char* path, uint64_t bytes, uint32_t seed, uint64_t chunk = 4096) {
  KernelBuffer buffer(4);
  KCHECK(buffer.block.has_value());
  if (!buffer.block) return;
  auto file = fs::vfs_open(path, fs::O_WRONLY | fs::O_CREAT | fs::O_TRUNC);
  KCHECK_OK(file);
  if (!file) return;
  for (uint64_t at = 0; at < bytes;) {
    const uint64_t n = std::min({chunk, bytes - at, uint64_t(16 * hal::kPageSize)});
    for (uint64_t i = 0; i < n; ++i) buffer.data()[i] = pattern(at + i, seed);
    auto written = fs::vfs_write(*file, buffer.xptr(), n);
    KCHECK_OK(written);
    if (!written) break;
    at += n;
  }
  KCHECK_OK(fs::vfs_close(*file));
}

// Reads `path` whole and checks it is `bytes` bytes of pattern(seed).
inline void check_file(const char* path, uint64_t bytes, uint32_t seed) {
  KernelBuffer buffer(4);
  KCHECK(buffer.block.has_value());
  if (!buffer.block) return;
  auto file = fs::vfs_open(path, fs::O_RDONLY);
  KCHECK_OK(file);
  if (!file) return;
  uint64_t at = 0;
  for (;;) {
    auto got = fs::vfs_read(*file, buffer.xptr(), 16 * hal::kPageSize);
    KCHECK_OK(got);
    if (!got || *got == 0) break;
    for (uint64_t i = 0; i < *got; ++i)
      if (buffer.data()[i] != pattern(at + i, seed)) {
        KCHECK_FAIL("{}: byte {} differs", path, at + i);
        break;
      }
    at += *got;
  }
  KCHECK_EQ(at, bytes);
  KCHECK_OK(fs::vfs_close(*file));
}

}  // namespace mkh::test
