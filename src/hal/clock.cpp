// Calibration of the cheap clock against steady_clock, once per process (at the first
// Machine::boot), the spin loops' yield interval, and the word-polling loop. Layer: hal.
// Calls std::chrono, a host sleep and host yields only.
#include "hal/clock.hpp"

#include <algorithm>
#include <bit>
#include <mutex>
#include <thread>

#include "hal/remote.hpp"

namespace mkh::hal {

namespace {

// The cheapest of a few timings of `count` calls of `step`, in nanoseconds per call.
template <typename Step>
uint64_t cheapest_ns(uint32_t count, Step&& step) {
  uint64_t best = UINT64_MAX;
  for (int sample = 0; sample < 5; ++sample) {
    const uint64_t start = steady_ns();
    for (uint32_t i = 0; i < count; ++i) step();
    best = std::min(best, (steady_ns() - start) / count);
  }
  return std::max<uint64_t>(best, 1);
}

// The mask for spinners that each have a host CPU: eight pauses' worth of time for every
// yield's, in a power of two (measured once).
uint32_t spin_yield_mask_alone() {
  static const uint32_t mask = [] {
    const uint64_t pause_ns = cheapest_ns(256, [] {
      uint32_t never = 1;  // cpu_relax pauses unless its count reaches the mask: 1 never does
      cpu_relax(never);
    });
    const uint64_t yield_ns = cheapest_ns(16, [] { std::this_thread::yield(); });
    return uint32_t(std::bit_ceil(std::clamp<uint64_t>(8 * yield_ns / pause_ns, 64, 4096)) - 1);
  }();
  return mask;
}

}  // namespace

void spin_set_host_cpus_shared(bool shared) {
  g_spin_yield_mask.store(shared ? kSpinYieldMaskShared : spin_yield_mask_alone(), std::memory_order_relaxed);
}

#if defined(__x86_64__) && !defined(MKH_ASAN) && !defined(MKH_TSAN)
// The loop (load, mask, compare, branch out, pause, count, branch back: 14 bytes, its
// registers fixed so that its length is too) starts kPollLoopOffset bytes into a 64-byte
// block, so that it crosses into the next: on the EPYC machines (family 26) such a loop sees
// the store it waits for sooner than one within a block (docs/perf.md, "Where a spin loop
// sits"). The padding before it is jumped over.
constexpr uint32_t kPollLoopOffset = 60;

// The two loops' framing around their load and compare (which branch to 3 on a match): the
// padding jumped over, then pause, count, branch back; `matched` is 1 after a match.
#define MKH_POLL_LOOP(load_and_compare) \
  "xor %k[matched], %k[matched]\n\t"    \
  "jmp 2f\n\t"                          \
  ".p2align 6\n\t"                      \
  ".skip %c[offset], 0x90\n"            \
  "2:\n\t" load_and_compare             \
  "pause\n\t"                           \
  "dec %%esi\n\t"                       \
  "jnz 2b\n\t"                          \
  "jmp 4f\n"                            \
  "3:\n\t"                              \
  "mov $1, %k[matched]\n"               \
  "4:"

bool poll_word(const uint32_t* word, uint32_t mask, uint32_t value, uint32_t polls) {
  if (polls == 0) return false;
  uint32_t matched;
  asm volatile(MKH_POLL_LOOP("mov (%%rdi), %%eax\n\tand %%edx, %%eax\n\tcmp %%ecx, %%eax\n\tje 3f\n\t")
               : [matched] "=&r"(matched), "+S"(polls)
               : "D"(word), "d"(mask), "c"(value), [offset] "i"(kPollLoopOffset)
               : "rax", "cc", "memory");
  return matched != 0;
}

// The same loop without the mask, on the whole word: 14 bytes too, at the same offset.
bool poll_word(const uint64_t* word, uint64_t value, uint32_t polls) {
  if (polls == 0) return false;
  uint32_t matched;
  asm volatile(MKH_POLL_LOOP("mov (%%rdi), %%rax\n\tcmp %%rcx, %%rax\n\tje 3f\n\t")
               : [matched] "=&r"(matched), "+S"(polls)
               : "D"(word), "c"(value), [offset] "i"(kPollLoopOffset)
               : "rax", "cc", "memory");
  return matched != 0;
}
#undef MKH_POLL_LOOP
#else
bool poll_word(const uint32_t* word, uint32_t mask, uint32_t value, uint32_t polls) {
  for (uint32_t i = 0; i < polls; ++i) {
    if ((local_load(*word) & mask) == value) return true;
    cpu_pause();
  }
  return false;
}

bool poll_word(const uint64_t* word, uint64_t value, uint32_t polls) {
  for (uint32_t i = 0; i < polls; ++i) {
    if (local_load(*word) == value) return true;
    cpu_pause();
  }
  return false;
}
#endif

void clock_calibrate() {
#if defined(__x86_64__) || defined(__i386__)
  static std::once_flag once;
  std::call_once(once, [] {
    const uint64_t ns0 = steady_ns(), t0 = ticks();
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    const uint64_t ns1 = steady_ns(), t1 = ticks();
    if (ns1 > ns0 && t1 > t0) g_ticks_per_ns_q16 = std::max<uint64_t>(1, ((t1 - t0) << 16) / (ns1 - ns0));
  });
#endif
}

}  // namespace mkh::hal
