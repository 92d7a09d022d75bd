// The kernel console: where kernel messages and displays go (stdout by default).
// Layer: libk. A test or an embedder may redirect it; writes are serialised.
#pragma once

#include <string>
#include <string_view>

namespace mkh::libk {

using ConsoleSink = void (*)(std::string_view text, void* context);

void console_write(std::string_view text);
// Redirects the console (nullptr: back to stdout). Returns nothing; not for hot paths.
void console_set_sink(ConsoleSink sink, void* context);

}  // namespace mkh::libk
