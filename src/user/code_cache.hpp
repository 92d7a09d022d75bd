// The code cache: the pre-decoded instructions of the code pages of one address space (one
// process copy), in the threaded form the interpreter runs. Layer: user. Calls the decoder
// and the Tlb's exec lookup.
//
// A decoded page holds one Slot per halfword of the page (an instruction may start at any
// halfword: jump targets choose), then two sentinels that continue at the next page. The
// page's bytes are copied at its first execution; a block of it is decoded when first entered
// (decode_block), with the blocks its branches to the page reach: a process runs a fraction
// of each code page it touches, and half of a page's halfwords are the middles of 32-bit
// instructions (decoding every halfword of each page was half of a short program's time). A
// 32-bit instruction in the page's last halfword is decoded at its first execution, when the
// next page is fetched (kCrossPage patches itself). A decoded page stays as it is while its
// translation stands: whoever unmaps or remaps a code page drops it (drop_page, which also
// drops the page before it, whose last instruction may end in it), and exec drops everything
// (drop_all). A program that writes instructions (in a writable and executable segment or
// mapping) runs fence.i or riscv_flush_icache before it executes them, as on RISC-V
// hardware: both drop everything too. The cache also holds the translator of its hot blocks
// (translate.hpp), whose code drop_all forgets with the pages. Not thread-safe: the kernel
// serialises its users (a run also patches a slot of the page it runs, for the length of the
// run, to stop at its budget).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <unordered_map>

#include "libk/result.hpp"
#include "user/decode.hpp"
#include "user/rv32.hpp"
#include "user/tlb.hpp"
#include "user/translate.hpp"

namespace mkh::user {

// The interpreter's handlers, by index. Each operation has four: Straight and Indirect ones
// one per length (variant 0: a compressed instruction, 1: a 32-bit one, 2 and 3 as 0 and 1);
// Branch and Jump ones per length for a target on the same page (0, 1) and on another (2, 3);
// Special ones a single handler. Then the fused pairs: an instruction of MKH_RV32_FUSED_FIRST
// followed by one of MKH_RV32_FUSED_SECOND (a branch only when its target is on the same
// page), run as one handler (per pair and the two lengths); then kStopHandler, which ends a
// run at its budget, and the two of a block's first slot: kWarmHandler, which counts the
// block's entries until it is translated (translate.hpp), then kNativeHandler, which runs
// it. The lists are the pairs that profiles of bench.c and picolibc's string functions show
// most: loop counters and pointers stepped before the branch that closes the loop, a store
// or load next to its pointer's step, two stores back to back (a swap).
#define MKH_RV32_FUSED_FIRST(X) \
  X(Addi)                       \
  X(Add)                        \
  X(Andi)                       \
  X(Xor)                        \
  X(Sub)                        \
  X(Slli)                       \
  X(Srli)                       \
  X(And)                        \
  X(Or)                         \
  X(Lui)                        \
  X(Lbu)                        \
  X(Lw)                         \
  X(Sb)                         \
  X(Sw)
// (each X(name, argument), `argument` passed through)
#define MKH_RV32_FUSED_SECOND_OF(X, argument) \
  X(Beq, argument)                            \
  X(Bne, argument)                            \
  X(Blt, argument)                            \
  X(Bge, argument)                            \
  X(Bltu, argument)                           \
  X(Bgeu, argument)                           \
  X(Addi, argument)                           \
  X(Add, argument)                            \
  X(Lw, argument)                             \
  X(Sw, argument)

inline constexpr unsigned kVariants = 4;
#define MKH_RV32_FUSED_OP(name) Op::k##name,
inline constexpr Op kFusedFirst[] = {MKH_RV32_FUSED_FIRST(MKH_RV32_FUSED_OP)};
#define MKH_RV32_FUSED_SECOND_OP(name, unused) Op::k##name,
inline constexpr Op kFusedSecond[] = {MKH_RV32_FUSED_SECOND_OF(MKH_RV32_FUSED_SECOND_OP, )};
#undef MKH_RV32_FUSED_OP
#undef MKH_RV32_FUSED_SECOND_OP
inline constexpr unsigned kFusedFirsts = sizeof kFusedFirst / sizeof kFusedFirst[0];
inline constexpr unsigned kFusedSeconds = sizeof kFusedSecond / sizeof kFusedSecond[0];
inline constexpr uint16_t kFusedBase = uint16_t(unsigned(Op::kCount) * kVariants);
inline constexpr uint16_t kStopHandler = uint16_t(kFusedBase + kFusedFirsts * kFusedSeconds * 4);
inline constexpr uint16_t kWarmHandler = kStopHandler + 1;
inline constexpr uint16_t kNativeHandler = kStopHandler + 2;
inline constexpr uint16_t kHandlers = kStopHandler + 3;

constexpr uint16_t handler_of(Op op, unsigned variant) { return uint16_t(unsigned(op) * kVariants + variant); }
// `first`, `second`: the indices in kFusedFirst and kFusedSecond; lengths in halfwords.
constexpr uint16_t fused_handler_of(unsigned first, unsigned second, unsigned first_slots, unsigned second_slots) {
  return uint16_t(kFusedBase + (first * kFusedSeconds + second) * 4 + (first_slots - 1) * 2 + (second_slots - 1));
}
constexpr bool is_fused(uint16_t handler) { return handler >= kFusedBase && handler < kStopHandler; }
// A branch to its own page (alone or as a pair's second): its operands hold its target's
// block length.
constexpr bool is_near_branch(Op op, unsigned variant) { return op >= Op::kBeq && op <= Op::kBgeu && variant < 2; }
// The handler of a fused pair's first instruction alone.
constexpr uint16_t unfused(uint16_t handler) {
  const unsigned index = handler - kFusedBase;
  return handler_of(kFusedFirst[index / (kFusedSeconds * 4)], (index / 2) % 2);
}

// A slot's operands, one 8-byte word that a handler reads with one load (a load per field
// kept the host's load ports busier than its ALUs): rs1 in bits 0-7, rs2 in 8-15, rd in 16-31,
// the immediate in 32-63. A branch to its own page writes no register: bits 16-31 hold its
// target's block length instead, and the immediate (as a jal's to its own page) is the
// target's Slot, in bytes from this one.
constexpr uint64_t operands_of(uint32_t rs1, uint32_t rs2, uint32_t rd, int32_t imm) {
  return uint64_t(rs1) | uint64_t(rs2) << 8 | uint64_t(rd) << 16 | uint64_t(uint32_t(imm)) << 32;
}
constexpr uint32_t rs1_of(uint64_t operands) { return uint32_t(operands & 0xff); }
constexpr uint32_t rs2_of(uint64_t operands) { return uint32_t(operands >> 8 & 0xff); }
constexpr uint32_t rd_of(uint64_t operands) { return uint32_t(operands >> 16 & 0xffff); }
constexpr int32_t imm_of(uint64_t operands) { return int32_t(uint32_t(operands >> 32)); }

// One instruction in threaded form. `handler` is filled by the interpreter (the address of the
// handler's code, from `kind`) when it first runs the page; a block's first slot gets
// kWarmHandler's and, once the block is translated, kNativeHandler's (its `kind` stays the
// interpreted one, which runs it where the native code cannot).
struct Slot {
  const void* handler = nullptr;
  uint64_t operands = operands_of(0, 0, kSinkRegister, 0);
  uint16_t length = 0;  // instructions from this one to the end of its block (a control transfer
                        // or a trap, inclusive), 0 for the sentinels; counted once per block
  uint16_t kind = handler_of(Op::kUndecoded, 0);  // the handler's index (above)
  uint8_t slots = 1;                              // the instruction's own length in halfwords
  Op op = Op::kUndecoded;                         // the instruction's operation
  // A block's first slot: its entries until it is translated, then the translation's handle.
  uint16_t native = 0;
};
static_assert(sizeof(Slot) == 24);

struct DecodedPage {
  static constexpr uint32_t kSlots = kPageSize / 2;
  // The kPageSize bytes at `bytes` as the page at `base`, every slot undecoded.
  DecodedPage(uint32_t page_base, const std::byte* bytes);

  uint32_t base = 0;        // the page's virtual address
  bool threaded = false;    // the handlers' offsets are filled (by the interpreter)
  uint16_t halves[kSlots];  // the page's bytes (halves[0] ends the previous page's last instruction)
  Slot slots[kSlots + 2];   // then kPageEnd at base + kPageSize and base + kPageSize + 2
};

// The Slot of `insn` at `pc` (its handler's index chosen, fused with nothing; length left 0,
// and a branch to its own page's target length, which link_branch fills).
Slot slot_of(const Insn& insn, uint32_t pc);

// Decodes the block of `page` that slot `index` starts, unless it is decoded: each of its
// instructions up to the block's end (or the page's end, or a slot decoded before), each
// slot's handler index (fusing an instruction of MKH_RV32_FUSED_FIRST with the next when it
// is of MKH_RV32_FUSED_SECOND, a branch only to the same page) and its block length; then, the
// same way, the blocks that its branches to the page reach, whose lengths they hold. With
// `labels` (the handlers' addresses by index), each slot decoded gets its handler, and the
// first slot of each block kWarmHandler's.
void decode_block(DecodedPage& page, uint32_t index, const void* const* labels);

// A branch to its own page at `slot`: its target's block length copied into its operands,
// the target's block decoded first if it is not.
void link_branch(DecodedPage& page, Slot& slot, const void* const* labels);

class CodeCache {
 public:
  // The decoded page holding `address`, fetched through tlb.exec and decoded on first use.
  // kFault: the address space refuses to execute there; kNoMem: no memory for the decoding.
  Result<DecodedPage*> page(uint32_t address, Tlb& tlb);

  void drop_page(uint32_t address);
  void drop_all();
  size_t pages() const { return m_pages.size(); }

  // Entries of a block before it is translated (Translator::kWarmEntries by default); 0: none
  // is, the interpreter runs them all.
  void set_warm_entries(uint32_t entries) { m_warm_entries = entries; }
  uint32_t warm_entries() const { return m_warm_entries; }
  Translator& translator() { return m_translator; }

 private:
  static constexpr uint32_t kRecent = 64;
  std::unordered_map<uint32_t, std::unique_ptr<DecodedPage>> m_pages;  // by virtual page number
  std::array<DecodedPage*, kRecent> m_recent{};                        // direct-mapped by page number
  uint32_t m_warm_entries = Translator::kWarmEntries;
  Translator m_translator;
};

}  // namespace mkh::user
