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

  void flush_page(uint32_t address);
  void flush();

 private:
  struct Entry {
    uint32_t page = kInvalid;  // virtual page number
    std::byte* host = nullptr;
  };
  static constexpr uint32_t kInvalid = ~uint32_t(0);  // no virtual page number is that high
  using Entries = std::array<Entry, kEntries>;

  std::byte* lookup(Entries& entries, uint32_t address, Access access) {
    const uint32_t page = address >> kPageShift;
    Entry& entry = entries[page % kEntries];
    if (entry.page == page) [[likely]]
      return entry.host + (address & kPageMask);
    return miss(entry, address, access);
  }
  std::byte* miss(Entry& entry, uint32_t address, Access access);

  AddressSpace& m_space;
  Entries m_read;
  Entries m_write;
  Entries m_exec;
};

}  // namespace mkh::user
