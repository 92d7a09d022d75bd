// An execution context with its own stack: a kernel thread's fiber (Boost.Context).
// Layer: hal. The stack memory is given by the caller (pages of the owner cluster's bank);
// nothing is allocated on the C++ heap. Every switch is announced to AddressSanitizer and
// ThreadSanitizer, which otherwise mistake the new stack for a corrupted one.
#pragma once

#include <cstddef>
#include <cstdint>

#include <boost/context/fiber.hpp>

namespace mkh::hal {

class Fiber {
 public:
  using Entry = void (*)(void* arg);

  Fiber();
  Fiber(const Fiber&) = delete;
  Fiber& operator=(const Fiber&) = delete;
  ~Fiber();

  // Prepares the fiber to run entry(arg) on [stack, stack + size) when first resumed.
  void init(void* stack, std::size_t size, Entry entry, void* arg);

  // From the scheduler's context: run the fiber until it suspends or its entry returns.
  void resume();
  // From inside the fiber: go back to the context that resumed it.
  void suspend();

  // Forgets a fiber suspended inside its entry without unwinding it, so that it can be
  // destroyed and its stack freed: the kernel's way to destroy a thread parked in a wait.
  void abandon();

  bool started() const { return m_started; }
  bool finished() const { return m_finished; }

 private:
  static boost::context::fiber trampoline(Fiber* self, boost::context::fiber&& scheduler);

  union {
    // The fiber's own context while it is suspended. In a union so that an abandoned
    // fiber's context is not destroyed (Boost would resume it to unwind its stack).
    boost::context::fiber m_fiber;
  };
  bool m_abandoned = false;
  boost::context::fiber m_scheduler;  // the resumer's context while the fiber runs
  Entry m_entry = nullptr;
  void* m_arg = nullptr;
  void* m_stack = nullptr;
  std::size_t m_stack_size = 0;
  bool m_started = false;
  bool m_finished = false;

  // Sanitizer bookkeeping (unused in builds without the sanitizers).
  [[maybe_unused]] void* m_asan_fake_stack = nullptr;  // saved by ASan while this side is switched out
  [[maybe_unused]] const void* m_scheduler_stack_bottom = nullptr;
  [[maybe_unused]] std::size_t m_scheduler_stack_size = 0;
  [[maybe_unused]] void* m_tsan_fiber = nullptr;
  [[maybe_unused]] uint32_t m_tsan_fiber_lives = 0;  // fibers this TSan fiber has served
  [[maybe_unused]] void* m_tsan_scheduler = nullptr;
};

// A host thread that made or destroyed fibers ends: what it kept for the next fiber (TSan's
// fiber states, in TSan builds) is released.
void fiber_host_thread_exit();

}  // namespace mkh::hal
