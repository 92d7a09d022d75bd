// The software TLB's miss and flush paths (tlb.hpp). Layer: user.
#include "user/tlb.hpp"

namespace mkh::user {

std::byte* Tlb::miss(Entry& entry, uint32_t address, Access access) {
  std::byte* host = m_space.translate(address & ~kPageMask, access);
  if (host == nullptr) return nullptr;
  const uint32_t page = address & ~kPageMask;
  const uintptr_t offset = reinterpret_cast<uintptr_t>(host) - uintptr_t(page);
  entry = Entry{page, offset};
  // A page writable is readable (RISC-V has no write-only page), and a write that broke a
  // copy-on-write now reads the new copy: the read entry follows.
  if (access == Access::kWrite) m_read[(page >> kPageShift) % kEntries] = entry;
  return host + (address & kPageMask);
}

void Tlb::flush_page(uint32_t address) {
  const uint32_t page = address & ~kPageMask;
  for (Entries* entries : {&m_read, &m_write, &m_exec}) {
    Entry& entry = (*entries)[(page >> kPageShift) % kEntries];
    if (entry.page == page) entry = Entry{};
  }
}

void Tlb::flush() {
  m_read.fill(Entry{});
  m_write.fill(Entry{});
  m_exec.fill(Entry{});
}

}  // namespace mkh::user
