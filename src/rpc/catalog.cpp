// Names of the catalogue's indexes, derived from MKH_RPC_CATALOG.
// Layer: rpc. Calls nothing.
#include "rpc/catalog.hpp"

namespace mkh::rpc {

std::string_view rpc_name(uint32_t index) {
  switch (index) {
    // clang-format 14 would merge these case-label macros into one.
    // clang-format off
#define MKH_RPC_NAME(i, name) \
  case i:                     \
    return #name;
#define MKH_RPC_UNUSED_NAME(i) \
  case i:                      \
    return "UNUSED_" #i;
    // clang-format on
    MKH_RPC_CATALOG(MKH_RPC_NAME, MKH_RPC_UNUSED_NAME)
    MKH_RPC_PRIVATE(MKH_RPC_NAME)
#undef MKH_RPC_NAME
#undef MKH_RPC_UNUSED_NAME
    default: return "INVALID";
  }
}

}  // namespace mkh::rpc
