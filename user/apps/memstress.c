/* memstress: the memory stress of mkh's /bin (`memstress [PAGES]`, 256 by default): malloc'd
 * blocks of many sizes (the heap grows by brk), anonymous mmap2 regions of PAGES pages in all,
 * each page written with a pattern of its own and read back, half the regions unmapped and
 * mapped again, everything freed; prints a summary and exits 1 at the first wrong byte. A user
 * program (user/apps/): plain C, runs unchanged under qemu-riscv32. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "linux_syscalls.h"

enum { kPage = 4096, kBlocks = 512, kRegions = 8 };

static uint32_t pattern(uint32_t where, uint32_t salt) { return (where * 2654435761u) ^ salt; }

static int fill_and_check(uint32_t* words, size_t count, uint32_t salt, const char* what) {
  for (size_t i = 0; i < count; i++) words[i] = pattern((uint32_t)i, salt);
  for (size_t i = 0; i < count; i++)
    if (words[i] != pattern((uint32_t)i, salt)) {
      printf("memstress: %s: word %zu is wrong\n", what, i);
      return 1;
    }
  return 0;
}

static int heap(void) {
  static uint32_t* blocks[kBlocks];
  static size_t sizes[kBlocks];
  size_t total = 0;
  for (int i = 0; i < kBlocks; i++) {
    sizes[i] = 16 + (size_t)((i * 7919) % 8192);
    blocks[i] = malloc(sizes[i]);
    if (blocks[i] == NULL) {
      fprintf(stderr, "memstress: malloc: %s\n", strerror(errno));
      return 1;
    }
    total += sizes[i];
    if (fill_and_check(blocks[i], sizes[i] / 4, (uint32_t)i, "malloc")) return 1;
  }
  for (int i = 0; i < kBlocks; i += 2) free(blocks[i]); /* holes, then reuse them */
  for (int i = 0; i < kBlocks; i += 2) {
    blocks[i] = malloc(sizes[i]);
    if (blocks[i] == NULL || fill_and_check(blocks[i], sizes[i] / 4, (uint32_t)i + 1, "malloc")) return 1;
  }
  for (int i = 1; i < kBlocks; i += 2)
    for (size_t w = 0; w < sizes[i] / 4; w++)
      if (blocks[i][w] != pattern((uint32_t)w, (uint32_t)i)) {
        printf("memstress: malloc: block %d was overwritten\n", i);
        return 1;
      }
  for (int i = 0; i < kBlocks; i++) free(blocks[i]);
  printf("memstress: malloc: %d blocks, %zu bytes, checked and freed\n", kBlocks, total);
  return 0;
}

static int regions(long pages) {
  static uint32_t* region[kRegions];
  long per_region = pages / kRegions > 0 ? pages / kRegions : 1;
  size_t length = (size_t)per_region * kPage;
  for (int pass = 0; pass < 2; pass++)
    for (int r = 0; r < kRegions; r++) {
      if (pass == 1 && r % 2 == 1) continue; /* the second pass maps the even ones again */
      region[r] = mmap2(NULL, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (region[r] == MAP_FAILED) {
        fprintf(stderr, "memstress: mmap2: %s\n", strerror(errno));
        return 1;
      }
      for (size_t w = 0; w < length / 4; w++)
        if (region[r][w] != 0) {
          printf("memstress: mmap2: a new page is not zero\n");
          return 1;
        }
      if (fill_and_check(region[r], length / 4, (uint32_t)(r * 31 + pass), "mmap2")) return 1;
      if (pass == 0 && r % 2 == 0 && munmap(region[r], length) < 0) {
        fprintf(stderr, "memstress: munmap: %s\n", strerror(errno));
        return 1;
      }
    }
  for (int r = 0; r < kRegions; r++)
    if (munmap(region[r], length) < 0) {
      fprintf(stderr, "memstress: munmap: %s\n", strerror(errno));
      return 1;
    }
  printf("memstress: mmap2: %d regions of %ld pages, %ld pages touched, checked and unmapped\n", kRegions, per_region,
         per_region * (kRegions + kRegions / 2));
  return 0;
}

int main(int argc, char** argv) {
  long pages = argc > 1 ? strtol(argv[1], NULL, 10) : 256;
  if (pages <= 0) {
    fprintf(stderr, "memstress: PAGES must be a positive number\n");
    return 1;
  }
  if (heap() || regions(pages)) return 1;
  printf("memstress: done\n");
  return 0;
}
