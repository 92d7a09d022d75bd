/* The line uptime writes and top heads its screen with, as procps-ng's: the time of day, the
 * time up (days, then hours:minutes or minutes), the users logged in (0: mkh keeps no login
 * records) and the load averages over 1, 5 and 15 minutes, from sysinfo(2), rounded to
 * hundredths as Linux's /proc/loadavg rounds them. Static functions of the program that
 * includes it (user/apps/). */
#pragma once

#include <stdio.h>
#include <sys/sysinfo.h>
#include <time.h>

static void print_load(unsigned long load, const char* after) {
  const unsigned long rounded = load + (1ul << SI_LOAD_SHIFT) / 200;
  printf("%lu.%02lu%s", rounded >> SI_LOAD_SHIFT, ((rounded & ((1ul << SI_LOAD_SHIFT) - 1)) * 100) >> SI_LOAD_SHIFT,
         after);
}

/* The line for `info`, at `now`, after `prefix` (uptime's " ", top's "top - "). */
static void print_uptime_line(const char* prefix, const struct sysinfo* info, time_t now) {
  struct tm local;
  localtime_r(&now, &local);
  const long days = info->uptime / 86400, hours = info->uptime / 3600 % 24, minutes = info->uptime / 60 % 60;
  printf("%s%02d:%02d:%02d up ", prefix, local.tm_hour, local.tm_min, local.tm_sec);
  if (days) printf("%ld %s, ", days, days > 1 ? "days" : "day");
  if (hours) printf("%2ld:%02ld, ", hours, minutes);
  else printf("%ld min, ", minutes);
  printf("%2d %s,  load average: ", 0, "user");
  print_load(info->loads[0], ", ");
  print_load(info->loads[1], ", ");
  print_load(info->loads[2], "\n");
}
