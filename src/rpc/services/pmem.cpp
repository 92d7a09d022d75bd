// PMEM_GET_PAGES / PMEM_RELEASE_PAGES: servers and clients; MKH_MEMORY_INFO's server.
// Layer: rpc services.
#include "rpc/services/pmem.hpp"

#include "mm/kmem.hpp"
#include "mm/memory.hpp"

namespace mkh::rpc {

Result<mm::Page*> pmem_get_pages_server(uint32_t order) { return mm::kmem_alloc_pages(order); }

Result<void> pmem_release_pages_server(mm::Page* page) { return mm::local_memory()->m_ppm.try_free_pages(page); }

Result<std::tuple<uint64_t, uint64_t, uint64_t>> mkh_memory_info_server() {
  const mm::PpmStats stats = mm::local_memory()->m_ppm.stats();
  return std::tuple(stats.total_pages, stats.reserved_pages, stats.free_pages);
}

Result<mm::Page*> rpc_pmem_get_pages_client(hal::cxy_t cxy, uint32_t order) {
  return rpc_call<RPC_PMEM_GET_PAGES>(cxy, order);
}

Result<void> rpc_pmem_release_pages_client(hal::cxy_t cxy, mm::Page* page) {
  return rpc_call<RPC_PMEM_RELEASE_PAGES>(cxy, page);
}

}  // namespace mkh::rpc
