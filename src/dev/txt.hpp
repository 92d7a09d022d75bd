// txt: the text terminals. Channel 0 (TXT0) is the kernel's console, written to a host file
// descriptor chosen at boot (the host's stdout by default, MachineConfig::console_fd).
// Layer: dev. Calls the chdev queue (dev/chdev.hpp) and the host's write.
// The channels for user terminals come with user mode: kTxtChannels leaves them room in
// the chdev directory; they are absent (kNoDev) until then.
#pragma once

#include <cstdint>
#include <string_view>

#include "hal/xptr.hpp"
#include "libk/result.hpp"

namespace mkh::dev {

inline constexpr uint32_t kTxtChannels = 8;

// Writes `size` bytes of `buffer` (any cluster) to terminal `channel`, whole (short host
// writes are continued). kNoDev for a channel that does not exist; kIo for a host error.
[[nodiscard]] Result<void> txt_write(uint32_t channel, hal::Xptr<void> buffer, uint32_t size);
// Writes `text` (any memory of the host, a kernel thread's string) to terminal `channel`: copied
// a page at a time into a page of the local bank, which the device reads by xptr. kNoMem, or
// what txt_write answers.
[[nodiscard]] Result<void> txt_print(uint32_t channel, std::string_view text);

}  // namespace mkh::dev
