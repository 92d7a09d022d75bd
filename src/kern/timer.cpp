// Core timers. Layer: kern.
#include "kern/timer.hpp"

#include <algorithm>

#include "hal/clock.hpp"
#include "kern/core.hpp"
#include "kern/thread.hpp"
#include "libk/assert.hpp"

namespace mkh::kern {

namespace {
Timer* timer_of(libk::ListEntry* entry) { return libk::list_element(entry, &Timer::m_entry); }
}  // namespace

uint64_t ticks_from_now(uint64_t ns) {
  constexpr uint64_t kLongest = uint64_t(1) << 40;  // about 18 minutes
  return hal::ticks() + hal::ns_to_ticks(std::min(ns, kLongest));
}

void Timer::arm(uint64_t deadline, uint32_t cause) {
  cancel();
  Core* core = core_current();
  KASSERT(core != nullptr && thread_current() != nullptr, "a timer armed outside a thread");
  m_deadline = deadline;
  m_thread = thread_current();
  m_cause = cause;
  m_core = core;
  // Sorted by deadline: the expiry looks at the first only.
  libk::ListEntry* root = &core->m_timers;
  libk::ListEntry* at = root->next;
  while (at != root && timer_of(at)->m_deadline <= deadline) at = at->next;
  m_entry.next = at;
  m_entry.pred = at->pred;
  at->pred->next = &m_entry;
  at->pred = &m_entry;
}

void Timer::cancel() {
  if (m_core == nullptr) return;
  KASSERT(m_core == core_current(), "a timer cancelled on another core than its own");
  libk::list_unlink(&m_entry);
  m_core = nullptr;
}

void timers_expire(Core* core) {
  libk::ListEntry* root = &core->m_timers;
  if (root->next == root) return;
  const uint64_t now = hal::ticks();
  while (root->next != root) {
    Timer* timer = timer_of(root->next);
    if (timer->m_deadline > now) break;
    libk::list_unlink(&timer->m_entry);
    timer->m_core = nullptr;
    hal::stat_add(core->m_stats.timers_fired, uint64_t(1));
    (void)thread_unblock(hal::Xptr<Thread>(core->m_cxy, timer->m_thread), timer->m_cause);
  }
}

void timers_forget(Core* core, const Thread* thread) {
  libk::ListEntry* root = &core->m_timers;
  for (libk::ListEntry* at = root->next; at != root;) {
    Timer* timer = timer_of(at);
    at = at->next;
    if (timer->m_thread != thread) continue;
    libk::list_unlink(&timer->m_entry);
    timer->m_core = nullptr;
  }
}

uint64_t timers_first(Core* core) {
  libk::ListEntry* root = &core->m_timers;
  if (root->next == root) return UINT64_MAX;
  return timer_of(root->next)->m_deadline;
}

}  // namespace mkh::kern
