// ctest-label: concurrency
// Unit tests of the kcm object caches over a ppm on a bank mmapped by the test.
// Layer: tests. Calls mm/kcm and mm/ppm. MKH_TEST_SEED=<n> replays a randomized run.
#include "mm/kcm.hpp"

#include <gtest/gtest.h>

#include <sys/mman.h>
#include "test_bank.hpp"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <new>
#include <random>
#include <set>
#include <thread>
#include <vector>

namespace mkh::mm {
namespace {

using test::broken;

constexpr uint64_t kMiB = uint64_t(1) << 20;
constexpr uint32_t kCaches = 3;

// A bank with a Ppm and kCaches Kcms at its base.
struct TestBank : test::TestBank {
  explicit TestBank(uint64_t bank_size) : test::TestBank(bank_size, kCaches) {}
};

uint64_t test_seed() {
  if (const char* env = std::getenv("MKH_TEST_SEED")) return std::strtoull(env, nullptr, 0);
  return std::random_device{}();
}

bool aligned16(const void* p) { return reinterpret_cast<uintptr_t>(p) % kKcmObjectAlign == 0; }

TEST(KcmTypes, OneTableGivesEnumAndNames) {
  EXPECT_EQ(uint32_t(KcmType::kCount), 13u);
  EXPECT_EQ(kcm_type_name(KcmType::THREAD), "thread");
  EXPECT_EQ(kcm_type_name(KcmType::GENERIC_64), "generic-64");
  EXPECT_EQ(kcm_type_name(KcmType::GENERIC_1024), "generic-1024");
  EXPECT_EQ(kcm_type_name(KcmType::CHDEV), "chdev");
  EXPECT_EQ(kcm_type_name(KcmType::MAPPER), "mapper");
  EXPECT_EQ(kcm_type_name(KcmType::RADIX_NODE), "radix-node");
}

TEST(Kcm, ObjectSizeIsRoundedAndBlockHoldsAtLeastFourObjects) {
  TestBank bank(4 * kMiB);
  struct Case {
    uint32_t requested, rounded, order;
  };
  for (const Case c : {Case{1, 16, 0}, Case{24, 32, 0}, Case{64, 64, 0}, Case{1000, 1008, 1}, Case{1024, 1024, 1},
                       Case{4000, 4000, 2}, Case{20000, 20000, 4}}) {
    Kcm& kcm = bank.kcm(0);
    kcm.init(KcmType::GENERIC_64, c.requested, &bank.ppm());
    const KcmStats s = kcm.stats();
    EXPECT_EQ(s.object_size, c.rounded) << c.requested;
    EXPECT_EQ(s.block_order, c.order) << c.requested;
    EXPECT_GE(s.objects_per_block, c.order < kKcmMaxBlockOrder ? kKcmMinObjectsPerBlock : 1u) << c.requested;
    EXPECT_LE(uint64_t(s.objects_per_block) * s.object_size, hal::kPageSize << s.block_order);
    auto object = kcm.alloc();
    ASSERT_TRUE(object.has_value());
    EXPECT_TRUE(aligned16(*object));
    std::memset(*object, 0xee, s.object_size);  // the whole object is usable
    kcm.free(*object);
    EXPECT_EQ(broken(kcm.check()), "");
  }
}

// Fills every object with its own byte pattern, then checks none was clobbered.
void fill(void* object, uint32_t size, uint32_t tag) { std::memset(object, int(tag % 251 + 1), size); }
bool intact(const void* object, uint32_t size, uint32_t tag) {
  const auto* bytes = static_cast<const uint8_t*>(object);
  return std::all_of(bytes, bytes + size, [&](uint8_t b) { return b == uint8_t(tag % 251 + 1); });
}

TEST(Kcm, ManyObjectsAreDistinctAlignedAndIsolated) {
  TestBank bank(16 * kMiB);
  const uint64_t initial_free = bank.ppm().stats().free_pages;
  for (const uint32_t size : {48u, 256u, 1024u}) {
    Kcm& kcm = bank.kcm(0);
    kcm.init(KcmType::GENERIC_256, size, &bank.ppm());
    const uint32_t per_block = kcm.stats().objects_per_block;
    const uint32_t count = per_block * 5 + 3;  // more than one block, the last one partial
    std::vector<void*> objects;
    for (uint32_t i = 0; i < count; ++i) {
      auto object = kcm.alloc();
      ASSERT_TRUE(object.has_value());
      EXPECT_TRUE(aligned16(*object));
      EXPECT_TRUE(bank.inside(*object));
      EXPECT_TRUE(bank.inside(static_cast<uint8_t*>(*object) + size - 1));
      fill(*object, size, i);
      objects.push_back(*object);
    }
    EXPECT_EQ(std::set<void*>(objects.begin(), objects.end()).size(), count);
    for (uint32_t i = 0; i < count; ++i) EXPECT_TRUE(intact(objects[i], size, i)) << "object " << i;
    KcmStats s = kcm.stats();
    EXPECT_EQ(s.objects_in_use, count);
    EXPECT_EQ(s.blocks_full, 5u);
    EXPECT_EQ(s.blocks_active, 1u);
    EXPECT_EQ(bank.ppm().stats().free_pages, initial_free - 6 * (uint64_t(1) << s.block_order));
    EXPECT_EQ(broken(kcm.check()), "");
    // Free in a shuffled order: every block goes back to the ppm.
    const uint64_t seed = test_seed();
    SCOPED_TRACE(::testing::Message() << "MKH_TEST_SEED=" << seed);
    std::vector<uint32_t> order(count);
    for (uint32_t i = 0; i < count; ++i) order[i] = i;
    std::shuffle(order.begin(), order.end(), std::mt19937_64(seed));
    for (uint32_t n = 0; n < count; ++n) {
      ASSERT_TRUE(intact(objects[order[n]], size, order[n])) << "object " << order[n];
      kcm.free(objects[order[n]]);
      if (n % 64 == 0) {
        ASSERT_EQ(broken(kcm.check()), "");
      }
    }
    s = kcm.stats();
    EXPECT_EQ(s.objects_in_use, 0u);
    EXPECT_EQ(s.blocks_active + s.blocks_full, 0u);
    EXPECT_EQ(s.allocs, count);
    EXPECT_EQ(s.frees, count);
    EXPECT_EQ(bank.ppm().stats().free_pages, initial_free);
    EXPECT_EQ(broken(bank.ppm().check()), "");
  }
}

TEST(Kcm, AnEmptiedBlockGoesBackToThePpmAtOnce) {
  TestBank bank(4 * kMiB);
  Kcm& kcm = bank.kcm(0);
  kcm.init(KcmType::GENERIC_64, 64, &bank.ppm());
  const uint64_t initial_free = bank.ppm().stats().free_pages;
  void* a = *kcm.alloc();
  void* b = *kcm.alloc();
  EXPECT_EQ(bank.ppm().stats().free_pages, initial_free - 1);
  kcm.free(a);
  EXPECT_EQ(bank.ppm().stats().free_pages, initial_free - 1);  // b still lives there
  kcm.free(b);
  EXPECT_EQ(bank.ppm().stats().free_pages, initial_free);
  EXPECT_EQ(broken(kcm.check()), "");
}

TEST(Kcm, ExhaustionReturnsNoMemCountsItAndRecovers) {
  TestBank bank(4 * kMiB);
  Kcm& kcm = bank.kcm(0);
  kcm.init(KcmType::GENERIC_1024, 1024, &bank.ppm());
  void* survivor = *kcm.alloc();  // one partial block
  std::vector<Page*> drained;
  while (auto page = bank.ppm().alloc_pages(0)) drained.push_back(*page);
  const uint64_t ppm_failures = bank.ppm().stats().alloc_failures;
  // The partial block still serves its free slots without the ppm.
  std::vector<void*> objects{survivor};
  for (uint32_t i = 1; i < kcm.stats().objects_per_block; ++i) objects.push_back(*kcm.alloc());
  auto refused = kcm.alloc();
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error(), Errno::kNoMem);
  EXPECT_EQ(kcm.stats().alloc_failures, 1u);
  EXPECT_EQ(bank.ppm().stats().alloc_failures, ppm_failures + 1);
  EXPECT_EQ(kcm.alloc_zeroed().error(), Errno::kNoMem);
  EXPECT_EQ(kcm.stats().alloc_failures, 2u);
  EXPECT_EQ(broken(kcm.check()), "");
  // Give the ppm back two buddy pages: an order-1 block exists again and kcm recovers.
  std::sort(drained.begin(), drained.end());
  auto buddy = std::adjacent_find(drained.begin(), drained.end(),
                                  [&](Page* x, Page* y) { return y == x + 1 && bank.ppm().page_index(x) % 2 == 0; });
  ASSERT_NE(buddy, drained.end());
  Page* first = *buddy;
  drained.erase(buddy, buddy + 2);
  bank.ppm().free_pages(first);
  bank.ppm().free_pages(first + 1);
  auto recovered = kcm.alloc();
  ASSERT_TRUE(recovered.has_value());
  objects.push_back(*recovered);
  for (void* object : objects) kcm.free(object);
  for (Page* page : drained) bank.ppm().free_pages(page);
  EXPECT_EQ(kcm.stats().objects_in_use, 0u);
  EXPECT_EQ(broken(kcm.check()), "");
  EXPECT_EQ(broken(bank.ppm().check()), "");
}

TEST(Kcm, AllocZeroedIsZeroed) {
  TestBank bank(4 * kMiB);
  Kcm& kcm = bank.kcm(0);
  kcm.init(KcmType::GENERIC_256, 256, &bank.ppm());
  void* keeper = *kcm.alloc();  // keeps the block alive across the free below
  void* dirty = *kcm.alloc();
  std::memset(dirty, 0xab, 256);
  kcm.free(dirty);
  auto zeroed = kcm.alloc_zeroed();
  ASSERT_TRUE(zeroed.has_value());
  EXPECT_EQ(*zeroed, dirty);  // the lowest free slot is reused: the test sees the old bytes go
  const auto* bytes = static_cast<const uint8_t*>(*zeroed);
  EXPECT_TRUE(std::all_of(bytes, bytes + 256, [](uint8_t b) { return b == 0; }));
  kcm.free(*zeroed);
  kcm.free(keeper);
}

TEST(Kcm, ConcurrentUseFromFourThreads) {
  TestBank bank(16 * kMiB);
  const uint64_t initial_free = bank.ppm().stats().free_pages;
  const uint32_t sizes[kCaches] = {64, 256, 1024};
  for (uint32_t c = 0; c < kCaches; ++c) bank.kcm(c).init(KcmType(c + 1), sizes[c], &bank.ppm());
  const uint64_t seed = test_seed();
  SCOPED_TRACE(::testing::Message() << "MKH_TEST_SEED=" << seed);
  constexpr int kThreads = 4, kOps = 6000;
  std::atomic<uint64_t> corrupted{0};
  std::atomic<bool> done{false};
  std::thread reader([&] {
    while (!done.load())
      for (uint32_t c = 0; c < kCaches; ++c) EXPECT_LE(bank.kcm(c).stats().blocks_full, 16 * kMiB / hal::kPageSize);
  });
  auto worker = [&](uint32_t id) {
    std::mt19937_64 random(seed + id);
    struct Held {
      void* object;
      uint32_t cache, tag;
    };
    std::vector<Held> mine;
    auto release = [&](size_t at) {
      const Held h = mine[at];
      if (!intact(h.object, sizes[h.cache], h.tag)) corrupted.fetch_add(1);
      bank.kcm(h.cache).free(h.object);
      mine[at] = mine.back();
      mine.pop_back();
    };
    for (int op = 0; op < kOps; ++op) {
      if (mine.size() < 300 && random() % 100 < 55) {
        const uint32_t cache = uint32_t(random() % kCaches);
        auto object = bank.kcm(cache).alloc();
        if (!object) continue;
        const uint32_t tag = id * 1000003u + uint32_t(op);
        fill(*object, sizes[cache], tag);
        mine.push_back({*object, cache, tag});
      } else if (!mine.empty()) {
        release(random() % mine.size());
      }
    }
    while (!mine.empty()) release(mine.size() - 1);
  };
  std::vector<std::thread> threads;
  for (uint32_t t = 0; t < kThreads; ++t) threads.emplace_back(worker, t);
  for (auto& t : threads) t.join();
  done.store(true);
  reader.join();
  EXPECT_EQ(corrupted.load(), 0u);
  for (uint32_t c = 0; c < kCaches; ++c) {
    const KcmStats s = bank.kcm(c).stats();
    EXPECT_EQ(s.objects_in_use, 0u);
    EXPECT_EQ(s.allocs, s.frees);
    EXPECT_GT(s.allocs, 0u);
    EXPECT_EQ(broken(bank.kcm(c).check()), "");
  }
  EXPECT_EQ(bank.ppm().stats().free_pages, initial_free);
  EXPECT_EQ(broken(bank.ppm().check()), "");
}

// Kernel bugs end in kpanic.
// What a remote caller (KCM_FREE) may name is checked, not trusted: errors, no panic.
TEST(Kcm, TryFreeRejectsWhatFreeWouldPanicOn) {
  TestBank bank(4 * kMiB);
  bank.kcm(0).init(KcmType::GENERIC_64, 64, &bank.ppm());
  bank.kcm(1).init(KcmType::GENERIC_256, 256, &bank.ppm());
  Kcm& kcm = bank.kcm(0);
  void* keeper = *kcm.alloc();
  void* object = *kcm.alloc();
  int outside = 0;
  EXPECT_EQ(kcm.try_free(&outside).error(), Errno::kInval);
  EXPECT_EQ(bank.kcm(1).try_free(object).error(), Errno::kInval);
  EXPECT_EQ(kcm.try_free(static_cast<uint8_t*>(object) + 16).error(), Errno::kInval);
  Page* page = *bank.ppm().alloc_pages(0);
  EXPECT_EQ(kcm.try_free(bank.ppm().page_to_base(page)).error(), Errno::kInval);
  EXPECT_TRUE(kcm.try_free(object).has_value());
  EXPECT_EQ(kcm.try_free(object).error(), Errno::kInval);  // twice
  EXPECT_EQ(kcm.stats().objects_in_use, 1u);
  kcm.free(keeper);
  bank.ppm().free_pages(page);
  EXPECT_EQ(broken(bank.ppm().check()), "");
}

class KcmDeathTest : public ::testing::Test {
 protected:
  void SetUp() override { GTEST_FLAG_SET(death_test_style, "threadsafe"); }
};

TEST_F(KcmDeathTest, FreeingTwiceIsAKernelBug) {
  TestBank bank(4 * kMiB);
  Kcm& kcm = bank.kcm(0);
  kcm.init(KcmType::GENERIC_64, 64, &bank.ppm());
  void* keeper = *kcm.alloc();
  void* object = *kcm.alloc();
  kcm.free(object);
  EXPECT_DEATH(kcm.free(object), "already free");
  kcm.free(keeper);
}

TEST_F(KcmDeathTest, FreeingIntoTheWrongCacheIsAKernelBug) {
  TestBank bank(4 * kMiB);
  bank.kcm(0).init(KcmType::GENERIC_64, 64, &bank.ppm());
  bank.kcm(1).init(KcmType::GENERIC_256, 256, &bank.ppm());
  void* object = *bank.kcm(0).alloc();
  EXPECT_DEATH(bank.kcm(1).free(object), "in a block of another kcm");
}

TEST_F(KcmDeathTest, FreeingAPointerNotFromAKcmIsAKernelBug) {
  TestBank bank(4 * kMiB);
  Kcm& kcm = bank.kcm(0);
  kcm.init(KcmType::GENERIC_64, 64, &bank.ppm());
  Page* page = *bank.ppm().alloc_pages(0);
  EXPECT_DEATH(kcm.free(static_cast<uint8_t*>(bank.ppm().page_to_base(page)) + 128), "in no kcm block");
  void* object = *kcm.alloc();
  EXPECT_DEATH(kcm.free(static_cast<uint8_t*>(object) + 16), "not the start of a slot");
}

}  // namespace
}  // namespace mkh::mm
