// The software TLB of the interpreter and the address space behind it. Layer: user. Calls
// the AddressSpace it is given (implemented by the kernel over the process's GPT, by tests
// over flat memory).
//
// Reads and writes have separate entries: a page present for reading only (read-only, or
// copy-on-write) misses on a write, and the miss asks the address space again with kWrite.
// An entry maps a virtual page to the host address of the page's bytes. Whoever changes or
// removes a translation flushes every Tlb that may hold it (flush_page, flush) before the host
// page is reused. A Tlb belongs to one thread (or one core): it is not thread-safe.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "user/rv32.hpp"

namespace mkh::user {

class AddressSpace {
 public:
  virtual ~AddressSpace() = default;
  // The host address of the first byte of the page holding `address`, mapped for `access`;
  // nullptr when the page is not (the interpreter reports a page fault). May resolve the
  // fault itself before answering.
  virtual std::byte* translate(uint32_t address, Access access) = 0;
};

class Tlb {
 public:
  static constexpr uint32_t kEntries = 256;  // direct-mapped, per access kind

  explicit Tlb(AddressSpace& space) : m_space(space) { flush(); }

  AddressSpace& space() const { return m_space; }

  // The host address of byte `address` for a read (a write), or nullptr: a page fault.
  std::byte* read(uint32_t address) { return lookup(m_read, address, Access::kRead); }
  std::byte* write(uint32_t address) { return lookup(m_write, address, Access::kWrite); }
  // The same for fetching instructions: the code cache's lookup of a page to decode.
  std::byte* exec(uint32_t address) { return lookup(m_exec, address, Access::kExec); }

  // The interpreter's split of read and write: the hit of an access of `size` bytes alone
  // (nullptr on a miss, or when the access crosses into the next page; a hit is never
  // nullptr), then the miss path (nullptr: a page fault).
  std::byte* read_hit(uint32_t address, uint32_t size) const { return hit(m_read, address, size); }
  std::byte* write_hit(uint32_t address, uint32_t size) const { return hit(m_write, address, size); }
  std::byte* read_miss(uint32_t address) {
    return miss(m_read[(address >> kPageShift) % kEntries], address, Access::kRead);
  }
  std::byte* write_miss(uint32_t address) {
    return miss(m_write[(address >> kPageShift) % kEntries], address, Access::kWrite);
  }

  void flush_page(uint32_t address);
  void flush();

  // The entries as the translator's code reads them (translate.cpp): kEntries of kEntryBytes,
  // a page's entry at its page number modulo kEntries; the virtual page's address (32 bits)
  // at kEntryPageAt, the host offset (64 bits) at kEntryOffsetAt.
  static constexpr uint32_t kEntryBytes = 16;
  static constexpr uint32_t kEntryPageAt = 0;
  static constexpr uint32_t kEntryOffsetAt = 8;
  const void* read_entries() const { return m_read.data(); }
  const void* write_entries() const { return m_write.data(); }

 private:
  // The host address of a byte of the entry's page is `offset` + its virtual address (modulo
  // 2^64): one add on a hit.
  struct Entry {
    uint32_t page = kInvalid;  // the virtual page's address
    uintptr_t offset = 0;
  };
  static_assert(sizeof(Entry) == kEntryBytes && offsetof(Entry, page) == kEntryPageAt &&
                offsetof(Entry, offset) == kEntryOffsetAt);
  static constexpr uint32_t kInvalid = ~uint32_t(0);  // not a page's address (not aligned)
  using Entries = std::array<Entry, kEntries>;

  // The entry of `address`'s page, its index taken as a byte offset in one mask.
  static const Entry& entry_of(const Entries& entries, uint32_t address) {
    const uintptr_t byte = (address >> (kPageShift - 4)) & ((kEntries - 1) * sizeof(Entry));
    return *reinterpret_cast<const Entry*>(reinterpret_cast<const char*>(entries.data()) + byte);
  }
  static std::byte* host_of(const Entry& entry, uint32_t address) {
    return reinterpret_cast<std::byte*>(entry.offset + address);
  }
  std::byte* lookup(Entries& entries, uint32_t address, Access access) {
    const Entry& entry = entry_of(entries, address);
    if (entry.page == (address & ~kPageMask)) [[likely]]
      return host_of(entry, address);
    return miss(entries[(address >> kPageShift) % kEntries], address, access);
  }
  // One compare for both: the entry of `address` is the page of its last byte's. (The entry
  // of a page P sits at index P mod kEntries; were the last byte on the page after the
  // first's, that page's entry would sit at the next index.)
  static std::byte* hit(const Entries& entries, uint32_t address, uint32_t size) {
    const Entry& entry = entry_of(entries, address);
    if (entry.page != ((address + size - 1) & ~kPageMask)) return nullptr;
    std::byte* host = host_of(entry, address);
    if (host == nullptr) __builtin_unreachable();  // a valid entry maps a host page: one test on a hit
    return host;
  }
  std::byte* miss(Entry& entry, uint32_t address, Access access);

  AddressSpace& m_space;
  Entries m_read;
  Entries m_write;
  Entries m_exec;
};

}  // namespace mkh::user
