// The code cache: the pre-decoded instructions of the code pages of one address space (one
// process copy), each page decoded once, at its first execution. Layer: user. Calls the
// decoder and the Tlb's exec lookup.
//
// A decoded page holds one Insn per halfword of the page (an instruction may start at any
// halfword: jump targets choose), then two sentinels that continue at the next page. A 32-bit
// instruction in the page's last halfword is decoded at its first execution, when the next
// page is fetched (kCrossPage patches itself). Code pages are read-only, so a decoded page
// never goes stale while its translation stands: whoever unmaps or remaps a code page drops it
// (drop_page, which also drops the page before it, whose last instruction may end in it), and
// exec drops everything (drop_all). Not thread-safe: the kernel serialises its users.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <unordered_map>

#include "libk/result.hpp"
#include "user/decode.hpp"
#include "user/rv32.hpp"
#include "user/tlb.hpp"

namespace mkh::user {

struct DecodedPage {
  static constexpr uint32_t kSlots = kPageSize / 2;
  uint32_t base = 0;        // the page's virtual address
  uint16_t first_half = 0;  // the page's first halfword: the end of the previous page's last instruction
  Insn slots[kSlots + 2];   // then kPageEnd at base + kPageSize and base + kPageSize + 2
};

// Decodes the kPageSize bytes at `bytes` as the page at `base`.
void decode_page(DecodedPage& page, uint32_t base, const std::byte* bytes);

class CodeCache {
 public:
  // The decoded page holding `address`, fetched through tlb.exec and decoded on first use.
  // kFault: the address space refuses to execute there; kNoMem: no memory for the decoding.
  Result<DecodedPage*> page(uint32_t address, Tlb& tlb);

  void drop_page(uint32_t address);
  void drop_all();
  size_t pages() const { return m_pages.size(); }

 private:
  static constexpr uint32_t kRecent = 64;
  std::unordered_map<uint32_t, std::unique_ptr<DecodedPage>> m_pages;  // by virtual page number
  std::array<DecodedPage*, kRecent> m_recent{};                        // direct-mapped by page number
};

}  // namespace mkh::user
