/* A file's time as coreutils' stat (%x %y %z) and GNU diff's -u headers write it: the local
 * time, its nanoseconds and its offset from UTC ("2026-12-05 19:00:00.000000000 +0000").
 * A static function of the program that includes it (user/apps/). */
#pragma once

#include <stdio.h>
#include <time.h>

static void time_string(const struct timespec* when, char* text, size_t size) {
  const time_t seconds = when->tv_sec;
  struct tm local, utc;
  if (localtime_r(&seconds, &local) == NULL || gmtime_r(&seconds, &utc) == NULL) {
    snprintf(text, size, "%lld", (long long)seconds);
    return;
  }
  const int days = local.tm_year != utc.tm_year ? (local.tm_year < utc.tm_year ? -1 : 1) : local.tm_yday - utc.tm_yday;
  const long offset = days * 86400L + (local.tm_hour - utc.tm_hour) * 3600L + (local.tm_min - utc.tm_min) * 60L +
                      local.tm_sec - utc.tm_sec;
  const long magnitude = offset < 0 ? -offset : offset;
  char date[64];
  strftime(date, sizeof date, "%Y-%m-%d %H:%M:%S", &local);
  snprintf(text, size, "%s.%09ld %c%02ld%02ld", date, (long)when->tv_nsec, offset < 0 ? '-' : '+', magnitude / 3600,
           magnitude / 60 % 60);
}
