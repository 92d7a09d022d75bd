// Remote access: every read or write of another cluster's memory goes through here.
// Layer: hal. Today these are plain atomic loads and stores on the shared region; a later
// transport (other processes, MPI windows) replaces the bodies, not the callers.
// Loads are acquire, stores release, read-modify-writes sequentially consistent.
#pragma once

#include <atomic>
#include <cstring>
#include <type_traits>

#include "hal/xptr.hpp"

namespace mkh::hal {

// A word the remote primitives move atomically: naturally aligned, 1 to 8 bytes.
template <typename T>
concept RemoteWord = std::is_trivially_copyable_v<T> && alignof(T) == sizeof(T) &&
                     (sizeof(T) == 1 || sizeof(T) == 2 || sizeof(T) == 4 || sizeof(T) == 8);

// The host address of a remote word, checked (debug builds) for natural alignment.
template <RemoteWord T>
inline T* word_at(Xptr<T> xp) {
  T* word = xp.host_ptr();
  DEBUG_KASSERT(reinterpret_cast<uintptr_t>(word) % sizeof(T) == 0, "xptr {:#x} is not aligned for a {}-byte word",
                xp.raw(), sizeof(T));
  return word;
}

template <RemoteWord T>
inline T remote_load(Xptr<T> xp) {
  return std::atomic_ref<T>(*word_at(xp)).load(std::memory_order_acquire);
}

// A sequentially consistent load, for the store-then-load pairings (Dekker) of the wake-up
// protocols, where acquire is not enough: the preceding store must be an RMW or seq_cst too.
template <RemoteWord T>
inline T remote_load_sc(Xptr<T> xp) {
  return std::atomic_ref<T>(*word_at(xp)).load(std::memory_order_seq_cst);
}

template <RemoteWord T>
inline void remote_store(Xptr<T> xp, T value) {
  std::atomic_ref<T>(*word_at(xp)).store(value, std::memory_order_release);
}

// Compare-and-swap: true when *xp was `expected` and is now `desired`.
template <RemoteWord T>
inline bool remote_cas(Xptr<T> xp, T expected, T desired) {
  return std::atomic_ref<T>(*word_at(xp)).compare_exchange_strong(expected, desired);
}

template <RemoteWord T>
inline T remote_exchange(Xptr<T> xp, T value) {
  return std::atomic_ref<T>(*word_at(xp)).exchange(value);
}

// Atomic add, or, and: each returns the value before the operation.
template <RemoteWord T>
inline T remote_atomic_add(Xptr<T> xp, T delta) {
  return std::atomic_ref<T>(*word_at(xp)).fetch_add(delta);
}
template <RemoteWord T>
inline T remote_atomic_or(Xptr<T> xp, T bits) {
  return std::atomic_ref<T>(*word_at(xp)).fetch_or(bits);
}
template <RemoteWord T>
inline T remote_atomic_and(Xptr<T> xp, T bits) {
  return std::atomic_ref<T>(*word_at(xp)).fetch_and(bits);
}

// From here on the compiler treats `object`, a local, as reachable by anyone: one that other
// threads reach through an xptr (a record on a stack linked into a list by remote access) must
// be, or the compiler, which does not see that an xptr names it, may drop stores to it that no
// local code reads.
template <typename T>
inline void publish_local(T& object) {
  asm volatile("" : : "r"(&object) : "memory");
}

// Bulk copy between any two places of the machine. Not atomic: the caller orders it.
// Not for a local object named by XPTR(local_cxy(), &object): the compiler does not see that
// the xptr names `object`, and one whose address goes nowhere else (say, one returned by
// value) may be read before the copy wrote it, or copied before its fields were stored. Use
// remote_read / remote_write for those.
inline void remote_memcpy(Xptr<void> dst, Xptr<void> src, std::size_t size) {
#if defined(MKH_DEBUG_CHECKS)
  check_xptr(dst.raw(), size, "remote_memcpy destination");
  check_xptr(src.raw(), size, "remote_memcpy source");
#endif
  std::memcpy(GET_PTR(dst.raw()), GET_PTR(src.raw()), size);
}

// A whole object of any cluster copied into a local value, or a local value into one. Not
// atomic: the caller orders it (a lock, or a protocol that keeps the object still).
template <typename T>
requires std::is_trivially_copyable_v<T>
inline T remote_read(Xptr<T> src) {
#if defined(MKH_DEBUG_CHECKS)
  check_xptr(src.raw(), sizeof(T), "remote_read");
#endif
  T value;
  std::memcpy(&value, GET_PTR(src.raw()), sizeof(T));
  return value;
}
template <typename T>
requires std::is_trivially_copyable_v<T>
inline void remote_write(Xptr<T> dst, const T& value) {
#if defined(MKH_DEBUG_CHECKS)
  check_xptr(dst.raw(), sizeof(T), "remote_write");
#endif
  std::memcpy(GET_PTR(dst.raw()), &value, sizeof(T));
}

// Copy a NUL-terminated string of at most `capacity` bytes including the NUL; the result
// is always terminated. Returns the length copied (without the NUL).
std::size_t remote_strcpy(Xptr<char> dst, Xptr<const char> src, std::size_t capacity);

// Plain local atomics on fields that other clusters also reach through remote_*.
template <RemoteWord T>
inline T local_load(const T& field, std::memory_order order = std::memory_order_acquire) {
  return std::atomic_ref<T>(const_cast<T&>(field)).load(order);
}
template <RemoteWord T>
inline void local_store(T& field, T value, std::memory_order order = std::memory_order_release) {
  std::atomic_ref<T>(field).store(value, order);
}
// A statistics counter: relaxed updates by its owner, read by anyone.
template <RemoteWord T>
inline void stat_add(T& counter, T delta = 1) {
  std::atomic_ref<T>(counter).fetch_add(delta, std::memory_order_relaxed);
}
template <RemoteWord T>
inline void stat_sub(T& counter, T delta = 1) {
  std::atomic_ref<T>(counter).fetch_sub(delta, std::memory_order_relaxed);
}
template <RemoteWord T>
inline T stat_read(const T& counter) {
  return local_load(counter, std::memory_order_relaxed);
}

}  // namespace mkh::hal
