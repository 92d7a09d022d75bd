// kpanic: print what broke, dump the machine, abort.
// Layer: libk.
#include "libk/assert.hpp"

#include <atomic>
#include <cstdio>
#include <cstdlib>

namespace mkh {

namespace {
std::atomic<PanicDumpHook> g_panic_dump_hook{nullptr};
std::atomic<bool> g_panicking{false};
}  // namespace

void set_panic_dump_hook(PanicDumpHook hook) { g_panic_dump_hook.store(hook); }

void kpanic_message(const char* file, int line, const std::string& message) {
  std::fprintf(stderr, "mkh: kernel panic at %s:%d: %s\n", file, line, message.c_str());
  if (!g_panicking.exchange(true)) {
    if (PanicDumpHook hook = g_panic_dump_hook.load()) hook();
  }
  std::fflush(stderr);
  std::abort();
}

}  // namespace mkh
