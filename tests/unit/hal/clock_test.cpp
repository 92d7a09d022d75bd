// ctest-label: concurrency
// hal/clock's word polling: poll_word and spin_until_word see another thread's store, compare
// only the bits of the mask (or the whole 64-bit word), give up after their polls or their
// budget (never before it), or when told to.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <thread>

#include <gtest/gtest.h>

#include "hal/clock.hpp"

namespace mkh::test {
namespace {

constexpr uint32_t kCount = 0x7fffffff;  // the bits compared; the top one is a flag
constexpr uint32_t kFlag = 0x80000000;

void store(uint32_t& word, uint32_t value) { std::atomic_ref<uint32_t>(word).store(value, std::memory_order_release); }

TEST(ClockTest, PollWordComparesOnlyTheBitsOfTheMask) {
  alignas(64) uint32_t word = kFlag | 3;
  EXPECT_TRUE(hal::poll_word(&word, kCount, 3, 1));
  EXPECT_FALSE(hal::poll_word(&word, kCount, 0, 16));
  EXPECT_TRUE(hal::poll_word(&word, ~0u, kFlag | 3, 1));
  EXPECT_FALSE(hal::poll_word(&word, ~0u, 3, 16));
}

TEST(ClockTest, PollWordWithoutPollsDoesNotLookAtTheWord) {
  alignas(64) uint32_t word = 0;
  EXPECT_FALSE(hal::poll_word(&word, kCount, 0, 0));
}

TEST(ClockTest, SpinUntilWordSeesAnotherThreadsStore) {
  hal::clock_calibrate();
  alignas(64) uint32_t word = kFlag | 1;
  std::thread writer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    store(word, kFlag);  // the count falls to 0, the flag stays
  });
  EXPECT_TRUE(hal::spin_until_word(&word, kCount, 0, 60'000'000'000));  // a minute at most
  writer.join();
}

TEST(ClockTest, SpinUntilWordGivesUpAfterItsBudgetAndNotBefore) {
  hal::clock_calibrate();
  alignas(64) uint32_t word = 1;
  constexpr uint64_t kBudgetNs = 2'000'000;
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(hal::spin_until_word(&word, kCount, 0, kBudgetNs));
  // The budget is read on the time-stamp counter, whose rate clock_calibrate measures over
  // 5 ms of steady_clock: a fraction of a percent off (a CI run gave up after 1.9956 ms).
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::nanoseconds(kBudgetNs * 9 / 10));
}

TEST(ClockTest, PollWord64ComparesTheWholeWord) {
  alignas(64) uint64_t word = (uint64_t(1) << 32) | 3;
  EXPECT_TRUE(hal::poll_word(&word, (uint64_t(1) << 32) | 3, 1));
  EXPECT_FALSE(hal::poll_word(&word, 3, 16));  // the same low half
  EXPECT_FALSE(hal::poll_word(&word, word, 0));
}

TEST(ClockTest, SpinUntilWord64SeesAnotherThreadsStoreAndGivesUpWhenTold) {
  hal::clock_calibrate();
  alignas(64) uint64_t word = 1;
  std::thread writer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    std::atomic_ref<uint64_t>(word).store(uint64_t(5) << 32, std::memory_order_release);
  });
  EXPECT_TRUE(hal::spin_until_word(&word, uint64_t(5) << 32, 60'000'000'000, [] { return false; }));
  writer.join();
  // Told to give up: long before its minute.
  const auto start = std::chrono::steady_clock::now();
  uint32_t asked = 0;
  EXPECT_FALSE(hal::spin_until_word(&word, 0, 60'000'000'000, [&] { return ++asked == 3; }));
  EXPECT_EQ(asked, 3u);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
}

}  // namespace
}  // namespace mkh::test
