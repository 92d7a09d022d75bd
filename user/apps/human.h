/* A size as GNU's -h writes it (du, ls): bytes below 1024 as they are, else the value in the
 * largest unit of 1024 it reaches (K, M, G, T, P, E), rounded up, with one decimal under 10.
 * A static function of the program that includes it (user/apps/). */
#pragma once

#include <stdint.h>
#include <stdio.h>

static const char* human_size(uint64_t bytes, char text[16]) {
  static const char units[] = "KMGTPE";
  if (bytes < 1024) {
    snprintf(text, 16, "%llu", (unsigned long long)bytes);
    return text;
  }
  int index = 0;
  uint64_t scale = 1024;
  while (bytes >= scale * 1024 && units[index + 1] != '\0') {
    scale *= 1024;
    index++;
  }
  const uint64_t tenths = (bytes * 10 + scale - 1) / scale;
  const uint64_t whole = (bytes + scale - 1) / scale;
  if (tenths < 100)
    snprintf(text, 16, "%llu.%llu%c", (unsigned long long)(tenths / 10), (unsigned long long)(tenths % 10),
             units[index]);
  else if (whole < 1024) snprintf(text, 16, "%llu%c", (unsigned long long)whole, units[index]);
  else snprintf(text, 16, "1.0%c", units[index + 1]); /* rounded up into the next unit */
  return text;
}
