// The kernel console: where kernel messages and displays go (the host's stdout by default,
// the machine's TXT0 file descriptor once it boots). Layer: libk. A test or an embedder may
// redirect it to a sink; writes are serialised.
#pragma once

#include <string>
#include <string_view>

namespace mkh::libk {

using ConsoleSink = void (*)(std::string_view text, void* context);

void console_write(std::string_view text);
// Redirects the console (nullptr: back to its file descriptor). Not for hot paths.
void console_set_sink(ConsoleSink sink, void* context);
// The host file descriptor the console writes to when no sink is set (1, the default, is
// stdout's stdio stream; a negative one discards). Set by the machine's boot (TXT0's).
void console_set_fd(int fd);

}  // namespace mkh::libk
