/* The instruction tests' frame (tests/user/insn/): _start, `show` (prints a0 as 8 hex digits
 * and a newline with write, changing no register but ra), the exit, and loops that run one
 * instruction over every pair (or every value) of the table `values`. A test prints its
 * results and exits 0; compare.sh compares the bytes with qemu-riscv32's. Never print sp or
 * an address on the stack: the two place the stack differently. */
#define SYS_WRITE 64
#define SYS_EXIT 93
#define NVALUES 15 /* the words of `values` */

.macro TEST_BEGIN
  .text
  .globl _start
_start:
  .option push
  .option norelax
  la gp, __global_pointer$ /* the linker relaxes `la` to gp-relative */
  .option pop
.endm

/* SHOW reg: print a register (a0 is changed to it). */
.macro SHOW reg
  mv a0, \reg
  call show
.endm

.macro TEST_END
  li a0, 0
  li a7, SYS_EXIT
  ecall
show:
  addi sp, sp, -32
  sw a0, 0(sp)
  sw a1, 4(sp)
  sw a2, 8(sp)
  sw a7, 12(sp)
  sw t0, 16(sp)
  sw t1, 20(sp)
  sw t2, 24(sp)
  la a1, show_buffer
  li t0, 8
9:
  srli t1, a0, 28
  li t2, 10
  blt t1, t2, 8f
  addi t1, t1, 'a' - '0' - 10
8:
  addi t1, t1, '0'
  sb t1, 0(a1)
  slli a0, a0, 4
  addi a1, a1, 1
  addi t0, t0, -1
  bnez t0, 9b
  li t1, '\n'
  sb t1, 0(a1)
  li a0, 1
  la a1, show_buffer
  li a2, 9
  li a7, SYS_WRITE
  ecall
  lw a0, 0(sp)
  lw a1, 4(sp)
  lw a2, 8(sp)
  lw a7, 12(sp)
  lw t0, 16(sp)
  lw t1, 20(sp)
  lw t2, 24(sp)
  addi sp, sp, 32
  ret
  .data
show_buffer:
  .space 12
  .balign 4
values:
  .word 0, 1, 2, -1, -2, 7, -7, 0x7fffffff, 0x80000000, 0x80000001, 0x12345678, 0xdeadbeef, 31, 32, 33
values_end:
  .text
.endm

/* Loads values[\index] into \reg (uses t6). */
.macro VALUE reg, index
  la t6, values
  slli \reg, \index, 2
  add t6, t6, \reg
  lw \reg, 0(t6)
.endm

/* For every pair (t1, t2) of values: `op a0, t1, t2`, shown. Uses s2, s3, t1, t2, t6. */
.macro FOR_PAIRS op
  li s2, 0
1:
  li s3, 0
2:
  VALUE t1, s2
  VALUE t2, s3
  \op a0, t1, t2
  call show
  addi s3, s3, 1
  li t6, NVALUES
  blt s3, t6, 2b
  addi s2, s2, 1
  blt s2, t6, 1b
.endm

/* For every pair (t1, t2): 1 if `op t1, t2` branches, else 0. */
.macro FOR_PAIRS_BRANCH op
  li s2, 0
1:
  li s3, 0
2:
  VALUE t1, s2
  VALUE t2, s3
  li a0, 1
  \op t1, t2, 3f
  li a0, 0
3:
  call show
  addi s3, s3, 1
  li t6, NVALUES
  blt s3, t6, 2b
  addi s2, s2, 1
  blt s2, t6, 1b
.endm

/* For every value t1: `op a0, t1, imm`, shown. */
.macro FOR_VALUES_IMM op, imm
  li s2, 0
1:
  VALUE t1, s2
  \op a0, t1, \imm
  call show
  addi s2, s2, 1
  li t6, NVALUES
  blt s2, t6, 1b
.endm
