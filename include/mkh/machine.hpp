// The hosted machine as an embedder sees it: boot, run kernel threads, report, shut down.
// Public API. One machine at a time per process (it owns the physical address space).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "mkh/config.hpp"
#include "mkh/result.hpp"

namespace mkh {

struct KcmReport {
  std::string type;
  uint32_t object_size = 0;
  uint64_t in_use = 0;
  uint64_t allocs = 0;
  uint64_t frees = 0;
  uint64_t failures = 0;
};

struct RpcIndexReport {
  uint32_t index = 0;  // catalogue index (or a private one); out of range: ~0u
  std::string name;
  uint64_t sent = 0;    // by clients of the cluster
  uint64_t served = 0;  // by servers of the cluster
  uint64_t errors = 0;  // errors returned by servers of the cluster
  uint64_t fifo_full_retries = 0;
  uint64_t send_failures = 0;     // sends given up on a full FIFO
  uint64_t direct = 0;            // local calls served directly, without the FIFO
  std::vector<uint64_t> latency;  // client round trips: latency[b] counts [2^b, 2^(b+1)) ns
};

struct ClusterReport {
  uint32_t cxy = 0;
  uint32_t x = 0;
  uint32_t y = 0;
  uint64_t pages_total = 0;
  uint64_t pages_reserved = 0;  // kernel data: cluster descriptor, page descriptors
  uint64_t pages_free = 0;
  uint64_t pages_used = 0;  // allocated by the kernel (total - reserved - free)
  uint64_t page_allocs = 0;
  uint64_t page_frees = 0;
  uint64_t page_failures = 0;
  std::vector<KcmReport> kcm;
  uint64_t threads_alive = 0;  // idle threads included
  uint64_t threads_created = 0;
  uint64_t threads_destroyed = 0;
  uint64_t switches = 0;
  uint64_t ipis_sent = 0;
  uint64_t ipis_received = 0;
  uint64_t sleeps = 0;
  uint64_t timers_fired = 0;        // threads woken by their timer (a sleep, a timed wait)
  uint64_t errors = 0;              // errors the cluster's kernel returned to callers
  int64_t pages_leaked = 0;         // after shutdown: free pages short of their boot value
  std::vector<RpcIndexReport> rpc;  // indexes with any activity
  uint64_t rpc_threads_created = 0;
  uint64_t rpc_threads_reclaimed = 0;
  uint64_t rpc_pool_exhausted = 0;   // times a request waited with every RPC thread blocked
  uint64_t rpc_fifo_high_water = 0;  // most requests waiting in one of its FIFOs
  // processes owned by the cluster, and the system calls of its user threads
  uint64_t processes_created = 0;
  uint64_t processes_ended = 0;
  uint64_t processes_killed = 0;  // ended by a signal
  uint64_t processes_execs = 0;   // images an execve replaced
  uint64_t user_threads = 0;      // the threads their programs ran (main threads and clones)
  uint64_t syscalls = 0;
  uint64_t unknown_syscalls = 0;   // answered ENOSYS: not in mkh's table
  uint64_t blocks_translated = 0;  // user code blocks translated to host code (src/user/translate.hpp)
};

// One device channel (chdev) and what its server did.
struct DeviceReport {
  std::string name;  // "ioc0", "txt0"
  uint32_t cxy = 0;  // the cluster of the chdev and of its DEV thread
  uint64_t commands = 0;
  uint64_t bytes = 0;
  uint64_t errors = 0;
  uint64_t queue_high_water = 0;  // most clients queued at once
  uint64_t direct = 0;            // commands run by their caller (host threads, after the stop)
  uint64_t written = 0;           // IOC: bytes the kernel wrote (those dropped included)
  uint64_t dropped = 0;           // IOC: bytes dropped by MachineConfig::disk_write_limit
};

struct MachineReport {
  std::vector<ClusterReport> clusters;
  std::vector<DeviceReport> devices;  // empty when the machine has no device
  FaultReport faults;
  uint64_t threads_left = 0;    // threads still blocked at shutdown, abandoned
  std::string disk_error;       // why the volume could not be synced and unmounted at shutdown
  uint32_t cores_unpinned = 0;  // core host threads that were to be pinned (config.pin, pin_cpu) and could not be
  bool shut_down = false;
};

class Machine {
 public:
  // Validates the configuration, maps the banks, boots every cluster and starts one host
  // thread per virtual core. The error's message names what is wrong: kInval for a bad
  // configuration (validate_config's message), kBusy when another machine runs in this
  // process, kNoMem when the banks cannot be reserved or are too small.
  static Result<std::unique_ptr<Machine>, Error> boot(const MachineConfig& config);

  ~Machine();  // shuts down if shutdown() was not called
  Machine(const Machine&) = delete;
  Machine& operator=(const Machine&) = delete;

  const MachineConfig& config() const;
  // Cluster identifiers (cxy), in x-major order.
  const std::vector<uint32_t>& clusters() const;

  // Starts fn(arg) as a kernel thread (type DEV) on core `lid` of cluster `cxy`; returns the
  // thread's extended pointer. kInval for an unknown cluster or core, kNoMem when full.
  Result<uint64_t> spawn(uint32_t cxy, uint32_t lid, void (*fn)(void* arg), void* arg, std::string_view name);

  // A deterministic machine (MachineConfig::deterministic) is booted held: threads spawned
  // before start() run from its first scheduling step on, in the seeded order, and until
  // start() the host thread that waits for kernel work (the disk's mount at boot,
  // run_exec) drives the cores itself, in the same order. Otherwise the cores run from
  // boot on and start() does nothing.
  void start();

  // Changes how long idle cores poll before they sleep (benchmarks compare both regimes).
  void set_idle_spin_us(uint32_t microseconds);

  // Figures of every cluster, readable while the machine runs.
  MachineReport report() const;

  // Waits up to `grace` for every kernel thread to finish, then stops every core and joins
  // every host thread. Threads still blocked then are abandoned and counted in the report,
  // which also gives each cluster's pages leaked since boot.
  MachineReport shutdown(std::chrono::milliseconds grace = std::chrono::seconds(10));

  // The scheduler state of one core, as SCHED_DISPLAY prints it.
  std::string display_core(uint32_t cxy, uint32_t lid) const;

 private:
  struct Impl;
  explicit Machine(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> m_impl;
};

}  // namespace mkh
