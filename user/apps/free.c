/* free [-b | -k | -m | -h]: the memory of the machine, cluster by cluster: each cluster's
 * kernel has its own bank and its own page allocator (mkh_memory_info asks it). One line each:
 * the cluster, its bank's size (but what the kernel's own data reserves: its descriptors and
 * the page array, as Linux's free leaves out what the kernel reserved at boot), what is in
 * use (kernel objects, user pages, file caches) and what is free; then the machine's total.
 * In KiB (-k, the default), bytes (-b), MiB (-m) or with a unit each (-h), as Debian's free
 * counts them. Under another kernel there is no such call: it says so and exits 1; 2 for a
 * usage error. A user program of mkh's /bin (user/apps/). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "mkh.h"

static int unit_shift = 10; /* bytes >> unit_shift; -1: human */

static void print_amount(uint64_t bytes) {
  if (unit_shift >= 0) {
    printf(" %11llu", (unsigned long long)(bytes >> unit_shift));
    return;
  }
  static const char units[] = "BKMGT";
  double value = (double)bytes;
  int unit = 0;
  while (value >= 1024 && units[unit + 1] != '\0') {
    value /= 1024;
    unit++;
  }
  char text[16];
  if (unit == 0) snprintf(text, sizeof text, "%lluB", (unsigned long long)bytes);
  else snprintf(text, sizeof text, value < 10 ? "%.1f%ci" : "%.0f%ci", value, units[unit]);
  printf(" %11s", text);
}

static void print_line(const char* name, uint64_t total, uint64_t used, uint64_t free) {
  printf("%-8s", name);
  print_amount(total);
  print_amount(used);
  print_amount(free);
  printf("\n");
}

int main(int argc, char** argv) {
  if (argc > 2 || (argc == 2 && (argv[1][0] != '-' || strlen(argv[1]) != 2 || !strchr("bkmh", argv[1][1])))) {
    fprintf(stderr, "usage: free [-b | -k | -m | -h]\n");
    return 2;
  }
  if (argc == 2) unit_shift = argv[1][1] == 'b' ? 0 : argv[1][1] == 'k' ? 10 : argv[1][1] == 'm' ? 20 : -1;
  unsigned x_size, y_size, cores;
  if (mkh_get_config(&x_size, &y_size, &cores) != 0) {
    fprintf(stderr, "free: %s (not running on mkh)\n", strerror(errno));
    return 1;
  }
  printf("%-8s %11s %11s %11s\n", "CLUSTER", "total", "used", "free");
  uint64_t all_total = 0, all_used = 0, all_free = 0;
  for (unsigned x = 0; x < x_size; x++)
    for (unsigned y = 0; y < y_size; y++) {
      const unsigned cxy = x << 4 | y;
      struct mkh_memory bank;
      if (mkh_memory_info(cxy, &bank) != 0) {
        fprintf(stderr, "free: cluster %#x: %s\n", cxy, strerror(errno));
        return 1;
      }
      const uint64_t total = (uint64_t)(bank.pages_total - bank.pages_reserved) * bank.page_size;
      const uint64_t free = (uint64_t)bank.pages_free * bank.page_size;
      char name[12];
      snprintf(name, sizeof name, "0x%x", cxy);
      print_line(name, total, total - free, free);
      all_total += total;
      all_used += total - free;
      all_free += free;
    }
  print_line("Total", all_total, all_used, all_free);
  return 0;
}
