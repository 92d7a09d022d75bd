// The RPC descriptor, with the reference's fields. Layer: rpc.
// It lives in the client's stack (so in the client cluster's bank); only its xptr travels.
// Servers reach it with remote loads and stores only.
#pragma once

#include <cstdint>

#include "hal/remote.hpp"
#include "hal/xptr.hpp"

namespace mkh::rpc {

inline constexpr uint32_t kRpcArgs = 10;

struct RpcDesc {
  uint32_t index = 0;          // RpcIndex
  uint32_t response = 0;       // responses still expected; the server that brings it to 0 unblocks
  hal::xptr_t thread = 0;      // client thread
  uint32_t lid = 0;            // client core
  uint32_t blocking = 0;       // 1: the last server unblocks the client (cause RPC)
  uint64_t args[kRpcArgs] = {};  // in-arguments first, then out-arguments

  // mkh additions
  int32_t error = 0;           // first error of a server (an Errno), 0 when none
  uint32_t reserved = 0;
  uint64_t flow = 0;           // trace flow id (0: not traced)
};

inline hal::Xptr<uint64_t> rpc_arg(hal::Xptr<RpcDesc> desc, uint32_t i) {
  return hal::Xptr<uint64_t>(desc.field(&RpcDesc::args).raw() + i * sizeof(uint64_t));
}

}  // namespace mkh::rpc
