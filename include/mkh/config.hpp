// The hosted machine's shape and run-time switches, as an embedder gives them.
// Public API. Parsing and validation return an Error (kInval) whose message names the bad value.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "mkh/result.hpp"

namespace mkh {

// Hardware limits of the hosted machine. cxy = (x << kYWidth) | y.
inline constexpr uint32_t kXWidth = 4;
inline constexpr uint32_t kYWidth = 4;
inline constexpr uint32_t kMaxXSize = 1u << kXWidth;
inline constexpr uint32_t kMaxYSize = 1u << kYWidth;
inline constexpr uint32_t kMaxCoresPerCluster = 64;
inline constexpr uint32_t kMaxCores = 1024;  // host threads: one per virtual core
inline constexpr uint64_t kMinBankMib = 4;
inline constexpr uint64_t kMaxBankMib = 16384;
inline constexpr uint32_t kMaxIdleSpinUs = 1'000'000;   // one second
inline constexpr uint32_t kMaxTranslateAfter = 65'535;  // a block's entries are counted in 16 bits

struct Topology {
  uint32_t x_size = 2;
  uint32_t y_size = 2;
  uint32_t cores_per_cluster = 2;

  uint32_t clusters() const { return x_size * y_size; }
  uint32_t cores() const { return clusters() * cores_per_cluster; }
  friend bool operator==(const Topology&, const Topology&) = default;
};

// How often one kind of fault is injected: every n-th attempt, or with a probability.
struct FaultRate {
  uint32_t every = 0;        // > 0: the n-th, 2n-th, ... attempts fail
  double probability = 0.0;  // else: each attempt fails with this probability
  bool on() const { return every != 0 || probability > 0.0; }
};

// Faults injected by the kernel at run time; all off by default (then each site costs one
// relaxed load). The draws come from one generator seeded by MachineConfig::seed.
struct FaultConfig {
  FaultRate ppm;          // ppm page allocations fail (kNoMem)
  FaultRate kcm;          // kcm object allocations fail (kNoMem)
  FaultRate rpc_thread;   // creating an RPC thread fails (the request waits and is retried)
  FaultRate points;       // a stall at the marked points of the send and serve paths
  uint32_t delay_us = 0;  // a stall lasts this long (0: a yield of the core or host thread)
  bool any() const { return ppm.on() || kcm.on() || rpc_thread.on() || points.on(); }
};

// Faults injected so far, by kind.
struct FaultReport {
  uint64_t ppm = 0;
  uint64_t kcm = 0;
  uint64_t rpc_thread = 0;
  uint64_t points = 0;
  uint64_t total() const { return ppm + kcm + rpc_thread + points; }
  friend bool operator==(const FaultReport&, const FaultReport&) = default;
};

inline constexpr uint64_t kNoDiskWriteLimit = UINT64_MAX;

struct MachineConfig {
  Topology topology;
  uint64_t bank_mib = 64;
  bool populate_banks = false;     // back every bank with host memory at boot, as physical memory
                                   // is there (else the host commits a page at its first touch,
                                   // a host fault each: ~3 us on a virtual machine)
  bool pin = false;                // pin core host threads round-robin on host CPUs
  int pin_cpu = -1;                // >= 0: pin every core host thread on this one host CPU
  uint32_t idle_spin_us = 20;      // an idle core polls this long before it sleeps on a futex
  uint32_t load_period_ms = 5000;  // how often each core samples its load (Linux's 5 s; kern/loadavg.hpp)
  bool quiet = false;              // no notices on stderr
  uint32_t translate_after = 64;   // entries of a user code block before the interpreter translates
                                   // it to host code (src/user/translate.hpp); 0: never

  // RPC layer
  uint32_t rpc_fifo_slots = 64;      // per server core, a power of two
  uint32_t rpc_pool_bound = 16;      // RPC threads per core at most, those blocked in a service aside
  uint32_t rpc_batch = 16;           // requests an RPC thread serves before it yields
  uint32_t rpc_full_retries = 1000;  // back-off rounds (and milliseconds) on a full FIFO before the send fails

  // Devices
  std::string disk_image;     // the IOC disk: a host file opened read-write at boot (its size a
                              // multiple of 512); empty: the machine has no disk
  bool mount_disk = true;     // mount the disk's FAT32 volume at boot (a refused volume fails the
                              // boot); false: the disk is a raw block device
  bool mount_devices = true;  // with the volume, devfs at /dev (null, zero, full, random,
                              // urandom); false: /dev is the volume's, as `mkh fs` sees it
  int console_fd = 1;         // the host file descriptor TXT0 writes to (not closed by mkh)
  // Sectors the disk keeps of those it is asked to write, in the order the writes run; every
  // later write is dropped and reported done, as by a disk whose power was cut at that point:
  // the image is then what a crash there leaves (the crash tests' knob). Unlimited by default.
  uint64_t disk_write_limit = kNoDiskWriteLimit;
  int disk_write_trace_fd = -1;  // >= 0: a host file descriptor the disk writes a line to per
                                 // write, "FIRST_SECTOR SECTORS", in the order they run (not
                                 // closed by mkh)

  // Testing
  FaultConfig faults;          // injected from the end of boot to the start of shutdown
  uint64_t seed = 1;           // of the fault draws and of the deterministic switch order
  bool deterministic = false;  // every core on one host thread, switched in an order drawn
                               // from `seed` (they start at Machine::start())
};

inline constexpr uint32_t kMaxRpcFifoSlots = 4096;
inline constexpr uint32_t kMaxRpcPoolBound = 64;

// "XxY:C", e.g. "2x2:2". The error names the part that is wrong.
Result<Topology, Error> parse_topology(std::string_view text);

// A fault specification, comma-separated KEY=VALUE items, applied to `config`:
//   ppm=RATE kcm=RATE rpc-thread=RATE points=RATE   RATE: a probability in [0, 1] or 1/N
//   delay-us=N (stall length)  fifo=N (RPC FIFO slots)  pool=N (RPC pool bound)
// or "none". The error names the item that is wrong; `config` is then left as it was.
Result<void, Error> parse_fault_spec(std::string_view spec, MachineConfig& config);

// Every limit of the machine, checked; a value when the configuration can boot. The topology
// and the bank size are checked first, with the messages of the two functions below.
Result<void, Error> validate_config(const MachineConfig& config);

// The checks of validate_config that one setting decides alone, for a caller that checks each
// setting where it reads it (a command line, whose message names the option):
// sizes in [1, kMaxXSize], [1, kMaxYSize], [1, kMaxCoresPerCluster], at most kMaxCores in all;
Result<void, Error> validate_topology(const Topology& topology);
// a power of two in [kMinBankMib, kMaxBankMib].
Result<void, Error> validate_bank_mib(uint64_t bank_mib);

}  // namespace mkh
