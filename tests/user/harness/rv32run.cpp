// rv32run: runs a static RV32 Linux ELF program under the interpreter, as qemu-riscv32 runs
// it: the program's segments in a FlatSpace, a Linux entry stack, and the few system calls
// the instruction tests make (write, exit, exit_group; anything else answers -ENOSYS).
// Tests only (tests/user/compare.sh judges it against qemu-riscv32); the kernel's exec and
// system calls are another matter.
// Usage: rv32run [--quantum N] [--warm N] [--stats] PROGRAM [ARG...]
//   --quantum N  instructions per run before the harness takes control back (default 1000000)
//   --warm N     entries of a block before it is translated (translate.hpp; 0: never, 1: at once)
//   --stats      print the instructions executed and the time taken on stderr
// Exit status: the program's, 128 + the signal Linux would send for a trap, 2 on bad usage,
// 126 when the file is not a loadable RV32 executable.
#include <unistd.h>

#include <chrono>
#include <cinttypes>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "flat_space.hpp"
#include "user/interpreter.hpp"

namespace {

using mkh::test::FlatSpace;
namespace user = mkh::user;

constexpr uint32_t kStackTop = 0xc0100000u;  // the first thread's stack slot, as USERMODE.md places stacks
constexpr uint32_t kStackBytes = 1u << 20;

struct Elf32Header {
  unsigned char ident[16];
  uint16_t type, machine;
  uint32_t version, entry, phoff, shoff, flags;
  uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};
struct Elf32ProgramHeader {
  uint32_t type, offset, vaddr, paddr, filesz, memsz, flags, align;
};
static_assert(sizeof(Elf32Header) == 52 && sizeof(Elf32ProgramHeader) == 32);

struct Loaded {
  uint32_t entry = 0;
  uint32_t phdr = 0;
  uint32_t phnum = 0;
};

bool load(FlatSpace& space, const std::vector<char>& file, Loaded& loaded) {
  Elf32Header header;
  if (file.size() < sizeof header) return false;
  std::memcpy(&header, file.data(), sizeof header);
  if (std::memcmp(header.ident,
                  "\x7f"
                  "ELF",
                  4) != 0 ||
      header.ident[4] != 1 || header.ident[5] != 1 || header.type != 2 || header.machine != 243 ||
      header.phentsize != sizeof(Elf32ProgramHeader))
    return false;
  if (uint64_t(header.phoff) + uint64_t(header.phnum) * sizeof(Elf32ProgramHeader) > file.size()) return false;
  loaded.entry = header.entry;
  loaded.phnum = header.phnum;
  for (unsigned i = 0; i < header.phnum; ++i) {
    Elf32ProgramHeader segment;
    std::memcpy(&segment, file.data() + header.phoff + i * sizeof segment, sizeof segment);
    if (segment.type != 1) continue;  // PT_LOAD
    if (segment.filesz > segment.memsz || uint64_t(segment.offset) + segment.filesz > file.size() ||
        uint64_t(segment.vaddr) + segment.memsz > kStackTop - kStackBytes || segment.vaddr < 0x10000)
      return false;
    space.map(segment.vaddr, segment.vaddr + segment.memsz,
              {(segment.flags & 4) != 0, (segment.flags & 2) != 0, (segment.flags & 1) != 0});
    if (!space.poke(segment.vaddr, file.data() + segment.offset, segment.filesz)) return false;
    if (header.phoff >= segment.offset && header.phoff < segment.offset + segment.filesz)
      loaded.phdr = segment.vaddr + (header.phoff - segment.offset);
  }
  return true;
}

// The Linux entry stack: argc, argv[], NULL, envp[] (empty), NULL, the auxiliary vector,
// then the strings and AT_RANDOM's 16 bytes above; sp 16-byte aligned.
uint32_t build_stack(FlatSpace& space, const Loaded& loaded, const std::vector<std::string>& args) {
  space.map(kStackTop - kStackBytes, kStackTop, {true, true, false});
  uint32_t top = kStackTop;
  std::vector<uint32_t> argv;
  for (const std::string& arg : args) {
    top -= uint32_t(arg.size() + 1);
    (void)space.poke(top, arg.c_str(), arg.size() + 1);
    argv.push_back(top);
  }
  top &= ~15u;
  top -= 16;
  const uint32_t random = top;
  const unsigned char bytes[16] = {0x6d, 0x6b, 0x68, 0x20, 0x72, 0x76, 0x33, 0x32,
                                   0x72, 0x75, 0x6e, 0x20, 0x72, 0x61, 0x6e, 0x64};
  (void)space.poke(random, bytes, sizeof bytes);
  std::vector<uint32_t> words;
  words.push_back(uint32_t(argv.size()));
  words.insert(words.end(), argv.begin(), argv.end());
  words.push_back(0);  // end of argv
  words.push_back(0);  // envp: empty
  const uint32_t auxv[][2] = {{3, loaded.phdr}, {4, 32}, {5, loaded.phnum}, {6, user::kPageSize}, {9, loaded.entry},
                              {25, random},     {0, 0}};
  for (const auto& pair : auxv) words.insert(words.end(), {pair[0], pair[1]});
  const uint32_t sp = (top - uint32_t(words.size() * 4)) & ~15u;
  (void)space.poke(sp, words.data(), words.size() * 4);
  return sp;
}

constexpr uint32_t kEnosys = uint32_t(-38), kEfault = uint32_t(-14), kEbadf = uint32_t(-9);

// write(fd, buffer, count) for fd 1 and 2, straight to the host's.
uint32_t sys_write(FlatSpace& space, uint32_t fd, uint32_t buffer, uint32_t count) {
  if (fd != 1 && fd != 2) return kEbadf;
  std::vector<char> bytes(count);
  if (!space.peek(buffer, bytes.data(), count)) return kEfault;
  size_t done = 0;
  while (done < count) {
    const ssize_t wrote = ::write(int(fd), bytes.data() + done, count - done);
    if (wrote <= 0) return kEfault;
    done += size_t(wrote);
  }
  return count;
}

int signal_of(user::TrapKind kind) {
  switch (kind) {
    case user::TrapKind::kIllegalInstruction: return SIGILL;
    case user::TrapKind::kEbreak: return SIGTRAP;
    case user::TrapKind::kMisaligned: return SIGBUS;
    default: return SIGSEGV;
  }
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t quantum = 1000000;
  uint32_t warm = user::Translator::kWarmEntries;
  bool stats = false;
  int first = 1;
  for (; first < argc && argv[first][0] == '-'; ++first) {
    if (std::strcmp(argv[first], "--quantum") == 0 && first + 1 < argc) {
      quantum = std::strtoull(argv[++first], nullptr, 0);
    } else if (std::strcmp(argv[first], "--warm") == 0 && first + 1 < argc) {
      warm = uint32_t(std::strtoul(argv[++first], nullptr, 0));
    } else if (std::strcmp(argv[first], "--stats") == 0) {
      stats = true;
    } else {
      std::fprintf(stderr, "usage: rv32run [--quantum N] [--warm N] [--stats] PROGRAM [ARG...]\n");
      return 2;
    }
  }
  if (first >= argc || quantum == 0) {
    std::fprintf(stderr, "usage: rv32run [--quantum N] [--warm N] [--stats] PROGRAM [ARG...]\n");
    return 2;
  }
  std::ifstream in(argv[first], std::ios::binary);
  const std::vector<char> file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  FlatSpace space;
  Loaded loaded;
  if (!in.good() && !in.eof()) {
    std::fprintf(stderr, "rv32run: %s: cannot read\n", argv[first]);
    return 126;
  }
  if (!load(space, file, loaded)) {
    std::fprintf(stderr, "rv32run: %s: not a static RV32 executable\n", argv[first]);
    return 126;
  }
  user::Context context;
  context.pc = loaded.entry;
  context.x[2] = build_stack(space, loaded, std::vector<std::string>(argv + first, argv + argc));
  user::Tlb tlb(space);
  user::CodeCache code;
  code.set_warm_entries(warm);

  uint64_t executed = 0;
  const auto start = std::chrono::steady_clock::now();
  int status = -1;
  while (status < 0) {
    const user::RunResult result = user::run(context, tlb, code, quantum);
    executed += result.executed;
    const user::Trap& trap = result.trap;
    switch (trap.kind) {
      case user::TrapKind::kQuantum: break;
      case user::TrapKind::kEcall: {
        uint32_t* x = context.x;
        switch (x[17]) {
          case 64: x[10] = sys_write(space, x[10], x[11], x[12]); break;
          case 93:
          case 94: status = int(x[10] & 0xff); break;
          default: x[10] = kEnosys; break;
        }
        context.pc += 4;
        break;
      }
      default:
        std::fprintf(stderr, "rv32run: %s at pc 0x%08" PRIx32 ", address 0x%08" PRIx32 "\n",
                     user::trap_kind_name(trap.kind), trap.pc, trap.address);
        status = 128 + signal_of(trap.kind);
        break;
    }
  }
  if (stats) {
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::fprintf(stderr,
                 "rv32run: %" PRIu64
                 " instructions in %.3f s: %.1f million per second; %zu code pages, %zu blocks translated\n",
                 executed, seconds, double(executed) / seconds / 1e6, code.pages(), code.translator().blocks());
  }
  return status;
}
