/* bench: the CPU-bound benchmark of mkh's /bin (`bench [ROUNDS]`, 10 by default): each round
 * fills an array from a xorshift generator, sorts it (heap sort), multiplies two small integer
 * matrices and folds everything into a CRC-32, so loads, stores, branches, multiplies and
 * divisions all count. Deterministic: the same rounds print the same checksum anywhere. A user
 * program (user/apps/): plain C, runs unchanged under qemu-riscv32. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "work.h"

enum { kCount = 4096, kSize = 24 };

static uint32_t values[kCount];
static int32_t a[kSize][kSize], b[kSize][kSize], c[kSize][kSize];

static uint32_t round_of_work(uint32_t seed) {
  uint32_t x = seed | 1, crc = 0xFFFFFFFFu;
  for (int i = 0; i < kCount; i++) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    values[i] = x;
  }
  heap_sort(values, kCount);
  for (int i = 1; i < kCount; i++)
    if (values[i - 1] > values[i]) return 0; /* never: the sort is checked */
  for (int i = 0; i < kCount; i += 7) crc = crc32_update(crc, values[i]);
  for (int i = 0; i < kSize; i++)
    for (int j = 0; j < kSize; j++) {
      a[i][j] = (int32_t)(values[i * kSize + j] % 1000) - 500;
      b[i][j] = (int32_t)(values[kCount - 1 - i * kSize - j] % 997) - 498;
    }
  for (int i = 0; i < kSize; i++)
    for (int j = 0; j < kSize; j++) {
      int32_t sum = 0;
      for (int k = 0; k < kSize; k++) sum += a[i][k] * b[k][j];
      c[i][j] = sum / (j + 1) + sum % 7;
    }
  for (int i = 0; i < kSize; i++)
    for (int j = 0; j < kSize; j++) crc = crc32_update(crc, (uint32_t)c[i][j]);
  return ~crc;
}

int main(int argc, char** argv) {
  long rounds = argc > 1 ? strtol(argv[1], NULL, 10) : 10;
  if (rounds <= 0) {
    fprintf(stderr, "bench: ROUNDS must be a positive number\n");
    return 1;
  }
  uint32_t checksum = 0;
  for (long round = 0; round < rounds; round++)
    checksum = crc32_update(checksum, round_of_work(checksum + (uint32_t)round));
  printf("bench: %ld rounds, checksum 0x%08lx\n", rounds, (unsigned long)checksum);
  return 0;
}
