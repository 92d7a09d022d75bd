// Fault injection: marked points of the protocols where a test or the soak may stall the
// running thread, and sites where an allocation or a thread creation may be made to fail.
// Layer: hal. Off, a point or a site costs one relaxed load and a predicted branch.
//
// The draws come from one generator seeded at fault_enable(): with every core on one host
// thread (the deterministic mode) the same seed gives the same faults at the same places.
#pragma once

#include <atomic>
#include <cstdint>

#include "mkh/config.hpp"

namespace mkh::hal {

enum class FaultPoint {
  kFifoClaimedNotPublished,  // a producer has claimed a FIFO slot, not yet published it
  kFifoPublishedNotRung,     // a producer has published, not yet looked at the doorbell
  kIdleBeforeSleep,          // an idle core found nothing to do and is about to wait
  kServedNotCompleted,       // a server ran the service, not yet decremented the response
  kDecrementedNotUnblocked,  // the last server decremented the response, not yet unblocked
};

// Where an operation may be made to fail.
enum class FaultSite { kPpmAlloc, kKcmAlloc, kRpcThreadCreate, kPoint, kCount };

using FaultHook = void (*)(FaultPoint point);

// Called at every marked point while set: tests install their own; fault_enable() installs
// the stall of FaultConfig::points through fault_set_stall().
inline std::atomic<FaultHook> g_fault_hook{nullptr};

inline void fault_point(FaultPoint point) {
  if (FaultHook hook = g_fault_hook.load(std::memory_order_relaxed)) [[unlikely]]
    hook(point);
}

namespace detail {
inline std::atomic<bool> g_faults_on{false};
bool fault_draw(FaultSite site);
}  // namespace detail

// True when the operation at `site` must fail now (the caller returns its usual error).
inline bool fault_inject(FaultSite site) {
  if (!detail::g_faults_on.load(std::memory_order_relaxed)) [[likely]]
    return false;
  return detail::fault_draw(site);
}

// The stall run at a drawn point: the kernel's (it sleeps the host thread for
// FaultConfig::delay_us, or yields the running thread; in the deterministic mode it always
// yields, a sleep would change nothing). Set once, before fault_enable().
void fault_set_stall(void (*stall)(FaultPoint point, uint32_t delay_us));

// Starts drawing faults as `config` says, from a generator seeded by `seed`; the counts
// restart at zero. Called while no core runs (boot). fault_disable() stops every draw;
// the counts stay readable.
void fault_enable(const FaultConfig& config, uint64_t seed);
void fault_disable();

// Faults injected at `site`, and at every site, since the last fault_enable().
uint64_t fault_count(FaultSite site);
FaultReport fault_counts();

}  // namespace mkh::hal
