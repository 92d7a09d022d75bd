/* uptime [-s]: how long the machine has been up, as procps-ng's uptime writes it
 * (uptime_line.h). -s: the time the machine came up instead
 * ("2026-12-05 19:00:00"). Under mkh the time up is the machine's (since `mkh exec` booted
 * it) and the load the sum of its cores' ready threads, averaged as Linux averages them
 * (docs/decisions.md, "Load averages"); under qemu-riscv32 both are the host's. An unknown
 * option or an operand is a usage error (status 2). A user program of mkh's /bin
 * (user/apps/): plain C, runs unchanged under qemu-riscv32. */
#include <stdio.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <time.h>

#include "uptime_line.h"

int main(int argc, char** argv) {
  int since = 0;
  if (argc == 2 && strcmp(argv[1], "-s") == 0) {
    since = 1;
  } else if (argc > 1) {
    fprintf(stderr, "usage: uptime [-s]\n");
    return 2;
  }
  struct sysinfo info;
  if (sysinfo(&info) != 0) {
    perror("uptime: sysinfo");
    return 1;
  }
  const time_t now = time(NULL);
  if (since) {
    const time_t boot = now - info.uptime;
    struct tm local;
    localtime_r(&boot, &local);
    printf("%04d-%02d-%02d %02d:%02d:%02d\n", local.tm_year + 1900, local.tm_mon + 1, local.tm_mday, local.tm_hour,
           local.tm_min, local.tm_sec);
    return 0;
  }
  print_uptime_line(" ", &info, now);
  return 0;
}
