// MKH_PING and MKH_CHAIN servers. Layer: rpc services.
#include "rpc/services/mkh.hpp"

namespace mkh::rpc {

Result<uint64_t> mkh_ping_server(uint64_t value) { return value + 1; }

Result<uint64_t> mkh_chain_server(uint32_t depth, hal::cxy_t other) {
  if (depth == 0) return uint64_t(1);
  const uint64_t below = TRY(rpc_call<RPC_MKH_CHAIN>(other, depth - 1, hal::local_cxy()));
  return below + 1;
}

}  // namespace mkh::rpc
