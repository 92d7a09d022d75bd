// Services 0 PMEM_GET_PAGES and 1 PMEM_RELEASE_PAGES, and mkh's 69 MKH_MEMORY_INFO: the
// server cluster's ppm. Layer: rpc services. Calls mm.
#pragma once

#include <cstdint>
#include <tuple>

#include "rpc/marshal.hpp"

namespace mkh::mm {
struct Page;
}

namespace mkh::rpc {

// Allocates 2^order contiguous pages; the page descriptor is local to the server.
Result<mm::Page*> pmem_get_pages_server(uint32_t order);
// Gives a block back to the server's ppm; kInval when `page` heads no allocated block there.
Result<void> pmem_release_pages_server(mm::Page* page);
// The server's bank, in pages: its total, those the kernel's data reserves (the page array
// among them), and those free (a snapshot of the ppm's counters). What `free` shows.
Result<std::tuple<uint64_t, uint64_t, uint64_t>> mkh_memory_info_server();

template <>
struct RpcService<RPC_PMEM_GET_PAGES> {
  static constexpr auto kServer = &pmem_get_pages_server;
  static constexpr bool kLocalDirect = true;
};
template <>
struct RpcService<RPC_PMEM_RELEASE_PAGES> {
  static constexpr auto kServer = &pmem_release_pages_server;
  static constexpr bool kLocalDirect = true;
};
template <>
struct RpcService<RPC_MKH_MEMORY_INFO> {
  static constexpr auto kServer = &mkh_memory_info_server;
};

// The reference's client functions (its out-parameter is the result).
Result<mm::Page*> rpc_pmem_get_pages_client(hal::cxy_t cxy, uint32_t order);
Result<void> rpc_pmem_release_pages_client(hal::cxy_t cxy, mm::Page* page);

}  // namespace mkh::rpc
