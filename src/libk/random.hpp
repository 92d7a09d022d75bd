// splitmix64: the kernel's one pseudo-random generator (fault draws, the deterministic
// mode's switch order, the soak's workloads). Small, fast, and the same sequence with
// every standard library, so a seed replays. Layer: libk.
#pragma once

#include <cstdint>

namespace mkh::libk {

inline constexpr uint64_t kSplitMixGamma = 0x9e3779b97f4a7c15ull;

// The output function applied to the state after each step of kSplitMixGamma.
constexpr uint64_t splitmix64_mix(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : m_state(seed) {}
  uint64_t next() { return splitmix64_mix(m_state += kSplitMixGamma); }
  uint32_t below(uint32_t n) { return uint32_t(next() % n); }

 private:
  uint64_t m_state;
};

}  // namespace mkh::libk
