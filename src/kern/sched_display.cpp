// A core's scheduler state as text (SCHED_DISPLAY, panics, `mkh` reports).
// Layer: kern. Reads the core's lists under the scheduler lock.
#include "kern/sched_display.hpp"

#include <fmt/format.h>

#include "kern/cluster.hpp"
#include "kern/thread.hpp"

namespace mkh::kern {

std::string sched_display(Core* core) {
  std::string out = fmt::format("core {:#04x}/{}: {} thread(s), idle={} ipi_pending={} switches={}\n", core->m_cxy,
                                core->m_lid, hal::local_load(core->m_sched.m_threads_nr), hal::local_load(core->m_idle),
                                hal::local_load(core->m_ipi.pending),
                                hal::local_load(core->m_stats.switches, std::memory_order_relaxed));
  struct Context {
    Core* core;
    std::string* out;
  } context{core, &out};
  core->m_sched.for_each_thread(
      [](Thread* thread, void* raw) {
        const Context& c = *static_cast<Context*>(raw);
        char blocked[96];
        format_blocked(hal::local_load(thread->m_blocked), blocked, sizeof blocked);
        *c.out += fmt::format("  {:<24} trdid={:#010x} type={:<4} blocked={} switches={}{}\n", thread->m_name,
                              thread->m_trdid, thread_type_name(thread->m_type), blocked,
                              hal::local_load(thread->m_switches, std::memory_order_relaxed),
                              thread == hal::local_load(c.core->m_sched.m_current) ? " (running)" : "");
      },
      &context);
  return out;
}

}  // namespace mkh::kern
