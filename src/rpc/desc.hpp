// The RPC descriptor, with the reference's fields, and the call that a FIFO slot carries.
// Layer: rpc. The descriptor lives in the client's stack (so in the client cluster's bank);
// the call travels in the slot: the descriptor's xptr, the index and the first in-argument
// words, so that a server runs the service without fetching the descriptor, and touches it
// first to write the results (rpc/rpc.hpp). Servers reach the descriptor with remote loads
// and stores only.
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

// Aligned on a cache line: the results and the response word of a call with at most five
// argument words (in and out) share the first line, which the server writes at completion.
struct alignas(64) RpcDesc {
  // Every field zero.
  RpcDesc() : args{} {}
  // The arguments left to the typed client, which packs them (rpc/marshal.hpp): GCC clears a
  // whole descriptor with `rep stos`, which costs about 10 ns on the client's way to the post.
  struct Unpacked {};
  explicit RpcDesc(Unpacked) {}

  uint32_t index = 0;       // RpcIndex
  uint32_t response = 0;    // count of responses still expected | kRpcResponseWaiter
  hal::xptr_t thread = 0;   // client thread
  uint32_t lid = 0;         // client core
  uint32_t blocking = 0;    // 1: the client waits for the response (rpc_send)
  uint64_t args[kRpcArgs];  // in-arguments first, then out-arguments

  // mkh additions
  int32_t error = 0;  // first error of a server (an Errno), 0 when none
  uint32_t reserved = 0;
  uint64_t flow = 0;  // trace flow id (0: not traced)
};

// The in-argument words a slot carries: args[0 .. kRpcSlotWords) of the descriptor, copied
// by the post. A service with more in-arguments reads the others from the descriptor.
inline constexpr uint32_t kRpcSlotWords = 4;

// A call as a FIFO slot carries it (with the slot's sequence word: one cache line).
struct RpcCall {
  hal::xptr_t desc = hal::XPTR_NULL;   // the client's RpcDesc: results, error, response
  uint32_t index = 0;                  // RpcDesc::index
  uint32_t reserved = 0;               // padding
  uint64_t flow = 0;                   // RpcDesc::flow
  uint64_t words[kRpcSlotWords] = {};  // RpcDesc::args[0 .. kRpcSlotWords)
};

inline hal::Xptr<uint64_t> rpc_arg(hal::Xptr<RpcDesc> desc, uint32_t i) {
  return hal::Xptr<uint64_t>(desc.field(&RpcDesc::args).raw() + i * sizeof(uint64_t));
}

}  // namespace mkh::rpc
