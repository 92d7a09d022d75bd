// The ELF32 RISC-V executable checker: what exec may load, as pure functions over the bytes of
// a file's ELF header and program headers (System V gABI, RISC-V psABI). Layer: user. Calls
// libk only: no kernel object, no heap (an Error's message aside), so exec never parses bytes
// itself and the host tests and the fuzzer check every field. Every refusal is ENOEXEC with a
// message naming the field that is wrong; docs/decisions.md says what is accepted and why.
#pragma once

#include <array>
#include <cstdint>
#include <span>

#include "libk/result.hpp"

namespace mkh::user::elf {

inline constexpr uint32_t kHeaderSize = 52;         // sizeof(Elf32_Ehdr)
inline constexpr uint32_t kProgramHeaderSize = 32;  // sizeof(Elf32_Phdr), the only e_phentsize accepted
// At most one page of program headers (128), as Linux reads them.
inline constexpr uint32_t kMaxProgramHeaderBytes = 4096;
inline constexpr uint32_t kMaxSegments = 16;  // PT_LOAD segments kept (a static program has 2 to 4)
inline constexpr uint32_t kPageSize = 4096;   // user pages: offsets and addresses agree modulo this

inline constexpr uint16_t kMachineRiscv = 243;  // EM_RISCV
inline constexpr uint32_t kPtLoad = 1;
inline constexpr uint32_t kPtInterp = 3;
inline constexpr uint32_t kPtGnuStack = 0x6474E551;
inline constexpr uint32_t kPfX = 1;  // p_flags
inline constexpr uint32_t kPfW = 2;
inline constexpr uint32_t kPfR = 4;
inline constexpr uint32_t kEfRiscvRvc = 0x1;       // e_flags: compressed instructions used
inline constexpr uint32_t kEfRiscvFloatAbi = 0x6;  // soft 0, single 2, double 4, quad 6
inline constexpr uint32_t kEfRiscvRve = 0x8;

// Where a program's segments may lie: [begin, end), both page-aligned. USERMODE.md's defaults:
// above the null-pointer guard, below the stacks.
struct UserRange {
  uint32_t begin = 0x0001'0000;
  uint32_t end = 0xC000'0000;
};

// The ELF header, checked: a 32-bit little-endian RISC-V static executable for System V or
// Linux, soft-float, whose program header table (phnum entries of 32 bytes, one page at most)
// lies inside the file.
struct Header {
  uint32_t entry;  // e_entry, not yet checked against the segments
  uint32_t flags;  // e_flags (kEfRiscvRvc...)
  uint32_t phoff;  // e_phoff: the program header table's offset in the file
  uint16_t phnum;  // e_phnum, 1..128
  uint8_t os_abi;  // ELFOSABI_SYSV (0) or ELFOSABI_LINUX (3)
  uint32_t phdr_bytes() const { return uint32_t(phnum) * kProgramHeaderSize; }
  friend bool operator==(const Header&, const Header&) = default;
};

// One PT_LOAD segment, checked: its file bytes [offset, offset + filesz) inside the file, its
// memory [vaddr, vaddr + memsz) inside the user range, filesz <= memsz, offset and vaddr equal
// modulo the page size. Exec maps the file bytes, and zero-fills the rest of the memory (bss)
// including the tail of the page that holds the last file byte (the file's bytes there belong
// to something else).
struct Segment {
  uint32_t vaddr;
  uint32_t offset;
  uint32_t filesz;
  uint32_t memsz;  // > 0 (an empty PT_LOAD is ignored)
  uint32_t flags;  // kPfR | kPfW | kPfX as the file says (other bits dropped); W and X together allowed
  uint32_t align;  // p_align: 0, 1 or a power of two (informative: mapping needs page congruence only)
  bool readable() const { return (flags & kPfR) != 0; }
  bool writable() const { return (flags & kPfW) != 0; }
  bool executable() const { return (flags & kPfX) != 0; }
  uint32_t end() const { return vaddr + memsz; }        // no wrap: <= the user range's end
  uint32_t file_end() const { return vaddr + filesz; }  // where this segment's bss starts
  uint32_t page_begin() const { return vaddr & ~(kPageSize - 1); }
  uint64_t page_end() const { return (uint64_t(end()) + kPageSize - 1) & ~uint64_t(kPageSize - 1); }
  friend bool operator==(const Segment&, const Segment&) = default;
};

// What exec needs of a checked executable.
struct Image {
  uint32_t entry;                                   // inside an executable segment, 2-byte aligned
  uint32_t flags;                                   // e_flags
  std::array<Segment, kMaxSegments> segments = {};  // the non-empty PT_LOADs, by ascending vaddr, no page shared
  uint32_t segment_count;                           // >= 1
  uint32_t bss_begin;     // the zero-filled bytes of the highest segment: [bss_begin, bss_end)
  uint32_t bss_end;       // = highest
  uint32_t highest;       // the end of the highest segment
  uint32_t brk;           // where the heap starts: highest rounded up to a page (Linux's start_brk)
  uint32_t phdr_vaddr;    // AT_PHDR: the program headers' address when a segment maps them, else 0
  uint16_t phnum;         // AT_PHNUM (AT_PHENT is kProgramHeaderSize)
  bool stack_executable;  // PT_GNU_STACK asks for an executable stack (false without one)

  std::span<const Segment> loads() const { return {segments.data(), segment_count}; }
  friend bool operator==(const Image&, const Image&) = default;
};

// Checks the ELF header: `bytes` holds the file's first bytes (at least kHeaderSize), the file
// has file_size bytes. The program header table is then at [phoff, phoff + phdr_bytes()).
Result<Header, Error> parse_header(std::span<const uint8_t> bytes, uint64_t file_size);

// Checks the program header table `phdrs` (header.phdr_bytes() bytes read at header.phoff) of
// a file of file_size bytes whose ELF header is `header`, its segments against `range`.
// kInval if the range itself is not page-aligned and non-empty.
Result<Image, Error> check_program_headers(const Header& header, std::span<const uint8_t> phdrs, uint64_t file_size,
                                           UserRange range = {});

// Both checks over `head`, the file's first bytes, which must hold the program header table
// (a table further in is refused: a caller that reads less than the whole file reads the table
// at phoff and calls the two steps).
Result<Image, Error> check_executable(std::span<const uint8_t> head, uint64_t file_size, UserRange range = {});

}  // namespace mkh::user::elf
