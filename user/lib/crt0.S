/* The entry of every user program (the user library, user/lib/): _start takes the stack Linux
 * RISC-V gives a new process — sp points at argc, then argv[] and a null, envp[] and a null,
 * then the auxiliary vector — sets gp (the linker's __global_pointer$, for its relaxations), tp
 * (picolibc keeps errno in TLS: the main thread's block is the image's own .tdata/.tbss, laid
 * out by user.ld), environ and the runtime (runtime.c), runs the constructors, calls main and
 * exits with its result through exit(), which flushes stdio and ends in exit_group. */
  .section .text._start, "ax", @progbits
  .globl _start
  .type _start, @function
_start:
  .option push
  .option norelax
  la gp, __global_pointer$
  .option pop
  la tp, __tls_base
  lw s0, 0(sp)          /* argc */
  addi s1, sp, 4        /* argv */
  slli t0, s0, 2
  add s2, s1, t0
  addi s2, s2, 4        /* envp = argv + argc + 1 */
  la t1, environ
  sw s2, 0(t1)
  andi sp, sp, -16
  call __mkh_runtime_init
  call __libc_init_array
  mv a0, s0
  mv a1, s1
  mv a2, s2
  call main
  call exit
  .size _start, . - _start
