// Services 24 MAPPER_MOVE_BUFFER and 25 MAPPER_GET_PAGE: the mapper's work on its own
// cluster for a client of another. Layer: mapper. Calls mm/mapper/mapper.hpp, rpc/marshal.
// The servers validate what arrives (another cluster wrote it): a mapper pointer that is not
// a live mapper of the server's bank, an index or a range out of bounds: kInval.
#pragma once

#include "mm/mapper/mapper.hpp"
#include "rpc/marshal.hpp"

namespace mkh::mapper {

Result<void> mapper_move_buffer_server(Mapper* mapper, bool to_buffer, bool is_user, uint64_t offset,
                                       hal::xptr_t buffer, uint64_t size);
Result<hal::Xptr<mm::Page>> mapper_get_page_server(Mapper* mapper, uint32_t index);

// The reference's client functions (its out-parameters are the result).
Result<void> rpc_mapper_move_buffer_client(hal::cxy_t cxy, Mapper* mapper, bool to_buffer, bool is_user,
                                           uint64_t offset, hal::xptr_t buffer, uint64_t size);
Result<hal::Xptr<mm::Page>> rpc_mapper_get_page_client(hal::cxy_t cxy, Mapper* mapper, uint32_t index);

}  // namespace mkh::mapper

namespace mkh::rpc {

// Both may block (device I/O, the mapper's lock): no local direct call, a local client goes
// through mapper_get_page / mapper_move_buffer, which call the local work themselves.
template <>
struct RpcService<RPC_MAPPER_MOVE_BUFFER> {
  static constexpr auto kServer = &mapper::mapper_move_buffer_server;
};
template <>
struct RpcService<RPC_MAPPER_GET_PAGE> {
  static constexpr auto kServer = &mapper::mapper_get_page_server;
};

}  // namespace mkh::rpc
