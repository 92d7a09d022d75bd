// mkh's own services (private indexes): MKH_PING, a null service that measures the RPC
// mechanism alone, and MKH_CHAIN, a service that calls back and forth between two clusters
// (nested RPCs). Layer: rpc services. For benchmarks, tests and soaks.
#pragma once

#include "rpc/marshal.hpp"

namespace mkh::rpc {

// Returns value + 1.
Result<uint64_t> mkh_ping_server(uint64_t value);
// depth 0: returns 1. Otherwise calls MKH_CHAIN(depth - 1, back to this cluster) on
// cluster `other`, and returns its result + 1: A -> B -> A -> B ... `depth` levels.
Result<uint64_t> mkh_chain_server(uint32_t depth, hal::cxy_t other);

template <>
struct RpcService<RPC_MKH_PING> {
  static constexpr auto kServer = &mkh_ping_server;
};
template <>
struct RpcService<RPC_MKH_CHAIN> {
  static constexpr auto kServer = &mkh_chain_server;
};

}  // namespace mkh::rpc
