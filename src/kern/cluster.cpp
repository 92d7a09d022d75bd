// Boot of one cluster's kernel instance: its descriptor at hal::kKernDataLpa, its cores and
// their idle threads; the idle loop. Layer: kern. Calls hal, thread, sched.
#include "kern/cluster.hpp"

#include <algorithm>
#include <new>

#include "hal/clock.hpp"
#include "hal/fault.hpp"

#include "kern/thread.hpp"
#include "kern/timer.hpp"

namespace mkh::kern {

namespace {

constexpr uint64_t kNoSleep = ~uint64_t(0);

// How long the idle thread may sleep: until its core's first timer, at most kRetrySleepNs when
// a scheduling point has work to retry, for ever (0) otherwise; kNoSleep when a timer is due.
uint64_t sleep_timeout_ns(Core* core) {
  uint64_t timeout = core->m_retry_soon != 0 ? kRetrySleepNs : 0;
  if (const uint64_t first = timers_first(core); first != UINT64_MAX) {
    const uint64_t now = hal::ticks();
    if (first <= now) return kNoSleep;
    const uint64_t left = std::max<uint64_t>(hal::ticks_to_ns(first - now), 1);
    timeout = timeout == 0 ? left : std::min(timeout, left);
  }
  return timeout;
}

// The idle thread: announces the core idle, looks once more for work, then waits for an
// IPI (spinning first, then on the futex; for a bounded time when a scheduling point has
// work to retry) and gives the core back to the scheduler. A core that shares one host
// thread with the others never waits: it gives the host thread back at once.
void idle_loop(void* arg) {
  auto* core = static_cast<Core*>(arg);
  while (hal::local_load(core->m_stop) == 0) {
    load_tick(&core->m_load, hal::local_load(core->m_sched.m_ready_nr, std::memory_order_relaxed), hal::ticks());
    hal::local_store(core->m_idle, 1u, std::memory_order_seq_cst);
    const uint64_t timeout_ns = sleep_timeout_ns(core);
    if (!core->m_shares_host_thread && timeout_ns != kNoSleep && !core->m_sched.has_runnable()) {
      hal::fault_point(hal::FaultPoint::kIdleBeforeSleep);
      if (hal::ipi_wait(core->m_ipi, hal::local_load(core->m_idle_spin_ns, std::memory_order_relaxed), core->m_stop,
                        timeout_ns))
        hal::stat_add(core->m_stats.sleeps, uint64_t(1));
    }
    hal::local_store(core->m_idle, 0u, std::memory_order_seq_cst);
    if (hal::ipi_take(core->m_ipi)) hal::stat_add(core->m_stats.ipis_received, uint64_t(1));
    sched_yield();
  }
}

}  // namespace

void cluster_init(hal::cxy_t cxy, const MachineConfig& config) {
  auto* cluster = new (cluster_at(cxy)) Cluster();
  cluster->m_cxy = cxy;
  cluster->m_x = hal::cxy_x(cxy);
  cluster->m_y = hal::cxy_y(cxy);
  cluster->m_cores_nr = config.topology.cores_per_cluster;
  cluster->m_topology = config.topology;
  cluster->m_boot_ns = hal::clock_ns(CLOCK_MONOTONIC);
  const uint32_t cluster_index = cluster->m_x * config.topology.y_size + cluster->m_y;
  for (hal::lid_t lid = 0; lid < cluster->m_cores_nr; ++lid) {
    Core* core = &cluster->m_cores[lid];
    core->m_cxy = cxy;
    core->m_lid = lid;
    core->m_gid = cluster_index * cluster->m_cores_nr + lid;
  }
}

Result<void> core_init(hal::cxy_t cxy, hal::lid_t lid) {
  hal::ClusterScope scope(cxy);
  Core* core = &LOCAL_CLUSTER->m_cores[lid];
  core->m_sched.init();
  libk::list_root_init(&core->m_timers);
  TRY(thread_idle_create(lid, idle_loop, core));
  return {};
}

}  // namespace mkh::kern
