// `mkh bench core`: fiber switch, cross-cluster block→unblock→run (idle core spinning and
// sleeping), ppm order-0 alloc+free, kcm alloc+free. Rounds are interleaved in one run;
// the figures are medians of the rounds.
#pragma once

#include <cstdint>

namespace mkh::tool {

struct BenchOptions {
  bool json = false;
  uint32_t rounds = 15;
};

int run_bench_core(const BenchOptions& options);

}  // namespace mkh::tool
