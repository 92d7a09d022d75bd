/* sigsegv: the referee program of a bad access (user/tests/): prints a line, then stores to an
 * address in the never-mapped first 64 KiB; the process is killed by SIGSEGV, so the runner
 * exits with 128 + 11 = 139. */
#include <stdint.h>
#include <stdio.h>

/* The address goes through a volatile variable, so the compiler cannot see the store is bad. */
static volatile uintptr_t target = 0x100;

int main(void) {
  printf("sigsegv: storing to address 0x100\n");
  fflush(stdout);
  *(volatile uint32_t*)target = 1;
  printf("sigsegv: still alive, which is wrong\n");
  return 0;
}
