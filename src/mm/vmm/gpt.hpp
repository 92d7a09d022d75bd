// The generic page table (GPT) of one process copy: virtual page number → the physical page
// (an xptr, so a page of any cluster's bank) and its attributes. Layer: vmm. Calls mm (pages
// of the local cluster for the tables).
//
// Two levels of 1024 entries, as Sv32 cuts a 32-bit address: level 1 indexed by vpn >> 10,
// each entry the local address of a level-2 table (allocated at its first mapping), whose
// entries are the page's xptr (page aligned) with the attribute bits in its low 12 bits.
// Each table is an order-1 block (1024 entries of 8 bytes). The tables live in the copy's
// cluster and are reached only by it (another cluster asks the reference by VMM_GET_PTE);
// the owner of the GPT serialises its users (the VMM's lock).
#pragma once

#include <cstdint>

#include "hal/xptr.hpp"
#include "libk/result.hpp"
#include "mm/page.hpp"

namespace mkh::vmm {

// Attribute bits of an entry (the low 12 bits; the rest is the page's xptr).
inline constexpr uint32_t GPT_MAPPED = 1u << 0;
inline constexpr uint32_t GPT_READ = 1u << 1;
inline constexpr uint32_t GPT_WRITE = 1u << 2;
inline constexpr uint32_t GPT_EXEC = 1u << 3;
inline constexpr uint32_t GPT_USER = 1u << 4;
inline constexpr uint32_t GPT_COW = 1u << 5;      // shared after a fork: a write copies it
inline constexpr uint32_t GPT_PRIVATE = 1u << 6;  // the page belongs to this mapping: freed when it is unmapped
inline constexpr uint32_t GPT_SHARED = 1u << 7;   // an anonymous MAP_SHARED page: a fork's child maps it too
inline constexpr uint64_t kGptAttrMask = 0xfff;

inline constexpr uint64_t gpt_entry(hal::xptr_t page_base, uint32_t attr) { return page_base | attr; }
inline constexpr hal::xptr_t gpt_page(uint64_t entry) { return entry & ~kGptAttrMask; }
inline constexpr uint32_t gpt_attr(uint64_t entry) { return uint32_t(entry & kGptAttrMask); }

class Gpt {
 public:
  static constexpr uint32_t kEntriesPerTable = 1024;

  // Allocates the level-1 table; kNoMem.
  [[nodiscard]] Result<void> init();
  // Calls release(entry, context) for every mapped entry, then frees every table.
  void destroy(void (*release)(uint32_t vpn, uint64_t entry, void* context), void* context);

  // The entry of `vpn` (0 when none).
  uint64_t get(uint32_t vpn) const;
  // Sets the entry of `vpn`, allocating its level-2 table when needed; kNoMem.
  [[nodiscard]] Result<void> set(uint32_t vpn, uint64_t entry);
  // Clears the entry of `vpn` and returns what it was (0 when none).
  uint64_t clear(uint32_t vpn);

  // Calls visit(vpn, entry) for every mapped entry in vpn order; `visit` may change the entry
  // in place, not whether it is mapped.
  template <typename Visit>
  void for_each_mapped(Visit&& visit) {
    if (m_l1 == nullptr) return;
    for (uint32_t i = 0; i < kEntriesPerTable; ++i) {
      auto* l2 = reinterpret_cast<uint64_t*>(m_l1[i]);
      if (l2 == nullptr) continue;
      for (uint32_t j = 0; j < kEntriesPerTable; ++j)
        if ((l2[j] & GPT_MAPPED) != 0) visit(i * kEntriesPerTable + j, l2[j]);
    }
  }

  uint64_t mapped() const { return m_mapped; }
  // Whether it has its level-1 table (made by init, gone with destroy).
  bool ready() const { return m_l1 != nullptr; }

 private:
  uint64_t* m_l1 = nullptr;  // level-1 table: local addresses of level-2 tables, 0 for none
  mm::Page* m_l1_page = nullptr;
  uint64_t m_mapped = 0;  // entries with GPT_MAPPED
};

}  // namespace mkh::vmm
