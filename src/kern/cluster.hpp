// The kernel instance of one cluster: its managers (ppm, kcm), cores and counters.
// Layer: kern. Every cluster's descriptor sits at the same lpa (kClusterLpa) of its own
// bank, so XPTR(cxy, &LOCAL_CLUSTER->field) reaches the same field in any cluster.
#pragma once

#include <cstdint>

#include "hal/cpu.hpp"
#include "hal/remote.hpp"
#include "kern/core.hpp"
#include "mkh/config.hpp"
#include "mm/kcm.hpp"
#include "mm/kcm_types.hpp"
#include "mm/ppm.hpp"
#include "rpc/state.hpp"

namespace mkh::kern {

// Page 0 of every bank is never used, so no kernel object has lpa 0 (XPTR_NULL).
inline constexpr hal::lpa_t kClusterLpa = hal::kPageSize;

inline constexpr uint32_t kKcmTypeCount = uint32_t(mm::KcmType::kCount);

struct Cluster {
  // immutable after boot
  hal::cxy_t m_cxy = 0;
  uint32_t m_x = 0;
  uint32_t m_y = 0;
  uint32_t m_cores_nr = 0;
  Topology m_topology;
  uint64_t m_boot_free_pages = 0;  // ppm free pages once the kernel data was placed

  // managers, each with its own lock
  mm::Ppm m_ppm;
  mm::Kcm m_kcm[kKcmTypeCount];
  Core m_cores[kMaxCoresPerCluster];
  rpc::RpcClusterState m_rpc;

  // any core of the cluster, atomically
  uint32_t m_next_thread_index = 0;
  uint64_t m_errors = 0;  // errors returned to callers (allocation failures, bad arguments)
};

inline Cluster* cluster_at(hal::cxy_t cxy) {
  return reinterpret_cast<Cluster*>(hal::bank_base(cxy) + kClusterLpa);
}
inline Cluster* local_cluster() { return cluster_at(hal::local_cxy()); }
#define LOCAL_CLUSTER (::mkh::kern::local_cluster())

// The same field of `cxy`'s cluster descriptor, reached by replication.
template <typename F>
hal::Xptr<F> cluster_field(hal::cxy_t cxy, F* local_field) {
  return hal::Xptr<F>(hal::XPTR(cxy, local_field));
}

inline hal::Xptr<Core> core_xptr(hal::cxy_t cxy, hal::lid_t lid) {
  return hal::Xptr<Core>(cxy, &cluster_at(cxy)->m_cores[lid]);
}

// Places and initialises the descriptor of cluster cxy in its bank (boot only);
// kNoMem when the bank cannot hold the idle threads.
[[nodiscard]] Result<void> cluster_init(hal::cxy_t cxy, const MachineConfig& config);

// Counts an error returned to a caller of this cluster's kernel.
inline void cluster_count_error() { hal::stat_add(LOCAL_CLUSTER->m_errors, uint64_t(1)); }

}  // namespace mkh::kern
