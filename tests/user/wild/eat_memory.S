# Maps anonymous memory 1 MiB at a time and touches every page, forever: the machine runs out
# of pages and kills it (SIGKILL, as Linux's OOM killer); exits 1 if mmap2 fails first.
  .text
  .globl _start
_start:
  li a0, 0
  li a1, 0x100000      # 1 MiB
  li a2, 3             # PROT_READ | PROT_WRITE
  li a3, 0x22          # MAP_PRIVATE | MAP_ANONYMOUS
  li a4, -1
  li a5, 0
  li a7, 222           # mmap2
  ecall
  li t0, -4096
  bgeu a0, t0, failed
  li t1, 0x100000
  add t1, t1, a0
touch:
  sw a0, 0(a0)
  li t2, 4096
  add a0, a0, t2
  bltu a0, t1, touch
  j _start
failed:
  li a0, 1
  li a7, 94            # exit_group
  ecall
