// The running host thread's context, out of line (cpu.hpp says why). Layer: hal.
#include "hal/cpu.hpp"

namespace mkh::hal {

// Not inlined, and not found `const` either (the empty volatile asm counts as a side
// effect), so two calls are never folded into one across a fiber switch.
[[gnu::noinline]] CpuContext& cpu_out_of_line() {
  asm volatile("");
  return detail::t_cpu;
}

}  // namespace mkh::hal
