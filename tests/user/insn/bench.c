/* A CPU-bound program for the interpreter's speed against qemu-riscv32: a sieve, an LCG
 * shuffle and a CRC, repeated. With no argument a short run (the ctest comparison); with an
 * argument N, N rounds (rv32run --stats and qemu-riscv32 timed by hand). */
#include "runtime.h"

static uint8_t composite[65536];
static uint32_t table[4096];

static uint32_t round_of(uint32_t seed) {
  for (unsigned i = 0; i < sizeof composite; ++i) composite[i] = 0;
  uint32_t primes = 0;
  for (uint32_t i = 2; i < sizeof composite; ++i) {
    if (composite[i]) continue;
    ++primes;
    for (uint32_t j = i * 2; j < sizeof composite; j += i) composite[j] = 1;
  }
  for (unsigned i = 0; i < 4096; ++i) {
    seed = seed * 1664525u + 1013904223u;
    table[i] = seed;
  }
  uint32_t crc = ~0u;
  for (unsigned i = 0; i < 4096; ++i) {
    crc ^= table[i] % 977u;
    for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ (0xedb88320u & -(crc & 1));
  }
  return primes ^ crc;
}

int main(int argc, char** argv) {
  uint32_t rounds = 2;
  if (argc > 1) {
    rounds = 0;
    for (const char* digit = argv[1]; *digit >= '0' && *digit <= '9'; ++digit) rounds = rounds * 10 + (uint32_t)(*digit - '0');
  }
  uint32_t result = 0;
  for (uint32_t i = 0; i < rounds; ++i) result = result * 33 + round_of(i);
  put_hex("bench", result);
  return 0;
}
