# Runs an illegal instruction (all zeros, as c.unimp): SIGILL.
  .text
  .globl _start
_start:
  .half 0
