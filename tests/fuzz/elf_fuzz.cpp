// The ELF checker's fuzzer: libFuzzer's bytes are a whole file, given to check_executable.
// Layer: tests (a libFuzzer harness). Calls user/elf only.
//
// Checked for every input, besides crashes and sanitizer reports: a refusal is ENOEXEC with a
// message; the two-step path (parse_header, then the table read at phoff) decides as the
// one-step one does, to the message; a narrower user range never accepts what the default
// refuses. For an accepted input, re-read here from the bytes without the checker: it is a
// 32-bit little-endian RISC-V ET_EXEC without PT_INTERP; the segments are its non-empty
// PT_LOADs, each inside the file and the user range, filesz <= memsz, offset and vaddr equal
// modulo the page, sorted with no page shared; the entry is even and in exactly one segment,
// an executable one; bss, highest and brk follow the highest segment; AT_PHDR maps e_phoff.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <span>
#include <string>

#include <fmt/format.h>

#include "user/elf.hpp"

namespace {

using namespace mkh;
using namespace mkh::user::elf;

constexpr UserRange kNarrow{.begin = 0x10000, .end = 0x40000};

struct Tally {
  uint64_t inputs = 0;
  uint64_t accepted = 0;
  std::map<std::string, uint64_t> refusals;  // by the message's first word (the field)
};
Tally g_tally;

[[noreturn]] void fail(const std::string& what, std::span<const uint8_t> file) {
  std::fprintf(stderr, "elf_fuzz: %s (a file of %zu bytes)\n", what.c_str(), file.size());
  std::fflush(stderr);
  std::abort();  // libFuzzer keeps the input as a crash
}

uint32_t le(std::span<const uint8_t> file, uint64_t at, int size) {
  uint32_t v = 0;
  for (int i = 0; i < size; ++i) v |= uint32_t(file[at + i]) << (8 * i);
  return v;
}

bool same(const Result<Image, Error>& a, const Result<Image, Error>& b) {
  if (a.has_value() != b.has_value()) return false;
  return a ? *a == *b : a.error() == b.error();
}

void check_accepted(const Image& image, std::span<const uint8_t> file) {
  const uint64_t size = file.size();
  const UserRange range;
  // The header, read again.
  if (size < kHeaderSize || le(file, 0, 4) != 0x464C457F || file[4] != 1 || file[5] != 1 || le(file, 16, 2) != 2 ||
      le(file, 18, 2) != kMachineRiscv || (le(file, 36, 4) & (kEfRiscvFloatAbi | kEfRiscvRve)) != 0)
    fail("accepted: not a soft-float ELF32 LSB RISC-V ET_EXEC", file);
  const uint32_t entry = le(file, 24, 4), phoff = le(file, 28, 4), phnum = le(file, 44, 2);
  if (le(file, 42, 2) != kProgramHeaderSize || phnum == 0 || uint64_t(phoff) + phnum * kProgramHeaderSize > size)
    fail("accepted: a program header table outside the file", file);
  if (image.entry != entry || image.phnum != phnum) fail("accepted: entry or phnum not the file's", file);
  // The program headers, read again: the non-empty PT_LOADs are the segments.
  uint32_t loads = 0;
  for (uint32_t i = 0; i < phnum; ++i) {
    const uint64_t p = uint64_t(phoff) + uint64_t(i) * kProgramHeaderSize;
    const uint32_t type = le(file, p, 4);
    if (type == kPtInterp) fail("accepted with PT_INTERP", file);
    if (type != kPtLoad || le(file, p + 20, 4) == 0) continue;
    ++loads;
    const Segment expected{.vaddr = le(file, p + 8, 4),
                           .offset = le(file, p + 4, 4),
                           .filesz = le(file, p + 16, 4),
                           .memsz = le(file, p + 20, 4),
                           .flags = le(file, p + 24, 4) & (kPfR | kPfW | kPfX),
                           .align = le(file, p + 28, 4)};
    bool found = false;
    for (const Segment& s : image.loads()) found |= s == expected;
    if (!found) fail("accepted: a PT_LOAD of the file is not among the segments", file);
  }
  if (loads != image.segment_count || image.segment_count == 0 || image.segment_count > kMaxSegments)
    fail("accepted: the segments are not the file's non-empty PT_LOADs", file);

  const Segment* code = nullptr;
  uint32_t holding_entry = 0;
  bool phdr_mapped = false;
  const std::span<const Segment> segments = image.loads();
  for (std::size_t i = 0; i < segments.size(); ++i) {
    const Segment& s = segments[i];
    if (s.memsz == 0 || s.filesz > s.memsz) fail("accepted: a segment larger in the file than in memory", file);
    if (uint64_t(s.offset) + s.filesz > size) fail("accepted: a segment's bytes past the file's end", file);
    if (s.vaddr < range.begin || uint64_t(s.vaddr) + s.memsz > range.end)
      fail("accepted: a segment outside the user range", file);
    if (((s.offset ^ s.vaddr) & (kPageSize - 1)) != 0) fail("accepted: offset and vaddr apart modulo the page", file);
    if ((s.flags & ~(kPfR | kPfW | kPfX)) != 0) fail("accepted: unknown segment flags kept", file);
    if (i > 0 && segments[i - 1].page_end() > s.page_begin())
      fail("accepted: segments unsorted or sharing a page", file);
    if (entry >= s.vaddr && entry < s.end()) {
      ++holding_entry;
      code = &s;
    }
    if (image.phdr_vaddr != 0 && image.phdr_vaddr >= s.vaddr && image.phdr_vaddr < s.file_end()) {
      if (image.phdr_vaddr - s.vaddr != phoff - s.offset) fail("accepted: AT_PHDR does not map e_phoff", file);
      phdr_mapped = true;
    }
  }
  if (image.phdr_vaddr != 0 && !phdr_mapped) fail("accepted: AT_PHDR in no segment's file bytes", file);
  if (holding_entry != 1 || code == nullptr || !code->executable() || (entry & 1) != 0)
    fail("accepted: the entry is not in exactly one executable segment, or odd", file);
  const Segment& top = segments.back();
  if (image.highest != top.end() || image.bss_end != top.end() || image.bss_begin != top.file_end() ||
      image.brk != top.page_end() || image.brk > range.end)
    fail("accepted: bss, highest or brk do not follow the highest segment", file);
}

void print_tally() {
  std::fprintf(stderr, "elf_fuzz: %llu inputs, %llu accepted\n", static_cast<unsigned long long>(g_tally.inputs),
               static_cast<unsigned long long>(g_tally.accepted));
  for (const auto& [field, n] : g_tally.refusals)
    std::fprintf(stderr, "  refused on %s: %llu\n", field.c_str(), static_cast<unsigned long long>(n));
}

void one_input(std::span<const uint8_t> file) {
  const std::size_t size = file.size();
  ++g_tally.inputs;
  const Result<Image, Error> image = check_executable(file, size);

  // The two steps, as exec reads a file: the ELF header, then the table at phoff.
  const auto two_steps = [&]() -> Result<Image, Error> {
    const Header header = TRY(parse_header(file.first(size < kHeaderSize ? size : kHeaderSize), size));
    return check_program_headers(header, file.subspan(header.phoff, header.phdr_bytes()), size);
  }();
  if (!same(image, two_steps)) fail("check_executable and the two steps disagree", file);

  const Result<Image, Error> narrow = check_executable(file, size, kNarrow);
  if (narrow && !(image && *narrow == *image)) fail("accepted in a narrower range only, or differently", file);

  if (!image) {
    if (image.error().code != Errno::kNoExec)
      fail(fmt::format("refused with {}", errno_name(image.error().code)), file);
    if (image.error().message.empty()) fail("refused without a message", file);
    const std::string& message = image.error().message;
    ++g_tally.refusals[message.substr(0, message.find_first_of(" :"))];
    return;
  }
  ++g_tally.accepted;
  check_accepted(*image, file);
}

}  // namespace

// Every report halts, with its stack.
extern "C" const char* __ubsan_default_options() { return "halt_on_error=1:print_stacktrace=1"; }

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  std::atexit(print_tally);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  one_input(std::span<const uint8_t>(data, size));
  return 0;
}
