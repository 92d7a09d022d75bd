// The benchmarks of `mkh bench`: each boots its own machines, measures in interleaved
// rounds against baselines of the same run, prints medians (or one JSON object) on stdout
// and returns the tool's exit code. Public API, implemented in bench/.
#pragma once

#include <cstdint>

#include "mkh/config.hpp"

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

// `mkh bench fs`: the VFS against mtools' mcopy on a FAT32 image (4 KiB clusters) in the
// host's page cache: sequential read of a file with the mapper empty (a fresh boot) and full,
// its sequential write, `files` files of 1 KiB created in one folder, random 4 KiB reads.
// Each measure of mkh boots its own machine on the image; mcopy runs while none is booted.
// Its machine by default: two clusters of one core (the host's two CPUs), banks big enough to
// hold the file's pages, committed at boot (the first touch of a page of memory costs the
// kernel nothing on a real machine; on the host it is a fault of microseconds).
inline MachineConfig bench_fs_machine() {
  MachineConfig config;
  config.topology = Topology{2, 1, 1};
  config.bank_mib = 256;
  config.populate_banks = true;
  return config;
}
struct BenchFsOptions {
  bool json = false;
  uint32_t rounds = 5;
  uint32_t mib = 64;      // the size of the file read and written
  uint32_t files = 2000;  // the files created
  // The machine of each measure (disk_image and quiet are set by the benchmark).
  MachineConfig machine = bench_fs_machine();
};
int run_bench_fs(const BenchFsOptions& options);

}  // namespace mkh::bench
