// The RV32IMAC decoder (decode.hpp): the base, M and A instructions from their 32-bit
// encodings, and every compressed (C) instruction expanded to the 32-bit instruction it
// stands for. Reserved and floating-point encodings decode as kIllegal. Layer: user.
#include "user/decode.hpp"

namespace mkh::user {
namespace {

uint32_t field(uint32_t bits, unsigned low, unsigned width) { return (bits >> low) & ((uint32_t(1) << width) - 1); }

int32_t sign_extend(uint32_t value, unsigned width) {
  const uint32_t sign = uint32_t(1) << (width - 1);
  return int32_t((value ^ sign) - sign);
}

uint8_t destination(uint32_t rd) { return rd == 0 ? kSinkRegister : uint8_t(rd); }

Insn make(Op op, uint32_t rd, uint32_t rs1, uint32_t rs2, int32_t imm, uint8_t slots) {
  return Insn{op, destination(rd), uint8_t(rs1), uint8_t(rs2), imm, slots};
}

Insn illegal(uint32_t bits, uint8_t slots) { return Insn{Op::kIllegal, kSinkRegister, 0, 0, int32_t(bits), slots}; }

Insn decode_amo(uint32_t bits, uint32_t rd, uint32_t rs1, uint32_t rs2) {
  if (field(bits, 12, 3) != 2) return illegal(bits, 2);
  switch (field(bits, 27, 5)) {
    case 0x02: return rs2 == 0 ? make(Op::kLrW, rd, rs1, 0, 0, 2) : illegal(bits, 2);
    case 0x03: return make(Op::kScW, rd, rs1, rs2, 0, 2);
    case 0x01: return make(Op::kAmoswapW, rd, rs1, rs2, 0, 2);
    case 0x00: return make(Op::kAmoaddW, rd, rs1, rs2, 0, 2);
    case 0x04: return make(Op::kAmoxorW, rd, rs1, rs2, 0, 2);
    case 0x0c: return make(Op::kAmoandW, rd, rs1, rs2, 0, 2);
    case 0x08: return make(Op::kAmoorW, rd, rs1, rs2, 0, 2);
    case 0x10: return make(Op::kAmominW, rd, rs1, rs2, 0, 2);
    case 0x14: return make(Op::kAmomaxW, rd, rs1, rs2, 0, 2);
    case 0x18: return make(Op::kAmominuW, rd, rs1, rs2, 0, 2);
    case 0x1c: return make(Op::kAmomaxuW, rd, rs1, rs2, 0, 2);
    default: return illegal(bits, 2);
  }
}

Insn decode_op(uint32_t bits, uint32_t rd, uint32_t rs1, uint32_t rs2) {
  static constexpr Op kBase[8] = {Op::kAdd, Op::kSll, Op::kSlt, Op::kSltu, Op::kXor, Op::kSrl, Op::kOr, Op::kAnd};
  static constexpr Op kMul[8] = {Op::kMul, Op::kMulh, Op::kMulhsu, Op::kMulhu,
                                 Op::kDiv, Op::kDivu, Op::kRem,    Op::kRemu};
  const uint32_t funct3 = field(bits, 12, 3);
  switch (field(bits, 25, 7)) {
    case 0x00: return make(kBase[funct3], rd, rs1, rs2, 0, 2);
    case 0x01: return make(kMul[funct3], rd, rs1, rs2, 0, 2);
    case 0x20:
      if (funct3 == 0) return make(Op::kSub, rd, rs1, rs2, 0, 2);
      if (funct3 == 5) return make(Op::kSra, rd, rs1, rs2, 0, 2);
      return illegal(bits, 2);
    default: return illegal(bits, 2);
  }
}

Insn decode_op_imm(uint32_t bits, uint32_t rd, uint32_t rs1) {
  const int32_t imm = int32_t(bits) >> 20;
  const uint32_t shamt = field(bits, 20, 5);
  const uint32_t funct7 = field(bits, 25, 7);
  switch (field(bits, 12, 3)) {
    case 0: return make(Op::kAddi, rd, rs1, 0, imm, 2);
    case 1: return funct7 == 0 ? make(Op::kSlli, rd, rs1, 0, int32_t(shamt), 2) : illegal(bits, 2);
    case 2: return make(Op::kSlti, rd, rs1, 0, imm, 2);
    case 3: return make(Op::kSltiu, rd, rs1, 0, imm, 2);
    case 4: return make(Op::kXori, rd, rs1, 0, imm, 2);
    case 5:
      if (funct7 == 0) return make(Op::kSrli, rd, rs1, 0, int32_t(shamt), 2);
      if (funct7 == 0x20) return make(Op::kSrai, rd, rs1, 0, int32_t(shamt), 2);
      return illegal(bits, 2);
    case 6: return make(Op::kOri, rd, rs1, 0, imm, 2);
    default: return make(Op::kAndi, rd, rs1, 0, imm, 2);
  }
}

}  // namespace

Insn decode32(uint32_t bits) {
  const uint32_t rd = field(bits, 7, 5);
  const uint32_t rs1 = field(bits, 15, 5);
  const uint32_t rs2 = field(bits, 20, 5);
  const uint32_t funct3 = field(bits, 12, 3);
  const int32_t imm_i = int32_t(bits) >> 20;
  const int32_t imm_s = sign_extend((field(bits, 25, 7) << 5) | field(bits, 7, 5), 12);
  const int32_t imm_b = sign_extend(
      (field(bits, 31, 1) << 12) | (field(bits, 7, 1) << 11) | (field(bits, 25, 6) << 5) | (field(bits, 8, 4) << 1),
      13);
  const int32_t imm_u = int32_t(bits & 0xfffff000u);
  const int32_t imm_j = sign_extend(
      (field(bits, 31, 1) << 20) | (field(bits, 12, 8) << 12) | (field(bits, 20, 1) << 11) | (field(bits, 21, 10) << 1),
      21);
  switch (field(bits, 0, 7)) {
    case 0x37: return make(Op::kLui, rd, 0, 0, imm_u, 2);
    case 0x17: return make(Op::kAuipc, rd, 0, 0, imm_u, 2);
    case 0x6f: return make(Op::kJal, rd, 0, 0, imm_j, 2);
    case 0x67: return funct3 == 0 ? make(Op::kJalr, rd, rs1, 0, imm_i, 2) : illegal(bits, 2);
    case 0x63: {
      static constexpr Op kBranch[8] = {Op::kBeq, Op::kBne, Op::kIllegal, Op::kIllegal,
                                        Op::kBlt, Op::kBge, Op::kBltu,    Op::kBgeu};
      if (kBranch[funct3] == Op::kIllegal) return illegal(bits, 2);
      return make(kBranch[funct3], 0, rs1, rs2, imm_b, 2);
    }
    case 0x03: {
      static constexpr Op kLoad[8] = {Op::kLb,  Op::kLh,  Op::kLw,      Op::kIllegal,
                                      Op::kLbu, Op::kLhu, Op::kIllegal, Op::kIllegal};
      if (kLoad[funct3] == Op::kIllegal) return illegal(bits, 2);
      return make(kLoad[funct3], rd, rs1, 0, imm_i, 2);
    }
    case 0x23: {
      static constexpr Op kStore[4] = {Op::kSb, Op::kSh, Op::kSw, Op::kIllegal};
      if (funct3 > 2) return illegal(bits, 2);
      return make(kStore[funct3], 0, rs1, rs2, imm_s, 2);
    }
    case 0x13: return decode_op_imm(bits, rd, rs1);
    case 0x33: return decode_op(bits, rd, rs1, rs2);
    case 0x0f:
      // fence (any predecessor and successor sets) orders nothing more than a host fence;
      // fence.i (Zifencei) also drops the decoded code (code_cache.hpp).
      if (funct3 == 0) return make(Op::kFence, 0, 0, 0, 0, 2);
      if (funct3 == 1) return make(Op::kFenceI, 0, 0, 0, 0, 2);
      return illegal(bits, 2);
    case 0x73:
      if (bits == 0x00000073u) return make(Op::kEcall, 0, 0, 0, 0, 2);
      if (bits == 0x00100073u) return make(Op::kEbreak, 0, 0, 0, 0, 2);
      return illegal(bits, 2);  // the CSR instructions (Zicsr) are not part of RV32IMAC
    case 0x2f: return decode_amo(bits, rd, rs1, rs2);
    default: return illegal(bits, 2);
  }
}

Insn decode16(uint16_t half) {
  const uint32_t bits = half;
  const uint32_t funct3 = field(bits, 13, 3);
  const uint32_t rd = field(bits, 7, 5);            // rd / rs1, full register
  const uint32_t rs2 = field(bits, 2, 5);           // rs2, full register
  const uint32_t rd_short = 8 + field(bits, 7, 3);  // rd' / rs1' (x8..x15)
  const uint32_t rs2_short = 8 + field(bits, 2, 3);
  const int32_t imm6 = sign_extend((field(bits, 12, 1) << 5) | field(bits, 2, 5), 6);
  const uint32_t shamt6 = (field(bits, 12, 1) << 5) | field(bits, 2, 5);
  // c.lw / c.sw: uimm[5:3] = [12:10], uimm[2] = [6], uimm[6] = [5]
  const int32_t uimm_word = int32_t((field(bits, 10, 3) << 3) | (field(bits, 6, 1) << 2) | (field(bits, 5, 1) << 6));
  // c.j / c.jal: offset[11|4|9:8|10|6|7|3:1|5] = [12:2]
  const int32_t imm_j = sign_extend((field(bits, 12, 1) << 11) | (field(bits, 11, 1) << 4) | (field(bits, 9, 2) << 8) |
                                        (field(bits, 8, 1) << 10) | (field(bits, 7, 1) << 6) |
                                        (field(bits, 6, 1) << 7) | (field(bits, 3, 3) << 1) | (field(bits, 2, 1) << 5),
                                    12);
  // c.beqz / c.bnez: offset[8|4:3] = [12|11:10], offset[7:6|2:1|5] = [6:5|4:3|2]
  const int32_t imm_b = sign_extend((field(bits, 12, 1) << 8) | (field(bits, 10, 2) << 3) | (field(bits, 5, 2) << 6) |
                                        (field(bits, 3, 2) << 1) | (field(bits, 2, 1) << 5),
                                    9);
  switch (field(bits, 0, 2) << 3 | funct3) {
    // quadrant 0
    case 0b00'000: {  // c.addi4spn: nzuimm[5:4|9:6|2|3] = [12:5]
      const int32_t nzuimm = int32_t((field(bits, 11, 2) << 4) | (field(bits, 7, 4) << 6) | (field(bits, 6, 1) << 2) |
                                     (field(bits, 5, 1) << 3));
      if (nzuimm == 0) return illegal(bits, 1);  // includes the all-zero halfword
      return make(Op::kAddi, rs2_short, 2, 0, nzuimm, 1);
    }
    case 0b00'010: return make(Op::kLw, rs2_short, rd_short, 0, uimm_word, 1);  // c.lw
    case 0b00'110:
      return make(Op::kSw, 0, rd_short, rs2_short, uimm_word, 1);  // c.sw
    // quadrant 1
    case 0b01'000: return make(Op::kAddi, rd, rd, 0, imm6, 1);  // c.addi, c.nop (and hints)
    case 0b01'001: return make(Op::kJal, 1, 0, 0, imm_j, 1);    // c.jal
    case 0b01'010: return make(Op::kAddi, rd, 0, 0, imm6, 1);   // c.li
    case 0b01'011:
      if (rd == 2) {  // c.addi16sp: nzimm[9] = [12], nzimm[4|6|8:7|5] = [6:2]
        const int32_t nzimm =
            sign_extend((field(bits, 12, 1) << 9) | (field(bits, 6, 1) << 4) | (field(bits, 5, 1) << 6) |
                            (field(bits, 3, 2) << 7) | (field(bits, 2, 1) << 5),
                        10);
        if (nzimm == 0) return illegal(bits, 1);
        return make(Op::kAddi, 2, 2, 0, nzimm, 1);
      }
      if (imm6 == 0) return illegal(bits, 1);  // c.lui: nzimm[17:12] = [12|6:2]
      return make(Op::kLui, rd, 0, 0, int32_t(uint32_t(imm6) << 12), 1);
    case 0b01'100:
      switch (field(bits, 10, 2)) {
        case 0:  // c.srli (shamt[5] = 1 is reserved on RV32)
          if (shamt6 >= 32) return illegal(bits, 1);
          return make(Op::kSrli, rd_short, rd_short, 0, int32_t(shamt6), 1);
        case 1:  // c.srai
          if (shamt6 >= 32) return illegal(bits, 1);
          return make(Op::kSrai, rd_short, rd_short, 0, int32_t(shamt6), 1);
        case 2: return make(Op::kAndi, rd_short, rd_short, 0, imm6, 1);  // c.andi
        default: {
          if (field(bits, 12, 1) != 0) return illegal(bits, 1);  // c.subw, c.addw: RV64 only
          static constexpr Op kArith[4] = {Op::kSub, Op::kXor, Op::kOr, Op::kAnd};
          return make(kArith[field(bits, 5, 2)], rd_short, rd_short, rs2_short, 0, 1);
        }
      }
    case 0b01'101: return make(Op::kJal, 0, 0, 0, imm_j, 1);         // c.j
    case 0b01'110: return make(Op::kBeq, 0, rd_short, 0, imm_b, 1);  // c.beqz
    case 0b01'111:
      return make(Op::kBne, 0, rd_short, 0, imm_b, 1);  // c.bnez
    // quadrant 2
    case 0b10'000:  // c.slli
      if (shamt6 >= 32) return illegal(bits, 1);
      return make(Op::kSlli, rd, rd, 0, int32_t(shamt6), 1);
    case 0b10'010: {  // c.lwsp: uimm[5] = [12], uimm[4:2] = [6:4], uimm[7:6] = [3:2]
      if (rd == 0) return illegal(bits, 1);
      const int32_t uimm = int32_t((field(bits, 12, 1) << 5) | (field(bits, 4, 3) << 2) | (field(bits, 2, 2) << 6));
      return make(Op::kLw, rd, 2, 0, uimm, 1);
    }
    case 0b10'100:
      if (field(bits, 12, 1) == 0) {
        if (rs2 != 0) return make(Op::kAdd, rd, 0, rs2, 0, 1);  // c.mv
        if (rd == 0) return illegal(bits, 1);
        return make(Op::kJalr, 0, rd, 0, 0, 1);  // c.jr
      }
      if (rs2 != 0) return make(Op::kAdd, rd, rd, rs2, 0, 1);  // c.add
      if (rd == 0) return make(Op::kEbreak, 0, 0, 0, 0, 1);    // c.ebreak
      return make(Op::kJalr, 1, rd, 0, 0, 1);                  // c.jalr
    case 0b10'110: {                                           // c.swsp: uimm[5:2] = [12:9], uimm[7:6] = [8:7]
      const int32_t uimm = int32_t((field(bits, 9, 4) << 2) | (field(bits, 7, 2) << 6));
      return make(Op::kSw, 0, 2, rs2, uimm, 1);
    }
    default: return illegal(bits, 1);  // the floating-point loads and stores, quadrant 0's 100
  }
}

const char* op_name(Op op) {
  static constexpr const char* kNames[] = {
#define MKH_RV32_OP_NAME(name, kind) #name,
      MKH_RV32_OPS(MKH_RV32_OP_NAME)
#undef MKH_RV32_OP_NAME
  };
  const auto index = static_cast<unsigned>(op);
  return index < static_cast<unsigned>(Op::kCount) ? kNames[index] : "?";
}

}  // namespace mkh::user
