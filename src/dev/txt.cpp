// txt: the terminal driver (command function) and txt_write. Layer: dev.
// Calls dev/chdev.hpp, the chdev directory, the host's write.
#include "dev/txt.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "dev/chdev.hpp"
#include "dev/dev.hpp"
#include "dev/drivers.hpp"
#include "mm/kmem.hpp"

namespace mkh::dev {

namespace {

Errno txt_command(const ChdevIo& io, const kern::DevCommand& command, uint64_t* bytes) {
#if defined(MKH_DEBUG_CHECKS)
  hal::check_xptr(command.buffer, command.count, "txt buffer");
#endif
  const char* data = hal::GET_PTR<const char>(command.buffer);
  std::size_t left = command.count;
  while (left > 0) {
    const ssize_t done = ::write(io.host_fd, data, left);
    if (done < 0) {
      if (errno == EINTR) continue;
      return Errno::kIo;
    }
    data += done;
    left -= std::size_t(done);
    *bytes += uint64_t(done);
  }
  return Errno::kOk;
}

}  // namespace

ChdevCommandFn txt_command_fn() { return txt_command; }

Result<void> txt_write(uint32_t channel, hal::Xptr<void> buffer, uint32_t size) {
  if (channel >= kTxtChannels) return error(Errno::kNoDev);
  const hal::xptr_t chdev = hal::local_load(dev_directory_here()->m_txt[channel]);
  if (chdev == hal::XPTR_NULL) return error(Errno::kNoDev);
  if (size == 0) return {};
  if (buffer.is_null()) return error(Errno::kInval);
  kern::DevCommand command;
  command.buffer = buffer.raw();
  command.count = size;
  return chdev_submit(hal::Xptr<Chdev>(chdev), command);
}

Result<void> txt_print(uint32_t channel, std::string_view text) {
  auto page = TRY(mm::PageBlock::alloc(0));
  char* buffer = static_cast<char*>(page.base());
  while (!text.empty()) {
    const std::size_t size = std::min<std::size_t>(text.size(), hal::kPageSize);
    std::memcpy(buffer, text.data(), size);
    TRY(txt_write(channel, hal::Xptr<void>(hal::local_cxy(), buffer), uint32_t(size)));
    text.remove_prefix(size);
  }
  return {};
}

}  // namespace mkh::dev
