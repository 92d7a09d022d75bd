/* Compiler-generated RV32IMAC (-O2, compressed): sorting, a CRC, recursion, a jump table,
 * 64-bit arithmetic through libgcc, byte and halfword traffic, struct copies. */
#include "runtime.h"

static uint32_t crc32(const uint8_t* bytes, unsigned size) {
  uint32_t crc = ~0u;
  for (unsigned i = 0; i < size; ++i) {
    crc ^= bytes[i];
    for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ (0xedb88320u & -(crc & 1));
  }
  return ~crc;
}

static void sort(int32_t* values, int count) {
  for (int i = 1; i < count; ++i) {
    const int32_t key = values[i];
    int j = i - 1;
    while (j >= 0 && values[j] > key) {
      values[j + 1] = values[j];
      --j;
    }
    values[j + 1] = key;
  }
}

static uint32_t fib(uint32_t n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

__attribute__((noinline)) static int classify(int value) {
  switch (value) {
    case 0: return 11;
    case 1: return 23;
    case 2: return 37;
    case 3: return 41;
    case 4: return 53;
    case 5: return 67;
    case 6: return 79;
    default: return -1;
  }
}

struct Record {
  int16_t small;
  uint8_t flags;
  int32_t values[5];
};

static volatile uint64_t sink64;

int main(int argc, char** argv) {
  (void)argv;
  put_hex("argc", (uint32_t)argc);
  uint8_t bytes[256];
  for (int i = 0; i < 256; ++i) bytes[i] = (uint8_t)(i * 7 + 3);
  put_hex("crc32", crc32(bytes, sizeof bytes));

  int32_t values[32];
  uint32_t seed = 12345;
  for (int i = 0; i < 32; ++i) {
    seed = seed * 1103515245u + 12345u;
    values[i] = (int32_t)seed >> 3;
  }
  sort(values, 32);
  uint32_t mix = 0;
  for (int i = 0; i < 32; ++i) mix = mix * 31 + (uint32_t)values[i];
  put_hex("sorted", mix);
  put_hex("min", (uint32_t)values[0]);
  put_hex("max", (uint32_t)values[31]);

  put_hex("fib20", fib(20));
  int total = 0;
  for (int i = -1; i < 9; ++i) total = total * 3 + classify(i);
  put_hex("switch", (uint32_t)total);

  sink64 = 0x123456789abcdefull;
  uint64_t a = sink64, b = 0x2545f4914f6cdd1dull;
  put_hex64("mul64", a * b);
  put_hex64("div64", (a * 977) / 1234567);
  put_hex64("rem64", (a * 977) % 1234567);
  int64_t negative = -(int64_t)a;
  put_hex64("sdiv64", (uint64_t)(negative / 12345));
  put_hex64("shift64", (a << 13) ^ (uint64_t)(negative >> 7));

  struct Record records[4];
  for (int i = 0; i < 4; ++i) {
    records[i].small = (int16_t)(-1000 * i);
    records[i].flags = (uint8_t)(0xf0 | i);
    for (int j = 0; j < 5; ++j) records[i].values[j] = i * 100 - j;
  }
  struct Record copy = records[3];
  records[0] = copy;
  put_hex("record", (uint32_t)records[0].small ^ records[0].flags ^ (uint32_t)records[0].values[4]);

  volatile int16_t halves[4] = {-1, 32767, -32768, 5};
  int32_t halfsum = 0;
  for (int i = 0; i < 4; ++i) halfsum += halves[i];
  put_hex("halves", (uint32_t)halfsum);
  return 3;  /* a nonzero exit status, compared too */
}
