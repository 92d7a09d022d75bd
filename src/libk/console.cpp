// The kernel console's sink and its lock. Layer: libk.
#include "libk/console.hpp"

#include <cstdio>
#include <mutex>

namespace mkh::libk {

namespace {
std::mutex g_console_lock;  // host-level: console writes come from any host thread
ConsoleSink g_sink = nullptr;
void* g_context = nullptr;
}  // namespace

void console_write(std::string_view text) {
  std::lock_guard<std::mutex> guard(g_console_lock);
  if (g_sink != nullptr) {
    g_sink(text, g_context);
  } else {
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fflush(stdout);
  }
}

void console_set_sink(ConsoleSink sink, void* context) {
  std::lock_guard<std::mutex> guard(g_console_lock);
  g_sink = sink;
  g_context = context;
}

}  // namespace mkh::libk
