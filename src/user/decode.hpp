// The RV32IMAC decoder: one instruction (32-bit, or 16-bit compressed, expanded here) into the
// interpreter's internal form. Pure logic, tested on the host. Layer: user. Calls nothing.
//
// The internal form names the operation by an index (Op) into the interpreter's dispatch
// table and keeps the operands decoded: registers as indices, the immediate sign-extended. A
// destination x0 becomes kSinkRegister, a 33rd register nobody reads, so handlers write their
// result without testing rd and x0 stays zero.
#pragma once

#include <cstdint>

namespace mkh::user {

// X(name, kind): every operation of the internal form and how the interpreter runs it:
// Straight (on to the next instruction), Branch (conditional, pc-relative), Jump (jal),
// Indirect (jalr), Special (its own handler: the traps, fence.i, and kIllegal .. kUndecoded,
// the interpreter's own, not instructions).
#define MKH_RV32_OPS(X) \
  X(Illegal, Special)   \
  X(CrossPage, Special) \
  X(PageEnd, Special)   \
  X(Undecoded, Special) \
  X(Lui, Straight)      \
  X(Auipc, Straight)    \
  X(Jal, Jump)          \
  X(Jalr, Indirect)     \
  X(Beq, Branch)        \
  X(Bne, Branch)        \
  X(Blt, Branch)        \
  X(Bge, Branch)        \
  X(Bltu, Branch)       \
  X(Bgeu, Branch)       \
  X(Lb, Straight)       \
  X(Lh, Straight)       \
  X(Lw, Straight)       \
  X(Lbu, Straight)      \
  X(Lhu, Straight)      \
  X(Sb, Straight)       \
  X(Sh, Straight)       \
  X(Sw, Straight)       \
  X(Addi, Straight)     \
  X(Slti, Straight)     \
  X(Sltiu, Straight)    \
  X(Xori, Straight)     \
  X(Ori, Straight)      \
  X(Andi, Straight)     \
  X(Slli, Straight)     \
  X(Srli, Straight)     \
  X(Srai, Straight)     \
  X(Add, Straight)      \
  X(Sub, Straight)      \
  X(Sll, Straight)      \
  X(Slt, Straight)      \
  X(Sltu, Straight)     \
  X(Xor, Straight)      \
  X(Srl, Straight)      \
  X(Sra, Straight)      \
  X(Or, Straight)       \
  X(And, Straight)      \
  X(Fence, Straight)    \
  X(FenceI, Special)    \
  X(Ecall, Special)     \
  X(Ebreak, Special)    \
  X(Mul, Straight)      \
  X(Mulh, Straight)     \
  X(Mulhsu, Straight)   \
  X(Mulhu, Straight)    \
  X(Div, Straight)      \
  X(Divu, Straight)     \
  X(Rem, Straight)      \
  X(Remu, Straight)     \
  X(LrW, Straight)      \
  X(ScW, Straight)      \
  X(AmoswapW, Straight) \
  X(AmoaddW, Straight)  \
  X(AmoxorW, Straight)  \
  X(AmoandW, Straight)  \
  X(AmoorW, Straight)   \
  X(AmominW, Straight)  \
  X(AmomaxW, Straight)  \
  X(AmominuW, Straight) \
  X(AmomaxuW, Straight)

enum class Op : uint8_t {
#define MKH_RV32_OP_ENUM(name, kind) k##name,
  MKH_RV32_OPS(MKH_RV32_OP_ENUM)
#undef MKH_RV32_OP_ENUM
      kCount
};

enum class OpKind : uint8_t { kStraight, kBranch, kJump, kIndirect, kSpecial };

inline constexpr OpKind kOpKinds[] = {
#define MKH_RV32_OP_KIND(name, kind) OpKind::k##kind,
    MKH_RV32_OPS(MKH_RV32_OP_KIND)
#undef MKH_RV32_OP_KIND
};

inline constexpr uint8_t kSinkRegister = 32;

// One pre-decoded instruction. `slots`: its length in halfwords (1 compressed, 2 otherwise).
// kIllegal keeps the instruction's bits in imm (as the trap reports them); kCrossPage keeps
// the low halfword of a 32-bit instruction whose high halfword is on the next page.
struct Insn {
  Op op = Op::kIllegal;
  uint8_t rd = kSinkRegister;
  uint8_t rs1 = 0;
  uint8_t rs2 = 0;
  int32_t imm = 0;
  uint8_t slots = 1;
};

// A 32-bit instruction (its low two bits 11).
Insn decode32(uint32_t bits);
// A 16-bit compressed instruction (its low two bits not 11), expanded to its 32-bit meaning.
Insn decode16(uint16_t bits);

const char* op_name(Op op);

}  // namespace mkh::user
