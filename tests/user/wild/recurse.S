# Recurses forever: the stack runs into the guard page below it, SIGSEGV.
  .text
  .globl _start
_start:
  addi sp, sp, -64
  sw ra, 60(sp)
  sw sp, 0(sp)
  call _start
