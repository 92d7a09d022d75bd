// KCM_ALLOC / KCM_FREE: servers and clients. Layer: rpc services.
#include "rpc/services/kcm.hpp"

#include "mm/kmem.hpp"
#include "mm/memory.hpp"

namespace mkh::rpc {

Result<hal::xptr_t> kcm_alloc_server(uint32_t type) {
  void* object = TRY(mm::kmem_alloc(mm::KcmType(type)));
  return hal::XPTR(hal::local_cxy(), object);
}

Result<void> kcm_free_server(void* object, uint32_t type) {
  if (type >= uint32_t(mm::KcmType::kCount)) return error(Errno::kInval);
  return mm::local_memory()->m_kcm[type].try_free(object);
}

Result<void> rpc_kcm_alloc_client(hal::cxy_t cxy, uint32_t type, hal::xptr_t* object) {
  *object = TRY(rpc_call<RPC_KCM_ALLOC>(cxy, type));
  return {};
}

Result<void> rpc_kcm_free_client(hal::cxy_t cxy, void* object, uint32_t type) {
  return rpc_call<RPC_KCM_FREE>(cxy, object, type);
}

}  // namespace mkh::rpc
