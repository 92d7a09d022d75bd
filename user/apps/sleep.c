/* sleep: waits for the sum of its arguments, each a non-negative number of seconds (a
 * fraction allowed) with an optional unit s, m, h or d, as coreutils' sleep. A user program of
 * mkh's /bin (user/apps/): plain C, runs unchanged under qemu-riscv32. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int main(int argc, char** argv) {
  if (argc < 2) {
    fputs("sleep: missing operand\n", stderr);
    return 1;
  }
  double seconds = 0;
  for (int i = 1; i < argc; i++) {
    char* end = NULL;
    double value = strtod(argv[i], &end);
    double unit = 1;
    switch (*end) {
      case '\0': case 's': break;
      case 'm': unit = 60; break;
      case 'h': unit = 3600; break;
      case 'd': unit = 86400; break;
      default: unit = -1;
    }
    if (end == argv[i] || unit < 0 || (*end != '\0' && end[1] != '\0') || !(value >= 0)) {
      fprintf(stderr, "sleep: invalid time interval '%s'\n", argv[i]);
      return 1;
    }
    seconds += value * unit;
  }
  struct timespec left;
  left.tv_sec = (time_t)seconds;
  left.tv_nsec = (long)((seconds - (double)left.tv_sec) * 1e9);
  while (nanosleep(&left, &left) != 0)
    if (errno != EINTR) {
      perror("sleep");
      return 1;
    }
  return 0;
}
