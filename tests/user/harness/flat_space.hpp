// The test harness's address space: user memory as host pages allocated on first touch
// inside the regions a program was given (its ELF segments, its stack), each page with the
// segment's permissions. Tests only: the kernel's address space is the process's GPT.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "user/rv32.hpp"
#include "user/tlb.hpp"

namespace mkh::test {

class FlatSpace : public user::AddressSpace {
 public:
  struct Permissions {
    bool read = false;
    bool write = false;
    bool exec = false;
  };

  // Maps [begin, end) (page-rounded outwards) with `permissions`; a page already mapped
  // gains them.
  void map(uint32_t begin, uint32_t end, Permissions permissions);
  // Sets the permissions of the page holding `address` (its bytes stay, for peek).
  void protect(uint32_t address, Permissions permissions);

  std::byte* translate(uint32_t address, user::Access access) override;

  // Bytes of user memory for the harness itself (loading, the stack, system calls): false
  // when a byte is not mapped.
  bool poke(uint32_t address, const void* bytes, size_t size);
  bool peek(uint32_t address, void* bytes, size_t size);

  uint64_t translations() const { return m_translations; }

 private:
  struct Page {
    Permissions permissions;
    std::unique_ptr<std::byte[]> bytes;
  };
  Page* find(uint32_t address);

  std::map<uint32_t, Page> m_pages;  // by virtual page number
  uint64_t m_translations = 0;
};

}  // namespace mkh::test
