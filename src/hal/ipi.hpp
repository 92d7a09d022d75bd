// Inter-processor interrupts of the hosted machine: a pending word per core, set by the
// sender, and a futex the idle core sleeps on after a bounded spin. Layer: hal.
// The sender reaches the target's line through its xptr; only the owner core waits on it.
#pragma once

#include <cstdint>

#include "hal/xptr.hpp"

namespace mkh::hal {

struct IpiLine {
  uint32_t pending = 0;   // 1 while an IPI is not yet taken; the futex word
  uint32_t sleeping = 0;  // 1 while the owner core sleeps (or is about to) on `pending`
};

// Raises the target's IPI; wakes it from its futex when it sleeps. Returns true when the
// line went from clear to pending (a new IPI, not one merged into a pending one).
//
// No lost wake-up: the sender writes `pending` then reads `sleeping`; the sleeper writes
// `sleeping` then reads `pending` (inside FUTEX_WAIT, which only sleeps while it is 0).
// Both pairs are sequentially consistent, so at least one side sees the other's write.
bool ipi_send(Xptr<IpiLine> line);

// Owner side: true when an IPI was pending, which it clears.
bool ipi_take(IpiLine& line);

// Owner side: waits until an IPI is pending or *stop is non-zero; polls for spin_ns
// nanoseconds first, then sleeps on the futex, for at most timeout_ns when it is not 0.
// Returns true when it slept.
bool ipi_wait(IpiLine& line, uint64_t spin_ns, const uint32_t& stop, uint64_t timeout_ns = 0);

}  // namespace mkh::hal
