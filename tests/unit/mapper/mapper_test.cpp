// ctest-label: concurrency
// The mapper over a fake file system (a host buffer as the "disk", counting its calls):
// get_page from every cluster to every cluster (RPC 25 remote, the local path, their error
// paths), move_buffer across page boundaries (RPC 24), read-ahead (synchronous and
// asynchronous: its failure, truncate and destroy while a load is in flight), dirty pages and
// sync, truncate, and concurrent readers and writers of one mapper from several clusters.
#include <atomic>
#include <chrono>
#include <cstring>
#include <functional>
#include <mutex>
#include <vector>

#include <gtest/gtest.h>

#include "kcheck.hpp"
#include "kern/sched.hpp"
#include "machine_fixture.hpp"
#include "mm/kmem.hpp"
#include "mm/mapper/mapper.hpp"
#include "mm/mapper/services.hpp"

namespace mkh::test {
namespace {

using mapper::Mapper;
constexpr uint64_t kPage = hal::kPageSize;

uint8_t pattern(uint64_t offset, uint32_t generation) {
  return uint8_t(((offset * 2246822519u) >> 11) + (offset >> 12) * 13 + generation * 101);
}

// The fake file system: its disk, its read-ahead, what it was asked.
struct FakeFs {
  std::vector<uint8_t> disk;  // pages past its end load as zeroes
  uint32_t readahead = 1;
  uint32_t fail_from = ~0u;              // loads of pages at or past this fail with kIo
  uint32_t load_delay_us = 0;            // a planned move yields its core this long first (a slow disk)
  std::atomic<bool> fail_stores{false};  // planned stores fail with kIo
  // The planned stores after these many wait (yielding) until allowed, or 5 s at most (a
  // writer that waits for a held store cannot hang its test).
  std::atomic<uint32_t> stores_allowed{~0u};
  std::atomic<uint32_t> stores_begun{0};
  std::mutex disk_lock;  // planned moves use the disk with no mapper lock held
  std::atomic<uint64_t> load_calls{0};
  std::atomic<uint64_t> planned_loads{0};
  std::atomic<uint64_t> planned_stores{0};
  std::atomic<uint64_t> pages_stored{0};
  std::atomic<uint64_t> pages_loaded{0};
  std::atomic<uint64_t> sync_calls{0};
  std::vector<std::pair<uint32_t, uint32_t>> written;  // (first, count) of each write-back: under the mapper's lock

  explicit FakeFs(uint64_t bytes) : disk(bytes) {
    for (uint64_t i = 0; i < bytes; ++i) disk[i] = pattern(i, 0);
  }
  static FakeFs* of(Mapper* mapper) { return reinterpret_cast<FakeFs*>(uintptr_t(mapper->m_owner)); }

  static Result<void> move_pages(Mapper* mapper, uint32_t first, mm::Page* const* pages, uint32_t count,
                                 bool to_memory) {
    FakeFs* fs = of(mapper);
    if (to_memory && first + count > fs->fail_from) return error(Errno::kIo);
    std::lock_guard<std::mutex> guard(fs->disk_lock);
    for (uint32_t i = 0; i < count; ++i) {
      auto* bytes = static_cast<uint8_t*>(mm::kmem_page_base(pages[i]));
      const uint64_t at = uint64_t(first + i) * kPage;
      if (to_memory) {
        std::memset(bytes, 0, kPage);  // every byte is the file system's to write
        if (at < fs->disk.size()) std::memcpy(bytes, fs->disk.data() + at, std::min(kPage, fs->disk.size() - at));
      } else {
        if (at + kPage > fs->disk.size()) fs->disk.resize(at + kPage);
        std::memcpy(fs->disk.data() + at, bytes, kPage);
      }
    }
    if (to_memory) {
      fs->load_calls.fetch_add(1);
      fs->pages_loaded.fetch_add(count);
    } else {
      fs->sync_calls.fetch_add(1);
      fs->written.emplace_back(first, count);
    }
    return {};
  }
  // As a file system does: no further than the file's end (one page at or past it).
  static uint32_t readahead_of(Mapper* mapper, uint32_t index) {
    FakeFs* fs = of(mapper);
    std::lock_guard<std::mutex> guard(fs->disk_lock);
    const uint64_t pages = (fs->disk.size() + kPage - 1) / kPage;
    return index >= pages ? 1 : uint32_t(std::min<uint64_t>(fs->readahead, pages - index));
  }
  // The plan of a page is its byte offset on the disk: for a load, whole pages of the disk.
  static uint32_t plan_move(Mapper* mapper, uint32_t first, uint32_t count, bool to_memory, uint64_t* plan) {
    FakeFs* fs = of(mapper);
    std::lock_guard<std::mutex> guard(fs->disk_lock);
    uint32_t i = 0;
    for (; i < count && (!to_memory || uint64_t(first + i + 1) * kPage <= fs->disk.size()); ++i)
      plan[i] = uint64_t(first + i) * kPage;
    return i;
  }
  static Result<void> move_planned(Mapper* mapper, uint32_t first, mm::Page* const* pages, const uint64_t* plan,
                                   uint32_t count, bool to_memory) {
    FakeFs* fs = of(mapper);
    const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(fs->load_delay_us);
    while (std::chrono::steady_clock::now() < until) kern::sched_yield();
    if (!to_memory) {
      const uint32_t store = fs->stores_begun.fetch_add(1);
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
      while (store >= fs->stores_allowed.load() && std::chrono::steady_clock::now() < deadline) kern::sched_yield();
    }
    if (to_memory ? first + count > fs->fail_from : fs->fail_stores.load()) return error(Errno::kIo);
    std::lock_guard<std::mutex> guard(fs->disk_lock);
    for (uint32_t i = 0; i < count; ++i) {
      auto* bytes = static_cast<uint8_t*>(mm::kmem_page_base(pages[i]));
      if (!to_memory) {
        if (plan[i] + kPage > fs->disk.size()) fs->disk.resize(plan[i] + kPage);
        std::memcpy(fs->disk.data() + plan[i], bytes, kPage);
        continue;
      }
      std::memset(bytes, 0, kPage);
      if (plan[i] < fs->disk.size())
        std::memcpy(bytes, fs->disk.data() + plan[i], std::min(kPage, fs->disk.size() - plan[i]));
    }
    (to_memory ? fs->planned_loads : fs->planned_stores).fetch_add(1);
    (to_memory ? fs->pages_loaded : fs->pages_stored).fetch_add(count);
    return {};
  }
};

constexpr mapper::MapperOps kFakeOps = {&FakeFs::move_pages, &FakeFs::readahead_of, &FakeFs::plan_move,
                                        &FakeFs::move_planned};

class MapperTest : public MachineTest {
 protected:
  hal::Xptr<Mapper> create(uint32_t cxy, FakeFs* fs) {
    hal::ClusterScope scope(cxy);
    auto made = mapper::mapper_create(&kFakeOps, hal::xptr_t(reinterpret_cast<uintptr_t>(fs)));
    EXPECT_TRUE(made.has_value());
    return made ? hal::Xptr<Mapper>(cxy, *made) : hal::Xptr<Mapper>();
  }
  void destroy(hal::Xptr<Mapper> m) {
    hal::ClusterScope scope(m.cxy());
    mapper::mapper_destroy(m.host_ptr());
  }
  Result<void> sync(hal::Xptr<Mapper> m) {
    hal::ClusterScope scope(m.cxy());
    return mapper::mapper_sync(m.host_ptr());
  }
};

// A kernel thread's local buffer.
struct LocalBuffer {
  explicit LocalBuffer(uint32_t order) : block(mm::PageBlock::alloc(order)) {}
  uint8_t* data() { return static_cast<uint8_t*>(block->base()); }
  hal::xptr_t xptr(uint64_t offset = 0) { return hal::XPTR(hal::local_cxy(), data() + offset); }
  Result<mm::PageBlock> block;
};

TEST_F(MapperTest, GetPageFromEveryClusterToEveryCluster) {
  boot({2, 2, 1});
  const std::vector<uint32_t> clusters = machine().clusters();
  std::vector<std::unique_ptr<FakeFs>> files;
  std::vector<hal::Xptr<Mapper>> mappers;
  for (uint32_t cxy : clusters) {
    files.push_back(std::make_unique<FakeFs>(16 * kPage));
    files.back()->fail_from = 15;
    mappers.push_back(create(cxy, files.back().get()));
  }
  {
    ThreadRunner runner(machine());
    for (uint32_t c = 0; c < clusters.size(); ++c)
      runner.start(clusters[c], 0, [&, c] {
        LocalBuffer copy(0);
        KCHECK(copy.block.has_value());
        if (!copy.block) return;
        for (uint32_t t = 0; t < mappers.size(); ++t) {
          const uint32_t index = c * 2 + t % 2;
          auto page = mapper::mapper_get_page(mappers[t], index);
          KCHECK(page.has_value());
          if (!page) continue;
          KCHECK_EQ(page->cxy(), mappers[t].cxy());
          const hal::Xptr<void> base = mapper::mapper_page_base(*page);
          KCHECK_EQ(base.cxy(), mappers[t].cxy());
          hal::remote_memcpy(hal::Xptr<void>(copy.xptr()), base, kPage);
          for (uint64_t b = 0; b < kPage; ++b)
            if (copy.data()[b] != pattern(index * kPage + b, 0)) {
              KCHECK_FAIL("cluster {:#x} mapper {:#x} page {} byte {} differs", clusters[c], mappers[t].cxy(), index,
                          b);
              break;
            }
          // The same page again: a hit, the same descriptor.
          auto again = mapper::mapper_get_page(mappers[t], index);
          KCHECK(again.has_value() && *again == *page);
          // Error paths, remote and local alike.
          KCHECK_ERR(mapper::mapper_get_page(mappers[t], mapper::kMapperIndexLimit), Errno::kInval);
          KCHECK_ERR(mapper::mapper_get_page(hal::Xptr<Mapper>(), 0), Errno::kInval);
          KCHECK_ERR(mapper::rpc_mapper_get_page_client(mappers[t].cxy(), nullptr, 0), Errno::kInval);
          // A pointer of the server's bank that is no mapper (the mapper's own page).
          KCHECK_ERR(
              mapper::rpc_mapper_get_page_client(mappers[t].cxy(), reinterpret_cast<Mapper*>(base.host_ptr()), 0),
              Errno::kInval);
          KCHECK_ERR(mapper::rpc_mapper_move_buffer_client(mappers[t].cxy(), nullptr, true, false, 0, copy.xptr(), 8),
                     Errno::kInval);
          KCHECK_ERR(mapper::mapper_move_buffer(mappers[t], true, false, ~uint64_t(0) - 4, copy.xptr(), 8),
                     Errno::kInval);
          KCHECK_ERR(mapper::mapper_move_buffer(mappers[t], true, true, 0, copy.xptr(), 8), Errno::kNoSys);
        }
        // A load that fails gives its error and leaves the page absent.
        KCHECK_ERR(mapper::mapper_get_page(mappers[c], 15), Errno::kIo);
      });
  }
  const MachineReport report = machine().report();
  for (const ClusterReport& cluster : report.clusters) {
    uint64_t get_page_served = 0;
    uint64_t move_served = 0;
    uint64_t get_page_sent = 0;
    for (const RpcIndexReport& r : cluster.rpc) {
      if (r.name == "MAPPER_GET_PAGE") get_page_served = r.served, get_page_sent = r.sent;
      if (r.name == "MAPPER_MOVE_BUFFER") move_served = r.served;
    }
    EXPECT_GT(get_page_served, 0u) << "cluster " << cluster.cxy;
    EXPECT_GT(get_page_sent, 0u) << "cluster " << cluster.cxy;
    EXPECT_GT(move_served, 0u) << "cluster " << cluster.cxy;
  }
  for (std::size_t t = 0; t < mappers.size(); ++t) {
    const mapper::MapperStats s = mapper::mapper_stats(mappers[t]);
    EXPECT_EQ(s.pages, clusters.size() * 2 > 16 ? 16u : std::min<uint64_t>(clusters.size(), 16)) << t;
    EXPECT_EQ(s.hits, clusters.size());
    EXPECT_EQ(files[t]->pages_loaded.load(), s.pages);
    destroy(mappers[t]);
  }
}

TEST_F(MapperTest, MoveBufferAcrossPageBoundariesRemoteAndLocal) {
  boot({2, 1, 1});
  FakeFs fs(8 * kPage);
  const hal::Xptr<Mapper> m = create(machine().clusters()[1], &fs);
  {
    ThreadRunner runner(machine());
    // Every client reads before any writes: the remote one writes over bytes the others read.
    StartLine reads_done(int(machine().clusters().size()));
    for (uint32_t client : machine().clusters())
      runner.start(client, 0, [&, client] {
        LocalBuffer buffer(2);  // 16 KiB
        const bool remote = client != m.cxy();
        // Read 10 000 bytes from 4000: pages 0 to 3, none whole.
        const bool read = buffer.block.has_value() &&
                          mapper::mapper_move_buffer(m, true, false, 4000, buffer.xptr(), 10000).has_value();
        reads_done.arrive_and_wait();
        KCHECK(read);
        if (!read) return;
        for (uint64_t b = 0; b < 10000; ++b)
          if (buffer.data()[b] != pattern(4000 + b, 0)) {
            KCHECK_FAIL("read byte {} differs", b);
            return;
          }
        // Write 5000 bytes at a place of its own, read them back.
        const uint64_t at = remote ? 4090 : 4 * kPage + 100;
        for (uint64_t b = 0; b < 5000; ++b) buffer.data()[b] = pattern(at + b, 3);
        KCHECK_OK(mapper::mapper_move_buffer(m, false, false, at, buffer.xptr(), 5000));
        std::memset(buffer.data(), 0, 5000);
        KCHECK_OK(mapper::mapper_move_buffer(m, true, false, at, buffer.xptr(), 5000));
        for (uint64_t b = 0; b < 5000; ++b)
          if (buffer.data()[b] != pattern(at + b, 3)) {
            KCHECK_FAIL("written byte {} differs", b);
            return;
          }
      });
  }
  const uint64_t loads = fs.load_calls.load();
  {
    // Two whole pages past the end of the file (pages 10 and 11): created, not loaded.
    ThreadRunner runner(machine());
    runner.start(machine().clusters()[0], 0, [&] {
      LocalBuffer buffer(1);
      if (!buffer.block) return;
      for (uint64_t b = 0; b < 2 * kPage; ++b) buffer.data()[b] = pattern(10 * kPage + b, 5);
      KCHECK_OK(mapper::mapper_move_buffer(m, false, false, 10 * kPage, buffer.xptr(), 2 * kPage));
    });
  }
  EXPECT_EQ(fs.load_calls.load(), loads);
  EXPECT_EQ(mapper::mapper_stats(m).created, 2u);
  ASSERT_TRUE(sync(m).has_value());
  ASSERT_GE(fs.disk.size(), 12 * kPage);
  for (uint64_t b = 0; b < 12 * kPage; ++b) {
    uint32_t generation = 0;
    if (b >= 4090 && b < 4090 + 5000) generation = 3;
    if (b >= 4 * kPage + 100 && b < 4 * kPage + 5100) generation = 3;
    if (b >= 10 * kPage) generation = 5;
    const uint8_t expected = b >= 8 * kPage && b < 10 * kPage ? 0 : pattern(b, generation);
    if (b >= 8 * kPage && b < 10 * kPage) continue;  // pages 8, 9 never written: not in the mapper
    ASSERT_EQ(fs.disk[b], expected) << "byte " << b;
  }
  destroy(m);
}

TEST_F(MapperTest, ReadAheadLoadsConsecutiveAbsentPagesInOneCall) {
  boot({1, 1, 1});
  FakeFs fs(32 * kPage);
  fs.readahead = 4;
  const hal::Xptr<Mapper> m = create(0, &fs);
  hal::ClusterScope scope(0);
  Mapper* local = m.host_ptr();
  ASSERT_TRUE(mapper::mapper_get_page_local(local, 0).has_value());
  EXPECT_EQ(fs.load_calls.load(), 1u);
  EXPECT_EQ(fs.pages_loaded.load(), 4u);
  for (uint32_t i = 1; i < 4; ++i) ASSERT_TRUE(mapper::mapper_get_page_local(local, i).has_value());
  EXPECT_EQ(fs.load_calls.load(), 1u);
  // Page 6 present: a miss at 5 loads 5 alone (read-ahead stops at a present page).
  ASSERT_TRUE(mapper::mapper_get_page_local(local, 6).has_value());
  EXPECT_EQ(fs.pages_loaded.load(), 8u);  // 6, 7, 8, 9
  ASSERT_TRUE(mapper::mapper_get_page_local(local, 5).has_value());
  EXPECT_EQ(fs.pages_loaded.load(), 9u);
  EXPECT_EQ(fs.load_calls.load(), 3u);
  const mapper::MapperStats s = mapper::mapper_stats(m);
  EXPECT_EQ(s.pages, 9u);
  EXPECT_EQ(s.misses, 3u);
  EXPECT_EQ(s.hits, 3u);
  mapper::mapper_destroy(local);
}

// A sequential reader's window doubles from kMapperFirstReadahead up to kMapperMaxReadahead,
// whatever more the file system would allow; a miss elsewhere starts it again.
TEST_F(MapperTest, ReadAheadWindowGrowsForASequentialReader) {
  boot({1, 1, 1});
  FakeFs fs(4096 * kPage);
  fs.readahead = 1000;
  const hal::Xptr<Mapper> m = create(0, &fs);
  hal::ClusterScope scope(0);
  Mapper* local = m.host_ptr();
  uint32_t index = 100;
  uint64_t loaded = 0;
  for (uint32_t window : {64u, 128u, 256u, 256u}) {
    ASSERT_TRUE(mapper::mapper_get_page_local(local, index).has_value());
    loaded += window;
    EXPECT_EQ(fs.pages_loaded.load(), loaded) << "the miss at " << index;
    for (uint32_t i = 1; i < window; ++i) ASSERT_TRUE(mapper::mapper_get_page_local(local, index + i).has_value());
    index += window;
  }
  EXPECT_EQ(mapper::kMapperFirstReadahead, 64u);
  EXPECT_EQ(mapper::kMapperMaxReadahead, 256u);
  ASSERT_TRUE(mapper::mapper_get_page_local(local, 3000).has_value());  // elsewhere: the first window again
  EXPECT_EQ(fs.pages_loaded.load(), loaded + 64);
  EXPECT_EQ(fs.load_calls.load(), 5u);
  mapper::mapper_destroy(local);
}

// Pages a kcm cache (the radix nodes') may keep after its objects are freed.
constexpr uint64_t kNodeSlack = 4;

// Reads pages [first, first + count) of `m` (local) one by one, checks their bytes.
void read_pages(Mapper* m, uint32_t first, uint32_t count, LocalBuffer& buffer, uint32_t generation = 0) {
  for (uint32_t index = first; index < first + count; ++index) {
    KCHECK_OK(mapper::mapper_move_buffer_local(m, true, false, index * kPage, buffer.xptr(), kPage));
    for (uint64_t b = 0; b < kPage; b += 97)
      if (buffer.data()[b] != pattern(index * kPage + b, generation)) {
        KCHECK_FAIL("page {} byte {} differs", index, b);
        return;
      }
  }
}

// Free pages of the local cluster, once there are `at_least` or after 100 passes of the
// scheduler (it frees an exited thread's stack at its next pass).
uint64_t settled_free_pages(uint64_t at_least) {
  uint64_t free = 0;
  for (int pass = 0; pass < 100; ++pass) {
    free = mm::local_memory()->m_ppm.stats().free_pages;
    if (free >= at_least) break;
    kern::sched_yield();
  }
  return free;
}

// Runs fn(buffer) in a kernel thread of cluster 0 with a local buffer of 2^order pages, and
// waits for it.
void run_with_buffer(Machine& machine, uint32_t order, const std::function<void(LocalBuffer&)>& fn) {
  ThreadRunner runner(machine);
  runner.start(0, 0, [&] {
    LocalBuffer buffer(order);
    KCHECK(buffer.block.has_value());
    if (buffer.block) fn(buffer);
  });
}

TEST_F(MapperTest, ASequentialReaderHasTheNextWindowLoadedAsynchronously) {
  boot({1, 1, 1});
  FakeFs fs(2048 * kPage);
  fs.readahead = 1000;
  const hal::Xptr<Mapper> m = create(0, &fs);
  run_with_buffer(machine(), 4, [&](LocalBuffer& buffer) {  // 64 KiB, the chunk of `mkh fs get`
    for (uint64_t at = 0; at < fs.disk.size(); at += 16 * kPage) {
      KCHECK_OK(mapper::mapper_move_buffer(m, true, false, at, buffer.xptr(), 16 * kPage));
      for (uint64_t b = 0; b < 16 * kPage; ++b)
        if (buffer.data()[b] != pattern(at + b, 0)) {
          KCHECK_FAIL("byte {} differs", at + b);
          return;
        }
    }
  });
  const mapper::MapperStats s = mapper::mapper_stats(m);
  // Synchronous misses at 0 (64 pages) and 64 (128), then windows of 256 from 192 on, two
  // started as the reader enters the second miss's pages, then one each time it enters a
  // window: 192, 448, ..., 1984 (64 pages left).
  EXPECT_EQ(s.misses, 2u);
  EXPECT_EQ(s.async_loads, 8u);
  EXPECT_EQ(fs.planned_loads.load(), 8u);
  EXPECT_EQ(s.pages, 2048u);
  EXPECT_EQ(s.loaded, 2048u);
  EXPECT_EQ(fs.pages_loaded.load(), 2048u);  // every page once
  destroy(m);
}

TEST_F(MapperTest, SequentialReadersOnEveryClusterShareTheReadAhead) {
  boot({2, 2, 1});
  FakeFs fs(1024 * kPage);
  fs.readahead = 1000;
  fs.load_delay_us = 200;  // loads still in flight as other readers arrive
  const hal::Xptr<Mapper> m = create(machine().clusters()[1], &fs);
  {
    ThreadRunner runner(machine());
    runner.start_on_every_core([&](uint32_t, uint32_t, uint32_t id) {
      LocalBuffer buffer(4);
      KCHECK(buffer.block.has_value());
      if (!buffer.block) return;
      constexpr uint64_t kChunk = 16 * kPage;
      for (uint64_t at = 0; at < fs.disk.size(); at += kChunk) {
        KCHECK_OK(mapper::mapper_move_buffer(m, true, false, at, buffer.xptr(), kChunk));
        for (uint64_t b = id; b < kChunk; b += 61)
          if (buffer.data()[b] != pattern(at + b, 0)) {
            KCHECK_FAIL("reader {}: byte {} differs", id, at + b);
            return;
          }
      }
    });
  }
  const mapper::MapperStats s = mapper::mapper_stats(m);
  EXPECT_GE(s.async_loads, 1u);
  EXPECT_EQ(s.pages, 1024u);
  EXPECT_EQ(s.loaded, 1024u);
  EXPECT_EQ(fs.pages_loaded.load(), 1024u);  // no page loaded twice
  destroy(m);
}

TEST_F(MapperTest, AFailedAsynchronousLoadIsLoadedAgainAndItsErrorReported) {
  boot({1, 1, 1});
  FakeFs fs(1024 * kPage);
  fs.readahead = 1000;
  fs.fail_from = 600;  // the windows from 448 on fail; misses load 448..511, then 512..639 fails
  const hal::Xptr<Mapper> m = create(0, &fs);
  run_with_buffer(machine(), 0, [&](LocalBuffer& buffer) {
    const uint64_t free_at_start = mm::local_memory()->m_ppm.stats().free_pages;
    read_pages(m.host_ptr(), 0, 512, buffer);
    KCHECK_ERR(mapper::mapper_move_buffer_local(m.host_ptr(), true, false, 512 * kPage, buffer.xptr(), 1), Errno::kIo);
    const mapper::MapperStats s = mapper::mapper_stats(m);
    // 192..447 and 448..703 (failed) started at 64, 704..959 and 960..1023 (failed) at 192.
    KCHECK_EQ(s.async_loads, 4u);
    KCHECK_EQ(s.pages, 512u);  // the failed windows' pages dropped
    KCHECK_EQ(s.loaded, 512u);
    mapper::mapper_destroy(m.host_ptr());
    // Every page back (the movers' stacks too), but what the radix nodes' cache may keep.
    KCHECK(settled_free_pages(free_at_start - kNodeSlack) >= free_at_start - kNodeSlack);
  });
}

TEST_F(MapperTest, TruncateAndDestroyWaitForALoadInFlight) {
  boot({1, 1, 1});
  FakeFs fs(1024 * kPage);
  fs.readahead = 1000;
  fs.load_delay_us = 20000;  // the load is still running when the reader truncates
  const hal::Xptr<Mapper> m = create(0, &fs);
  run_with_buffer(machine(), 0, [&](LocalBuffer& buffer) {
    // Counted with the mapper and the buffer made, the mover thread not yet.
    const uint64_t free_at_start = mm::local_memory()->m_ppm.stats().free_pages;
    Mapper* local = m.host_ptr();
    read_pages(local, 0, 65, buffer);  // the miss at 64 starts the loads of 192..447 and 448..703
    KCHECK_EQ(mapper::mapper_stats(m).async_loads, 2u);
    KCHECK_EQ(fs.planned_loads.load(), 0u);  // both in flight
    mapper::mapper_truncate(local, 0);
    KCHECK_EQ(fs.planned_loads.load(), 2u);
    // The first waited for; the second, which ends about when the first does, maybe too.
    KCHECK(mapper::mapper_stats(m).async_waits >= 1u && mapper::mapper_stats(m).async_waits <= 2u);
    KCHECK_EQ(mapper::mapper_stats(m).pages, 0u);
    // Every page back but what the radix nodes' cache may keep.
    KCHECK(settled_free_pages(free_at_start - kNodeSlack) >= free_at_start - kNodeSlack);
    // Again, and the mapper destroyed while the load runs.
    read_pages(local, 0, 65, buffer);
    KCHECK_EQ(fs.planned_loads.load(), 2u);
    const uint64_t free_with_mapper = mm::local_memory()->m_ppm.stats().free_pages;
    mapper::mapper_destroy(local);
    KCHECK_EQ(fs.planned_loads.load(), 4u);
    // 0..191 loaded by misses, 192..703 by the read-ahead, and its two plans' pages.
    constexpr uint64_t kHeld = 192 + 2 * 256 + 2;
    KCHECK(settled_free_pages(free_with_mapper + kHeld) >= free_with_mapper + kHeld);
  });
}

// Writes pages [first, first + count) of `m` (local) in chunks of 16 pages, with
// `generation`'s bytes.
void write_pages(Mapper* m, uint32_t count, LocalBuffer& buffer, uint32_t generation, uint32_t first = 0) {
  constexpr uint64_t kChunk = 16 * kPage;
  for (uint64_t at = first * kPage; at < (first + count) * kPage; at += kChunk) {
    for (uint64_t b = 0; b < kChunk; ++b) buffer.data()[b] = pattern(at + b, generation);
    KCHECK_OK(mapper::mapper_move_buffer_local(m, false, false, at, buffer.xptr(), kChunk));
  }
}

// A kernel thread of cluster 0 writes pages [0, count) of `m` with `generation`'s bytes,
// then lets the planned stores succeed and syncs.
void write_then_sync(Machine& machine, hal::Xptr<Mapper> m, FakeFs& fs, uint32_t count, uint32_t generation) {
  run_with_buffer(machine, 4, [&](LocalBuffer& buffer) {
    write_pages(m.host_ptr(), count, buffer, generation);
    fs.fail_stores = false;
    // The last run's store may still be in flight: the sync waits for it.
    KCHECK_OK(mapper::mapper_sync(m.host_ptr()));
  });
}

void expect_disk(const FakeFs& fs, uint32_t pages, uint32_t generation) {
  ASSERT_EQ(fs.disk.size(), pages * kPage);
  for (uint64_t b = 0; b < fs.disk.size(); ++b) ASSERT_EQ(fs.disk[b], pattern(b, generation)) << b;
}

TEST_F(MapperTest, ASequentialWriterHasEachRunWrittenBehind) {
  boot({1, 1, 1});
  FakeFs fs(0);
  const hal::Xptr<Mapper> m = create(0, &fs);
  write_then_sync(machine(), m, fs, 1024, 5);
  const mapper::MapperStats s = mapper::mapper_stats(m);
  EXPECT_EQ(s.async_stores, 4u);  // at pages 255, 511, 767 and 1023
  EXPECT_EQ(fs.pages_stored.load(), 1024u);
  EXPECT_EQ(s.written_back, 1024u);
  EXPECT_EQ(s.sync_calls, 0u);  // nothing left dirty for the sync
  expect_disk(fs, 1024, 5);
  destroy(m);
}

TEST_F(MapperTest, ASequentialWriterHasTwoRunsInFlightAtMost) {
  boot({1, 1, 1});
  FakeFs fs(0);
  fs.stores_allowed = 0;  // every store held
  const hal::Xptr<Mapper> m = create(0, &fs);
  run_with_buffer(machine(), 4, [&](LocalBuffer& buffer) {
    Mapper* local = m.host_ptr();
    write_pages(local, 512, buffer, 8);
    // The second run's store queued behind the first: the writer did not wait.
    KCHECK_EQ(mapper::mapper_stats(m).async_stores, 2u);
    KCHECK_EQ(mapper::mapper_stats(m).async_waits, 0u);
    KCHECK_EQ(fs.planned_stores.load(), 0u);
    // The first may end (on this core, once the writer blocks); the second stays held.
    fs.stores_allowed = 1;
    write_pages(local, 256, buffer, 8, 512);
    // The third run's store waited for the oldest, the first run's.
    KCHECK_EQ(mapper::mapper_stats(m).async_stores, 3u);
    KCHECK_EQ(mapper::mapper_stats(m).async_waits, 1u);
    KCHECK_EQ(fs.planned_stores.load(), 1u);
    fs.stores_allowed = ~0u;
    KCHECK_OK(mapper::mapper_sync(local));
  });
  const mapper::MapperStats s = mapper::mapper_stats(m);
  EXPECT_EQ(fs.pages_stored.load(), 768u);
  EXPECT_EQ(s.written_back, 768u);
  EXPECT_EQ(s.sync_calls, 0u);
  expect_disk(fs, 768, 8);
  destroy(m);
}

TEST_F(MapperTest, AFailedWriteBehindLeavesItsPagesDirtyForTheSync) {
  boot({1, 1, 1});
  FakeFs fs(0);
  fs.fail_stores = true;  // until the sync
  const hal::Xptr<Mapper> m = create(0, &fs);
  write_then_sync(machine(), m, fs, 512, 6);
  const mapper::MapperStats s = mapper::mapper_stats(m);
  EXPECT_EQ(s.async_stores, 2u);
  EXPECT_EQ(fs.pages_stored.load(), 0u);  // both failed
  EXPECT_EQ(s.written_back, 512u);        // by the sync
  EXPECT_EQ(s.sync_calls, 2u);            // two runs of 256
  expect_disk(fs, 512, 6);
  destroy(m);
}

TEST_F(MapperTest, SyncWritesBackExactlyTheDirtyPagesInRuns) {
  boot({2, 1, 1});
  FakeFs fs(16 * kPage);
  const hal::Xptr<Mapper> m = create(machine().clusters()[1], &fs);
  {
    ThreadRunner runner(machine());
    runner.start(machine().clusters()[0], 0, [&] {
      LocalBuffer buffer(0);
      if (!buffer.block) return;
      std::memset(buffer.data(), 0xab, 16);
      for (uint32_t index : {1u, 2u, 5u})
        KCHECK_OK(mapper::mapper_move_buffer(m, false, false, index * kPage + 8, buffer.xptr(), 16));
      KCHECK_OK(mapper::mapper_move_buffer(m, true, false, 9 * kPage, buffer.xptr(), 16));  // read: stays clean
      auto page = mapper::mapper_get_page(m, 7);
      KCHECK(page.has_value());
      if (page) mapper::mapper_set_dirty(*page);  // a remote mark (a later VMM's write fault)
    });
  }
  ASSERT_TRUE(sync(m).has_value());
  const std::vector<std::pair<uint32_t, uint32_t>> expected = {{1, 2}, {5, 1}, {7, 1}};
  EXPECT_EQ(fs.written, expected);
  for (uint32_t index : {1u, 2u, 5u}) {
    EXPECT_EQ(fs.disk[index * kPage + 8], 0xab);
    EXPECT_EQ(fs.disk[index * kPage + 7], pattern(index * kPage + 7, 0));
  }
  fs.written.clear();
  ASSERT_TRUE(sync(m).has_value());  // nothing dirty any more
  EXPECT_TRUE(fs.written.empty());
  EXPECT_EQ(mapper::mapper_stats(m).written_back, 4u);
  destroy(m);
}

TEST_F(MapperTest, TruncateDropsThePagesFromAnIndexOn) {
  boot({1, 1, 1});
  FakeFs fs(16 * kPage);
  const hal::Xptr<Mapper> m = create(0, &fs);
  hal::ClusterScope scope(0);
  Mapper* local = m.host_ptr();
  for (uint32_t i = 0; i < 10; ++i) ASSERT_TRUE(mapper::mapper_get_page_local(local, i).has_value());
  const uint64_t free_before = mm::local_memory()->m_ppm.stats().free_pages;
  mapper::mapper_truncate(local, 4);
  EXPECT_EQ(mapper::mapper_stats(m).pages, 4u);
  EXPECT_EQ(mm::local_memory()->m_ppm.stats().free_pages, free_before + 6);
  for (uint32_t i = 0; i < 10; ++i) EXPECT_EQ(mapper::mapper_lookup(local, i) != nullptr, i < 4) << i;
  // A dropped page comes back from the file, not from the dropped copy.
  fs.disk[5 * kPage] = 0x5a;
  auto page = mapper::mapper_get_page_local(local, 5);
  ASSERT_TRUE(page.has_value());
  EXPECT_EQ(static_cast<uint8_t*>(mm::kmem_page_base(*page))[0], 0x5a);
  mapper::mapper_truncate(local, 0);
  EXPECT_EQ(mapper::mapper_stats(m).pages, 0u);
  EXPECT_EQ(local->m_tree.nodes(), 0u);
  mapper::mapper_destroy(local);
}

TEST_F(MapperTest, ConcurrentReadersAndWritersFromSeveralClusters) {
  boot({2, 2, 2});
  constexpr uint32_t kShared = 16;  // pages 0..15 only read
  constexpr uint32_t kOwn = 4;      // pages of each thread, written and read back
  const uint32_t threads = uint32_t(machine().clusters().size()) * 2;
  FakeFs fs((kShared + threads * kOwn) * kPage / 2);  // the written half past the end: zeroes
  fs.readahead = 3;
  const hal::Xptr<Mapper> m = create(machine().clusters()[1], &fs);
  constexpr int kRounds = kSanitized ? 5 : 30;
  StartLine start{int(threads)};
  {
    ThreadRunner runner(machine());
    runner.start_on_every_core([&](uint32_t, uint32_t, uint32_t id) {
      LocalBuffer buffer(3);  // 32 KiB
      KCHECK(buffer.block.has_value());
      start.arrive_and_wait();
      if (!buffer.block) return;
      const uint64_t own = (kShared + id * kOwn) * kPage;
      for (int round = 0; round < kRounds; ++round) {
        const uint64_t read_at = uint64_t(round * 1237 + id * 4111) % ((kShared - 2) * kPage);
        KCHECK_OK(mapper::mapper_move_buffer(m, true, false, read_at, buffer.xptr(), 2 * kPage));
        for (uint64_t b = 0; b < 2 * kPage; ++b)
          if (buffer.data()[b] != pattern(read_at + b, 0)) {
            KCHECK_FAIL("thread {} round {}: shared byte {} differs", id, round, read_at + b);
            return;
          }
        const uint64_t at = own + uint64_t(round * 977) % (kOwn * kPage / 2);
        const uint64_t size = kOwn * kPage / 2;
        for (uint64_t b = 0; b < size; ++b) buffer.data()[b] = pattern(at + b, uint32_t(round + 1));
        KCHECK_OK(mapper::mapper_move_buffer(m, false, false, at, buffer.xptr(), size));
        std::memset(buffer.data(), 0, size);
        KCHECK_OK(mapper::mapper_move_buffer(m, true, false, at, buffer.xptr(), size));
        for (uint64_t b = 0; b < size; ++b)
          if (buffer.data()[b] != pattern(at + b, uint32_t(round + 1))) {
            KCHECK_FAIL("thread {} round {}: own byte {} differs", id, round, at + b);
            return;
          }
      }
    });
  }
  const mapper::MapperStats s = mapper::mapper_stats(m);
  EXPECT_LE(s.pages, uint64_t(kShared + threads * kOwn + fs.readahead));  // read-ahead past the last region
  EXPECT_EQ(s.loaded, fs.pages_loaded.load());
  EXPECT_EQ(s.loaded + s.created, s.pages);  // no page loaded twice
  ASSERT_TRUE(sync(m).has_value());
  for (uint64_t b = 0; b < kShared * kPage; ++b) ASSERT_EQ(fs.disk[b], pattern(b, 0)) << b;
  destroy(m);
}

}  // namespace
}  // namespace mkh::test
