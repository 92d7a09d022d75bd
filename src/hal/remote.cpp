// Remote access helpers that are too long to inline, and the xptr checks.
// Layer: hal.
#include "hal/remote.hpp"

#include <fmt/format.h>

namespace mkh::hal {

AddressSpace g_address_space;

void check_host_ptr(const void* ptr, const char* what) {
  const auto address = reinterpret_cast<uintptr_t>(ptr);
  const auto base = reinterpret_cast<uintptr_t>(g_address_space.base);
  const uint64_t span = uint64_t(1) << g_address_space.span_shift;
  KASSERT(base != 0 && address >= base && address < base + span * g_address_space.cxy_limit,
          "{}: host pointer {} is outside the machine's region", what, ptr);
  const cxy_t cxy = cxy_t((address - base) >> g_address_space.span_shift);
  KASSERT(g_address_space.present[cxy], "{}: host pointer {} is in the bank of absent cluster {:#x}", what, ptr, cxy);
  KASSERT(((address - base) & (span - 1)) < g_address_space.bank_size,
          "{}: host pointer {} is past the end of bank {:#x}", what, ptr, cxy);
}

void check_xptr(xptr_t xp, uint64_t size, const char* what) {
  const cxy_t cxy = GET_CXY(xp);
  KASSERT(cxy < g_address_space.cxy_limit && g_address_space.present[cxy], "{}: xptr {:#x} names absent cluster {:#x}",
          what, xp, cxy);
  KASSERT(size <= g_address_space.bank_size && GET_LPA(xp) <= g_address_space.bank_size - size,
          "{}: xptr {:#x} (+{} bytes) is past the end of bank {:#x} ({} bytes)", what, xp, size, cxy,
          g_address_space.bank_size);
}

std::size_t remote_strcpy(Xptr<char> dst, Xptr<const char> src, std::size_t capacity) {
  if (capacity == 0) return 0;
  std::size_t n = 0;
  for (; n + 1 < capacity; ++n) {
    const char c = *(src + std::ptrdiff_t(n)).host_ptr();
    if (c == '\0') break;
    *(dst + std::ptrdiff_t(n)).host_ptr() = c;
  }
  *(dst + std::ptrdiff_t(n)).host_ptr() = '\0';
  return n;
}

}  // namespace mkh::hal
