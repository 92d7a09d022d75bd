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

// X(name): every operation of the internal form. kIllegal .. kPageEnd are the interpreter's
// own (not instructions).
#define MKH_RV32_OPS(X) \
  X(Illegal)            \
  X(CrossPage)          \
  X(PageEnd)            \
  X(Lui)                \
  X(Auipc)              \
  X(Jal)                \
  X(Jalr)               \
  X(Beq)                \
  X(Bne)                \
  X(Blt)                \
  X(Bge)                \
  X(Bltu)               \
  X(Bgeu)               \
  X(Lb)                 \
  X(Lh)                 \
  X(Lw)                 \
  X(Lbu)                \
  X(Lhu)                \
  X(Sb)                 \
  X(Sh)                 \
  X(Sw)                 \
  X(Addi)               \
  X(Slti)               \
  X(Sltiu)              \
  X(Xori)               \
  X(Ori)                \
  X(Andi)               \
  X(Slli)               \
  X(Srli)               \
  X(Srai)               \
  X(Add)                \
  X(Sub)                \
  X(Sll)                \
  X(Slt)                \
  X(Sltu)               \
  X(Xor)                \
  X(Srl)                \
  X(Sra)                \
  X(Or)                 \
  X(And)                \
  X(Fence)              \
  X(Ecall)              \
  X(Ebreak)             \
  X(Mul)                \
  X(Mulh)               \
  X(Mulhsu)             \
  X(Mulhu)              \
  X(Div)                \
  X(Divu)               \
  X(Rem)                \
  X(Remu)               \
  X(LrW)                \
  X(ScW)                \
  X(AmoswapW)           \
  X(AmoaddW)            \
  X(AmoxorW)            \
  X(AmoandW)            \
  X(AmoorW)             \
  X(AmominW)            \
  X(AmomaxW)            \
  X(AmominuW)           \
  X(AmomaxuW)

enum class Op : uint8_t {
#define MKH_RV32_OP_ENUM(name) k##name,
  MKH_RV32_OPS(MKH_RV32_OP_ENUM)
#undef MKH_RV32_OP_ENUM
      kCount
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
