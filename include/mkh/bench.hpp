// The benchmarks of `mkh bench`: each boots its own machines, measures in interleaved
// rounds against baselines of the same run, prints medians (or one JSON object) on stdout
// and returns the tool's exit code. Public API, implemented in bench/.
#pragma once

#include <cstdint>
#include <string>

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

// `mkh bench user`: user mode against qemu-riscv32 and against its floors, in interleaved
// rounds on one machine booted once on a scratch copy of the disk: the CPU-bound /bin/bench
// under run_exec and the same binary under qemu-riscv32 (host side, from `programs`); the
// zero-fill page fault of a process's reference VMM, local and through RPC 21 from another
// cluster, against a page from the ppm zeroed; the host's own minor fault; exec+exit of
// /bin/true per second (and qemu-riscv32's start+exit of the same program per second).
// Its machine by default: bench fs's (two clusters of one core, banks committed at boot),
// with 128 MiB banks.
inline MachineConfig bench_user_machine() {
  MachineConfig config = bench_fs_machine();
  config.bank_mib = 128;
  return config;
}
struct BenchUserOptions {
  bool json = false;
  uint32_t rounds = 7;
  uint32_t bench_rounds = 200;  // /bin/bench's argument (each of its rounds: 1.46 M instructions)
  uint32_t fault_pages = 2048;  // pages per fault measure (and per floor and host measure)
  uint32_t execs = 100;         // exec+exit of /bin/true per round
  std::string programs;         // the host folder of the disk's /bin programs (the build's user/bin)
  // The machine (quiet is set by the benchmark; disk_image is copied to a scratch file first).
  MachineConfig machine = bench_user_machine();
};
int run_bench_user(const BenchUserOptions& options);

}  // namespace mkh::bench
