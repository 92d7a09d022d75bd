// Services 22 KCM_ALLOC and 23 KCM_FREE: one kernel object from the server's kcm caches.
// Layer: rpc services. Calls mm.
#pragma once

#include "rpc/marshal.hpp"

namespace mkh::rpc {

// One object of kcm type `type` (an mm::KcmType value); kInval for a bad type.
Result<hal::xptr_t> kcm_alloc_server(uint32_t type);
// Releases it; kInval for a bad type or an object that is not allocated from that cache.
Result<void> kcm_free_server(void* object, uint32_t type);

template <>
struct RpcService<RPC_KCM_ALLOC> {
  static constexpr auto kServer = &kcm_alloc_server;
  static constexpr bool kLocalDirect = true;
};
template <>
struct RpcService<RPC_KCM_FREE> {
  static constexpr auto kServer = &kcm_free_server;
  static constexpr bool kLocalDirect = true;
};

Result<void> rpc_kcm_alloc_client(hal::cxy_t cxy, uint32_t type, hal::xptr_t* object);
Result<void> rpc_kcm_free_client(hal::cxy_t cxy, void* object, uint32_t type);

}  // namespace mkh::rpc
