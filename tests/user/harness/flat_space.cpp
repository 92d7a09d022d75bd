// The harness's address space (flat_space.hpp). Tests only.
#include "flat_space.hpp"

#include <cstring>

namespace mkh::test {

using user::kPageMask;
using user::kPageShift;
using user::kPageSize;

void FlatSpace::map(uint32_t begin, uint32_t end, Permissions permissions) {
  const uint64_t first = begin >> kPageShift;
  const uint64_t last = (uint64_t(end) + kPageMask) >> kPageShift;
  for (uint64_t number = first; number < last; ++number) {
    Page& page = m_pages[uint32_t(number)];
    if (!page.bytes) {
      page.bytes = std::make_unique<std::byte[]>(kPageSize);
      std::memset(page.bytes.get(), 0, kPageSize);
    }
    page.permissions.read |= permissions.read;
    page.permissions.write |= permissions.write;
    page.permissions.exec |= permissions.exec;
  }
}

void FlatSpace::protect(uint32_t address, Permissions permissions) {
  if (Page* page = find(address)) page->permissions = permissions;
}

FlatSpace::Page* FlatSpace::find(uint32_t address) {
  auto found = m_pages.find(address >> kPageShift);
  return found == m_pages.end() ? nullptr : &found->second;
}

std::byte* FlatSpace::translate(uint32_t address, user::Access access) {
  ++m_translations;
  Page* page = find(address);
  if (page == nullptr) return nullptr;
  const bool allowed = access == user::Access::kRead    ? page->permissions.read
                       : access == user::Access::kWrite ? page->permissions.write
                                                        : page->permissions.exec;
  return allowed ? page->bytes.get() : nullptr;
}

bool FlatSpace::poke(uint32_t address, const void* bytes, size_t size) {
  const auto* in = static_cast<const std::byte*>(bytes);
  for (size_t i = 0; i < size; ++i) {
    Page* page = find(uint32_t(address + i));
    if (page == nullptr) return false;
    page->bytes[(address + i) & kPageMask] = in[i];
  }
  return true;
}

bool FlatSpace::peek(uint32_t address, void* bytes, size_t size) {
  auto* out = static_cast<std::byte*>(bytes);
  for (size_t i = 0; i < size; ++i) {
    Page* page = find(uint32_t(address + i));
    if (page == nullptr) return false;
    out[i] = page->bytes[(address + i) & kPageMask];
  }
  return true;
}

}  // namespace mkh::test
