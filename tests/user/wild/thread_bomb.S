# Clones threads until the kernel refuses one (EAGAIN at the process's thread limit); every
# thread spins for ever on a core of the process's cluster; then the main thread jumps to an
# unmapped address: SIGSEGV ends them all. mkh's alone: under qemu-riscv32 the host's thread
# limit is the bound.
  .text
  .globl _start
_start:
  li s0, 0
1:
  li a0, 0x50f00          # CLONE_VM|FS|FILES|SIGHAND|THREAD|SYSVSEM
  mv a1, sp               # the children never touch a stack
  li a2, 0
  li a3, 0
  li a4, 0
  li a7, 220              # clone
  ecall
  beqz a0, spin
  bltz a0, refused
  addi s0, s0, 1
  j 1b
spin:
  j spin
refused:
  li t0, 63               # the main thread and 63 others: kMaxThreads
  bne s0, t0, wrong
  li t0, 0x10
  jr t0                   # SIGSEGV
wrong:
  li a0, 1
  li a7, 94               # exit_group(1): not the count expected
  ecall
