// Errors as values: Result<T> = tl::expected<T, Errno>, shared by the kernel and embedders.
// Public API. The Errno values are Linux's errno values.
#pragma once

#include <cerrno>
#include <cstdint>
#include <string_view>

#include <tl/expected.hpp>

namespace mkh {

enum class Errno : int32_t {
  kOk = 0,
  kPerm = EPERM,
  kNoEnt = ENOENT,
  kSrch = ESRCH,
  kAgain = EAGAIN,
  kNoMem = ENOMEM,
  kBusy = EBUSY,
  kExist = EEXIST,
  kInval = EINVAL,
  kNoSpc = ENOSPC,
  kRange = ERANGE,
  kNoSys = ENOSYS,
  kTimedOut = ETIMEDOUT,
};

std::string_view errno_name(Errno e);

template <typename T>
using Result = tl::expected<T, Errno>;

inline tl::unexpected<Errno> error(Errno e) { return tl::unexpected<Errno>(e); }

}  // namespace mkh
