// The benchmarks of `mkh bench`: each boots its own machines, measures in interleaved
// rounds against baselines of the same run, prints medians (or one JSON object) on stdout
// and returns the tool's exit code. Public API, implemented in bench/.
#pragma once

#include <cstdint>

namespace mkh::bench {

// `mkh bench core`: fiber switch, cross-cluster block→unblock→run (idle core spinning and
// sleeping), ppm order-0 alloc+free, kcm alloc+free.
struct BenchCoreOptions {
  bool json = false;
  uint32_t rounds = 15;
};
int run_bench_core(const BenchCoreOptions& options);

// `mkh bench rpc`: the RPC round trip and throughput against baselines (bench/baselines.hpp).
struct BenchRpcOptions {
  bool json = false;
  uint32_t rounds = 9;
  uint32_t spin_us = 50;  // idle spin budget of the "polling" measures
};
int run_bench_rpc(const BenchRpcOptions& options);

}  // namespace mkh::bench
