/* hello: the first program of mkh's /bin — prints a greeting on stdout. A user program
 * (user/apps/): plain C on picolibc and the user library, runs unchanged under qemu-riscv32. */
#include <stdio.h>

int main(void) {
  printf("Hello from mkh user mode!\n");
  return 0;
}
