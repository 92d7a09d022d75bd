/* Lines tagged with argv[1], a stretch of work between two: run as several processes at once
 * on a deterministic machine, the order of their lines shows the interleaving (process_test). */
#include "runtime.h"

int main(int argc, char** argv) {
  const char* tag = argc > 1 ? argv[1] : "-";
  uint32_t state = 1;
  for (const char* c = tag; *c != 0; ++c) state = state * 31 + (uint8_t)*c;
  char line[32];
  for (uint32_t i = 0; i < 24; ++i) {
    const uint32_t work = 20000 + (state >> 20); /* 20,000 to 24,095 rounds */
    for (uint32_t round = 0; round < work; ++round) {
      state = state * 1103515245u + 12345u;
      __asm__ volatile("" : "+r"(state)); /* kept: no closed form */
    }
    unsigned size = 0;
    for (const char* c = tag; *c != 0 && size < 16; ++c) line[size++] = *c;
    line[size++] = ' ';
    line[size++] = (char)('0' + i / 10);
    line[size++] = (char)('0' + i % 10);
    line[size++] = '\n';
    sys_write(1, line, size);
  }
  return 0;
}
