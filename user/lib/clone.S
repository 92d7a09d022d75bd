/* __mkh_clone(fn, stack, flags, arg, parent_tid, tls, child_tid): clone(2) for a thread that
 * starts in fn(arg) on `stack` and ends with exit(2) of fn's result (the user library's
 * pthread_create; musl's __clone is the same shape). fn and arg are put on the new stack
 * before the call: the child finds them there, the parent gets the tid (or -errno) back. */
  .section .text.__mkh_clone, "ax", @progbits
  .globl __mkh_clone
  .type __mkh_clone, @function
__mkh_clone:
  andi a1, a1, -16
  addi a1, a1, -16
  sw a0, 0(a1)
  sw a3, 4(a1)
  mv a0, a2             /* flags */
  mv a2, a4             /* parent_tid */
  mv a3, a5             /* tls */
  mv a4, a6             /* child_tid */
  li a7, 220            /* SYS_clone */
  ecall
  beqz a0, 1f
  ret
1:                      /* the child, on its stack */
  lw a1, 0(sp)
  lw a0, 4(sp)
  jalr a1
  li a7, 93             /* SYS_exit */
  ecall
  .size __mkh_clone, . - __mkh_clone
