// Cheap time for spin loops and latency samples: the CPU's time-stamp counter (a constant
// rate on the hosts mkh runs on: "constant_tsc"), converted with a factor calibrated once
// per process against steady_clock. A steady_clock read costs 50-100 ns on the reference
// VM, rdtsc about 20 ns; the RPC round trip is a few hundred.
// Layer: hal.
#pragma once

#include <time.h>

#include <chrono>
#include <cstdint>

#include "hal/cpu.hpp"

#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#endif

namespace mkh::hal {

// The host clock `clock` (a clockid_t: CLOCK_REALTIME, CLOCK_MONOTONIC, ...) in nanoseconds.
inline int64_t clock_ns(int clock) {
  timespec now{};
  clock_gettime(clock, &now);
  return int64_t(now.tv_sec) * 1'000'000'000 + now.tv_nsec;
}

inline uint64_t steady_ns() {
  return uint64_t(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
          .count());
}

// Ticks of the cheap clock: TSC cycles on x86, nanoseconds elsewhere.
inline uint64_t ticks() {
#if defined(__x86_64__) || defined(__i386__)
  return __rdtsc();
#else
  return steady_ns();
#endif
}

// Fixed-point ticks per nanosecond (x 2^16); set by clock_calibrate().
inline uint64_t g_ticks_per_ns_q16 = uint64_t(1) << 16;

// Measures the tick rate once per process (a few milliseconds); later calls return at once.
void clock_calibrate();

// How often spin loops yield the host CPU (cpu.hpp): every 64 pauses when spinners may share
// host CPUs; else about eight times what a yield costs here in pauses (measured at the first
// call, a few tens of microseconds), so that a spinner spends about a ninth of its time in
// yields.
void spin_set_host_cpus_shared(bool shared);

inline uint64_t ns_to_ticks(uint64_t ns) { return (ns * g_ticks_per_ns_q16) >> 16; }
inline uint64_t ticks_to_ns(uint64_t t) { return (t << 16) / g_ticks_per_ns_q16; }

// Spins until ready() or budget_ns have passed; true when ready. The first rounds do not
// read the clock at all: a partner that answers within them costs no clock read.
template <typename Ready>
bool spin_until(Ready&& ready, uint64_t budget_ns) {
  uint32_t spins = 0;
  for (uint32_t i = 0; i < 16; ++i) {
    if (ready()) return true;
    cpu_relax(spins);
  }
  const uint64_t deadline = ticks() + ns_to_ticks(budget_ns);
  for (;;) {
    if (ready()) return true;
    cpu_relax(spins);
    if ((spins & 15u) == 0 && ticks() >= deadline) return ready();
  }
}

// Polls *word (acquire loads) until (*word & mask) == value, at most `polls` times with a
// pause after each miss; true when it matched. On x86-64, outside the sanitizers, the loop
// is written in assembly at a fixed place in its block of code: where a pause loop sits
// decides how soon it sees a store from another CPU on some CPUs (by a fifth of an RPC
// round trip on the EPYC machines), and where the compiler puts one moves with every
// unrelated change (docs/decisions.md, "The client's wait loop has a fixed place").
bool poll_word(const uint32_t* word, uint32_t mask, uint32_t value, uint32_t polls);
// The same for a 64-bit word, compared whole (a FIFO slot's sequence), at the same place.
bool poll_word(const uint64_t* word, uint64_t value, uint32_t polls);

namespace detail {
// Runs poll(n), which polls n times and tells whether it matched, until it matches, budget_ns
// have passed or give_up(); the clock and give_up are read between chunks of 16 polls (the
// first chunk reads neither), and the host CPU is yielded as cpu_relax does it.
template <typename Poll, typename GiveUp>
inline bool spin_polling(Poll&& poll, uint64_t budget_ns, GiveUp&& give_up) {
  constexpr uint32_t kPolls = 16;
  if (poll(kPolls)) return true;
  const uint64_t deadline = ticks() + ns_to_ticks(budget_ns);
  for (uint32_t polled = kPolls;; polled += kPolls) {
    if ((polled & g_spin_yield_mask.load(std::memory_order_relaxed)) == 0) std::this_thread::yield();
    if (poll(kPolls)) return true;
    if (give_up() || ticks() >= deadline) return false;
  }
}
}  // namespace detail

// spin_until for one word: spins until (*word & mask) == value or budget_ns have passed,
// yielding the host CPU as cpu_relax does (once every g_spin_yield_mask + 1 pauses).
inline bool spin_until_word(const uint32_t* word, uint32_t mask, uint32_t value, uint64_t budget_ns) {
  return detail::spin_polling([&](uint32_t polls) { return poll_word(word, mask, value, polls); }, budget_ns,
                              [] { return false; });
}
// The same for a 64-bit word, which gives up early too when give_up() (read between chunks).
template <typename GiveUp>
inline bool spin_until_word(const uint64_t* word, uint64_t value, uint64_t budget_ns, GiveUp&& give_up) {
  return detail::spin_polling([&](uint32_t polls) { return poll_word(word, value, polls); }, budget_ns, give_up);
}

}  // namespace mkh::hal
