/* entropy: the referee program of getrandom, getentropy and what picolibc builds on them
 * (arc4random), and a link of lgammal, which needs signgam (user/tests/): prints judgements and errors, never a
 * random byte, so the bytes are the same under qemu-riscv32 and mkh exec. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "linux_syscalls.h"

static const char* yes(int condition) { return condition ? "yes" : "no"; }

static void show(const char* what, long result) {
  printf("%s -> %ld%s%s\n", what, result, result < 0 ? " " : "", result < 0 ? strerror(errno) : "");
}

int main(void) {
  uint8_t bytes[300], zeros[64] = {0};
  const uint32_t first = arc4random(), second = arc4random();
  printf("two arc4random draws differ: %s\n", yes(first != second));
  printf("arc4random_uniform(10) below 10: %s\n", yes(arc4random_uniform(10) < 10));
  memset(bytes, 0, sizeof bytes);
  arc4random_buf(bytes, 64);
  printf("arc4random_buf filled 64 bytes: %s\n", yes(memcmp(bytes, zeros, 64) != 0));

  memset(bytes, 0, sizeof bytes);
  show("getentropy(256 bytes)", getentropy(bytes, 256));
  printf("  not all zero: %s\n", yes(memcmp(bytes + 192, zeros, 64) != 0));
  errno = 0;
  show("getentropy(257 bytes)", getentropy(bytes, 257));
  show("getrandom(16 bytes, 0)", (long)getrandom(bytes, 16, 0));
  show("getrandom(0 bytes, 0)", (long)getrandom(bytes, 0, 0));
  show("getrandom(16 bytes, GRND_NONBLOCK)", (long)getrandom(bytes, 16, 1));
  show("getrandom(16 bytes, GRND_INSECURE)", (long)getrandom(bytes, 16, 4));
  show("getrandom(300 bytes, GRND_RANDOM)", (long)getrandom(bytes, 300, 2));
  /* raw: the kernel's own answers */
  printf("getrandom(flag 0x100) -> %ld\n", linux_syscall(SYS_getrandom, (long)bytes, 16, 0x100, 0, 0, 0));
  printf("getrandom(GRND_RANDOM | GRND_INSECURE) -> %ld\n", linux_syscall(SYS_getrandom, (long)bytes, 16, 6, 0, 0, 0));
  printf("getrandom(NULL, 16) -> %ld\n", linux_syscall(SYS_getrandom, 0, 16, 0, 0, 0, 0));

  const long double value = lgammal(-0.5L); /* links only with the library's signgam */
  printf("lgammal(-0.5) is about 1.2655: %s\n", yes(value > 1.2655L && value < 1.2656L));
  return 0;
}
