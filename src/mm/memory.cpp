// Boot of a cluster's memory managers. Layer: mm. Calls hal (bank, kernel-data layout).
#include "mm/memory.hpp"

#include <new>

namespace mkh::mm {

void memory_init(hal::cxy_t cxy, const std::array<uint32_t, kKcmTypeCount>& object_sizes) {
  auto* memory = new (memory_at(cxy)) Memory();
  memory->m_ppm.init(hal::bank_base(cxy), hal::g_address_space.bank_size, hal::kKernelDataEnd);
  for (uint32_t type = 0; type < kKcmTypeCount; ++type)
    memory->m_kcm[type].init(KcmType(type), object_sizes[type], &memory->m_ppm);
}

void memory_boot_done(hal::cxy_t cxy) {
  Memory* memory = memory_at(cxy);
  memory->m_boot_free_pages = memory->m_ppm.stats().free_pages;
}

}  // namespace mkh::mm
