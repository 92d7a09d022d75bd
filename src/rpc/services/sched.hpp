// Service 27 SCHED_DISPLAY: print one core's scheduler state. Layer: rpc services.
#pragma once

#include "rpc/marshal.hpp"

namespace mkh::rpc {

// Prints core `lid` of the server cluster (threads, types, blocked causes, RPC FIFO) on the
// kernel console; kInval for a bad lid.
Result<void> sched_display_server(hal::lid_t lid);

template <>
struct RpcService<RPC_SCHED_DISPLAY> {
  static constexpr auto kServer = &sched_display_server;
};

Result<void> rpc_sched_display_client(hal::cxy_t cxy, hal::lid_t lid);

}  // namespace mkh::rpc
