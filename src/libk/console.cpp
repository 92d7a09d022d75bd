// The kernel console's sink and its lock. Layer: libk.
#include "libk/console.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "libk/host_mutex.hpp"

namespace mkh::libk {

namespace {
HostMutex g_console_lock;  // console writes come from any host thread
ConsoleSink g_sink GUARDED_BY(g_console_lock) = nullptr;
void* g_context GUARDED_BY(g_console_lock) = nullptr;
int g_fd GUARDED_BY(g_console_lock) = STDOUT_FILENO;

void write_all(int fd, std::string_view text) {
  while (!text.empty()) {
    const ssize_t written = ::write(fd, text.data(), text.size());
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) return;  // a console that cannot be written loses the text, not the machine
    text.remove_prefix(std::size_t(written));
  }
}
}  // namespace

void console_write(std::string_view text) {
  HostMutexGuard guard(g_console_lock);
  if (g_sink != nullptr) {
    g_sink(text, g_context);
  } else if (g_fd == STDOUT_FILENO) {
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fflush(stdout);
  } else if (g_fd >= 0) {
    std::fflush(stdout);  // what the host printed before comes first
    write_all(g_fd, text);
  }
}

void console_set_fd(int fd) {
  HostMutexGuard guard(g_console_lock);
  g_fd = fd;
}

void console_set_sink(ConsoleSink sink, void* context) {
  HostMutexGuard guard(g_console_lock);
  g_sink = sink;
  g_context = context;
}

}  // namespace mkh::libk
