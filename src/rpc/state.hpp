// The RPC layer's per-cluster state: per core a FIFO and its pool of RPC threads; per
// cluster the counters of every index. Layer: rpc (data only). It sits at hal::kRpcDataLpa
// of every bank, so any cluster reaches another's FIFOs and counters by replication.
#pragma once

#include <cstdint>

#include "hal/cpu.hpp"
#include "hal/kdata.hpp"
#include "mkh/config.hpp"
#include "rpc/catalog.hpp"
#include "rpc/fifo.hpp"

namespace mkh::kern {
struct Thread;
}

namespace mkh::rpc {

// RPC threads of a core at most; the pool's bound counts only those not blocked inside a
// service (rpc_check).
inline constexpr uint32_t kMaxRpcThreadsPerCore = 64;
inline constexpr uint32_t kLatencyBuckets = 32;     // bucket b: [2^b, 2^(b+1)) ns
inline constexpr uint32_t kLatencySampleEvery = 8;  // blocking calls of a core timed: 1 in 8

struct RpcCoreState {
  RemoteFifo m_fifo;

  // core-local: touched only by the threads of this core and its scheduler (one host
  // thread at a time), so plain fields; counters are read by others with relaxed loads
  kern::Thread* m_owner = nullptr;                   // RPC thread holding FIFO ownership
  kern::Thread* m_idle[kMaxRpcThreadsPerCore] = {};  // RPC threads parked idle
  uint32_t m_idle_nr = 0;
  uint32_t m_threads_nr = 0;  // RPC threads alive
  uint64_t m_threads_created = 0;
  uint64_t m_threads_reclaimed = 0;
  uint64_t m_pool_exhausted = 0;   // times every RPC thread was busy at the bound
  uint64_t m_doorbell_rearms = 0;  // idle with nothing to serve, found disarmed (a late ring)
  uint32_t m_pool_bound_reported = 0;
  uint32_t m_client_calls = 0;  // blocking RPCs sent by this core's threads
  uint64_t m_client_spins = 0;  // of those, the ones that polled for their answer before blocking
};

struct RpcIndexStats {
  uint64_t sent = 0;                       // by clients of this cluster
  uint64_t served = 0;                     // by servers of this cluster
  uint64_t errors = 0;                     // errors returned by servers of this cluster (direct calls too)
  uint64_t fifo_full_retries = 0;          // back-off rounds of clients of this cluster
  uint64_t send_failures = 0;              // sends given up with the FIFO still full
  uint64_t direct = 0;                     // local calls served directly (no descriptor, no FIFO)
  uint64_t latency[kLatencyBuckets] = {};  // client-side round trips (a sample of the blocking calls)
};

struct RpcClusterState {
  RpcCoreState m_cores[kMaxCoresPerCluster];
  RpcIndexStats m_stats[kRpcStatSlots];  // by rpc_stat_slot(index)
  uint64_t m_undefined_logged = 0;       // bit per index: rpc_undefined logged it once

  // immutable after boot
  uint32_t m_fifo_slots_nr = 0;
  uint32_t m_pool_bound = 0;
  uint32_t m_batch = 0;
  uint32_t m_full_retries = 0;
};
static_assert(sizeof(RpcClusterState) <= hal::kRpcDataSpan, "rpc's kernel data outgrew its span in hal/kdata.hpp");

inline RpcClusterState* rpc_cluster_state(hal::cxy_t cxy) {
  return hal::kdata_at<RpcClusterState, hal::kRpcDataLpa>(cxy);
}
inline RpcClusterState* local_rpc_state() { return rpc_cluster_state(hal::local_cxy()); }

// Latency bucket of a round trip of `ns` nanoseconds.
inline uint32_t latency_bucket(uint64_t ns) {
  uint32_t bucket = 0;
  while (ns > 1 && bucket + 1 < kLatencyBuckets) {
    ns >>= 1;
    ++bucket;
  }
  return bucket;
}

}  // namespace mkh::rpc
