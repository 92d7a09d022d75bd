/* exit3: the referee program of the exit status (user/tests/): prints a line and returns 3
 * from main; the runner must exit with 3 too. */
#include <stdio.h>

int main(void) {
  printf("exit3: returning 3 from main\n");
  return 3;
}
