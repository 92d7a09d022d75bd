// MAPPER_MOVE_BUFFER / MAPPER_GET_PAGE: servers and clients. Layer: mapper.
#include "mm/mapper/services.hpp"

#include "hal/cpu.hpp"

namespace mkh::mapper {

namespace {

// A pointer from another cluster names a live mapper of this bank: inside the bank, aligned
// as kcm objects are, and carrying the magic that create sets and destroy clears.
bool valid_mapper(const Mapper* mapper) {
  if (mapper == nullptr) return false;
  const auto* base = hal::bank_base(hal::local_cxy());
  const auto* p = reinterpret_cast<const uint8_t*>(mapper);
  if (p < base || p + sizeof(Mapper) > base + hal::g_address_space.bank_size) return false;
  if (reinterpret_cast<uintptr_t>(p) % alignof(Mapper) != 0) return false;
  return hal::local_load(mapper->m_magic) == Mapper::kMagic;
}

}  // namespace

Result<void> mapper_move_buffer_server(Mapper* mapper, bool to_buffer, bool is_user, uint64_t offset,
                                       hal::xptr_t buffer, uint64_t size) {
  if (!valid_mapper(mapper)) return error(Errno::kInval);
  return mapper_move_buffer_local(mapper, to_buffer, is_user, offset, buffer, size);
}

Result<hal::Xptr<mm::Page>> mapper_get_page_server(Mapper* mapper, uint32_t index) {
  if (!valid_mapper(mapper)) return error(Errno::kInval);
  mm::Page* page = TRY(mapper_get_page_local(mapper, index));
  return hal::Xptr<mm::Page>(hal::local_cxy(), page);
}

Result<void> rpc_mapper_move_buffer_client(hal::cxy_t cxy, Mapper* mapper, bool to_buffer, bool is_user,
                                           uint64_t offset, hal::xptr_t buffer, uint64_t size) {
  return rpc::rpc_call<rpc::RPC_MAPPER_MOVE_BUFFER>(cxy, mapper, to_buffer, is_user, offset, buffer, size);
}

Result<hal::Xptr<mm::Page>> rpc_mapper_get_page_client(hal::cxy_t cxy, Mapper* mapper, uint32_t index) {
  return rpc::rpc_call<rpc::RPC_MAPPER_GET_PAGE>(cxy, mapper, index);
}

}  // namespace mkh::mapper
