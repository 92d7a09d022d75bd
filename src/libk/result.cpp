// Names of kernel error numbers, for messages and reports (from MKH_ERRNO_LIST).
// Layer: libk.
#include "libk/result.hpp"

namespace mkh {

std::string_view errno_name(Errno e) {
  switch (e) {
    case Errno::kOk: return "OK";
#define MKH_ERRNO_NAME(enumerator, number, name) \
  case Errno::enumerator: return #name;
      MKH_ERRNO_LIST(MKH_ERRNO_NAME)
#undef MKH_ERRNO_NAME
  }
  return "E?";
}

}  // namespace mkh
