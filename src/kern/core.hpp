// A virtual core: its scheduler, its IPI line, its statistics. Layer: kern.
// Cores sit in their cluster's descriptor, so every cluster reaches core `lid` of cluster
// `cxy` as XPTR(cxy, &LOCAL_CLUSTER->m_cores[lid]) (kernel-data replication).
#pragma once

#include <cstdint>

#include "hal/ipi.hpp"
#include "hal/xptr.hpp"
#include "kern/loadavg.hpp"
#include "kern/sched.hpp"

namespace mkh::kern {

struct CoreStats {
  uint64_t switches = 0;       // threads switched in
  uint64_t ipis_sent = 0;      // by threads of this core
  uint64_t ipis_received = 0;  // taken by this core
  uint64_t sleeps = 0;         // times the idle thread slept on the futex
  uint64_t timers_fired = 0;   // threads woken by their timer (kern/timer.hpp)
  uint64_t threads_created = 0;
  uint64_t threads_destroyed = 0;
};

struct Core {
  // immutable after boot
  hal::cxy_t m_cxy = 0;
  hal::lid_t m_lid = 0;
  uint32_t m_gid = 0;  // global index, for host-CPU pinning and names

  // set by the machine at any time (relaxed), read by the idle thread
  uint64_t m_idle_spin_ns = 0;

  // owner core, plus the lists under the scheduler's own lock
  Sched m_sched;

  // any cluster, through remote atomics
  hal::IpiLine m_ipi;
  uint32_t m_idle = 0;  // 1 while the idle thread looks for work or sleeps
  uint32_t m_stop = 0;  // set by the machine at shutdown

  // owner core only
  // set by a scheduling point that could not do its work (no memory for an RPC thread):
  // the idle thread then sleeps at most kRetrySleepNs before the next scheduling point
  uint32_t m_retry_soon = 0;
  // deterministic mode: every core shares one host thread, so the idle thread never
  // waits, it gives the host thread back
  uint32_t m_shares_host_thread = 0;
  // the timers of the core's threads, by deadline (kern/timer.hpp)
  libk::ListEntry m_timers;

  // statistics: updated by the owner (relaxed), read by anyone
  CoreStats m_stats;
  LoadAverage m_load;  // the ready threads' load averages (kern/loadavg.hpp)
};

inline constexpr uint64_t kRetrySleepNs = 1'000'000;

// Sends an IPI to core `lid` of cluster `cxy`, counting it on the sending core.
void send_ipi(hal::cxy_t cxy, hal::lid_t lid);

// The core the current host thread drives (nullptr outside a core).
Core* core_current();

}  // namespace mkh::kern
