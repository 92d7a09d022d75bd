// kpanic and KASSERT: only for broken kernel invariants, never for bad input.
// Layer: libk. kpanic prints the message, the current thread and every core's
// scheduler state (through a hook the kernel installs), then aborts.
#pragma once

#include <fmt/format.h>

namespace mkh {

[[noreturn]] void kpanic_message(const char* file, int line, const std::string& message);

// Installed by the kernel at boot: prints the scheduler state of every cluster.
using PanicDumpHook = void (*)();
void set_panic_dump_hook(PanicDumpHook hook);

}  // namespace mkh

#define kpanic(...) ::mkh::kpanic_message(__FILE__, __LINE__, ::fmt::format(__VA_ARGS__))

#define KASSERT(cond, ...)                                                                                      \
  do {                                                                                                          \
    if (__builtin_expect(!(cond), 0))                                                                           \
      ::mkh::kpanic_message(__FILE__, __LINE__, "assertion `" #cond "` failed: " + ::fmt::format(__VA_ARGS__)); \
  } while (0)

#if defined(MKH_DEBUG_CHECKS)
#define DEBUG_KASSERT(cond, ...) KASSERT(cond, __VA_ARGS__)
#else
#define DEBUG_KASSERT(cond, ...) \
  do {                           \
  } while (0)
#endif
