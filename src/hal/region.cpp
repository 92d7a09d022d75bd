// Reserving the machine's region, opening one bank per cluster, NUMA binding.
// Layer: hal. Calls mmap, mprotect and madvise, reads /dev/zero (populated banks) and,
// when built with it, libnuma.
#include "hal/region.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>

#include <fmt/format.h>

#if defined(MKH_HAVE_NUMA)
#include <numa.h>
#endif
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#endif

namespace mkh::hal {

namespace {
std::atomic<bool> g_region_mapped{false};
std::atomic<bool> g_numa_notice_printed{false};

unsigned log2_exact(uint64_t v) { return unsigned(__builtin_ctzll(v)); }

// Commits every page of a fresh bank [base, base + bytes) (anonymous memory, all zeros) so
// that neither the kernel threads' first touch of a page nor the host kernel's (the device
// thread's preadv and pwritev into bank pages) takes a host fault: the pages are made
// present (MADV_POPULATE_WRITE, Linux 5.14), then each is written once from user mode (its
// first byte with its own value) and once by the host kernel (a read of /dev/zero over it:
// zeros over zeros). On hosts whose hypervisor maps a page separately for the guest's user
// and kernel modes (seen on this project's reference VM: 5 to 6 us the first time each
// mode touches a page, even once it is present), each touch is a fault of its own
// (docs/perf.md, "A populated bank").
bool populate_range(uint8_t* base, uint64_t bytes) {
#if defined(MADV_POPULATE_WRITE)
  if (madvise(base, bytes, MADV_POPULATE_WRITE) != 0 && errno != EINVAL) return false;
#endif
  for (uint64_t offset = 0; offset < bytes; offset += kPageSize) {
    auto* byte = reinterpret_cast<volatile uint8_t*>(base + offset);
    *byte = *byte;
  }
  const int zero = open("/dev/zero", O_RDONLY | O_CLOEXEC);
  if (zero < 0) return true;  // the kernel's touch is an optimisation: without it, I/O pays its first faults
  constexpr uint64_t kChunk = uint64_t(1) << 20;
  for (uint64_t offset = 0; offset < bytes; offset += kChunk) {
    const uint64_t size = std::min(kChunk, bytes - offset);
    if (pread(zero, base + offset, size, 0) != ssize_t(size)) break;
  }
  close(zero);
  return true;
}

// Binds each bank to a NUMA node, round-robin; returns a one-line notice of what was done.
std::string bind_banks(const Topology& topology) {
#if defined(MKH_HAVE_NUMA)
  if (numa_available() < 0) return "libnuma: no NUMA support on this host; banks are not bound";
  const int nodes = numa_num_configured_nodes();
  if (nodes <= 1) return "libnuma: one NUMA node; banks are not bound";
  uint32_t index = 0;
  for (uint32_t x = 0; x < topology.x_size; ++x)
    for (uint32_t y = 0; y < topology.y_size; ++y, ++index)
      numa_tonode_memory(bank_base(make_cxy(x, y)), g_address_space.bank_size, int(index % nodes));
  return fmt::format("libnuma: banks bound round-robin on {} NUMA nodes", nodes);
#else
  (void)topology;
  return "libnuma: not built in; banks are not bound";
#endif
}
}  // namespace

Result<Region> Region::map(const Topology& topology, uint64_t bank_bytes, bool populate, bool quiet) {
  if (bank_bytes < kPageSize || (bank_bytes & (bank_bytes - 1)) != 0) return error(Errno::kInval);
  if (topology.x_size == 0 || topology.y_size == 0 || topology.x_size > kMaxXSize || topology.y_size > kMaxYSize)
    return error(Errno::kInval);
  if (g_region_mapped.exchange(true)) return error(Errno::kBusy);

  const unsigned span_shift = log2_exact(bank_bytes);
  const uint32_t cxy_limit = make_cxy(topology.x_size - 1, topology.y_size - 1) + 1;
  const uint64_t span = uint64_t(1) << span_shift;
  const uint64_t size = span * cxy_limit;

  // Over-reserve by one span so the base can be aligned on it: then every buddy block of
  // the ppm is naturally aligned in host addresses too.
  void* mapping = mmap(nullptr, size + span, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (mapping == MAP_FAILED) {
    g_region_mapped.store(false);
    return error(Errno::kNoMem);
  }
  const auto raw = reinterpret_cast<uintptr_t>(mapping);
  const uintptr_t aligned = (raw + span - 1) & ~(span - 1);

  g_address_space = AddressSpace{};
  g_address_space.base = reinterpret_cast<uint8_t*>(aligned);
  g_address_space.span_shift = span_shift;
  g_address_space.bank_size = bank_bytes;
  g_address_space.cxy_limit = cxy_limit;
  for (uint32_t x = 0; x < topology.x_size; ++x) {
    for (uint32_t y = 0; y < topology.y_size; ++y) {
      const cxy_t cxy = make_cxy(x, y);
      if (mprotect(bank_base(cxy), bank_bytes, PROT_READ | PROT_WRITE) != 0 ||
          (populate && !populate_range(bank_base(cxy), bank_bytes))) {
        munmap(mapping, size + span);
        g_address_space = AddressSpace{};
        g_region_mapped.store(false);
        return error(Errno::kNoMem);
      }
      g_address_space.present[cxy] = true;
    }
  }

  Region region;
  region.m_mapping = mapping;
  region.m_size = size + span;
  region.m_numa_notice = bind_banks(topology);
  if (!quiet && !g_numa_notice_printed.exchange(true)) std::fprintf(stderr, "mkh: %s\n", region.m_numa_notice.c_str());
  return region;
}

Region::Region(Region&& other) noexcept
    : m_mapping(other.m_mapping), m_size(other.m_size), m_numa_notice(std::move(other.m_numa_notice)) {
  other.m_mapping = nullptr;
  other.m_size = 0;
}

#if defined(__SANITIZE_ADDRESS__)
namespace {

// ASAN_UNPOISON_MEMORY_REGION(base, size), but the whole pages of the range's shadow given
// back to the host (they read as zeros again: unpoisoned) rather than written: a bank's
// shadow is mostly pages nothing touched, which a memset would make the host commit (it
// was a third of an ASan `mkh exec /bin/true`, at its shutdown).
void unpoison_by_release(void* base, uint64_t size) {
  size_t scale = 0, offset = 0;
  __asan_get_shadow_mapping(&scale, &offset);
  const uintptr_t begin = reinterpret_cast<uintptr_t>(base), end = begin + size;
  const uintptr_t granule = uintptr_t(sysconf(_SC_PAGESIZE)) << scale;  // the bytes a shadow page covers
  const uintptr_t inner_begin = (begin + granule - 1) / granule * granule, inner_end = end / granule * granule;
  if (inner_begin >= inner_end) {
    ASAN_UNPOISON_MEMORY_REGION(base, size);
    return;
  }
  ASAN_UNPOISON_MEMORY_REGION(base, inner_begin - begin);
  ASAN_UNPOISON_MEMORY_REGION(reinterpret_cast<void*>(inner_end), end - inner_end);
  if (madvise(reinterpret_cast<void*>((inner_begin >> scale) + offset), (inner_end - inner_begin) >> scale,
              MADV_DONTNEED) != 0)
    ASAN_UNPOISON_MEMORY_REGION(reinterpret_cast<void*>(inner_begin), inner_end - inner_begin);
}

}  // namespace
#endif

Region::~Region() {
  if (m_mapping == nullptr) return;
#if defined(__SANITIZE_ADDRESS__)
  // Frames of abandoned fibers leave poisoned red zones; a later region may reuse the range.
  for (cxy_t cxy = 0; cxy < g_address_space.cxy_limit; ++cxy)
    if (g_address_space.present[cxy]) unpoison_by_release(bank_base(cxy), g_address_space.bank_size);
#endif
  munmap(m_mapping, m_size);
  g_address_space = AddressSpace{};
  g_region_mapped.store(false);
}

}  // namespace mkh::hal
