// The physical memory of the hosted machine: one reserved virtual region, one bank per
// cluster at base + (cxy << span_shift), committed by the host at the first touch of each
// page or, when asked, all at once, and bound to a NUMA node when libnuma is there.
// Layer: hal. Owns g_address_space while mapped.
#pragma once

#include <cstdint>
#include <string>

#include "hal/xptr.hpp"
#include "libk/result.hpp"
#include "mkh/config.hpp"

namespace mkh::hal {

class Region {
 public:
  // Reserves and maps the banks of every cluster of the topology; fills g_address_space.
  // With `populate`, every page of every bank is committed before the call returns.
  // Only one region may be mapped at a time in a process.
  static Result<Region> map(const Topology& topology, uint64_t bank_bytes, bool populate, bool quiet);

  Region(Region&& other) noexcept;
  Region& operator=(Region&&) = delete;
  Region(const Region&) = delete;
  ~Region();

  uint64_t reserved_bytes() const { return m_size; }
  const std::string& numa_notice() const { return m_numa_notice; }

 private:
  Region() = default;
  void* m_mapping = nullptr;  // the whole reservation, as mmap returned it
  uint64_t m_size = 0;
  std::string m_numa_notice;
};

}  // namespace mkh::hal
