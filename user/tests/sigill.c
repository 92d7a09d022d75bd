/* sigill: the referee program of a killed process (user/tests/): prints a line, then runs an
 * illegal instruction (all zeros is one, in both encodings); the process is killed by SIGILL,
 * so the runner exits with 128 + 4 = 132, and the line is out because stdout was flushed. */
#include <stdio.h>

int main(void) {
  printf("sigill: running an illegal instruction\n");
  fflush(stdout);
  __asm__ volatile(".4byte 0");
  printf("sigill: still alive, which is wrong\n");
  return 0;
}
