/* parallel: /bin/bench's kind of CPU-bound work split over threads (`parallel [THREADS
 * [ROUNDS]]`, 2 and 20 by default): round r fills an array from a xorshift generator seeded
 * by r, heap-sorts it, multiplies two small integer matrices and folds everything into a
 * CRC-32; thread t runs the rounds r with r mod THREADS = t on arrays of its own. Prints the
 * rounds and a checksum (the rounds' CRCs XORed: the same whatever THREADS), so that `time mkh
 * exec --topology 1x1:2 /bin/parallel 1 40` against `... parallel 2 40` shows the cores of a
 * cluster running one process's threads at once. Plain C and pthreads: runs unchanged under
 * qemu-riscv32. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "work.h"

enum { kCount = 4096, kSize = 24, kMaxThreads = 64 };

struct Work {
  uint32_t values[kCount];
  int32_t a[kSize][kSize], b[kSize][kSize], c[kSize][kSize];
  long first, step, rounds;
  uint32_t checksum;
};

static uint32_t round_of_work(struct Work* w, uint32_t seed) {
  uint32_t x = seed * 2654435761u | 1, crc = 0xFFFFFFFFu;
  for (int i = 0; i < kCount; i++) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    w->values[i] = x;
  }
  heap_sort(w->values, kCount);
  for (int i = 0; i < kCount; i += 7) crc = crc32_update(crc, w->values[i]);
  for (int i = 0; i < kSize; i++)
    for (int j = 0; j < kSize; j++) {
      w->a[i][j] = (int32_t)(w->values[i * kSize + j] % 1000) - 500;
      w->b[i][j] = (int32_t)(w->values[kCount - 1 - i * kSize - j] % 997) - 498;
    }
  for (int i = 0; i < kSize; i++)
    for (int j = 0; j < kSize; j++) {
      int32_t sum = 0;
      for (int k = 0; k < kSize; k++) sum += w->a[i][k] * w->b[k][j];
      w->c[i][j] = sum / (j + 1) + sum % 7;
    }
  for (int i = 0; i < kSize; i++)
    for (int j = 0; j < kSize; j++) crc = crc32_update(crc, (uint32_t)w->c[i][j]);
  return ~crc;
}

static void* run(void* arg) {
  struct Work* w = arg;
  for (long round = w->first; round < w->rounds; round += w->step) w->checksum ^= round_of_work(w, (uint32_t)round);
  return 0;
}

int main(int argc, char** argv) {
  const long threads = argc > 1 ? strtol(argv[1], NULL, 10) : 2;
  const long rounds = argc > 2 ? strtol(argv[2], NULL, 10) : 20;
  if (threads <= 0 || threads > kMaxThreads || rounds <= 0) {
    fprintf(stderr, "parallel: THREADS must be 1 to %d and ROUNDS a positive number\n", kMaxThreads);
    return 2;
  }
  struct Work* work[kMaxThreads];
  pthread_t ids[kMaxThreads];
  for (long t = 0; t < threads; t++) {
    work[t] = calloc(1, sizeof(struct Work));
    if (work[t] == NULL) {
      fprintf(stderr, "parallel: no memory\n");
      return 1;
    }
    *work[t] = (struct Work){.first = t, .step = threads, .rounds = rounds};
    /* the main thread runs the last share itself */
    if (t + 1 < threads && pthread_create(&ids[t], NULL, run, work[t]) != 0) {
      fprintf(stderr, "parallel: cannot create thread %ld\n", t);
      return 1;
    }
  }
  run(work[threads - 1]);
  uint32_t checksum = 0;
  for (long t = 0; t < threads; t++) {
    if (t + 1 < threads) pthread_join(ids[t], NULL);
    checksum ^= work[t]->checksum;
    free(work[t]);
  }
  printf("parallel: %ld rounds on %ld threads, checksum 0x%08lx\n", rounds, threads, (unsigned long)checksum);
  return 0;
}
