/* The entry of the C test programs (tests/user/insn/, the .c files): argc and argv from the Linux entry
 * stack, gp set for the linker's relaxations, exit with main's value. */
  .text
  .globl _start
_start:
  .option push
  .option norelax
  la gp, __global_pointer$
  .option pop
  lw a0, 0(sp)
  addi a1, sp, 4
  call main
  li a7, 93
  ecall
