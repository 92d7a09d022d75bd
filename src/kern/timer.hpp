// Core timers: a thread that waits for a time blocks, and its core unblocks it when the time
// has come — at a scheduling point, or when the idle thread's sleep, which lasts no longer
// than the core's first timer, ends. Layer: kern. Calls thread, the core's scheduler.
//
// A timer lives on its thread's stack and belongs to the core the thread runs on: it is
// armed, fired and cancelled by that core's host thread only (the thread itself, or the
// scheduler between two threads), so the core's list of timers takes no lock. Its time is in
// hal::ticks(); a caller that waits for a time of another clock arms a timer for the time
// left and looks at that clock again when it wakes.
#pragma once

#include <cstdint>

#include "libk/list.hpp"

namespace mkh::kern {

struct Core;
struct Thread;

struct Timer {
  Timer() = default;
  ~Timer() { cancel(); }
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;

  // Unblocks the calling thread from `cause` when hal::ticks() reaches `deadline` (re-armed if
  // it was armed). The caller blocks on `cause` and yields: the timer is one way to wake it.
  void arm(uint64_t deadline, uint32_t cause);
  // Disarms it if it has not fired (nothing when it fired or was not armed).
  void cancel();
  bool armed() const { return m_core != nullptr; }

  libk::ListEntry m_entry;  // in its core's m_timers, by deadline
  uint64_t m_deadline = 0;
  Thread* m_thread = nullptr;
  uint32_t m_cause = 0;
  Core* m_core = nullptr;  // while armed
};

// The deadline (hal::ticks()) `ns` nanoseconds from now, for a timer: at most about 18 minutes
// away (a longer wait's loop arms again when it wakes early), so the conversion cannot overflow.
uint64_t ticks_from_now(uint64_t ns);

// The scheduler's, at each scheduling point of `core`: fires its timers whose time has come.
void timers_expire(Core* core);
// The first deadline among the core's timers (UINT64_MAX when none).
uint64_t timers_first(Core* core);
// thread_destroy's, on the thread's core: disarms the timers of a thread destroyed without
// being resumed (a deletion request while it waited), which live on the stack about to go.
void timers_forget(Core* core, const Thread* thread);

}  // namespace mkh::kern
