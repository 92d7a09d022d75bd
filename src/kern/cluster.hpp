// The kernel instance of one cluster: its topology, cores and counters (the memory
// managers are mm's, mm/memory.hpp; the RPC state is rpc's, rpc/state.hpp).
// Layer: kern. Every cluster's descriptor sits at the same lpa (hal::kKernDataLpa) of its
// own bank, so XPTR(cxy, &LOCAL_CLUSTER->field) reaches the same field in any cluster.
#pragma once

#include <cstdint>

#include "hal/cpu.hpp"
#include "hal/kdata.hpp"
#include "hal/remote.hpp"
#include "kern/core.hpp"
#include "libk/result.hpp"
#include "mkh/config.hpp"

namespace mkh::kern {

struct Cluster {
  // immutable after boot
  hal::cxy_t m_cxy = 0;
  uint32_t m_x = 0;
  uint32_t m_y = 0;
  uint32_t m_cores_nr = 0;
  Topology m_topology;
  int64_t m_boot_ns = 0;  // the host's CLOCK_MONOTONIC when the cluster booted: its uptime's origin

  // each core's scheduler has its own lock
  Core m_cores[kMaxCoresPerCluster];

  // any core of the cluster, atomically
  uint32_t m_next_thread_index = 0;
  uint64_t m_errors = 0;  // errors returned to callers (allocation failures, bad arguments)
};
static_assert(sizeof(Cluster) <= hal::kKernDataSpan, "kern's kernel data outgrew its span in hal/kdata.hpp");

inline Cluster* cluster_at(hal::cxy_t cxy) { return hal::kdata_at<Cluster, hal::kKernDataLpa>(cxy); }
inline Cluster* local_cluster() { return cluster_at(hal::local_cxy()); }
#define LOCAL_CLUSTER (::mkh::kern::local_cluster())

inline hal::Xptr<Core> core_xptr(hal::cxy_t cxy, hal::lid_t lid) {
  return hal::Xptr<Core>(cxy, &cluster_at(cxy)->m_cores[lid]);
}

// Boot of cluster cxy (its memory managers placed): places its descriptor and its cores.
void cluster_init(hal::cxy_t cxy, const MachineConfig& config);
// Boot of core lid of cluster cxy (every cluster placed): its scheduler and its idle
// thread; kNoMem when the bank cannot hold the thread.
[[nodiscard]] Result<void> core_init(hal::cxy_t cxy, hal::lid_t lid);

// Counts an error returned to a caller of this cluster's kernel.
inline void cluster_count_error() { hal::stat_add(LOCAL_CLUSTER->m_errors, uint64_t(1)); }

}  // namespace mkh::kern
