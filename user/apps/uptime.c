/* uptime [-s]: how long the machine has been up, as procps-ng's uptime writes it: the time of
 * day, the time up (days, then hours:minutes or minutes), the users logged in (0: mkh keeps no
 * login records) and the load averages over 1, 5 and 15 minutes, from sysinfo(2), rounded to
 * hundredths as Linux's /proc/loadavg rounds them. -s: the time the machine came up instead
 * ("2026-12-05 19:00:00"). Under mkh the time up is the machine's (since `mkh exec` booted
 * it) and the load the sum of its cores' ready threads, averaged as Linux averages them
 * (docs/decisions.md, "Load averages"); under qemu-riscv32 both are the host's. An unknown
 * option or an operand is a usage error (status 2). A user program of mkh's /bin
 * (user/apps/): plain C, runs unchanged under qemu-riscv32. */
#include <stdio.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <time.h>

static void print_load(unsigned long load, const char* after) {
  const unsigned long rounded = load + (1ul << SI_LOAD_SHIFT) / 200;
  printf("%lu.%02lu%s", rounded >> SI_LOAD_SHIFT, ((rounded & ((1ul << SI_LOAD_SHIFT) - 1)) * 100) >> SI_LOAD_SHIFT,
         after);
}

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
  struct tm local;
  if (since) {
    const time_t boot = now - info.uptime;
    localtime_r(&boot, &local);
    printf("%04d-%02d-%02d %02d:%02d:%02d\n", local.tm_year + 1900, local.tm_mon + 1, local.tm_mday, local.tm_hour,
           local.tm_min, local.tm_sec);
    return 0;
  }
  localtime_r(&now, &local);
  const long days = info.uptime / 86400, hours = info.uptime / 3600 % 24, minutes = info.uptime / 60 % 60;
  printf(" %02d:%02d:%02d up ", local.tm_hour, local.tm_min, local.tm_sec);
  if (days) printf("%ld %s, ", days, days > 1 ? "days" : "day");
  if (hours) printf("%2ld:%02ld, ", hours, minutes);
  else printf("%ld min, ", minutes);
  printf("%2d %s,  load average: ", 0, "user");
  print_load(info.loads[0], ", ");
  print_load(info.loads[1], ", ");
  print_load(info.loads[2], "\n");
  return 0;
}
