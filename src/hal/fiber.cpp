// Fiber switches on Boost.Context, with the sanitizer announcements around each switch.
// Layer: hal. The stack allocator hands Boost the caller's stack and frees nothing: the
// owner gives the pages back to its ppm once the fiber has finished.
#include "hal/fiber.hpp"

#include <new>
#include <utility>

#include "hal/sanitizers.hpp"
#include "libk/assert.hpp"

#if defined(MKH_ASAN)
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif
#if defined(MKH_TSAN)
#include <sanitizer/tsan_interface.h>
#endif

namespace mkh::hal {

namespace {

// Gives Boost the stack we already own; releasing it is the owner's business.
class GivenStack {
 public:
  GivenStack(void* stack, std::size_t size) : m_stack(stack), m_size(size) {}
  boost::context::stack_context allocate() {
    boost::context::stack_context context;
    context.size = m_size;
    context.sp = static_cast<char*>(m_stack) + m_size;
    return context;
  }
  void deallocate(boost::context::stack_context&) noexcept {}

 private:
  void* m_stack;
  std::size_t m_size;
};

#if defined(MKH_TSAN)
// TSan maps and clears a fiber's state when it creates one (hundreds of KiB: 2 ms a fiber
// where each first touch of a page faults, a thread lifetime's whole cost under TSan). A
// finished fiber's state is kept for the next fiber the same host thread makes: a cache per
// host thread adds no synchronisation TSan could see, and a finished fiber's clock is
// already known to its host thread (it switched back to it). Each life leaves Boost's entry
// frame, which never returns, on the fiber's shadow stack (65 536 frames at most): a fiber
// serves kMaxLives lives, then it is destroyed. Trivially destructible (a thread_local
// with a destructor is registered by an allocation at its first use, on an RPC path):
// fiber_host_thread_exit empties it.
class TsanFiberCache {
 public:
  static constexpr uint32_t kMaxLives = 1024;
  struct Entry {
    void* fiber;
    uint32_t lives;
  };

  void clear() {
    while (m_count != 0) __tsan_destroy_fiber(m_entries[--m_count].fiber);
  }
  Entry take() { return m_count != 0 ? m_entries[--m_count] : Entry{__tsan_create_fiber(0), 0}; }
  void give(Entry entry) {
    if (m_count == kCapacity || entry.lives >= kMaxLives) {
      __tsan_destroy_fiber(entry.fiber);
    } else {
      m_entries[m_count++] = entry;
    }
  }

 private:
  static constexpr std::size_t kCapacity = 64;
  Entry m_entries[kCapacity] = {};
  std::size_t m_count = 0;
};

thread_local TsanFiberCache t_tsan_fibers;
#endif

}  // namespace

void fiber_host_thread_exit() {
#if defined(MKH_TSAN)
  t_tsan_fibers.clear();
#endif
}

Fiber::~Fiber() {
  if (!m_abandoned) {
    KASSERT(!m_started || m_finished, "fiber destroyed while suspended inside its entry");
    m_fiber.~fiber();
  }
#if defined(MKH_ASAN)
  // Frames that never returned normally (the entry's, Boost's) keep poisoned red zones;
  // the owner is about to reuse the stack's pages for other objects.
  if (m_stack != nullptr) ASAN_UNPOISON_MEMORY_REGION(m_stack, m_stack_size);
#endif
#if defined(MKH_TSAN)
  // A fiber abandoned inside its entry, or never started, leaves more on its shadow stack:
  // not reused.
  if (m_tsan_fiber != nullptr) {
    if (m_finished) {
      t_tsan_fibers.give({m_tsan_fiber, m_tsan_fiber_lives});
    } else {
      __tsan_destroy_fiber(m_tsan_fiber);
    }
  }
#endif
}

void Fiber::abandon() { m_abandoned = true; }

Fiber::Fiber() { new (&m_fiber) boost::context::fiber(); }

void Fiber::init(void* stack, std::size_t size, Entry entry, void* arg) {
  m_entry = entry;
  m_arg = arg;
  m_stack = stack;
  m_stack_size = size;
#if defined(MKH_TSAN)
  // Creating the fiber runs the first instructions of Boost's entry function on the new
  // stack (up to its first switch back): announced as the new fiber's, or that entry's
  // frame, which never returns, would pile up on the creator's shadow stack.
  const TsanFiberCache::Entry tsan_fiber = t_tsan_fibers.take();
  m_tsan_fiber = tsan_fiber.fiber;
  m_tsan_fiber_lives = tsan_fiber.lives + 1;
  void* const creator = __tsan_get_current_fiber();
  __tsan_switch_to_fiber(m_tsan_fiber, 0);
#endif
  m_fiber = boost::context::fiber(
      std::allocator_arg, GivenStack(stack, size),
      [this](boost::context::fiber&& scheduler) { return trampoline(this, std::move(scheduler)); });
#if defined(MKH_TSAN)
  __tsan_switch_to_fiber(creator, 0);
#endif
}

boost::context::fiber Fiber::trampoline(Fiber* self, boost::context::fiber&& scheduler) {
#if defined(MKH_ASAN)
  __sanitizer_finish_switch_fiber(nullptr, &self->m_scheduler_stack_bottom, &self->m_scheduler_stack_size);
#endif
  self->m_scheduler = std::move(scheduler);
  self->m_entry(self->m_arg);
  self->m_finished = true;
#if defined(MKH_ASAN)
  // nullptr: this stack is left for good, ASan may drop its fake frames.
  __sanitizer_start_switch_fiber(nullptr, self->m_scheduler_stack_bottom, self->m_scheduler_stack_size);
#endif
  // TSan: the switch back is announced by resume() once this fiber's last frames (the
  // lambda's, Boost's) have returned; announced here, their function exits were charged
  // to the scheduler's shadow stack, which underflowed after many finished fibers.
  return std::move(self->m_scheduler);
}

void Fiber::resume() {
  KASSERT(m_fiber && !m_finished, "resume of a fiber that is not runnable");
  m_started = true;
#if defined(MKH_ASAN)
  void* fake_stack = nullptr;
  __sanitizer_start_switch_fiber(&fake_stack, m_stack, m_stack_size);
#endif
#if defined(MKH_TSAN)
  m_tsan_scheduler = __tsan_get_current_fiber();
  __tsan_switch_to_fiber(m_tsan_fiber, 0);
#endif
  m_fiber = std::move(m_fiber).resume();
#if defined(MKH_ASAN)
  __sanitizer_finish_switch_fiber(fake_stack, nullptr, nullptr);
#endif
#if defined(MKH_TSAN)
  if (m_finished) __tsan_switch_to_fiber(m_tsan_scheduler, 0);
#endif
}

void Fiber::suspend() {
#if defined(MKH_ASAN)
  __sanitizer_start_switch_fiber(&m_asan_fake_stack, m_scheduler_stack_bottom, m_scheduler_stack_size);
#endif
#if defined(MKH_TSAN)
  __tsan_switch_to_fiber(m_tsan_scheduler, 0);
#endif
  m_scheduler = std::move(m_scheduler).resume();
#if defined(MKH_ASAN)
  __sanitizer_finish_switch_fiber(m_asan_fake_stack, &m_scheduler_stack_bottom, &m_scheduler_stack_size);
#endif
}

}  // namespace mkh::hal
