/* RV32C: every compressed instruction of RV32C without floating point, written as such (c.*)
 * so that the assembler cannot choose: c.addi4spn c.lw c.sw c.nop c.addi c.jal c.li
 * c.addi16sp c.lui c.srli c.srai c.andi c.sub c.xor c.or c.and c.j c.beqz c.bnez c.slli
 * c.lwsp c.jr c.mv c.jalr c.add c.swsp, with their immediates at the limits, branches both
 * ways, and hint forms (x0 destination). c.ebreak traps: the unit test covers it. */
#include "common.h"

/* Show \reg, preserved across the call (through s11). */
.macro SHOWC reg
  mv s11, a0
  mv a0, \reg
  call show
  mv a0, s11
.endm

TEST_BEGIN
  /* the CR/CI/CIW/CL/CS forms need x8..x15 (s0, s1, a0..a5) for their short registers */
  li s0, 0x10
  li s1, -3
  li a2, 0x0f0f0f0f
  li a3, 0x80000000
  /* c.li, c.addi, c.lui at their limits */
  c.li a4, 31
  SHOWC a4
  c.li a4, -32
  SHOWC a4
  c.addi a4, 31
  SHOWC a4
  c.addi a4, -32
  SHOWC a4
  c.addi a4, 1
  SHOWC a4
  c.lui a4, 1
  SHOWC a4
  c.lui a4, 0x1f
  SHOWC a4
  c.lui a4, 0xfffe0
  SHOWC a4
  c.lui a4, 0xfffff
  SHOWC a4
  c.nop
  /* shifts by 1 and 31, and andi */
  mv a4, a3
  c.srli a4, 1
  SHOWC a4
  mv a4, a3
  c.srli a4, 31
  SHOWC a4
  mv a4, a3
  c.srai a4, 1
  SHOWC a4
  mv a4, a3
  c.srai a4, 31
  SHOWC a4
  mv a4, a2
  c.slli a4, 1
  SHOWC a4
  mv a4, a2
  c.slli a4, 31
  SHOWC a4
  mv t3, a2
  c.slli t3, 4
  SHOWC t3
  mv a4, a2
  c.andi a4, 31
  SHOWC a4
  mv a4, a2
  c.andi a4, -32
  SHOWC a4
  mv a4, a2
  c.andi a4, -1
  SHOWC a4
  /* register-register */
  mv a4, a2
  c.sub a4, s1
  SHOWC a4
  mv a4, a2
  c.xor a4, a3
  SHOWC a4
  mv a4, a2
  c.or a4, a3
  SHOWC a4
  mv a4, a2
  c.and a4, s1
  SHOWC a4
  c.mv t4, a2
  SHOWC t4
  c.add t4, s1
  SHOWC t4
  c.add t4, t4
  SHOWC t4
  /* stack-relative: the offsets from sp, never sp itself */
  mv s9, sp
  c.addi16sp sp, -496
  sub t5, s9, sp
  SHOWC t5
  c.addi16sp sp, 16
  sub t5, s9, sp
  SHOWC t5
  c.addi16sp sp, 480
  sub t5, s9, sp
  SHOWC t5
  c.addi16sp sp, -512
  c.addi4spn a4, sp, 4
  sub t5, a4, sp
  SHOWC t5
  c.addi4spn a4, sp, 1020
  sub t5, a4, sp
  SHOWC t5
  c.swsp a2, 0(sp)
  c.swsp a3, 252(sp)
  c.swsp s1, 128(sp)
  c.lwsp t5, 0(sp)
  SHOWC t5
  c.lwsp t5, 252(sp)
  SHOWC t5
  lw t5, 128(sp)
  SHOWC t5
  c.lwsp ra, 128(sp)
  SHOWC ra
  c.addi16sp sp, 496
  c.addi16sp sp, 16
  /* c.lw, c.sw with every offset bit */
  la s0, cdata
  c.lw a4, 0(s0)
  SHOWC a4
  c.lw a4, 4(s0)
  SHOWC a4
  c.lw a4, 64(s0)
  SHOWC a4
  c.lw a4, 124(s0)
  SHOWC a4
  c.sw a2, 8(s0)
  c.sw a3, 32(s0)
  c.sw s1, 124(s0)
  lw a4, 8(s0)
  SHOWC a4
  lw a4, 32(s0)
  SHOWC a4
  lw a4, 124(s0)
  SHOWC a4
  /* c.beqz, c.bnez both ways */
  li a5, 0
  li a4, 0
  c.beqz a4, 1f
  li a5, 1
1:
  SHOWC a5
  li a5, 0
  li a4, 5
  c.beqz a4, 1f
  li a5, 1
1:
  SHOWC a5
  li a5, 0
  li a4, 5
  c.bnez a4, 1f
  li a5, 1
1:
  SHOWC a5
  li a5, 0
  li a4, 0
  c.bnez a4, 1f
  li a5, 1
1:
  SHOWC a5
  /* a backward c.bnez loop */
  li a4, 6
  li a5, 0
1:
  c.addi a5, 2
  c.addi a4, -1
  c.bnez a4, 1b
  SHOWC a5
  /* c.j, c.jal (links pc + 2), c.jr, c.jalr */
  c.j 1f
  li a5, 0xbad
  SHOWC a5
1:
  c.jal 2f
3:
  c.j 4f
2:
  mv s10, ra
  la t5, 3b
  sub t5, s10, t5
  SHOWC t5
  c.jr s10
4:
  la t0, 5f
  c.jalr t0
6:
  c.j 7f
5:
  mv s10, ra
  la t5, 6b
  sub t5, s10, t5
  SHOWC t5
  c.jr s10
7:
  /* hints (x0 destination): no effect */
  c.li zero, 5
  c.mv zero, a2
  c.add zero, a2
  c.slli zero, 3
  SHOWC zero
  li a0, 0x600d
  call show
TEST_END
  .data
  .balign 4
cdata:
  .word 0x11111111, 0x22222222, 0, 0
  .space 48
  .word 0x64646464
  .space 56
  .word 0x7c7c7c7c
