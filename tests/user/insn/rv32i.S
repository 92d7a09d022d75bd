/* RV32I: every base instruction, 32-bit encodings only (norvc), over the value table and
 * the edge cases: shifts by 0 and 31 (and register shift amounts above 31), immediates at
 * their limits, x0 written and read, sign and zero extension of loads, misaligned loads and
 * stores (inside a page and across pages), branches taken and not, jal/jalr links, jalr
 * clearing bit 0. */
#include "common.h"
  .option norvc
TEST_BEGIN
  /* lui, auipc */
  lui a0, 0
  call show
  lui a0, 0xfffff
  call show
  lui a0, 0x80000
  call show
  lui a0, 0x12345
  call show
  auipc a0, 0
  call show
  auipc a0, 0xfffff
  call show
  /* register-register */
  FOR_PAIRS add
  FOR_PAIRS sub
  FOR_PAIRS sll
  FOR_PAIRS slt
  FOR_PAIRS sltu
  FOR_PAIRS xor
  FOR_PAIRS srl
  FOR_PAIRS sra
  FOR_PAIRS or
  FOR_PAIRS and
  /* register-immediate */
  .irp imm, 0, 1, -1, 2047, -2048, 0x555, -0x556
  FOR_VALUES_IMM addi, \imm
  FOR_VALUES_IMM slti, \imm
  FOR_VALUES_IMM sltiu, \imm
  FOR_VALUES_IMM xori, \imm
  FOR_VALUES_IMM ori, \imm
  FOR_VALUES_IMM andi, \imm
  .endr
  .irp shift, 0, 1, 7, 16, 31
  FOR_VALUES_IMM slli, \shift
  FOR_VALUES_IMM srli, \shift
  FOR_VALUES_IMM srai, \shift
  .endr
  /* x0: writes ignored, reads zero */
  li t1, 5
  addi zero, t1, 1
  SHOW zero
  add x0, t1, t1
  lui x0, 0x12345
  SHOW x0
  add a0, zero, t1
  call show
  /* branches, both ways, every pair */
  FOR_PAIRS_BRANCH beq
  FOR_PAIRS_BRANCH bne
  FOR_PAIRS_BRANCH blt
  FOR_PAIRS_BRANCH bge
  FOR_PAIRS_BRANCH bltu
  FOR_PAIRS_BRANCH bgeu
  /* a backward branch taken, then not: a countdown */
  li t1, 5
  li a0, 0
4:
  addi a0, a0, 3
  addi t1, t1, -1
  bnez t1, 4b
  call show
  /* jal: the link is the next instruction; jal x0 links nothing */
  jal ra, 5f
5:
  SHOW ra
  jal zero, 6f
  li a0, 0xbad
  call show
6:
  /* jalr: offset added, bit 0 cleared, link written after the target is read (rd == rs1) */
  la t1, 7f - 8
  jalr t2, 8(t1)
  li a0, 0xbad
  call show
7:
  SHOW t2
  la t1, 8f
  addi t1, t1, 1
  jalr t2, 0(t1)
  li a0, 0xbad
  call show
8:
  SHOW t2
  la t1, 9f
  jalr t1, 0(t1)
  li a0, 0xbad
  call show
9:
  SHOW t1
  /* loads: sign and zero extension, every offset, misaligned */
  la s0, bytes
  .irp offset, 0, 1, 2, 3, 4, 5, 6, 7
  lb a0, \offset(s0)
  call show
  lbu a0, \offset(s0)
  call show
  .endr
  .irp offset, 0, 1, 2, 3, 4, 5, 6
  lh a0, \offset(s0)
  call show
  lhu a0, \offset(s0)
  call show
  .endr
  .irp offset, 0, 1, 2, 3, 4
  lw a0, \offset(s0)
  call show
  .endr
  /* negative offsets */
  addi s1, s0, 8
  lw a0, -8(s1)
  call show
  lb a0, -1(s1)
  call show
  /* stores: every size and offset, read back */
  la s1, scratch
  li t1, 0x89abcdef
  sw t1, 0(s1)
  sw t1, 4(s1)
  li t1, 0x1234
  sh t1, 0(s1)
  sh t1, 3(s1)
  li t1, 0x7f
  sb t1, 6(s1)
  li t1, 0x180
  sb t1, 7(s1)
  lw a0, 0(s1)
  call show
  lw a0, 4(s1)
  call show
  li t1, 0x55667788
  sw t1, 9(s1)
  lw a0, 8(s1)
  call show
  lw a0, 12(s1)
  call show
  /* across a page boundary (the data page at `boundary` is page-aligned) */
  la s1, boundary
  li t1, 0xa1b2c3d4
  sw t1, -2(s1)
  lw a0, -2(s1)
  call show
  lw a0, -4(s1)
  call show
  lw a0, 0(s1)
  call show
  li t1, 0xe5f6
  sh t1, -1(s1)
  lhu a0, -1(s1)
  call show
  lh a0, -1(s1)
  call show
  lw a0, -3(s1)
  call show
  /* fence, fence.i: nothing visible */
  fence
  fence rw, rw
  .word 0x0000100f /* fence.i (Zifencei, which -march=rv32imac does not name) */
  li a0, 0x600d
  call show
TEST_END
  .data
bytes:
  .byte 0x80, 0x7f, 0xff, 0x01, 0x00, 0x80, 0xfe, 0x12
  .byte 0x34, 0x56, 0x78, 0x9a
scratch:
  .space 16
  .balign 4096
  .space 4096
boundary:
  .space 16
