/* Code written by the program and run (Zifencei): instructions stored into a data word of the
 * program's writable and executable segment, made visible to instruction fetch by fence.i,
 * called; then written again over the same words and called again. An interpreter that kept
 * the first decoding would run the old instructions. */
#include "runtime.h"

/* Two words in a section of their own, writable and executable ("awx"). */
__asm__(".pushsection .written_code, \"awx\", @progbits\n"
        ".balign 4\n"
        "written_code: .word 0, 0\n"
        ".popsection");
extern uint32_t written_code[2];

/* addi a0, a0, imm */
static uint32_t addi_a0(int32_t imm) {
  return ((uint32_t)imm & 0xfff) << 20 | 10u << 15 | 10u << 7 | 0x13u;
}

int main(void) {
  typedef uint32_t (*adder)(uint32_t);
  uint32_t sum = 0;
  for (int32_t round = 1; round <= 6; ++round) {
    written_code[0] = addi_a0(round * 100 - 300);
    written_code[1] = 0x00008067u; /* ret (jalr x0, 0(ra)) */
    __asm__ volatile(".option push\n.option arch, +zifencei\nfence.i\n.option pop" ::: "memory");
    const uint32_t value = ((adder)(uintptr_t)written_code)((uint32_t)round);
    put_hex("called", value);
    sum += value;
  }
  put_hex("sum", sum);
  return (int)(sum & 0x7f);
}
