/* The pieces of /bin/bench's work that /bin/parallel shares (user/apps/): a bitwise CRC-32
 * step and a heap sort. Static functions of the program that includes it. */
#pragma once

#include <stdint.h>

static uint32_t crc32_update(uint32_t crc, uint32_t word) {
  crc ^= word;
  for (int bit = 0; bit < 32; bit++) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1)));
  return crc;
}

static void sift_down(uint32_t* array, int root, int end) {
  while (2 * root + 1 < end) {
    int child = 2 * root + 1;
    if (child + 1 < end && array[child] < array[child + 1]) child++;
    if (array[root] >= array[child]) return;
    uint32_t swap = array[root];
    array[root] = array[child];
    array[child] = swap;
    root = child;
  }
}

static void heap_sort(uint32_t* array, int count) {
  for (int start = count / 2 - 1; start >= 0; start--) sift_down(array, start, count);
  for (int end = count - 1; end > 0; end--) {
    uint32_t swap = array[0];
    array[0] = array[end];
    array[end] = swap;
    sift_down(array, 0, end);
  }
}
