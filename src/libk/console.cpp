// The kernel console's sink and its lock. Layer: libk.
#include "libk/console.hpp"

#include <cstdio>

#include "libk/host_mutex.hpp"

namespace mkh::libk {

namespace {
HostMutex g_console_lock;  // console writes come from any host thread
ConsoleSink g_sink GUARDED_BY(g_console_lock) = nullptr;
void* g_context GUARDED_BY(g_console_lock) = nullptr;
}  // namespace

void console_write(std::string_view text) {
  HostMutexGuard guard(g_console_lock);
  if (g_sink != nullptr) {
    g_sink(text, g_context);
  } else {
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fflush(stdout);
  }
}

void console_set_sink(ConsoleSink sink, void* context) {
  HostMutexGuard guard(g_console_lock);
  g_sink = sink;
  g_context = context;
}

}  // namespace mkh::libk
