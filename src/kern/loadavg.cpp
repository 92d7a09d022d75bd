// Load averages (see kern/loadavg.hpp). Layer: kern.
#include "kern/loadavg.hpp"

#include "hal/remote.hpp"

namespace mkh::kern {

namespace {

constexpr uint64_t kFixedOne = uint64_t(1) << kLoadShift;

// x^n in fixed point, rounding each product (Linux's fixed_power_int).
uint64_t fixed_power(uint64_t x, uint64_t n) {
  uint64_t result = kFixedOne;
  while (n != 0) {
    if ((n & 1) != 0) result = (result * x + kFixedOne / 2) >> kLoadShift;
    n >>= 1;
    if (n == 0) break;
    x = (x * x + kFixedOne / 2) >> kLoadShift;
  }
  return result;
}

}  // namespace

uint32_t load_fold(uint32_t average, uint32_t period_factor, uint32_t active, uint64_t periods) {
  if (periods == 0) return average;
  const uint64_t factor = fixed_power(period_factor, periods);
  uint64_t folded = uint64_t(average) * factor + uint64_t(active) * (kFixedOne - factor);
  if (active >= average) folded += kFixedOne - 1;  // round up while rising (Linux's calc_load)
  return uint32_t(folded >> kLoadShift);
}

void load_sample(LoadAverage* load, uint32_t ready, uint64_t now) {
  const uint64_t period = load->m_period;
  if (period == 0) return;
  if (load->m_next == 0) {
    hal::local_store(load->m_next, now + period, std::memory_order_relaxed);
    return;
  }
  const uint64_t periods = (now - load->m_next) / period + 1;
  for (uint32_t i = 0; i < 3; ++i) {
    const uint32_t slept = load_fold(load->m_avg[i], kLoadFactors[i], 0, periods - 1);
    hal::local_store(load->m_avg[i], load_fold(slept, kLoadFactors[i], ready << kLoadShift, 1),
                     std::memory_order_relaxed);
  }
  hal::local_store(load->m_next, load->m_next + periods * period, std::memory_order_relaxed);
}

void load_read(hal::Xptr<LoadAverage> load, uint64_t now, uint32_t out[3]) {
  const uint64_t next = hal::remote_load(load.field(&LoadAverage::m_next));
  const uint64_t period = hal::remote_load(load.field(&LoadAverage::m_period));
  const uint64_t missed = next != 0 && period != 0 && now >= next ? (now - next) / period : 0;
  const auto averages = load.field(&LoadAverage::m_avg).as<uint32_t>();
  for (uint32_t i = 0; i < 3; ++i) out[i] = load_fold(hal::remote_load(averages + i), kLoadFactors[i], 0, missed);
}

}  // namespace mkh::kern
