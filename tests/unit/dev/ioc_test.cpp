// ctest-label: concurrency
// The device layer: ioc over a temporary disk image read and written from kernel threads of
// every cluster and by many concurrent clients (every byte checked, on the image too),
// ranges past the end, a machine without a disk, vectored requests, host-thread direct runs,
// boot refusals, txt0's output, and a shutdown that does not wait for the DEV threads.
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "dev/chdev.hpp"
#include "dev/dev.hpp"
#include "dev/ioc.hpp"
#include "dev/txt.hpp"
#include "kcheck.hpp"
#include "machine_fixture.hpp"
#include "mm/kmem.hpp"

namespace mkh::test {
namespace {

using dev::kSectorSize;

uint8_t pattern(uint64_t offset, uint32_t generation) {
  return uint8_t(((offset * 2654435761u) >> 9) + (offset >> 9) * 7 + generation * 37);
}

// A temporary file of `sectors` sectors filled with pattern(., 0); removed at the end.
class TempImage {
 public:
  explicit TempImage(uint64_t bytes) {
    char name[] = "/tmp/mkh-ioc-XXXXXX";
    const int fd = ::mkstemp(name);
    EXPECT_GE(fd, 0);
    m_path = name;
    std::vector<uint8_t> data(bytes);
    for (uint64_t i = 0; i < bytes; ++i) data[i] = pattern(i, 0);
    EXPECT_EQ(::write(fd, data.data(), data.size()), ssize_t(data.size()));
    ::close(fd);
  }
  ~TempImage() { ::unlink(m_path.c_str()); }
  const std::string& path() const { return m_path; }
  std::vector<uint8_t> contents() const {
    std::vector<uint8_t> data;
    FILE* f = std::fopen(m_path.c_str(), "rb");
    if (f == nullptr) return data;
    for (int c = std::fgetc(f); c != EOF; c = std::fgetc(f)) data.push_back(uint8_t(c));
    std::fclose(f);
    return data;
  }

 private:
  std::string m_path;
};

constexpr uint64_t kImageSectors = 4096;  // 2 MiB

class IocTest : public MachineTest {
 protected:
  void boot_disk(Topology topology, const std::string& path) {
    MachineConfig config = quiet_config(topology);
    config.disk_image = path;
    config.mount_disk = false;  // a raw disk: no file system on it
    boot_config(config);
  }
  const DeviceReport* device(const MachineReport& report, const std::string& name) {
    for (const DeviceReport& d : report.devices)
      if (d.name == name) return &d;
    return nullptr;
  }
};

// A local page block for a kernel thread's buffer, freed at the end of its scope.
struct LocalBuffer {
  explicit LocalBuffer(uint32_t order) : block(mm::PageBlock::alloc(order)) {}
  uint8_t* data() { return static_cast<uint8_t*>(block->base()); }
  hal::Xptr<void> xptr(uint64_t offset = 0) { return hal::Xptr<void>(hal::local_cxy(), data() + offset); }
  Result<mm::PageBlock> block;
};

TEST_F(IocTest, ReadsAndWritesFromEveryCluster) {
  TempImage image(kImageSectors * kSectorSize);
  boot_disk({2, 2, 2}, image.path());
  {
    ThreadRunner runner(machine());
    runner.start_on_every_core([](uint32_t, uint32_t, uint32_t index) {
      KCHECK_EQ(dev::ioc_sector_count(), kImageSectors);
      LocalBuffer buffer(1);  // 8 KiB = 16 sectors
      KCHECK(buffer.block.has_value());
      if (!buffer.block) return;
      const uint64_t lba = uint64_t(index) * 16;
      KCHECK_OK(dev::ioc_read(lba, buffer.xptr(), 16));
      for (uint32_t i = 0; i < 16 * kSectorSize; ++i) {
        if (buffer.data()[i] != pattern(lba * kSectorSize + i, 0)) {
          KCHECK_FAIL("thread {}: byte {} of sector {} differs", index, i, lba);
          return;
        }
      }
      for (uint32_t i = 0; i < 16 * kSectorSize; ++i) buffer.data()[i] = pattern(lba * kSectorSize + i, 1 + index);
      KCHECK_OK(dev::ioc_write(lba, buffer.xptr(), 16));
      std::memset(buffer.data(), 0, 16 * kSectorSize);
      KCHECK_OK(dev::ioc_read(lba, buffer.xptr(), 16));
      for (uint32_t i = 0; i < 16 * kSectorSize; ++i)
        if (buffer.data()[i] != pattern(lba * kSectorSize + i, 1 + index)) {
          KCHECK_FAIL("thread {}: byte {} written then read back differs", index, i);
          return;
        }
    });
  }
  const MachineReport report = machine().report();
  const DeviceReport* ioc = device(report, "ioc0");
  ASSERT_NE(ioc, nullptr);
  EXPECT_EQ(ioc->commands, 8u * 3);
  EXPECT_EQ(ioc->bytes, 8u * 3 * 16 * kSectorSize);
  EXPECT_EQ(ioc->errors, 0u);
  EXPECT_EQ(ioc->cxy, 0u);
  shutdown_and_check();
  const std::vector<uint8_t> disk = image.contents();
  ASSERT_EQ(disk.size(), kImageSectors * kSectorSize);
  for (uint64_t offset = 0; offset < disk.size(); ++offset) {
    const uint64_t sector = offset / kSectorSize;
    const uint32_t generation = sector < 8 * 16 ? uint32_t(1 + sector / 16) : 0;
    ASSERT_EQ(disk[offset], pattern(offset, generation)) << "offset " << offset;
  }
}

TEST_F(IocTest, ConcurrentClientsOfEveryClusterSeeTheirOwnBytes) {
  TempImage image(kImageSectors * kSectorSize);
  boot_disk({2, 2, 2}, image.path());
  constexpr uint32_t kThreadsPerCore = 3;
  constexpr int kRounds = kSanitized ? 10 : 40;
  const uint32_t threads = uint32_t(machine().clusters().size()) * 2 * kThreadsPerCore;
  const uint64_t stripe = kImageSectors / threads;  // sectors of each thread
  StartLine start{int(threads)};
  {
    ThreadRunner runner(machine());
    uint32_t id = 0;
    for (uint32_t cxy : machine().clusters())
      for (uint32_t lid = 0; lid < 2; ++lid)
        for (uint32_t k = 0; k < kThreadsPerCore; ++k, ++id)
          runner.start(cxy, lid, [&, id] {
            LocalBuffer buffer(1);
            KCHECK(buffer.block.has_value());
            start.arrive_and_wait();
            if (!buffer.block) return;
            for (int round = 0; round < kRounds; ++round) {
              const uint32_t count = 1 + uint32_t(round * 5 + id) % 16;
              const uint64_t lba = id * stripe + uint64_t(round * 3) % (stripe - count);
              const auto generation = uint32_t(2 + round);
              for (uint32_t i = 0; i < count * kSectorSize; ++i)
                buffer.data()[i] = pattern(lba * kSectorSize + i, generation + id);
              KCHECK_OK(dev::ioc_write(lba, buffer.xptr(), count));
              std::memset(buffer.data(), 0, count * kSectorSize);
              KCHECK_OK(dev::ioc_read(lba, buffer.xptr(), count));
              for (uint32_t i = 0; i < count * kSectorSize; ++i)
                if (buffer.data()[i] != pattern(lba * kSectorSize + i, generation + id)) {
                  KCHECK_FAIL("thread {} round {}: byte {} differs", id, round, i);
                  return;
                }
            }
          });
  }
  const MachineReport report = machine().report();
  const DeviceReport* ioc = device(report, "ioc0");
  ASSERT_NE(ioc, nullptr);
  EXPECT_EQ(ioc->commands, uint64_t(threads) * kRounds * 2);
  EXPECT_EQ(ioc->direct, 0u);  // every one through the DEV thread's queue
  EXPECT_EQ(ioc->errors, 0u);
  EXPECT_GE(ioc->queue_high_water, 1u);
}

TEST_F(IocTest, RangesPastTheEndAreIoErrors) {
  TempImage image(kImageSectors * kSectorSize);
  boot_disk({2, 1, 1}, image.path());
  {
    ThreadRunner runner(machine());
    runner.start(machine().clusters()[1], 0, [] {
      LocalBuffer buffer(0);
      KCHECK(buffer.block.has_value());
      if (!buffer.block) return;
      KCHECK_OK(dev::ioc_read(kImageSectors - 1, buffer.xptr(), 1));
      KCHECK_EQ(buffer.data()[0], pattern((kImageSectors - 1) * kSectorSize, 0));
      KCHECK_ERR(dev::ioc_read(kImageSectors - 1, buffer.xptr(), 2), Errno::kIo);
      KCHECK_ERR(dev::ioc_read(kImageSectors, buffer.xptr(), 1), Errno::kIo);
      KCHECK_ERR(dev::ioc_write(~uint64_t(0), buffer.xptr(), 1), Errno::kIo);
      KCHECK_ERR(dev::ioc_read(0, hal::Xptr<void>(), 1), Errno::kInval);
    });
  }
  const MachineReport report = machine().report();
  const DeviceReport* ioc = device(report, "ioc0");
  ASSERT_NE(ioc, nullptr);
  EXPECT_EQ(ioc->errors, 3u);
  EXPECT_EQ(ioc->commands, 4u);
}

TEST_F(IocTest, NoDiskIsNoDev) {
  boot({2, 1, 1});
  {
    ThreadRunner runner(machine());
    runner.start(machine().clusters()[1], 0, [] {
      LocalBuffer buffer(0);
      KCHECK_EQ(dev::ioc_sector_count(), 0u);
      KCHECK_ERR(dev::ioc_read(0, buffer.xptr(), 1), Errno::kNoDev);
      KCHECK_ERR(dev::ioc_write(0, buffer.xptr(), 1), Errno::kNoDev);
      const hal::Xptr<void> buffers[1] = {buffer.xptr()};
      KCHECK_ERR(dev::ioc_readv(0, buffers, 1, 4096), Errno::kNoDev);
    });
  }
  const MachineReport report = machine().report();
  EXPECT_EQ(device(report, "ioc0"), nullptr);
  EXPECT_NE(device(report, "txt0"), nullptr);
}

TEST_F(IocTest, VectoredRequestsMapEachBufferToItsSectors) {
  TempImage image(kImageSectors * kSectorSize);
  boot_disk({2, 2, 1}, image.path());
  {
    ThreadRunner runner(machine());
    runner.start(machine().clusters()[3], 0, [] {
      constexpr uint32_t kBuffers = dev::kIocBuffersPerCommand + 6;  // more than one command to the DEV thread
      constexpr uint32_t kEach = 512;
      LocalBuffer block(6);  // 256 KiB
      KCHECK(block.block.has_value());
      if (!block.block) return;
      // Buffer i at a scattered place of the block: the reverse order.
      std::vector<hal::Xptr<void>> buffers;
      for (uint32_t i = 0; i < kBuffers; ++i) buffers.push_back(block.xptr(uint64_t(kBuffers - 1 - i) * kEach));
      const uint64_t lba = 100;
      KCHECK_OK(dev::ioc_readv(lba, buffers.data(), kBuffers, kEach));
      for (uint32_t i = 0; i < kBuffers; ++i)
        for (uint32_t b = 0; b < kEach; ++b)
          if (block.data()[(kBuffers - 1 - i) * kEach + b] != pattern(lba * kSectorSize + i * kEach + b, 0)) {
            KCHECK_FAIL("buffer {} byte {} differs", i, b);
            return;
          }
      for (uint32_t i = 0; i < kBuffers; ++i)
        for (uint32_t b = 0; b < kEach; ++b)
          block.data()[(kBuffers - 1 - i) * kEach + b] = pattern(lba * kSectorSize + i * kEach + b, 9);
      KCHECK_OK(dev::ioc_writev(lba, buffers.data(), kBuffers, kEach));
      LocalBuffer check(6);
      KCHECK_OK(dev::ioc_read(lba, check.xptr(), kBuffers * kEach / kSectorSize));
      for (uint32_t i = 0; i < kBuffers * kEach; ++i)
        if (check.data()[i] != pattern(lba * kSectorSize + i, 9)) {
          KCHECK_FAIL("byte {} after writev differs", i);
          return;
        }
      KCHECK_ERR(dev::ioc_readv(lba, buffers.data(), kBuffers, 1000), Errno::kInval);
      KCHECK_ERR(dev::ioc_readv(lba, buffers.data(), 0, kEach), Errno::kInval);
      KCHECK_ERR(dev::ioc_readv(kImageSectors - 1, buffers.data(), 2, kEach), Errno::kIo);
    });
  }
  const MachineReport report = machine().report();
  const DeviceReport* ioc = device(report, "ioc0");
  ASSERT_NE(ioc, nullptr);
  EXPECT_EQ(ioc->commands, 2u + 2 + 1 + 1);  // two commands each way, the read, the failed one
}

TEST_F(IocTest, HostThreadsRunTheirCommandsThemselves) {
  TempImage image(kImageSectors * kSectorSize);
  boot_disk({1, 1, 1}, image.path());
  hal::ClusterScope scope(0);
  mm::Page* page = *mm::kmem_alloc_pages(0);
  auto* data = static_cast<uint8_t*>(mm::kmem_page_base(page));
  const hal::Xptr<void> buffer(0, data);
  {
    hal::ClusterScope outside(hal::kInvalidCxy);  // a host thread outside the machine
    ASSERT_TRUE(dev::ioc_read(7, buffer, 8).has_value());
    for (uint32_t i = 0; i < 8 * kSectorSize; ++i) ASSERT_EQ(data[i], pattern(7 * kSectorSize + i, 0));
    const hal::Xptr<void> buffers[2] = {buffer, hal::Xptr<void>(0, data + 2048)};
    ASSERT_TRUE(dev::ioc_readv(0, buffers, 2, 2048).has_value());
    for (uint32_t i = 0; i < 4096; ++i) ASSERT_EQ(data[i], pattern(i, 0));
  }
  mm::kmem_free_pages(page);
  const MachineReport report = machine().report();
  const DeviceReport* ioc = device(report, "ioc0");
  ASSERT_NE(ioc, nullptr);
  EXPECT_EQ(ioc->direct, 2u);
}

TEST(IocBoot, RefusesAMissingImageByName) {
  MachineConfig config = quiet_config({1, 1, 1});
  config.disk_image = "/nonexistent/mkh-disk.img";
  auto machine = Machine::boot(config);
  ASSERT_FALSE(machine.has_value());
  EXPECT_EQ(machine.error().code, Errno::kNoEnt);
  EXPECT_EQ(machine.error().message, "cannot open disk image /nonexistent/mkh-disk.img: No such file or directory");
}

TEST(IocBoot, RefusesASizeThatIsNotWholeSectors) {
  TempImage image(1000);
  MachineConfig config = quiet_config({1, 1, 1});
  config.disk_image = image.path();
  auto machine = Machine::boot(config);
  ASSERT_FALSE(machine.has_value());
  EXPECT_EQ(machine.error().code, Errno::kInval);
  EXPECT_EQ(machine.error().message, "disk image " + image.path() + ": size 1000 is not a multiple of 512");
  // The refused boot released everything: the next one boots.
  TempImage good(kSectorSize * 4);
  config.disk_image = good.path();
  config.mount_disk = false;
  auto again = Machine::boot(config);
  ASSERT_TRUE(again.has_value()) << again.error();
  const MachineReport report = (*again)->shutdown();
  ASSERT_EQ(report.devices.size(), 2u);
  for (const ClusterReport& c : report.clusters) EXPECT_EQ(c.pages_leaked, 0);
}

TEST_F(IocTest, Txt0WritesTheKernelConsole) {
  char name[] = "/tmp/mkh-txt-XXXXXX";
  const int fd = ::mkstemp(name);
  ASSERT_GE(fd, 0);
  MachineConfig config = quiet_config({2, 2, 1});
  config.console_fd = fd;
  boot_config(config);
  const std::vector<uint32_t> machine_clusters = machine().clusters();
  {
    ThreadRunner runner(machine());
    for (uint32_t cxy : machine().clusters())
      runner.start(cxy, 0, [cxy] {
        LocalBuffer buffer(0);
        const int length = std::snprintf(reinterpret_cast<char*>(buffer.data()), 64, "hello from %#x\n", cxy);
        KCHECK_OK(dev::txt_write(0, buffer.xptr(), uint32_t(length)));
        KCHECK_ERR(dev::txt_write(1, buffer.xptr(), uint32_t(length)), Errno::kNoDev);  // no user terminal yet
        KCHECK_ERR(dev::txt_write(dev::kTxtChannels, buffer.xptr(), 1), Errno::kNoDev);
      });
  }
  shutdown_and_check();
  std::string text(4096, '\0');
  const ssize_t got = ::pread(fd, text.data(), text.size(), 0);
  ::close(fd);
  ::unlink(name);
  ASSERT_GT(got, 0);
  text.resize(std::size_t(got));
  std::size_t expected = 0;
  for (uint32_t cxy : machine_clusters) {
    char line[32];
    expected += std::size_t(std::snprintf(line, sizeof line, "hello from %#x\n", cxy));
    EXPECT_NE(text.find(line), std::string::npos) << line << " missing from: " << text;
  }
  EXPECT_EQ(text.size(), expected);  // nothing else, nothing twice
}

TEST_F(IocTest, ShutdownDoesNotWaitOutItsGraceForTheDevThreads) {
  TempImage image(kImageSectors * kSectorSize);
  boot_disk({2, 2, 2}, image.path());
  const auto start = std::chrono::steady_clock::now();
  const MachineReport report = machine().shutdown(std::chrono::seconds(30));
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_LT(took, std::chrono::seconds(10));
  EXPECT_EQ(report.threads_left, 0u);
  m_machine.reset();
}

}  // namespace
}  // namespace mkh::test
