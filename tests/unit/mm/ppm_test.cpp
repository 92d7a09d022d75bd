// ctest-label: concurrency
// Unit tests of the ppm buddy allocator on a bank mmapped by the test (no machine needed).
// Layer: tests. Calls mm/ppm. A randomized run prints its seed; MKH_TEST_SEED=<n> replays it.
#include "mm/ppm.hpp"

#include <gtest/gtest.h>

#include <sys/mman.h>
#include "test_bank.hpp"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <map>
#include <new>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace mkh::mm {
namespace {

using test::broken;
using test::TestBank;

constexpr uint64_t kMiB = uint64_t(1) << 20;

uint64_t test_seed() {
  if (const char* env = std::getenv("MKH_TEST_SEED")) return std::strtoull(env, nullptr, 0);
  return std::random_device{}();
}

std::vector<uint64_t> free_shape(const PpmStats& s) { return {std::begin(s.free_blocks), std::end(s.free_blocks)}; }

// check() names the invariant a corruption breaks, as an error (it once printed it on stderr
// and answered false).
TEST(Ppm, CheckNamesTheBrokenInvariant) {
  TestBank bank(16 * kMiB);
  Ppm& ppm = bank.ppm();
  auto page = ppm.alloc_pages(0);
  ASSERT_TRUE(page);
  (*page)->reset_flags(PageFlags::RESERVED);  // an allocated page past the reserved ones
  const auto checked = ppm.check();
  ASSERT_FALSE(checked);
  EXPECT_EQ(checked.error().code, Errno::kUClean);
  EXPECT_EQ(checked.error().message,
            "ppm check: RESERVED flag misplaced (page " + std::to_string(ppm.page_index(*page)) + ", order 0)");
  (*page)->reset_flags(PageFlags::ALLOCATED);
  ppm.free_pages(*page);
  EXPECT_EQ(broken(ppm.check()), "");
}

TEST(Ppm, InitAccounting) {
  TestBank bank(16 * kMiB);
  const PpmStats s = bank.ppm().stats();
  EXPECT_EQ(s.total_pages, 16 * kMiB / hal::kPageSize);
  const uint64_t array_end = TestBank::kernel_data_end() + s.total_pages * sizeof(Page);
  EXPECT_EQ(s.reserved_pages, (array_end + hal::kPageSize - 1) / hal::kPageSize);
  EXPECT_EQ(s.reserved_pages + s.free_pages, s.total_pages);
  // The free area [reserved, total) as naturally aligned blocks, computed bit by bit.
  std::vector<uint64_t> expected(kMaxOrder + 1, 0);
  uint64_t pages = 0;
  for (uint64_t index = s.reserved_pages; index < s.total_pages;) {
    uint32_t order = 0;
    while (!(index & (uint64_t(1) << order)) && index + (uint64_t(2) << order) <= s.total_pages) ++order;
    ++expected[order];
    pages += uint64_t(1) << order;
    index += uint64_t(1) << order;
  }
  EXPECT_EQ(pages, s.free_pages);
  EXPECT_EQ(free_shape(s), expected);
  EXPECT_EQ(s.allocs + s.frees + s.alloc_failures, 0u);
  EXPECT_EQ(broken(bank.ppm().check()), "");
  // The page array sits after the kernel data, inside the reserved pages.
  const Page* first = bank.ppm().base_to_page(bank.base());
  EXPECT_GE(reinterpret_cast<const uint8_t*>(first), bank.base() + TestBank::kernel_data_end());
  EXPECT_TRUE(first->has(PageFlags::RESERVED));
}

TEST(Ppm, PageAddressRoundTrip) {
  TestBank bank(4 * kMiB);
  Ppm& ppm = bank.ppm();
  for (uint64_t index : {uint64_t(0), uint64_t(1), uint64_t(517), ppm.total_pages() - 1}) {
    uint8_t* base = bank.base() + index * hal::kPageSize;
    Page* page = ppm.base_to_page(base);
    EXPECT_EQ(ppm.page_index(page), index);
    EXPECT_EQ(ppm.page_to_base(page), base);
    EXPECT_EQ(ppm.base_to_page(base + hal::kPageSize - 1), page);  // any byte of the page
  }
}

TEST(Ppm, Order0RoundTrip) {
  TestBank bank(4 * kMiB);
  Ppm& ppm = bank.ppm();
  const PpmStats before = ppm.stats();
  auto page = ppm.alloc_pages(0);
  ASSERT_TRUE(page.has_value());
  EXPECT_EQ((*page)->flags(), PageFlags::ALLOCATED);
  EXPECT_EQ((*page)->order, 0u);
  EXPECT_EQ((*page)->refcount, 1u);
  EXPECT_GE(ppm.page_index(*page), before.reserved_pages);
  auto* memory = static_cast<uint8_t*>(ppm.page_to_base(*page));
  std::fill(memory, memory + hal::kPageSize, uint8_t(0x5a));
  EXPECT_EQ(ppm.stats().free_pages, before.free_pages - 1);
  EXPECT_EQ(broken(ppm.check()), "");
  ppm.free_pages(*page);
  const PpmStats after = ppm.stats();
  EXPECT_EQ(after.free_pages, before.free_pages);
  EXPECT_EQ(free_shape(after), free_shape(before));
  EXPECT_EQ(after.allocs, 1u);
  EXPECT_EQ(after.frees, 1u);
  EXPECT_EQ(broken(ppm.check()), "");
}

TEST(Ppm, SplitCreatesOneBlockOfEveryLowerOrder) {
  TestBank bank(16 * kMiB);
  Ppm& ppm = bank.ppm();
  const PpmStats initial = ppm.stats();
  // Take away every free block below order 8: the next order-0 request must split.
  std::vector<Page*> held;
  for (uint32_t order = 0; order < 8; ++order)
    while (ppm.stats().free_blocks[order] > 0) held.push_back(*ppm.alloc_pages(order));
  const PpmStats before = ppm.stats();
  uint32_t split = 8;
  while (before.free_blocks[split] == 0) ++split;
  auto page = ppm.alloc_pages(0);
  ASSERT_TRUE(page.has_value());
  const PpmStats after = ppm.stats();
  for (uint32_t order = 0; order < split; ++order) EXPECT_EQ(after.free_blocks[order], 1u) << "order " << order;
  EXPECT_EQ(after.free_blocks[split], before.free_blocks[split] - 1);
  EXPECT_EQ(ppm.page_index(*page) % (uint64_t(1) << split), 0u);  // the head of the split block
  EXPECT_EQ(broken(ppm.check()), "");
  held.push_back(*page);
  for (Page* p : held) ppm.free_pages(p);
  EXPECT_EQ(free_shape(ppm.stats()), free_shape(initial));  // everything coalesced again
  EXPECT_EQ(broken(ppm.check()), "");
}

TEST(Ppm, FreeingEverythingCoalescesToTheInitialShape) {
  TestBank bank(4 * kMiB);
  Ppm& ppm = bank.ppm();
  const PpmStats initial = ppm.stats();
  std::vector<Page*> pages;
  while (auto page = ppm.alloc_pages(0)) pages.push_back(*page);
  EXPECT_EQ(pages.size(), initial.free_pages);
  const uint64_t seed = test_seed();
  SCOPED_TRACE(::testing::Message() << "MKH_TEST_SEED=" << seed);
  std::shuffle(pages.begin(), pages.end(), std::mt19937_64(seed));
  for (Page* page : pages) ppm.free_pages(page);
  EXPECT_EQ(free_shape(ppm.stats()), free_shape(initial));
  EXPECT_EQ(ppm.stats().free_pages, initial.free_pages);
  EXPECT_EQ(broken(ppm.check()), "");
}

TEST(Ppm, BlocksAreAlignedInsideTheBankAndDisjoint) {
  TestBank bank(16 * kMiB);
  Ppm& ppm = bank.ppm();
  const PpmStats initial = ppm.stats();
  std::map<uint64_t, uint32_t> blocks;  // first page index -> order
  uint64_t pages = 0;
  for (uint32_t order = kMaxAllocOrder, round = 0;; ++round) {
    auto page = ppm.alloc_pages(order);
    if (!page) {
      if (order == 0) break;
      order = order - 1;
      continue;
    }
    const uint64_t index = ppm.page_index(*page);
    const auto address = reinterpret_cast<uintptr_t>(ppm.page_to_base(*page));
    EXPECT_EQ(index % (uint64_t(1) << order), 0u);
    EXPECT_EQ(address % (hal::kPageSize << order), 0u);
    EXPECT_GE(index, initial.reserved_pages);
    EXPECT_LE(index + (uint64_t(1) << order), initial.total_pages);
    EXPECT_TRUE(blocks.emplace(index, order).second);
    pages += uint64_t(1) << order;
    if (round % 3 == 0 && order > 0) --order;  // mix the sizes
  }
  uint64_t end = 0;
  for (const auto& [index, order] : blocks) {
    EXPECT_GE(index, end) << "block at page " << index << " overlaps the previous one";
    end = index + (uint64_t(1) << order);
  }
  EXPECT_EQ(pages, initial.free_pages);
  for (const auto& [index, order] : blocks) ppm.free_pages(ppm.base_to_page(bank.base() + index * hal::kPageSize));
  EXPECT_EQ(free_shape(ppm.stats()), free_shape(initial));
  EXPECT_EQ(broken(ppm.check()), "");
}

TEST(Ppm, ExhaustionReturnsNoMemCountsItAndRecovers) {
  TestBank bank(4 * kMiB);
  Ppm& ppm = bank.ppm();
  const PpmStats initial = ppm.stats();
  std::vector<Page*> pages;
  Result<Page*> page;
  while ((page = ppm.alloc_pages(0))) pages.push_back(*page);
  EXPECT_EQ(page.error(), Errno::kNoMem);
  EXPECT_EQ(pages.size(), initial.free_pages);
  EXPECT_EQ(ppm.stats().free_pages, 0u);
  EXPECT_EQ(ppm.stats().alloc_failures, 1u);
  EXPECT_EQ(broken(ppm.check()), "");
  // Free every other page: half the pages are free, but no two are buddies.
  std::sort(pages.begin(), pages.end());
  std::vector<Page*> kept;
  for (Page* p : pages) {
    if (ppm.page_index(p) % 2 == 0) ppm.free_pages(p);
    else kept.push_back(p);
  }
  EXPECT_EQ(ppm.alloc_pages(1).error(), Errno::kNoMem);
  EXPECT_EQ(ppm.stats().alloc_failures, 2u);
  auto again = ppm.alloc_pages(0);  // still works
  ASSERT_TRUE(again.has_value());
  kept.push_back(*again);
  for (Page* p : kept) ppm.free_pages(p);
  EXPECT_EQ(free_shape(ppm.stats()), free_shape(initial));
  ASSERT_TRUE(ppm.alloc_pages(kMaxAllocOrder - 2).has_value());  // large blocks are back
  EXPECT_EQ(broken(ppm.check()), "");
}

TEST(Ppm, OrderAboveMaxAllocOrderIsInvalid) {
  TestBank bank(16 * kMiB);
  Ppm& ppm = bank.ppm();
  EXPECT_EQ(ppm.alloc_pages(kMaxAllocOrder + 1).error(), Errno::kInval);
  EXPECT_EQ(ppm.alloc_pages(kMaxOrder).error(), Errno::kInval);
  EXPECT_EQ(ppm.stats().alloc_failures, 0u);  // not an exhaustion
  auto largest = ppm.alloc_pages(kMaxAllocOrder);
  ASSERT_TRUE(largest.has_value());
  ppm.free_pages(*largest);
  EXPECT_EQ(broken(ppm.check()), "");
}

// Is some naturally aligned range of 2^order free pages left, according to the model?
bool model_has_room(const std::map<uint64_t, uint32_t>& model, uint32_t order, uint64_t reserved, uint64_t total) {
  const uint64_t size = uint64_t(1) << order;
  for (uint64_t start = (reserved + size - 1) & ~(size - 1); start + size <= total; start += size) {
    auto next = model.lower_bound(start);
    if (next != model.end() && next->first < start + size) continue;
    if (next != model.begin() && std::prev(next)->first + (uint64_t(1) << std::prev(next)->second) > start) continue;
    return true;
  }
  return false;
}

TEST(Ppm, RandomizedRunAgreesWithAModel) {
  const uint64_t seed = test_seed();
  SCOPED_TRACE(::testing::Message() << "MKH_TEST_SEED=" << seed);
  std::mt19937_64 random(seed);
  TestBank bank(4 * kMiB);
  Ppm& ppm = bank.ppm();
  const PpmStats initial = ppm.stats();
  std::map<uint64_t, uint32_t> model;  // allocated first page -> order
  std::vector<uint64_t> live;
  uint64_t model_pages = 0, failures = 0;
  for (int op = 0; op < 20000; ++op) {
    if (live.empty() || random() % 100 < 60) {
      const uint32_t order = uint32_t(random() % 7);
      auto page = ppm.alloc_pages(order);
      if (!page) {
        ASSERT_EQ(page.error(), Errno::kNoMem);
        ASSERT_FALSE(model_has_room(model, order, initial.reserved_pages, initial.total_pages))
            << "kNoMem for order " << order << " with room left, op " << op;
        ++failures;
      } else {
        const uint64_t index = ppm.page_index(*page);
        auto next = model.lower_bound(index);
        ASSERT_TRUE(next == model.end() || next->first >= index + (uint64_t(1) << order)) << "op " << op;
        ASSERT_TRUE(next == model.begin() || std::prev(next)->first + (uint64_t(1) << std::prev(next)->second) <= index)
            << "op " << op;
        ASSERT_GE(index, initial.reserved_pages);
        model.emplace(index, order);
        live.push_back(index);
        model_pages += uint64_t(1) << order;
      }
    } else {
      const size_t victim = random() % live.size();
      const uint64_t index = live[victim];
      live[victim] = live.back();
      live.pop_back();
      model_pages -= uint64_t(1) << model.at(index);
      model.erase(index);
      ppm.free_pages(ppm.base_to_page(bank.base() + index * hal::kPageSize));
    }
    ASSERT_EQ(ppm.stats().free_pages, initial.free_pages - model_pages) << "op " << op;
    if (op % 100 == 0) {
      ASSERT_EQ(broken(ppm.check()), "") << "op " << op;
    }
  }
  EXPECT_GT(failures, 0u) << "the run never exhausted the bank";
  EXPECT_EQ(ppm.stats().alloc_failures, failures);
  for (uint64_t index : live) ppm.free_pages(ppm.base_to_page(bank.base() + index * hal::kPageSize));
  EXPECT_EQ(free_shape(ppm.stats()), free_shape(initial));
  EXPECT_EQ(broken(ppm.check()), "");
}

TEST(Ppm, ConcurrentAllocAndFree) {
  TestBank bank(16 * kMiB);
  Ppm& ppm = bank.ppm();
  const PpmStats initial = ppm.stats();
  const uint64_t seed = test_seed();
  SCOPED_TRACE(::testing::Message() << "MKH_TEST_SEED=" << seed);
  constexpr int kThreads = 4, kOps = 3000;
  std::atomic<uint64_t> attempts{0}, corrupted{0};
  std::atomic<bool> done{false};
  std::thread reader([&] {  // statistics are read while the others allocate
    while (!done.load()) EXPECT_LE(ppm.stats().free_pages, initial.free_pages);
  });
  auto worker = [&](uint64_t id) {
    std::mt19937_64 random(seed + id);
    std::vector<Page*> mine;
    auto stamp = [&](Page* page, uint64_t page_nr) { return (id << 56) | (ppm.page_index(page) << 8) | page_nr; };
    auto release = [&](size_t at) {
      Page* page = mine[at];
      auto* words = static_cast<uint64_t*>(ppm.page_to_base(page));
      for (uint64_t nr = 0; nr < (uint64_t(1) << page->order); ++nr)
        if (words[nr * hal::kPageSize / 8] != stamp(page, nr) ||
            words[(nr + 1) * hal::kPageSize / 8 - 1] != ~stamp(page, nr))
          corrupted.fetch_add(1);
      ppm.free_pages(page);
      mine[at] = mine.back();
      mine.pop_back();
    };
    for (int op = 0; op < kOps; ++op) {
      if (mine.size() < 48 && random() % 2 == 0) {
        attempts.fetch_add(1);
        auto page = ppm.alloc_pages(uint32_t(random() % 5));
        if (!page) continue;
        auto* words = static_cast<uint64_t*>(ppm.page_to_base(*page));
        for (uint64_t nr = 0; nr < (uint64_t(1) << (*page)->order); ++nr) {
          words[nr * hal::kPageSize / 8] = stamp(*page, nr);
          words[(nr + 1) * hal::kPageSize / 8 - 1] = ~stamp(*page, nr);
        }
        mine.push_back(*page);
      } else if (!mine.empty()) {
        release(random() % mine.size());
      }
    }
    while (!mine.empty()) release(mine.size() - 1);
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) threads.emplace_back(worker, uint64_t(t));
  for (auto& t : threads) t.join();
  done.store(true);
  reader.join();
  const PpmStats after = ppm.stats();
  EXPECT_EQ(corrupted.load(), 0u);
  EXPECT_EQ(after.allocs, after.frees);
  EXPECT_EQ(after.allocs + after.alloc_failures, attempts.load());
  EXPECT_EQ(free_shape(after), free_shape(initial));
  EXPECT_EQ(broken(ppm.check()), "");
}

// Kernel bugs end in kpanic.
// What a remote caller (PMEM_RELEASE_PAGES) may name is checked, not trusted.
TEST(Ppm, TryFreeRejectsWhatFreeWouldPanicOn) {
  TestBank bank(4 * kMiB);
  Ppm& ppm = bank.ppm();
  const uint64_t free_before = ppm.stats().free_pages;
  Page* block = *ppm.alloc_pages(2);
  Page outside{};
  EXPECT_EQ(ppm.try_free_pages(&outside).error(), Errno::kInval);
  EXPECT_EQ(ppm.try_free_pages(block + 1).error(), Errno::kInval);                      // not the head
  EXPECT_EQ(ppm.try_free_pages(ppm.base_to_page(bank.base())).error(), Errno::kInval);  // reserved
  EXPECT_EQ(ppm.try_free_pages(reinterpret_cast<Page*>(reinterpret_cast<uint8_t*>(block) + 4)).error(),
            Errno::kInval);  // misaligned descriptor
  EXPECT_TRUE(ppm.try_free_pages(block).has_value());
  EXPECT_EQ(ppm.try_free_pages(block).error(), Errno::kInval);  // twice
  EXPECT_EQ(ppm.stats().free_pages, free_before);
  EXPECT_EQ(broken(ppm.check()), "");
}

class PpmDeathTest : public ::testing::Test {
 protected:
  void SetUp() override { GTEST_FLAG_SET(death_test_style, "threadsafe"); }
};

TEST_F(PpmDeathTest, FreeingTwiceIsAKernelBug) {
  TestBank bank(4 * kMiB);
  Page* page = *bank.ppm().alloc_pages(2);
  bank.ppm().free_pages(page);
  EXPECT_DEATH(bank.ppm().free_pages(page), "already free");
}

TEST_F(PpmDeathTest, FreeingAReservedPageIsAKernelBug) {
  TestBank bank(4 * kMiB);
  EXPECT_DEATH(bank.ppm().free_pages(bank.ppm().base_to_page(bank.base())), "reserved");
}

TEST_F(PpmDeathTest, FreeingANonHeadPageIsAKernelBug) {
  TestBank bank(4 * kMiB);
  Page* page = *bank.ppm().alloc_pages(3);
  EXPECT_DEATH(bank.ppm().free_pages(page + 1), "heads no allocated block");
}

TEST_F(PpmDeathTest, FreeingAForeignDescriptorIsAKernelBug) {
  TestBank bank(4 * kMiB);
  Page outside;
  EXPECT_DEATH(bank.ppm().free_pages(&outside), "not a page descriptor of this ppm");
}

}  // namespace
}  // namespace mkh::mm
