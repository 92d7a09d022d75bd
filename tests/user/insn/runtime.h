/* The few functions the C test programs need, over the write system call (no C library). */
#pragma once
#include <stdint.h>

static inline long sys_write(int fd, const void* buffer, unsigned long size) {
  register long a0 __asm__("a0") = fd;
  register long a1 __asm__("a1") = (long)buffer;
  register long a2 __asm__("a2") = (long)size;
  register long a7 __asm__("a7") = 64;
  __asm__ volatile("ecall" : "+r"(a0) : "r"(a1), "r"(a2), "r"(a7) : "memory");
  return a0;
}

static inline void put_string(const char* text) {
  unsigned long size = 0;
  while (text[size] != 0) ++size;
  sys_write(1, text, size);
}

static inline void put_hex(const char* label, uint32_t value) {
  char line[64];
  unsigned size = 0;
  while (*label != 0 && size < 40) line[size++] = *label++;
  line[size++] = ' ';
  for (int shift = 28; shift >= 0; shift -= 4) line[size++] = "0123456789abcdef"[(value >> shift) & 15];
  line[size++] = '\n';
  sys_write(1, line, size);
}

static inline void put_hex64(const char* label, uint64_t value) {
  put_hex(label, (uint32_t)(value >> 32));
  put_hex(label, (uint32_t)value);
}
