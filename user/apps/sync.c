/* sync: writes to the disk what the machine's file systems hold in memory (sync(2)), as
 * coreutils' sync without arguments. Exit status: 0; 2 for an argument. A user program of
 * mkh's /bin (user/apps/). */
#include <stdio.h>
#include <unistd.h>

int main(int argc, char** argv) {
  (void)argv;
  if (argc > 1) {
    fprintf(stderr, "usage: sync\n");
    return 2;
  }
  sync();
  return 0;
}
