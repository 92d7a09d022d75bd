// Marked points of the protocols where a test (and later the soak's fault injection) may
// stall or yield the running host thread, to reach the interleavings that matter.
// Layer: hal. Off, a point costs one relaxed load of a pointer and a predicted branch.
#pragma once

#include <atomic>

namespace mkh::hal {

enum class FaultPoint {
  kFifoClaimedNotPublished,  // a producer has claimed a FIFO slot, not yet published it
  kFifoPublishedNotRung,     // a producer has published, not yet looked at the doorbell
  kIdleBeforeSleep,          // an idle core found nothing to do and is about to wait
  kServedNotCompleted,       // a server ran the service, not yet decremented the response
};

using FaultHook = void (*)(FaultPoint point);

inline std::atomic<FaultHook> g_fault_hook{nullptr};

inline void fault_point(FaultPoint point) {
  if (FaultHook hook = g_fault_hook.load(std::memory_order_relaxed)) [[unlikely]]
    hook(point);
}

}  // namespace mkh::hal
