// Names of kernel error numbers, for messages and reports.
// Layer: libk.
#include "libk/result.hpp"

namespace mkh {

std::string_view errno_name(Errno e) {
  switch (e) {
    case Errno::kOk: return "OK";
    case Errno::kPerm: return "EPERM";
    case Errno::kNoEnt: return "ENOENT";
    case Errno::kSrch: return "ESRCH";
    case Errno::kAgain: return "EAGAIN";
    case Errno::kNoMem: return "ENOMEM";
    case Errno::kBusy: return "EBUSY";
    case Errno::kExist: return "EEXIST";
    case Errno::kInval: return "EINVAL";
    case Errno::kNoSpc: return "ENOSPC";
    case Errno::kRange: return "ERANGE";
    case Errno::kNoSys: return "ENOSYS";
    case Errno::kTimedOut: return "ETIMEDOUT";
  }
  return "E?";
}

}  // namespace mkh
