// Unit tests of the ELF32 RISC-V executable checker (user/elf): the instruction test programs
// the build makes with riscv64-unknown-elf-gcc accepted with the entry and segments that
// riscv64-unknown-elf-readelf reads in them, and a small crafted executable accepted, then
// broken field by field, each break refused with ENOEXEC and a message naming the field.
// Layer: tests. Calls user/elf and, for the real programs, the host's readelf.
#include "user/elf.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <regex>
#include <string>
#include <vector>

namespace mkh::user::elf {
namespace {

constexpr uint32_t kR = kPfR, kW = kPfW, kX = kPfX;

struct Phdr {
  uint32_t type, offset, vaddr, filesz, memsz, flags, align;
};

// A small static executable, field by field: code R+X at 0x10000 from the file's start (ELF
// and program headers included), data R+W at 0x11200 from offset 0x200 with bss after it.
struct Fake {
  uint8_t magic0 = 0x7F, elf_class = 1, data = 1, ident_version = 1, os_abi = 0;
  uint16_t type = 2, machine = 243;
  uint32_t version = 1, entry = 0x10080, phoff = kHeaderSize, flags = kEfRiscvRvc;
  uint16_t phentsize = kProgramHeaderSize;
  int phnum = -1;  // e_phnum, or -1 for phdrs.size()
  std::vector<Phdr> phdrs = {{kPtLoad, 0, 0x10000, 0x200, 0x200, kR | kX, 0x1000},
                             {kPtLoad, 0x200, 0x11200, 0x40, 0x300, kR | kW, 0x1000}};
  uint64_t file_size = 0x240;

  std::vector<uint8_t> bytes() const {
    std::vector<uint8_t> b(file_size, 0xA5);
    auto put = [&](uint64_t at, uint64_t value, int size) {
      for (int i = 0; i < size; ++i)
        if (at + i < b.size()) b[at + i] = uint8_t(value >> (8 * i));
    };
    put(0, magic0, 1);
    put(1, 'E', 1);
    put(2, 'L', 1);
    put(3, 'F', 1);
    put(4, elf_class, 1);
    put(5, data, 1);
    put(6, ident_version, 1);
    put(7, os_abi, 1);
    for (int i = 8; i < 16; ++i) put(i, 0, 1);
    put(16, type, 2);
    put(18, machine, 2);
    put(20, version, 4);
    put(24, entry, 4);
    put(28, phoff, 4);
    put(32, 0, 4);  // e_shoff: no section header
    put(36, flags, 4);
    put(40, kHeaderSize, 2);
    put(42, phentsize, 2);
    put(44, phnum < 0 ? phdrs.size() : uint64_t(phnum), 2);
    put(46, 40, 2);
    put(48, 0, 2);
    put(50, 0, 2);
    for (std::size_t i = 0; i < phdrs.size(); ++i) {
      const uint64_t at = uint64_t(phoff) + i * kProgramHeaderSize;
      const Phdr& p = phdrs[i];
      put(at + 0, p.type, 4);
      put(at + 4, p.offset, 4);
      put(at + 8, p.vaddr, 4);
      put(at + 12, p.vaddr, 4);  // p_paddr
      put(at + 16, p.filesz, 4);
      put(at + 20, p.memsz, 4);
      put(at + 24, p.flags, 4);
      put(at + 28, p.align, 4);
    }
    return b;
  }
};

Result<Image, Error> check(const std::vector<uint8_t>& bytes, UserRange range = {}) {
  return check_executable(bytes, bytes.size(), range);
}

// The refusal's message; a failure if it is accepted or refused with another errno.
std::string refusal(const std::vector<uint8_t>& bytes, UserRange range = {}) {
  auto image = check(bytes, range);
  if (image) return "accepted";
  EXPECT_EQ(image.error().code, Errno::kNoExec) << image.error().text();
  EXPECT_FALSE(image.error().message.empty());
  return image.error().message;
}
std::string refusal(const Fake& fake) { return refusal(fake.bytes()); }

// Refused with ENOEXEC, the message holding every word given.
#define EXPECT_REFUSED(fake, ...)                                                                 \
  do {                                                                                            \
    const std::string message = refusal(fake);                                                    \
    for (const char* word : {__VA_ARGS__}) {                                                      \
      EXPECT_NE(message.find(word), std::string::npos) << "'" << word << "' not in: " << message; \
    }                                                                                             \
  } while (0)

TEST(ElfChecker, AcceptsTheFakeWithItsSegmentsBssAndBrk) {
  const std::vector<uint8_t> bytes = Fake{}.bytes();
  auto image = check(bytes);
  ASSERT_TRUE(image) << image.error().text();
  EXPECT_EQ(image->entry, 0x10080u);
  EXPECT_EQ(image->flags, kEfRiscvRvc);
  ASSERT_EQ(image->segment_count, 2u);
  EXPECT_EQ(image->segments[0], (Segment{0x10000, 0, 0x200, 0x200, kR | kX, 0x1000}));
  EXPECT_EQ(image->segments[1], (Segment{0x11200, 0x200, 0x40, 0x300, kR | kW, 0x1000}));
  EXPECT_EQ(image->bss_begin, 0x11240u);
  EXPECT_EQ(image->bss_end, 0x11500u);
  EXPECT_EQ(image->highest, 0x11500u);
  EXPECT_EQ(image->brk, 0x12000u);
  EXPECT_EQ(image->phdr_vaddr, 0x10034u);  // the table at offset 52 of the code segment
  EXPECT_EQ(image->phnum, 2);
  EXPECT_FALSE(image->stack_executable);
}

TEST(ElfChecker, TwoStepsAgreeWithOneAndReadATablePastTheHead) {
  const std::vector<uint8_t> bytes = Fake{}.bytes();
  auto header = parse_header(std::span(bytes).first(kHeaderSize), bytes.size());
  ASSERT_TRUE(header) << header.error().text();
  EXPECT_EQ(header->phoff, kHeaderSize);
  EXPECT_EQ(header->phdr_bytes(), 2 * kProgramHeaderSize);
  auto image =
      check_program_headers(*header, std::span(bytes).subspan(header->phoff, header->phdr_bytes()), bytes.size());
  ASSERT_TRUE(image) << image.error().text();
  EXPECT_EQ(*image, *check(bytes));
  // check_executable given the ELF header only: the table is past what was read.
  auto short_head = check_executable(std::span(bytes).first(kHeaderSize), bytes.size());
  ASSERT_FALSE(short_head);
  EXPECT_NE(short_head.error().message.find("past the 52 bytes read"), std::string::npos) << short_head.error();
}

TEST(ElfChecker, TruncatedAtEveryLengthOfTheElfHeaderIsRefused) {
  const std::vector<uint8_t> whole = Fake{}.bytes();
  for (std::size_t n = 0; n < kHeaderSize; ++n) {
    const std::vector<uint8_t> cut(whole.begin(), whole.begin() + std::ptrdiff_t(n));
    EXPECT_NE(refusal(cut).find("ELF header"), std::string::npos) << n << " bytes";
    // A longer buffer does not help when the file is that short.
    auto image = check_executable(whole, n);
    ASSERT_FALSE(image);
    EXPECT_NE(image.error().message.find("ELF header"), std::string::npos) << n << " bytes";
  }
}

TEST(ElfChecker, TruncatedInTheProgramHeadersOrSegmentsIsRefused) {
  const std::vector<uint8_t> whole = Fake{}.bytes();
  for (std::size_t n = kHeaderSize; n < kHeaderSize + 2 * kProgramHeaderSize; ++n) {
    const std::vector<uint8_t> cut(whole.begin(), whole.begin() + std::ptrdiff_t(n));
    EXPECT_NE(refusal(cut).find("e_phoff"), std::string::npos) << n << " bytes";
  }
  for (std::size_t n = kHeaderSize + 2 * kProgramHeaderSize; n < whole.size(); ++n) {
    const std::vector<uint8_t> cut(whole.begin(), whole.begin() + std::ptrdiff_t(n));
    EXPECT_NE(refusal(cut).find("p_filesz"), std::string::npos) << n << " bytes";
  }
}

TEST(ElfChecker, RefusesABadIdent) {
  Fake f;
  f.magic0 = 0x7E;
  EXPECT_REFUSED(f, "e_ident", "magic");
  f = {};
  f.elf_class = 2;
  EXPECT_REFUSED(f, "EI_CLASS", "64-bit");
  f.elf_class = 0;
  EXPECT_REFUSED(f, "EI_CLASS");
  f = {};
  f.data = 2;
  EXPECT_REFUSED(f, "EI_DATA");
  f = {};
  f.ident_version = 0;
  EXPECT_REFUSED(f, "EI_VERSION");
  f = {};
  f.os_abi = 9;  // FreeBSD
  EXPECT_REFUSED(f, "EI_OSABI");
  f.os_abi = 3;  // Linux (GNU)
  EXPECT_EQ(refusal(f), "accepted");
}

TEST(ElfChecker, RefusesAnotherTypeMachineOrVersion) {
  Fake f;
  f.type = 3;
  EXPECT_REFUSED(f, "e_type", "ET_DYN");
  f.type = 1;  // ET_REL
  EXPECT_REFUSED(f, "e_type");
  f.type = 4;  // ET_CORE
  EXPECT_REFUSED(f, "e_type");
  f = {};
  f.machine = 62;  // x86-64
  EXPECT_REFUSED(f, "e_machine", "62");
  f = {};
  f.version = 2;
  EXPECT_REFUSED(f, "e_version");
}

TEST(ElfChecker, AcceptsSoftFloatOnlyWithOrWithoutRvc) {
  Fake f;
  f.flags = 0;
  EXPECT_EQ(refusal(f), "accepted");
  f.flags = kEfRiscvRvc | 0x10;  // EF_RISCV_TSO: stronger than needed, harmless
  EXPECT_EQ(refusal(f), "accepted");
  f.flags = kEfRiscvRvc | 0x2;
  EXPECT_REFUSED(f, "e_flags", "ilp32f");
  f.flags = kEfRiscvRvc | 0x4;
  EXPECT_REFUSED(f, "e_flags", "ilp32d");
  f.flags = 0x6;
  EXPECT_REFUSED(f, "e_flags", "ilp32q");
  f.flags = kEfRiscvRve;
  EXPECT_REFUSED(f, "e_flags", "ilp32e");
}

TEST(ElfChecker, RefusesABadProgramHeaderTable) {
  Fake f;
  f.phentsize = 56;  // Elf64_Phdr
  EXPECT_REFUSED(f, "e_phentsize");
  f = {};
  f.phnum = 0;
  EXPECT_REFUSED(f, "e_phnum");
  f = {};
  f.phnum = 0xFFFF;  // phoff + phnum * phentsize wraps past 4 GiB
  f.phentsize = 0xFFFF;
  f.phoff = 0x20000;
  EXPECT_REFUSED(f, "e_phentsize");
  f.phentsize = kProgramHeaderSize;
  EXPECT_REFUSED(f, "e_phnum");  // PN_XNUM (extended numbering) is past one page too
  f.phnum = kMaxProgramHeaderBytes / kProgramHeaderSize + 1;
  EXPECT_REFUSED(f, "e_phnum");
  f = {};
  f.phoff = 0x240;  // the file's end
  EXPECT_REFUSED(f, "e_phoff", "end of the file");
  f.phoff = 0xFFFFFFF0;  // phoff + size wraps in 32 bits
  EXPECT_REFUSED(f, "e_phoff", "end of the file");
}

TEST(ElfChecker, RefusesASegmentPastTheFileOrLargerInTheFileThanInMemory) {
  Fake f;
  f.phdrs[1].filesz = 0x41;
  f.phdrs[1].memsz = 0x41;
  EXPECT_REFUSED(f, "PT_LOAD 1", "p_offset", "end of the file");
  f = {};
  f.phdrs[1].offset = 0xFFFFF200;  // offset + filesz wraps in 32 bits
  f.phdrs[1].vaddr = 0x11200;
  EXPECT_REFUSED(f, "PT_LOAD 1", "end of the file");
  f = {};
  f.phdrs[1].filesz = 0x301;
  EXPECT_REFUSED(f, "PT_LOAD 1", "p_filesz", "p_memsz");
}

TEST(ElfChecker, RefusesSegmentsOutsideTheUserRange) {
  Fake f;
  f.phdrs[0].vaddr = 0;  // the null-pointer guard
  f.entry = 0x80;
  EXPECT_REFUSED(f, "PT_LOAD 0", "p_vaddr", "below");
  f = {};
  f.phdrs[1].vaddr = 0xF200;
  EXPECT_REFUSED(f, "PT_LOAD 1", "p_vaddr", "below");
  f = {};
  f.phdrs[1].memsz = 0xFFFFFFFF;  // vaddr + memsz wraps in 32 bits
  EXPECT_REFUSED(f, "PT_LOAD 1", "p_memsz", "user range");
  f.phdrs[1].vaddr = 0xBFFFF200;  // into the stacks
  f.phdrs[1].memsz = 0xE01;
  EXPECT_REFUSED(f, "PT_LOAD 1", "p_memsz", "user range");
  f.phdrs[1].memsz = 0xE00;  // up to the stacks' start
  EXPECT_EQ(refusal(f), "accepted");
  // The caller's range.
  EXPECT_NE(refusal(Fake{}.bytes(), UserRange{0x10000, 0x11000}).find("PT_LOAD 1"), std::string::npos);
  EXPECT_EQ(refusal(Fake{}.bytes(), UserRange{0x10000, 0x12000}), "accepted");
  auto bad_range = check(Fake{}.bytes(), UserRange{0x10000, 0x10800});
  ASSERT_FALSE(bad_range);
  EXPECT_EQ(bad_range.error().code, Errno::kInval);
}

TEST(ElfChecker, RefusesAnOffsetAndAddressApartModuloThePageOrABadAlignment) {
  Fake f;
  f.phdrs[1].vaddr = 0x11300;
  EXPECT_REFUSED(f, "PT_LOAD 1", "p_offset", "p_vaddr", "modulo");
  f = {};
  f.phdrs[1].align = 0x1800;
  EXPECT_REFUSED(f, "PT_LOAD 1", "p_align");
  for (uint32_t align : {0u, 1u, 4u, 0x10000u}) {
    f.phdrs[1].align = align;
    EXPECT_EQ(refusal(f), "accepted") << align;
  }
}

TEST(ElfChecker, RefusesOverlappingSegmentsAndSegmentsSharingAPage) {
  Fake f;
  f.phdrs[0].memsz = 0x1300;  // the code's bss runs over the data
  EXPECT_REFUSED(f, "overlap", "0x10000", "0x11200");
  f = {};
  f.phdrs[1].vaddr = 0x10200;  // right after the code, in its last page
  f.entry = 0x10080;
  EXPECT_REFUSED(f, "share a page", "0x10200");
  f = {};
  f.phdrs.push_back(f.phdrs[1]);  // the same segment twice
  f.file_size = 0x260;
  f.phdrs[2].offset = 0x220;
  f.phdrs[2].vaddr = 0x11220;
  f.phdrs[2].filesz = 0x20;
  f.phdrs[2].memsz = 0x20;
  EXPECT_REFUSED(f, "overlap");
}

TEST(ElfChecker, RefusesAnEntryOutsideTheCode) {
  Fake f;
  f.entry = 0x20000;
  EXPECT_REFUSED(f, "e_entry", "outside");
  f.entry = 0;
  EXPECT_REFUSED(f, "e_entry", "outside");
  f.entry = 0x11210;  // in the data
  EXPECT_REFUSED(f, "e_entry", "not executable");
  f.entry = 0x10081;
  EXPECT_REFUSED(f, "e_entry", "odd");
  f.entry = 0x101FE;  // the code's last halfword
  EXPECT_EQ(refusal(f), "accepted");
}

TEST(ElfChecker, RefusesADynamicProgramOrOneWithNothingToLoad) {
  Fake f;
  f.phdrs.insert(f.phdrs.begin(), Phdr{kPtInterp, 0x100, 0x10100, 0x10, 0x10, kR, 1});
  f.phoff = 0x100;  // room for three headers
  f.file_size = 0x240;
  EXPECT_REFUSED(f, "PT_INTERP");
  f = {};
  f.phdrs = {{6 /* PT_PHDR */, kHeaderSize, 0x10034, 0x20, 0x20, kR, 4}};
  EXPECT_REFUSED(f, "no PT_LOAD");
  f = {};
  f.phdrs = {{kPtLoad, 0, 0x10000, 0, 0, kR | kX, 0x1000}};  // empty
  EXPECT_REFUSED(f, "no PT_LOAD");
}

TEST(ElfChecker, IgnoresUnknownAndEmptyHeadersAndNotesTheStack) {
  Fake f;
  f.phdrs.push_back({0x70000003 /* PT_RISCV_ATTRIBUTES */, 0x230, 0, 0x10, 0, kR, 1});
  f.phdrs.push_back({0x12345678, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0, 0xFF, 3});
  f.phdrs.push_back({kPtLoad, 0x200, 0x40200, 0, 0, kR, 0x1000});  // empty: maps nothing
  f.phdrs.push_back({kPtGnuStack, 0, 0, 0, 0, kR | kW, 16});
  auto image = check(f.bytes());
  ASSERT_TRUE(image) << image.error().text();
  EXPECT_EQ(image->segment_count, 2u);
  EXPECT_EQ(image->highest, 0x11500u);
  EXPECT_EQ(image->phnum, 6);
  EXPECT_FALSE(image->stack_executable);
  f.phdrs.back().flags = kR | kW | kX;
  image = check(f.bytes());
  ASSERT_TRUE(image) << image.error().text();
  EXPECT_TRUE(image->stack_executable);
}

TEST(ElfChecker, SortsSegmentsAndKeepsWritableCode) {
  Fake f;
  std::swap(f.phdrs[0], f.phdrs[1]);
  f.phdrs[0].flags = kR | kW | kX;  // the data, executable too (as GNU ld's -N makes it)
  auto image = check(f.bytes());
  ASSERT_TRUE(image) << image.error().text();
  ASSERT_EQ(image->segment_count, 2u);
  EXPECT_EQ(image->segments[0].vaddr, 0x10000u);
  EXPECT_EQ(image->segments[1].vaddr, 0x11200u);
  EXPECT_TRUE(image->segments[1].writable() && image->segments[1].executable());
  EXPECT_EQ(image->bss_begin, 0x11240u);
  EXPECT_EQ(image->phdr_vaddr, 0x10034u);
}

TEST(ElfChecker, RefusesMoreSegmentsThanItKeeps) {
  Fake f;
  f.phdrs.clear();
  f.phoff = 0x1000;
  f.file_size = 0x2000;
  f.entry = 0x10000;
  for (uint32_t i = 0; i <= kMaxSegments; ++i)
    f.phdrs.push_back({kPtLoad, 0, 0x10000 + i * 0x1000, 0, 0x10, i == 0 ? kR | kX : kR, 0x1000});
  EXPECT_REFUSED(f, "more than 16");
  f.phdrs.pop_back();
  auto image = check(f.bytes());
  ASSERT_TRUE(image) << image.error().text();
  EXPECT_EQ(image->segment_count, kMaxSegments);
  EXPECT_EQ(image->phdr_vaddr, 0u);  // the table at 0x1000 is in no segment's file bytes
  EXPECT_EQ(image->brk, 0x20000u);
}

// ---- The programs the build makes

#ifdef MKH_INSN_DIR

std::vector<uint8_t> read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// readelf's account of a program: its entry and PT_LOAD segments, in its order (the file's).
struct ReadelfView {
  uint32_t entry = 0;
  std::vector<Segment> loads;
};

ReadelfView readelf(const std::filesystem::path& program) {
  ReadelfView view;
  const std::string command = std::string(MKH_RV32_READELF) + " -lW '" + program.string() + "'";
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) {
    ADD_FAILURE() << "cannot run " << command;
    return view;
  }
  std::string output;
  char buffer[4096];
  for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;) output.append(buffer, n);
  EXPECT_EQ(pclose(pipe), 0) << command;
  std::smatch match;
  EXPECT_TRUE(std::regex_search(output, match, std::regex("Entry point (0x[0-9a-f]+)"))) << output;
  if (!match.empty()) view.entry = uint32_t(std::stoul(match[1].str(), nullptr, 16));
  // "  LOAD  0x000000 0x00010000 0x00010000 0x01250 0x01250 R E 0x1000"
  const std::regex load(
      R"(\n\s*LOAD\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s+0x[0-9a-f]+\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s+([RWE ]{3})\s+(0x[0-9a-f]+))");
  for (auto it = std::sregex_iterator(output.begin(), output.end(), load); it != std::sregex_iterator(); ++it) {
    auto hex = [&](int i) { return uint32_t(std::stoul((*it)[i].str(), nullptr, 16)); };
    const std::string flags = (*it)[5].str();
    view.loads.push_back(
        Segment{.vaddr = hex(2),
                .offset = hex(1),
                .filesz = hex(3),
                .memsz = hex(4),
                .flags = (flags[0] == 'R' ? kR : 0) | (flags[1] == 'W' ? kW : 0) | (flags[2] == 'E' ? kX : 0),
                .align = hex(6)});
  }
  return view;
}

TEST(ElfChecker, AcceptsTheInstructionTestProgramsAsReadelfReadsThem) {
  std::vector<std::filesystem::path> programs;
  for (const auto& entry : std::filesystem::directory_iterator(MKH_INSN_DIR))
    if (entry.is_regular_file()) programs.push_back(entry.path());
  std::sort(programs.begin(), programs.end());
  ASSERT_FALSE(programs.empty()) << "no program in " << MKH_INSN_DIR;
  bool writable_code = false;
  for (const auto& program : programs) {
    SCOPED_TRACE(program.string());
    const std::vector<uint8_t> bytes = read_file(program);
    auto image = check(bytes);
    ASSERT_TRUE(image) << image.error().text();
    const ReadelfView expected = readelf(program);
    EXPECT_EQ(image->entry, expected.entry);
    std::vector<Segment> loads = expected.loads;
    std::sort(loads.begin(), loads.end(), [](const Segment& a, const Segment& b) { return a.vaddr < b.vaddr; });
    ASSERT_EQ(image->loads().size(), loads.size());
    EXPECT_TRUE(std::equal(loads.begin(), loads.end(), image->loads().begin()));
    const Segment& top = loads.back();
    EXPECT_EQ(image->highest, top.vaddr + top.memsz);
    EXPECT_EQ(image->bss_begin, top.vaddr + top.filesz);
    EXPECT_EQ(image->brk % kPageSize, 0u);
    EXPECT_LT(image->brk - image->highest, kPageSize);
    EXPECT_EQ(image->phdr_vaddr, loads.front().vaddr + kHeaderSize);  // linked with the headers in the code
    for (const Segment& s : image->loads()) writable_code |= s.writable() && s.executable();
    // The same file cut anywhere in its headers or its segments' bytes is refused.
    uint64_t needed = 0;
    for (const Segment& s : loads) needed = std::max<uint64_t>(needed, uint64_t(s.offset) + s.filesz);
    for (uint64_t n : {uint64_t(0), uint64_t(kHeaderSize - 1), uint64_t(kHeaderSize + 1), needed - 1}) {
      auto cut = check_executable(bytes, n);
      ASSERT_FALSE(cut) << n << " bytes accepted";
      EXPECT_EQ(cut.error().code, Errno::kNoExec);
    }
  }
  // cprog is linked into one read-write-execute segment (--no-warn-rwx-segments): accepted.
  EXPECT_TRUE(writable_code) << "no program has a writable and executable segment";
}

#else

TEST(ElfChecker, AcceptsTheInstructionTestProgramsAsReadelfReadsThem) {
  GTEST_SKIP() << "riscv64-unknown-elf-gcc or -readelf is not installed: no program to read (make deps installs them)";
}

#endif

}  // namespace
}  // namespace mkh::user::elf
