// Services 22 KCM_ALLOC and 23 KCM_FREE: one kernel object from the server's kcm caches.
// Layer: rpc services. Calls mm.
#pragma once

#include "mm/kcm_types.hpp"
#include "rpc/marshal.hpp"

namespace mkh::rpc {

// One object of kcm type `type`, as an xptr into the server cluster; kInval for a type out
// of range (the value comes from another cluster).
Result<hal::Xptr<void>> kcm_alloc_server(mm::KcmType type);
// Releases it; kInval for a type out of range or an object that is not allocated from that
// cache.
Result<void> kcm_free_server(void* object, mm::KcmType type);

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

// The reference's client functions (its out-parameter is the result).
Result<hal::Xptr<void>> rpc_kcm_alloc_client(hal::cxy_t cxy, mm::KcmType type);
Result<void> rpc_kcm_free_client(hal::cxy_t cxy, void* object, mm::KcmType type);

}  // namespace mkh::rpc
