// hal/cpu's value_predicted: the loaded value whether the guess is right or wrong, for every
// bit pattern the comparison could get wrong (the sign, the top and the bottom bits).
#include <cstdint>

#include <gtest/gtest.h>

#include "hal/cpu.hpp"

namespace mkh::test {
namespace {

TEST(CpuTest, ValuePredictedIsTheLoadedValueWhateverTheGuess) {
  const uint64_t values[] = {0, 1, 0x7fffffffffffffffull, 0x8000000000000000ull, ~uint64_t(0), 0x0001000000001000ull};
  for (const uint64_t loaded : values) {
    for (const uint64_t guess : values) EXPECT_EQ(hal::value_predicted(loaded, guess), loaded) << guess;
    EXPECT_EQ(hal::value_predicted(loaded, loaded ^ 1), loaded);
  }
}

}  // namespace
}  // namespace mkh::test
