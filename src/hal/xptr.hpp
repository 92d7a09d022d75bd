// Extended pointers: xptr_t = (cxy << kCxyShift) | lpa names any byte of the machine.
// Layer: hal. Xptr<T> is the typed form used by the kernel; XPTR / GET_CXY / GET_PTR keep
// the reference's names. In debug builds every xptr built or dereferenced is checked to
// point inside a present bank. Calls only the region description (hal/region.hpp state).
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "libk/assert.hpp"
#include "mkh/config.hpp"

namespace mkh::hal {

using cxy_t = uint32_t;   // cluster identifier: (x << kYWidth) | y
using lid_t = uint32_t;   // core index inside its cluster
using lpa_t = uint64_t;   // local physical address: an offset inside a bank
using xptr_t = uint64_t;  // extended pointer

inline constexpr unsigned kCxyShift = 40;
inline constexpr xptr_t kLpaMask = (xptr_t(1) << kCxyShift) - 1;
inline constexpr xptr_t XPTR_NULL = 0;
inline constexpr cxy_t kInvalidCxy = ~cxy_t(0);
inline constexpr unsigned kPageShift = 12;
inline constexpr uint64_t kPageSize = uint64_t(1) << kPageShift;

// The physical address space: one reserved region, bank of cxy at base + (cxy << span_shift).
// Written once by Region::map() before any core starts; read-only while the machine runs.
struct AddressSpace {
  uint8_t* base = nullptr;
  unsigned span_shift = 0;
  uint64_t bank_size = 0;
  uint32_t cxy_limit = 0;      // every valid cxy is below this
  bool present[1u << 8] = {};  // cluster present at this cxy
};
extern AddressSpace g_address_space;

// Whether the machine has a cluster at `cxy` (any value: from a command line, a user, a peer).
inline bool cluster_present(cxy_t cxy) { return cxy < g_address_space.cxy_limit && g_address_space.present[cxy]; }

inline uint8_t* bank_base(cxy_t cxy) { return g_address_space.base + (uint64_t(cxy) << g_address_space.span_shift); }

// Aborts (debug builds) unless [lpa, lpa + size) lies inside the bank of a present cluster.
void check_xptr(xptr_t xp, uint64_t size, const char* what);
// Aborts (debug builds) unless ptr lies inside the bank of a present cluster.
void check_host_ptr(const void* ptr, const char* what);

inline constexpr cxy_t make_cxy(uint32_t x, uint32_t y) { return (x << kYWidth) | y; }
inline constexpr uint32_t cxy_x(cxy_t cxy) { return cxy >> kYWidth; }
inline constexpr uint32_t cxy_y(cxy_t cxy) { return cxy & ((1u << kYWidth) - 1); }

inline constexpr cxy_t GET_CXY(xptr_t xp) { return cxy_t(xp >> kCxyShift); }
inline constexpr lpa_t GET_LPA(xptr_t xp) { return xp & kLpaMask; }

// The lpa of a host pointer into any bank (kernel-data replication: the same lpa in every bank).
inline lpa_t lpa_of(const void* ptr) {
  return (reinterpret_cast<uintptr_t>(ptr) - reinterpret_cast<uintptr_t>(g_address_space.base)) &
         ((uint64_t(1) << g_address_space.span_shift) - 1);
}

// XPTR(cxy, ptr): the byte at ptr's lpa in cxy's bank. XPTR(cxy, nullptr) is XPTR_NULL.
inline xptr_t XPTR(cxy_t cxy, const void* ptr) {
  if (ptr == nullptr) return XPTR_NULL;
#if defined(MKH_DEBUG_CHECKS)
  check_host_ptr(ptr, "XPTR");
#endif
  const xptr_t xp = (xptr_t(cxy) << kCxyShift) | lpa_of(ptr);
#if defined(MKH_DEBUG_CHECKS)
  check_xptr(xp, 1, "XPTR");
#endif
  return xp;
}

// The host address of the byte an xptr names. Dereferencing it is allowed only when
// GET_CXY(xp) is the local cluster; remote bytes are reached through hal/remote.hpp.
template <typename T = void>
inline T* GET_PTR(xptr_t xp) {
  if (xp == XPTR_NULL) return nullptr;
#if defined(MKH_DEBUG_CHECKS)
  check_xptr(xp, 1, "GET_PTR");
#endif
  return reinterpret_cast<T*>(bank_base(GET_CXY(xp)) + GET_LPA(xp));
}

namespace detail {
// Suitably aligned storage for a T, never read: one per type, not one per member asked of it
// (unoptimised builds keep each; a sanitizer's leak check scans them all at exit).
template <typename T>
struct OffsetStorage {
  alignas(T) static inline unsigned char bytes[sizeof(T)];
};
template <typename T, typename F>
std::size_t member_offset(F T::*member) {
  // The offset of a data member, computed on the type's storage (no object is read).
  const T* object = reinterpret_cast<const T*>(OffsetStorage<T>::bytes);
  return std::size_t(reinterpret_cast<const unsigned char*>(&(object->*member)) - OffsetStorage<T>::bytes);
}
}  // namespace detail

// A typed extended pointer. The kernel passes these, never raw integers.
template <typename T>
class Xptr {
 public:
  constexpr Xptr() = default;
  constexpr explicit Xptr(xptr_t raw) : m_raw(raw) {
#if defined(MKH_DEBUG_CHECKS)
    if (!std::is_constant_evaluated() && raw != XPTR_NULL) check_xptr(raw, 1, "Xptr");
#endif
  }
  Xptr(cxy_t cxy, T* ptr) : m_raw(XPTR(cxy, ptr)) {}

  constexpr xptr_t raw() const { return m_raw; }
  constexpr cxy_t cxy() const { return GET_CXY(m_raw); }
  constexpr lpa_t lpa() const { return GET_LPA(m_raw); }
  constexpr bool is_null() const { return m_raw == XPTR_NULL; }
  constexpr explicit operator bool() const { return m_raw != XPTR_NULL; }

  // The host address, for the remote-access primitives and for handing a pointer
  // "local to cluster cxy()" to that cluster. Not to be dereferenced elsewhere.
  T* host_ptr() const {
#if defined(MKH_DEBUG_CHECKS)
    if (m_raw != XPTR_NULL) check_xptr(m_raw, sizeof_or_one(), "Xptr::host_ptr");
#endif
    return GET_PTR<T>(m_raw);
  }

  // A field of the pointed-to object, in the same cluster.
  template <typename F, typename U>
  requires std::is_class_v<T> && std::is_base_of_v<U, T> Xptr<F> field(F U::*member)
  const { return Xptr<F>(m_raw + detail::member_offset<T>(static_cast<F T::*>(member))); }

  // Reinterpret (e.g. an xlist entry as its containing object).
  template <typename U>
  Xptr<U> as() const {
    return Xptr<U>(m_raw);
  }

  Xptr operator+(std::ptrdiff_t elements) const {
    return Xptr(m_raw + xptr_t(elements * std::ptrdiff_t(sizeof_or_one())));
  }

  friend constexpr bool operator==(Xptr a, Xptr b) { return a.m_raw == b.m_raw; }

 private:
  static constexpr std::size_t sizeof_or_one() {
    if constexpr (std::is_void_v<T>) return 1;
    else return sizeof(T);
  }
  xptr_t m_raw = XPTR_NULL;
};

}  // namespace mkh::hal
