// The replicated kernel data: where each layer keeps its per-cluster descriptor in a bank.
// Layer: hal. Calls nothing. Every cluster places a layer's descriptor at the same lpa of
// its own bank, so XPTR(cxy, &local_descriptor->field) reaches the same field of any
// cluster (kernel-data replication). The table below is the bank's map, like a linker
// script: each layer asserts that its descriptor fits its span, and a new layer adds a span.
#pragma once

#include <cstdint>

#include "hal/xptr.hpp"

namespace mkh::hal {

// Page 0 of every bank is never used, so no kernel object has lpa 0 (XPTR_NULL).
inline constexpr lpa_t kMemoryDataLpa = kPageSize;  // mm: ppm, kcm caches
inline constexpr uint64_t kMemoryDataSpan = 4 * kPageSize;
inline constexpr lpa_t kKernDataLpa = kMemoryDataLpa + kMemoryDataSpan;  // kern: cores, counters
inline constexpr uint64_t kKernDataSpan = 8 * kPageSize;
inline constexpr lpa_t kRpcDataLpa = kKernDataLpa + kKernDataSpan;  // rpc: FIFOs, pools, stats
inline constexpr uint64_t kRpcDataSpan = 24 * kPageSize;
inline constexpr lpa_t kDevDataLpa = kRpcDataLpa + kRpcDataSpan;  // dev: the chdev directory
inline constexpr uint64_t kDevDataSpan = 1 * kPageSize;
inline constexpr lpa_t kFsDataLpa = kDevDataLpa + kDevDataSpan;  // fs: the mounted volume
inline constexpr uint64_t kFsDataSpan = 1 * kPageSize;
inline constexpr lpa_t kProcDataLpa = kFsDataLpa + kFsDataSpan;  // proc: the process table, the copies' lists
inline constexpr uint64_t kProcDataSpan = 6 * kPageSize;
// First byte after the replicated kernel data: the ppm's page array starts here.
inline constexpr lpa_t kKernelDataEnd = kProcDataLpa + kProcDataSpan;

// The descriptor of type T that a layer keeps at `lpa` of cxy's bank.
template <typename T, lpa_t lpa>
inline T* kdata_at(cxy_t cxy) {
  return reinterpret_cast<T*>(bank_base(cxy) + lpa);
}

// The same field of `cxy`'s copy of a replicated descriptor, given the field in the local
// copy: XPTR(cxy, local_field).
template <typename F>
Xptr<F> cluster_field(cxy_t cxy, F* local_field) {
  return Xptr<F>(XPTR(cxy, local_field));
}

}  // namespace mkh::hal
