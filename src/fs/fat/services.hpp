// Service 18 FATFS_GET_CLUSTER: a walk of a FAT chain, on the FAT mapper's cluster.
// Layer: fs.
#pragma once

#include "fs/fat/fatfs.hpp"
#include "rpc/marshal.hpp"

namespace mkh::rpc {
template <>
struct RpcService<RPC_FATFS_GET_CLUSTER> {
  static constexpr auto kServer = &fs::fat::fatfs_get_cluster_server;
};
}  // namespace mkh::rpc

namespace mkh::fs::fat {
inline Result<uint32_t> rpc_fatfs_get_cluster_client(hal::cxy_t cxy, mapper::Mapper* fat_mapper, uint32_t first_cluster,
                                                     uint32_t steps) {
  return rpc::rpc_call<rpc::RPC_FATFS_GET_CLUSTER>(cxy, fat_mapper, first_cluster, steps);
}
}  // namespace mkh::fs::fat
