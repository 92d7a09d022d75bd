// KCM_ALLOC / KCM_FREE: servers and clients. Layer: rpc services.
#include "rpc/services/kcm.hpp"

#include "mm/kmem.hpp"
#include "mm/memory.hpp"

namespace mkh::rpc {

Result<hal::Xptr<void>> kcm_alloc_server(mm::KcmType type) {
  void* object = TRY(mm::kmem_alloc(type));
  return hal::Xptr<void>(hal::local_cxy(), object);
}

Result<void> kcm_free_server(void* object, mm::KcmType type) {
  if (uint32_t(type) >= mm::kKcmTypeCount) return error(Errno::kInval);
  return mm::local_memory()->m_kcm[uint32_t(type)].try_free(object);
}

Result<hal::Xptr<void>> rpc_kcm_alloc_client(hal::cxy_t cxy, mm::KcmType type) {
  return rpc_call<RPC_KCM_ALLOC>(cxy, type);
}

Result<void> rpc_kcm_free_client(hal::cxy_t cxy, void* object, mm::KcmType type) {
  return rpc_call<RPC_KCM_FREE>(cxy, object, type);
}

}  // namespace mkh::rpc
