// The code cache: the pre-decoded instructions of the code pages of one address space (one
// process copy), each page decoded once, at its first execution, into the threaded form the
// interpreter runs. Layer: user. Calls the decoder and the Tlb's exec lookup.
//
// A decoded page holds one Slot per halfword of the page (an instruction may start at any
// halfword: jump targets choose), then two sentinels that continue at the next page. A 32-bit
// instruction in the page's last halfword is decoded at its first execution, when the next
// page is fetched (kCrossPage patches itself). Code pages are read-only, so a decoded page
// never goes stale while its translation stands: whoever unmaps or remaps a code page drops it
// (drop_page, which also drops the page before it, whose last instruction may end in it), and
// exec drops everything (drop_all). Not thread-safe: the kernel serialises its users (a run
// also patches a slot of the page it runs, for the length of the run, to stop at its budget).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <unordered_map>

#include "libk/result.hpp"
#include "user/decode.hpp"
#include "user/rv32.hpp"
#include "user/tlb.hpp"

namespace mkh::user {

// The interpreter's handlers, by index. Each operation has four: Straight and Indirect ones
// one per length (variant 0: a compressed instruction, 1: a 32-bit one, 2 and 3 as 0 and 1);
// Branch and Jump ones per length for a target on the same page (0, 1) and on another (2, 3);
// Special ones a single handler. Then the fused pairs: an instruction of MKH_RV32_FUSED_FIRST
// followed by a branch to its own page, run as one handler (per pair and the two lengths);
// then kStopHandler, which ends a run at its budget.
#define MKH_RV32_FUSED_FIRST(X) \
  X(Addi)                       \
  X(Add)                        \
  X(Andi)                       \
  X(Lbu)

inline constexpr unsigned kVariants = 4;
inline constexpr unsigned kBranches = 6;  // Beq .. Bgeu, in Op's order
inline constexpr Op kFusedFirst[] = {
#define MKH_RV32_FUSED_OP(name) Op::k##name,
    MKH_RV32_FUSED_FIRST(MKH_RV32_FUSED_OP)
#undef MKH_RV32_FUSED_OP
};
inline constexpr unsigned kFusedFirsts = sizeof kFusedFirst / sizeof kFusedFirst[0];
inline constexpr uint16_t kFusedBase = uint16_t(unsigned(Op::kCount) * kVariants);
inline constexpr uint16_t kStopHandler = uint16_t(kFusedBase + kFusedFirsts * kBranches * 4);
inline constexpr uint16_t kHandlers = kStopHandler + 1;

constexpr uint16_t handler_of(Op op, unsigned variant) { return uint16_t(unsigned(op) * kVariants + variant); }
// `first`: the index in kFusedFirst; lengths in halfwords.
constexpr uint16_t fused_handler_of(unsigned first, Op branch, unsigned first_slots, unsigned branch_slots) {
  const unsigned pair = first * kBranches + (unsigned(branch) - unsigned(Op::kBeq));
  return uint16_t(kFusedBase + pair * 4 + (first_slots - 1) * 2 + (branch_slots - 1));
}
constexpr bool is_fused(uint16_t handler) { return handler >= kFusedBase && handler < kStopHandler; }
// The handler of a fused pair's first instruction alone.
constexpr uint16_t unfused(uint16_t handler) {
  const unsigned index = handler - kFusedBase;
  return handler_of(kFusedFirst[index / (kBranches * 4)], (index / 2) % 2);
}

// One instruction in threaded form. `handler` is filled by the interpreter (the offset of the
// handler's code, from `kind`) when it first runs the page.
struct Slot {
  int32_t handler = 0;
  int32_t imm = 0;
  uint16_t length = 0;  // instructions from this one to the end of its block (a control transfer
                        // or a trap, inclusive), 0 for the sentinels; counted once per block
  uint16_t kind = 0;    // the handler's index (above)
  uint8_t rd = kSinkRegister;
  uint8_t rs1 = 0;
  uint8_t rs2 = 0;
  uint8_t slots = 1;  // the instruction's own length in halfwords
};
static_assert(sizeof(Slot) == 16);

struct DecodedPage {
  static constexpr uint32_t kSlots = kPageSize / 2;
  uint32_t base = 0;        // the page's virtual address
  uint16_t first_half = 0;  // the page's first halfword: the end of the previous page's last instruction
  bool threaded = false;    // the handlers' offsets are filled (by the interpreter)
  Slot slots[kSlots + 2];   // then kPageEnd at base + kPageSize and base + kPageSize + 2
};

// The Slot of `insn` at `pc` (its handler's index chosen, fused with nothing; length left 0).
Slot slot_of(const Insn& insn, uint32_t pc);

// Decodes the kPageSize bytes at `bytes` as the page at `base`: each slot's handler index
// (fusing each Straight instruction of MKH_RV32_FUSED_FIRST with a branch after it that
// stays on the page) and its block length.
void decode_page(DecodedPage& page, uint32_t base, const std::byte* bytes);

class CodeCache {
 public:
  // The decoded page holding `address`, fetched through tlb.exec and decoded on first use.
  // kFault: the address space refuses to execute there; kNoMem: no memory for the decoding.
  Result<DecodedPage*> page(uint32_t address, Tlb& tlb);

  void drop_page(uint32_t address);
  void drop_all();
  size_t pages() const { return m_pages.size(); }

 private:
  static constexpr uint32_t kRecent = 64;
  std::unordered_map<uint32_t, std::unique_ptr<DecodedPage>> m_pages;  // by virtual page number
  std::array<DecodedPage*, kRecent> m_recent{};                        // direct-mapped by page number
};

}  // namespace mkh::user
