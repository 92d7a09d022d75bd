# Jumps into its data segment (readable and writable, not executable): SIGSEGV.
  .data
code_in_data:
  .word 0x00000013  # addi x0, x0, 0
  .text
  .globl _start
_start:
  la t0, code_in_data
  jr t0
