// The code cache (code_cache.hpp): decoding a page, finding and dropping decoded pages.
// Layer: user.
#include "user/code_cache.hpp"

#include <cstring>
#include <new>

namespace mkh::user {

void decode_page(DecodedPage& page, uint32_t base, const std::byte* bytes) {
  uint16_t halves[DecodedPage::kSlots];
  std::memcpy(halves, bytes, sizeof halves);
  page.base = base;
  page.first_half = halves[0];
  for (uint32_t i = 0; i < DecodedPage::kSlots; ++i) {
    if ((halves[i] & 3) != 3) {
      page.slots[i] = decode16(halves[i]);
    } else if (i + 1 < DecodedPage::kSlots) {
      page.slots[i] = decode32(uint32_t(halves[i]) | uint32_t(halves[i + 1]) << 16);
    } else {
      page.slots[i] = Insn{Op::kCrossPage, kSinkRegister, 0, 0, int32_t(halves[i]), 2};
    }
  }
  page.slots[DecodedPage::kSlots] = Insn{Op::kPageEnd, kSinkRegister, 0, 0, 0, 1};
  page.slots[DecodedPage::kSlots + 1] = Insn{Op::kPageEnd, kSinkRegister, 0, 0, 0, 1};
}

Result<DecodedPage*> CodeCache::page(uint32_t address, Tlb& tlb) {
  const uint32_t number = address >> kPageShift;
  DecodedPage*& recent = m_recent[number % kRecent];
  if (recent != nullptr && recent->base >> kPageShift == number) return recent;
  if (auto found = m_pages.find(number); found != m_pages.end()) {
    recent = found->second.get();
    return recent;
  }
  const std::byte* bytes = tlb.exec(number << kPageShift);
  if (bytes == nullptr) return error(Errno::kFault);
  std::unique_ptr<DecodedPage> decoded(new (std::nothrow) DecodedPage);
  if (!decoded) return error(Errno::kNoMem);
  decode_page(*decoded, number << kPageShift, bytes);
  try {
    recent = m_pages.emplace(number, std::move(decoded)).first->second.get();
  } catch (const std::bad_alloc&) {
    return error(Errno::kNoMem);
  }
  return recent;
}

void CodeCache::drop_page(uint32_t address) {
  const uint32_t number = address >> kPageShift;
  for (uint32_t page : {number, number - 1}) {
    DecodedPage*& recent = m_recent[page % kRecent];
    if (recent != nullptr && recent->base >> kPageShift == page) recent = nullptr;
    m_pages.erase(page);
  }
}

void CodeCache::drop_all() {
  m_pages.clear();
  m_recent.fill(nullptr);
}

}  // namespace mkh::user
