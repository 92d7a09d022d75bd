// The RPC descriptor, with the reference's fields. Layer: rpc.
// It lives in the client's stack (so in the client cluster's bank); only its xptr travels.
// Servers reach it with remote loads and stores only.
#pragma once

#include <cstdint>

#include "hal/remote.hpp"
#include "hal/xptr.hpp"

namespace mkh::rpc {

inline constexpr uint32_t kRpcArgs = 10;

// The response word: the count of responses still expected, and the waiter bit a blocking
// client sets when it stops spinning and deschedules; the server whose decrement ends the
// count unblocks the client only when that bit was set (rpc/rpc.hpp explains why).
inline constexpr uint32_t kRpcResponseWaiter = 1u << 31;
inline constexpr uint32_t kRpcResponseCount = kRpcResponseWaiter - 1;

// Aligned on a cache line: the server's reads, its results and the response word of a call
// with at most five argument words share the first line.
struct alignas(64) RpcDesc {
  uint32_t index = 0;            // RpcIndex
  uint32_t response = 0;         // count of responses still expected | kRpcResponseWaiter
  hal::xptr_t thread = 0;        // client thread
  uint32_t lid = 0;              // client core
  uint32_t blocking = 0;         // 1: the client waits for the response (rpc_send)
  uint64_t args[kRpcArgs] = {};  // in-arguments first, then out-arguments

  // mkh additions
  int32_t error = 0;  // first error of a server (an Errno), 0 when none
  uint32_t reserved = 0;
  uint64_t flow = 0;  // trace flow id (0: not traced)
};

inline hal::Xptr<uint64_t> rpc_arg(hal::Xptr<RpcDesc> desc, uint32_t i) {
  return hal::Xptr<uint64_t>(desc.field(&RpcDesc::args).raw() + i * sizeof(uint64_t));
}

}  // namespace mkh::rpc
