// The generic page table. Layer: vmm.
#include "mm/vmm/gpt.hpp"

#include <cstring>

#include "mm/kmem.hpp"

namespace mkh::vmm {

namespace {
constexpr uint32_t kTableOrder = 1;  // 1024 entries of 8 bytes: two pages
constexpr std::size_t kTableBytes = Gpt::kEntriesPerTable * sizeof(uint64_t);

Result<uint64_t*> new_table(mm::Page** page) {
  *page = TRY(mm::kmem_alloc_pages(kTableOrder));
  auto* table = static_cast<uint64_t*>(mm::kmem_page_base(*page));
  std::memset(table, 0, kTableBytes);
  return table;
}
void free_table(uint64_t* table) { mm::kmem_free_pages(mm::local_memory()->m_ppm.base_to_page(table)); }
}  // namespace

Result<void> Gpt::init() {
  m_l1 = TRY(new_table(&m_l1_page));
  m_mapped = 0;
  return {};
}

void Gpt::destroy(void (*release)(uint32_t vpn, uint64_t entry, void* context), void* context) {
  if (m_l1 == nullptr) return;
  for (uint32_t i = 0; i < kEntriesPerTable; ++i) {
    auto* l2 = reinterpret_cast<uint64_t*>(m_l1[i]);
    if (l2 == nullptr) continue;
    for (uint32_t j = 0; j < kEntriesPerTable; ++j)
      if ((l2[j] & GPT_MAPPED) != 0 && release != nullptr) release(i * kEntriesPerTable + j, l2[j], context);
    free_table(l2);
  }
  mm::kmem_free_pages(m_l1_page);
  m_l1 = nullptr;
  m_l1_page = nullptr;
  m_mapped = 0;
}

uint64_t Gpt::get(uint32_t vpn) const {
  if (m_l1 == nullptr) return 0;  // destroyed, and not made again (no memory)
  const auto* l2 = reinterpret_cast<const uint64_t*>(m_l1[(vpn / kEntriesPerTable) % kEntriesPerTable]);
  return l2 == nullptr ? 0 : l2[vpn % kEntriesPerTable];
}

Result<void> Gpt::set(uint32_t vpn, uint64_t entry) {
  if (m_l1 == nullptr) return error(Errno::kNoMem);
  uint64_t& slot = m_l1[(vpn / kEntriesPerTable) % kEntriesPerTable];
  if (slot == 0) {
    mm::Page* page = nullptr;
    slot = reinterpret_cast<uint64_t>(TRY(new_table(&page)));
  }
  uint64_t& e = reinterpret_cast<uint64_t*>(slot)[vpn % kEntriesPerTable];
  m_mapped += uint64_t((entry & GPT_MAPPED) != 0) - uint64_t((e & GPT_MAPPED) != 0);
  e = entry;
  return {};
}

uint64_t Gpt::clear(uint32_t vpn) {
  if (m_l1 == nullptr) return 0;
  auto* l2 = reinterpret_cast<uint64_t*>(m_l1[(vpn / kEntriesPerTable) % kEntriesPerTable]);
  if (l2 == nullptr) return 0;
  const uint64_t old = l2[vpn % kEntriesPerTable];
  l2[vpn % kEntriesPerTable] = 0;
  if ((old & GPT_MAPPED) != 0) --m_mapped;
  return old;
}

}  // namespace mkh::vmm
