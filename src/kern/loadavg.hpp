// Load averages, as Linux computes them (kernel/sched/loadavg.c): every period (5 seconds,
// Linux's LOAD_FREQ; MachineConfig::load_period_ms, which tests shorten) a core samples how
// many of its threads are ready to run, the running one included, and folds the count into
// three exponential averages over 1, 5 and 15 minutes, in fixed point with 11 fraction bits
// (Linux's avenrun). The machine's load is the sum of its cores'. Layer: kern.
//
// A core samples at the scheduling points where it reads the clock anyway — a user thread's
// turn, its idle thread's loop — so the scheduler's fast path pays one compare. An idle core
// that sleeps samples when it wakes, each period it slept through counting 0 (nothing of it
// was ready), as Linux's idle CPUs catch up (calc_load_nohz); a reader on any cluster folds
// the periods the owner has not sampled yet in the same way, so a sleeping core's averages
// decay while it sleeps. Only the owner writes, by relaxed stores; readers load each word.
#pragma once

#include <cstdint>

#include "hal/xptr.hpp"

namespace mkh::kern {

inline constexpr uint32_t kLoadShift = 11;  // fraction bits (Linux's FSHIFT)

struct LoadAverage {
  uint64_t m_period = 0;   // in hal::ticks(), set at boot; 0: no sampling
  uint64_t m_next = 0;     // hal::ticks() of the next sample; 0 before the first
  uint32_t m_avg[3] = {};  // over 1, 5 and 15 minutes, x 2^kLoadShift
};

// The owner core's, at `now` (hal::ticks()) with `ready` threads ready: samples when a period
// has ended since the last sample, each earlier period missed counting 0.
void load_sample(LoadAverage* load, uint32_t ready, uint64_t now);
inline void load_tick(LoadAverage* load, uint32_t ready, uint64_t now) {
  if (now >= load->m_next) load_sample(load, ready, now);
}

// The averages of `load`, of any cluster, at `now`: the whole periods since its owner's next
// sample was due count 0.
void load_read(hal::Xptr<LoadAverage> load, uint64_t now, uint32_t out[3]);

// One average after `periods` samples of `active` threads (x 2^kLoadShift): Linux's
// calc_load_n, exact in fixed point; exposed for the tests.
uint32_t load_fold(uint32_t average, uint32_t period_factor, uint32_t active, uint64_t periods);
// The factors of the three averages for one period, e^(-5 s / 1, 5, 15 min) x 2^kLoadShift
// (Linux's EXP_1, EXP_5, EXP_15: a shorter period ages the averages faster, as it should for
// a test).
inline constexpr uint32_t kLoadFactors[3] = {1884, 2014, 2037};

}  // namespace mkh::kern
