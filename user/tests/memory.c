/* memory: the referee program of memory (user/tests/): brk growth and shrink, anonymous
 * mmap2 with munmap of a middle part and mprotect, code written at run time and flushed with
 * riscv_flush_icache, a large zero-initialised bss, and stack use
 * by recursion; prints what each step saw (never an address) and exits 1 at the first wrong
 * result. The same bytes under qemu-riscv32 and mkh exec. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h> /* the user library's (picolibc has none) */
#include <unistd.h>

enum { kPage = 4096 };

static int failures;
static unsigned char big_bss[4 << 20]; /* 4 MiB of bss: zero, and every page writable */

static void check(int ok, const char* what) {
  printf("%s %s\n", ok ? "ok  " : "FAIL", what);
  if (!ok) failures++;
}

/* addi a0, a0, imm; and ret (jalr x0, 0(ra)). */
static uint32_t addi_a0(int32_t imm) { return ((uint32_t)imm & 0xfff) << 20 | 10u << 15 | 10u << 7 | 0x13u; }
enum { kRet = 0x00008067 };

/* 64 frames of 2 KiB: 128 KiB of stack. */
static uint32_t recurse(int depth) {
  volatile uint32_t frame[512];
  for (int i = 0; i < 512; i++) frame[i] = (uint32_t)(depth * 512 + i);
  uint32_t sum = depth == 0 ? 0 : recurse(depth - 1);
  for (int i = 0; i < 512; i += 64) sum += frame[i];
  return sum;
}

int main(void) {
  /* brk */
  long start = linux_brk(0);
  check(start > 0, "brk(0) answers the break");
  long wanted = start + 1024 * 1024;
  check(linux_brk(wanted) == wanted, "brk grows by 1 MiB");
  memset((void*)start, 0x5A, 1024 * 1024);
  check(((unsigned char*)start)[1024 * 1024 - 1] == 0x5A, "the new heap is writable");
  check(linux_brk(start + kPage) == start + kPage, "brk shrinks back to one page");
  check(linux_brk(start) == start, "brk back where it started");
  void* heap = sbrk(3 * kPage);
  check(heap != (void*)-1, "sbrk of 3 pages");
  memset(heap, 1, 3 * kPage);
  check(sbrk(0) == (char*)heap + 3 * kPage, "sbrk(0) is past them");

  /* mmap2, munmap, mprotect */
  unsigned char* region = mmap2(NULL, 16 * kPage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  check(region != MAP_FAILED, "mmap2 of 16 anonymous pages");
  int zero = 1;
  for (int i = 0; i < 16 * kPage; i++) zero &= region[i] == 0;
  check(zero, "they read as zeros");
  for (int page = 0; page < 16; page++) memset(region + page * kPage, page + 1, kPage);
  check(munmap(region + 4 * kPage, 4 * kPage) == 0, "munmap of pages 4 to 7");
  check(region[3 * kPage] == 4 && region[8 * kPage] == 9, "pages 3 and 8 kept their bytes");
  check(mprotect(region, 4 * kPage, PROT_READ) == 0, "mprotect pages 0 to 3 read-only");
  check(region[kPage] == 2, "a read-only page still reads");
  check(mprotect(region, 4 * kPage, PROT_READ | PROT_WRITE) == 0, "mprotect them writable again");
  region[0] = 42;
  check(region[0] == 42, "and a write goes through");
  check(munmap(region, 16 * kPage) == 0, "munmap of the whole range, hole included");
  void* bad = mmap2(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  check(bad == MAP_FAILED && errno == EINVAL, "mmap2 of 0 bytes: EINVAL");
  check(munmap((void*)(uintptr_t)(kPage + 1), kPage) < 0 && errno == EINVAL, "munmap of an unaligned address: EINVAL");

  /* code written at run time, in a writable and executable page: called, written again over,
   * called again (riscv_flush_icache before each call, as a JIT does) */
  uint32_t* code = mmap2(NULL, kPage, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  check(code != MAP_FAILED, "mmap2 of a writable and executable page");
  if (code != MAP_FAILED) {
    typedef uint32_t (*adder)(uint32_t);
    code[0] = addi_a0(7);
    code[1] = kRet;
    check(riscv_flush_icache(code, code + 2, 0) == 0, "riscv_flush_icache of the written function");
    check(((adder)(uintptr_t)code)(35) == 42, "the written function runs");
    code[0] = addi_a0(-5);
    check(riscv_flush_icache(code, code + 2, 0) == 0, "riscv_flush_icache after writing it again");
    check(((adder)(uintptr_t)code)(35) == 30, "the function as written again runs");
    check(munmap(code, kPage) == 0, "munmap of the code page");
  }

  /* bss */
  int bss_zero = 1;
  for (size_t i = 0; i < sizeof big_bss; i += 512) bss_zero &= big_bss[i] == 0;
  check(bss_zero, "4 MiB of bss read as zeros");
  for (size_t i = 0; i < sizeof big_bss; i += kPage) big_bss[i] = (unsigned char)(i / kPage);
  check(big_bss[1000 * kPage] == (unsigned char)1000, "and every page of it is writable");

  /* stack */
  uint32_t sum = recurse(63);
  printf("     recursion checksum %lu\n", (unsigned long)sum);
  check(sum == 8372224u, "128 KiB of stack by recursion");
  printf("memory: %d failures\n", failures);
  return failures ? 1 : 0;
}
