// The ELF32 RISC-V executable checker (elf.hpp). Layer: user. Calls libk only.
// Every sum of two file fields is computed in 64 bits, so no check can be passed by a wrap.
#include "user/elf.hpp"

#include "libk/endian.hpp"

namespace mkh::user::elf {

namespace {

// e_ident and the ELF header's fields (byte offsets).
namespace ehdr {
inline constexpr uint32_t kClass = 4;         // EI_CLASS
inline constexpr uint32_t kData = 5;          // EI_DATA
inline constexpr uint32_t kIdentVersion = 6;  // EI_VERSION
inline constexpr uint32_t kOsAbi = 7;         // EI_OSABI
inline constexpr uint32_t kType = 16;         // u16
inline constexpr uint32_t kMachine = 18;      // u16
inline constexpr uint32_t kVersion = 20;      // u32
inline constexpr uint32_t kEntry = 24;        // u32
inline constexpr uint32_t kPhoff = 28;        // u32
inline constexpr uint32_t kFlags = 36;        // u32
inline constexpr uint32_t kPhentsize = 42;    // u16
inline constexpr uint32_t kPhnum = 44;        // u16
}  // namespace ehdr

// A program header's fields (byte offsets).
namespace phdr {
inline constexpr uint32_t kType = 0;
inline constexpr uint32_t kOffset = 4;
inline constexpr uint32_t kVaddr = 8;
inline constexpr uint32_t kFilesz = 16;
inline constexpr uint32_t kMemsz = 20;
inline constexpr uint32_t kFlags = 24;
inline constexpr uint32_t kAlign = 28;
}  // namespace phdr

inline constexpr uint16_t kEtExec = 2;
inline constexpr uint16_t kEtDyn = 3;
inline constexpr uint8_t kOsAbiSysv = 0;
inline constexpr uint8_t kOsAbiLinux = 3;
inline constexpr uint64_t kPageMask = kPageSize - 1;

const char* float_abi_name(uint32_t flags) {
  switch (flags & kEfRiscvFloatAbi) {
    case 0x2: return "single-float (ilp32f)";
    case 0x4: return "double-float (ilp32d)";
    default: return "quad-float (ilp32q)";
  }
}

}  // namespace

Result<Header, Error> parse_header(std::span<const uint8_t> bytes, uint64_t file_size) {
  const uint64_t have = bytes.size() < file_size ? bytes.size() : file_size;
  if (have < kHeaderSize)
    return error(Errno::kNoExec, "truncated: {} bytes, shorter than the ELF header ({} bytes)", have, kHeaderSize);
  const uint8_t* e = bytes.data();
  if (e[0] != 0x7F || e[1] != 'E' || e[2] != 'L' || e[3] != 'F')
    return error(Errno::kNoExec, "e_ident: bad ELF magic {:02x} {:02x} {:02x} {:02x} (expected 7f 45 4c 46)",
                 unsigned(e[0]), unsigned(e[1]), unsigned(e[2]), unsigned(e[3]));
  if (e[ehdr::kClass] != 1)
    return error(Errno::kNoExec, "e_ident[EI_CLASS] {} is not ELFCLASS32 (1){}", unsigned(e[ehdr::kClass]),
                 e[ehdr::kClass] == 2 ? ": a 64-bit program" : "");
  if (e[ehdr::kData] != 1)
    return error(Errno::kNoExec, "e_ident[EI_DATA] {} is not ELFDATA2LSB (1, little-endian)", unsigned(e[ehdr::kData]));
  if (e[ehdr::kIdentVersion] != 1)
    return error(Errno::kNoExec, "e_ident[EI_VERSION] {} is not EV_CURRENT (1)", unsigned(e[ehdr::kIdentVersion]));
  const uint8_t os_abi = e[ehdr::kOsAbi];
  if (os_abi != kOsAbiSysv && os_abi != kOsAbiLinux)
    return error(Errno::kNoExec, "e_ident[EI_OSABI] {} is neither ELFOSABI_SYSV (0) nor ELFOSABI_LINUX (3)",
                 unsigned(os_abi));

  const uint16_t type = load_le16(e + ehdr::kType);
  if (type == kEtDyn)
    return error(Errno::kNoExec,
                 "e_type ET_DYN: a position-independent executable or a shared object; only static ET_EXEC "
                 "programs run");
  if (type != kEtExec) return error(Errno::kNoExec, "e_type {} is not ET_EXEC (2)", type);
  const uint16_t machine = load_le16(e + ehdr::kMachine);
  if (machine != kMachineRiscv) return error(Errno::kNoExec, "e_machine {} is not EM_RISCV (243)", machine);
  const uint32_t version = load_le32(e + ehdr::kVersion);
  if (version != 1) return error(Errno::kNoExec, "e_version {} is not EV_CURRENT (1)", version);

  const uint32_t flags = load_le32(e + ehdr::kFlags);
  if ((flags & kEfRiscvFloatAbi) != 0)
    return error(Errno::kNoExec, "e_flags 0x{:x}: the {} ABI; only soft-float (ilp32) programs run", flags,
                 float_abi_name(flags));
  if ((flags & kEfRiscvRve) != 0)
    return error(Errno::kNoExec, "e_flags 0x{:x}: the RV32E (ilp32e) ABI; only ilp32 programs run", flags);

  const uint16_t phentsize = load_le16(e + ehdr::kPhentsize);
  if (phentsize != kProgramHeaderSize)
    return error(Errno::kNoExec, "e_phentsize {} is not {} (sizeof(Elf32_Phdr))", phentsize, kProgramHeaderSize);
  const uint16_t phnum = load_le16(e + ehdr::kPhnum);
  if (phnum == 0) return error(Errno::kNoExec, "e_phnum 0: no program header");
  const uint64_t table_bytes = uint64_t(phnum) * kProgramHeaderSize;
  if (table_bytes > kMaxProgramHeaderBytes)
    return error(Errno::kNoExec, "e_phnum {}: {} bytes of program headers, more than {}", phnum, table_bytes,
                 kMaxProgramHeaderBytes);
  const uint32_t phoff = load_le32(e + ehdr::kPhoff);
  if (uint64_t(phoff) + table_bytes > file_size)
    return error(Errno::kNoExec, "program headers [e_phoff 0x{:x}, +{}) end past the end of the file ({} bytes)", phoff,
                 table_bytes, file_size);

  return Header{.entry = load_le32(e + ehdr::kEntry), .flags = flags, .phoff = phoff, .phnum = phnum, .os_abi = os_abi};
}

Result<Image, Error> check_program_headers(const Header& header, std::span<const uint8_t> phdrs, uint64_t file_size,
                                           UserRange range) {
  if (range.begin >= range.end || (range.begin & kPageMask) != 0 || (range.end & kPageMask) != 0)
    return error(Errno::kInval, "user range [0x{:x}, 0x{:x}) is empty or not page-aligned", range.begin, range.end);
  if (phdrs.size() < header.phdr_bytes())
    return error(Errno::kNoExec, "only {} bytes of the {} bytes of program headers", phdrs.size(), header.phdr_bytes());

  Image image{};
  image.entry = header.entry;
  image.flags = header.flags;
  image.phnum = header.phnum;
  for (uint32_t i = 0; i < header.phnum; ++i) {
    const uint8_t* p = phdrs.data() + uint64_t(i) * kProgramHeaderSize;
    const uint32_t type = load_le32(p + phdr::kType);
    if (type == kPtInterp)
      return error(Errno::kNoExec,
                   "program header {}: PT_INTERP names a dynamic linker; only statically linked programs run", i);
    if (type == kPtGnuStack) image.stack_executable = (load_le32(p + phdr::kFlags) & kPfX) != 0;
    if (type != kPtLoad) continue;  // PT_DYNAMIC, PT_TLS, PT_RISCV_ATTRIBUTES...: nothing to load

    Segment s{.vaddr = load_le32(p + phdr::kVaddr),
              .offset = load_le32(p + phdr::kOffset),
              .filesz = load_le32(p + phdr::kFilesz),
              .memsz = load_le32(p + phdr::kMemsz),
              .flags = load_le32(p + phdr::kFlags) & (kPfR | kPfW | kPfX),
              .align = load_le32(p + phdr::kAlign)};
    if (s.filesz > s.memsz)
      return error(Errno::kNoExec, "PT_LOAD {}: p_filesz 0x{:x} is larger than p_memsz 0x{:x}", i, s.filesz, s.memsz);
    if (uint64_t(s.offset) + s.filesz > file_size)
      return error(Errno::kNoExec,
                   "PT_LOAD {}: file bytes [p_offset 0x{:x}, +p_filesz 0x{:x}) end past the end of the file ({} "
                   "bytes)",
                   i, s.offset, s.filesz, file_size);
    if (s.align > 1 && (s.align & (s.align - 1)) != 0)
      return error(Errno::kNoExec, "PT_LOAD {}: p_align 0x{:x} is not a power of two", i, s.align);
    if (((s.offset ^ s.vaddr) & kPageMask) != 0)
      return error(Errno::kNoExec, "PT_LOAD {}: p_offset 0x{:x} and p_vaddr 0x{:x} differ modulo the page size ({})", i,
                   s.offset, s.vaddr, kPageSize);
    if (s.memsz == 0) continue;  // maps nothing
    if (s.vaddr < range.begin)
      return error(Errno::kNoExec, "PT_LOAD {}: p_vaddr 0x{:x} is below the user range's start 0x{:x}", i, s.vaddr,
                   range.begin);
    if (uint64_t(s.vaddr) + s.memsz > range.end)
      return error(Errno::kNoExec,
                   "PT_LOAD {}: [p_vaddr 0x{:x}, +p_memsz 0x{:x}) ends past the user range's end 0x{:x}", i, s.vaddr,
                   s.memsz, range.end);
    if (image.segment_count == kMaxSegments)
      return error(Errno::kNoExec, "PT_LOAD {}: more than {} loadable segments", i, kMaxSegments);
    // Insertion by vaddr.
    uint32_t at = image.segment_count++;
    for (; at > 0 && image.segments[at - 1].vaddr > s.vaddr; --at) image.segments[at] = image.segments[at - 1];
    image.segments[at] = s;
  }
  if (image.segment_count == 0) return error(Errno::kNoExec, "no PT_LOAD segment with p_memsz > 0: nothing to run");

  const std::span<const Segment> loads = image.loads();
  for (std::size_t i = 1; i < loads.size(); ++i)
    if (loads[i - 1].page_end() > loads[i].page_begin())
      return error(Errno::kNoExec,
                   "PT_LOAD segments [0x{:x}, 0x{:x}) and [0x{:x}, 0x{:x}) overlap or share a page (a page belongs to "
                   "one segment)",
                   loads[i - 1].vaddr, loads[i - 1].end(), loads[i].vaddr, loads[i].end());

  const Segment* code = nullptr;
  for (const Segment& s : loads)
    if (header.entry >= s.vaddr && header.entry < s.end()) code = &s;
  if (code == nullptr) return error(Errno::kNoExec, "e_entry 0x{:x} is outside every PT_LOAD segment", header.entry);
  if (!code->executable())
    return error(Errno::kNoExec, "e_entry 0x{:x} is in the segment [0x{:x}, 0x{:x}), which is not executable",
                 header.entry, code->vaddr, code->end());
  if ((header.entry & 1) != 0)
    return error(Errno::kNoExec, "e_entry 0x{:x} is odd (instructions are 2-byte aligned)", header.entry);

  // AT_PHDR as Linux finds it: the segment whose file bytes hold the table's start.
  for (const Segment& s : loads)
    if (header.phoff >= s.offset && uint64_t(header.phoff) < uint64_t(s.offset) + s.filesz)
      image.phdr_vaddr = s.vaddr + (header.phoff - s.offset);

  const Segment& top = loads.back();  // sorted and disjoint: the highest ends last
  image.bss_begin = top.file_end();
  image.bss_end = top.end();
  image.highest = top.end();
  image.brk = uint32_t(top.page_end());  // <= range.end, page-aligned: no wrap
  return image;
}

Result<Image, Error> check_executable(std::span<const uint8_t> head, uint64_t file_size, UserRange range) {
  if (head.size() > file_size) head = head.first(static_cast<std::size_t>(file_size));
  const Header header = TRY(parse_header(head, file_size));
  if (uint64_t(header.phoff) + header.phdr_bytes() > head.size())
    return error(Errno::kNoExec, "program headers [e_phoff 0x{:x}, +{}) lie past the {} bytes read", header.phoff,
                 header.phdr_bytes(), head.size());
  return check_program_headers(header, head.subspan(header.phoff, header.phdr_bytes()), file_size, range);
}

}  // namespace mkh::user::elf
