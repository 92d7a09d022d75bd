/* RV32A: LR/SC succeeding, and failing (no reservation, another address, a second SC after
 * the first consumed the reservation, the word changed between them); every AMO over pairs
 * of the value table (the old value and the value left in memory); aq/rl forms; x0 as
 * destination. */
#include "common.h"
  .option norvc

/* For every pair (t1 in memory, t2 operand): amo; show the old value, then the word. */
.macro FOR_PAIRS_AMO op
  la s4, word
  li s2, 0
1:
  li s3, 0
2:
  VALUE t1, s2
  VALUE t2, s3
  sw t1, 0(s4)
  \op a0, t2, (s4)
  call show
  lw a0, 0(s4)
  call show
  addi s3, s3, 1
  li t6, NVALUES
  blt s3, t6, 2b
  addi s2, s2, 1
  blt s2, t6, 1b
.endm

TEST_BEGIN
  la s4, word
  la s5, other
  /* lr/sc success */
  li t1, 41
  sw t1, 0(s4)
  lr.w a0, (s4)
  call show
  addi t1, a0, 1
  sc.w a0, t1, (s4)
  call show
  lw a0, 0(s4)
  call show
  /* sc without a reservation: fails, memory unchanged */
  li t1, 99
  sc.w a0, t1, (s4)
  call show
  lw a0, 0(s4)
  call show
  /* a second sc after a successful one */
  lr.w a0, (s4)
  li t1, 7
  sc.w a0, t1, (s4)
  call show
  li t1, 8
  sc.w a0, t1, (s4)
  call show
  lw a0, 0(s4)
  call show
  /* sc to another address than the reservation's */
  lr.w a0, (s4)
  li t1, 9
  sc.w a0, t1, (s5)
  call show
  lw a0, 0(s5)
  call show
  /* the word changed between lr and sc */
  lr.w a0, (s4)
  li t1, 123
  sw t1, 0(s4)
  li t1, 10
  sc.w a0, t1, (s4)
  call show
  lw a0, 0(s4)
  call show
  /* aq/rl forms, and an lr/sc loop incrementing a counter */
  li s6, 20
3:
  lr.w.aq t1, (s5)
  addi t1, t1, 5
  sc.w.rl t2, t1, (s5)
  bnez t2, 3b
  addi s6, s6, -1
  bnez s6, 3b
  lw a0, 0(s5)
  call show
  lr.w.aqrl t1, (s5)
  sc.w.aqrl a0, t1, (s5)
  call show
  /* every AMO */
  FOR_PAIRS_AMO amoswap.w
  FOR_PAIRS_AMO amoadd.w
  FOR_PAIRS_AMO amoxor.w
  FOR_PAIRS_AMO amoand.w
  FOR_PAIRS_AMO amoor.w
  FOR_PAIRS_AMO amomin.w
  FOR_PAIRS_AMO amomax.w
  FOR_PAIRS_AMO amominu.w
  FOR_PAIRS_AMO amomaxu.w
  FOR_PAIRS_AMO amoadd.w.aq
  FOR_PAIRS_AMO amoswap.w.aqrl
  /* x0 as destination: memory still changes */
  li t1, 1000
  sw t1, 0(s4)
  li t2, 24
  amoadd.w zero, t2, (s4)
  SHOW zero
  lw a0, 0(s4)
  call show
  lr.w zero, (s4)
  sc.w zero, t2, (s4)
  SHOW zero
  lw a0, 0(s4)
  call show
TEST_END
  .data
  .balign 4
word:
  .word 0
other:
  .word 0
