// `mkh bench rpc`: the RPC round trip and throughput against baselines measured in the same
// run, rounds interleaved, medians reported (bench/baselines.hpp for the baselines).
#pragma once

#include <cstdint>

namespace mkh::tool {

struct BenchRpcOptions {
  bool json = false;
  uint32_t rounds = 9;
  uint32_t spin_us = 50;  // idle spin budget of the "polling" measures
};

int run_bench_rpc(const BenchRpcOptions& options);

}  // namespace mkh::tool
