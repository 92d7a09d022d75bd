// Calibration of the cheap clock against steady_clock, once per process (at the first
// Machine::boot). Layer: hal. Calls std::chrono and a host sleep only.
#include "hal/clock.hpp"

#include <mutex>
#include <thread>

namespace mkh::hal {

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
