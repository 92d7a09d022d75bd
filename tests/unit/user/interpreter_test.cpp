// The interpreter's trap paths (src/user/), on hand-assembled programs in the harness's flat
// address space: page faults on read, write and exec reported with their address and
// retried once the page is there, an instruction split across two pages, illegal
// instructions, ebreak, a misaligned atomic and pc, and the quantum: a run that ends
// mid-program resumes where it stopped and the program ends as if it had run at once. Each
// runs twice: interpreted, and with every block translated at its first entry (translate.hpp).
#include <algorithm>
#include <cstring>
#include <initializer_list>
#include <memory>
#include <numeric>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "flat_space.hpp"
#include "user/decode.hpp"
#include "user/interpreter.hpp"

namespace mkh::test {
namespace {

using user::Access;
using user::TrapKind;

constexpr uint32_t kCode = 0x10000;
constexpr uint32_t kData = 0x20000;
constexpr uint32_t kA0 = 10, kA1 = 11, kA2 = 12, kA3 = 13, kA7 = 17, kRa = 1;

uint32_t itype(uint32_t opcode, uint32_t funct3, uint32_t rd, uint32_t rs1, int32_t imm) {
  return (uint32_t(imm) & 0xfff) << 20 | rs1 << 15 | funct3 << 12 | rd << 7 | opcode;
}
uint32_t addi(uint32_t rd, uint32_t rs1, int32_t imm) { return itype(0x13, 0, rd, rs1, imm); }
uint32_t lw(uint32_t rd, uint32_t rs1, int32_t imm) { return itype(0x03, 2, rd, rs1, imm); }
uint32_t sw(uint32_t rs2, uint32_t rs1, int32_t imm) {
  return (uint32_t(imm) >> 5 & 0x7f) << 25 | rs2 << 20 | rs1 << 15 | 2 << 12 | (uint32_t(imm) & 0x1f) << 7 | 0x23;
}
uint32_t lui(uint32_t rd, uint32_t upper) { return upper << 12 | rd << 7 | 0x37; }
uint32_t jalr(uint32_t rd, uint32_t rs1, int32_t imm) { return itype(0x67, 0, rd, rs1, imm); }
uint32_t bne(uint32_t rs1, uint32_t rs2, int32_t offset) {
  const uint32_t imm = uint32_t(offset);
  return (imm >> 12 & 1) << 31 | (imm >> 5 & 0x3f) << 25 | rs2 << 20 | rs1 << 15 | 1 << 12 | (imm >> 1 & 0xf) << 8 |
         (imm >> 11 & 1) << 7 | 0x63;
}
uint32_t add(uint32_t rd, uint32_t rs1, uint32_t rs2) { return rs2 << 20 | rs1 << 15 | rd << 7 | 0x33; }
uint32_t lbu(uint32_t rd, uint32_t rs1, int32_t imm) { return itype(0x03, 4, rd, rs1, imm); }
uint32_t beq(uint32_t rs1, uint32_t rs2, int32_t offset) { return bne(rs1, rs2, offset) & ~(uint32_t(7) << 12); }
uint32_t jal(uint32_t rd, int32_t offset) {
  const uint32_t imm = uint32_t(offset);
  return (imm >> 20 & 1) << 31 | (imm >> 1 & 0x3ff) << 21 | (imm >> 11 & 1) << 20 | (imm >> 12 & 0xff) << 12 | rd << 7 |
         0x6f;
}
uint32_t lr_w(uint32_t rd, uint32_t rs1) { return 0x02u << 27 | rs1 << 15 | 2 << 12 | rd << 7 | 0x2f; }
constexpr uint32_t kEcall = 0x00000073, kEbreak = 0x00100073, kRdcycle = 0xc0002573, kFenceI = 0x0000100f;

// The parameter: the code cache's warm entries (0: interpreted, 1: translated at once).
class InterpreterTest : public ::testing::TestWithParam<uint32_t> {
 protected:
  InterpreterTest() { cache.set_warm_entries(GetParam()); }

  // Maps the code page (read and exec) and writes `words` at `address`.
  void code(uint32_t address, std::initializer_list<uint32_t> words) {
    space.map(address & ~user::kPageMask, (address & ~user::kPageMask) + user::kPageSize, {true, false, true});
    std::vector<uint32_t> bytes(words);
    ASSERT_TRUE(space.poke(address, bytes.data(), bytes.size() * 4));
  }
  user::RunResult run(uint64_t budget = 1000) { return user::run(context, tlb, cache, budget); }

  FlatSpace space;
  user::Tlb tlb{space};
  user::CodeCache cache;
  user::Context context{.x = {}, .pc = kCode};
};

TEST_P(InterpreterTest, PageFaultOnReadReportsTheAddressAndRetries) {
  code(kCode, {lui(kA0, kData >> 12), lw(kA1, kA0, 8), kEcall});
  auto result = run();
  EXPECT_EQ(result.trap.kind, TrapKind::kPageFault);
  EXPECT_EQ(result.trap.access, Access::kRead);
  EXPECT_EQ(result.trap.address, kData + 8);
  EXPECT_EQ(result.trap.pc, kCode + 4);
  EXPECT_EQ(context.pc, kCode + 4);
  EXPECT_EQ(result.executed, 1u);  // the faulting load is not counted
  EXPECT_EQ(context.x[kA0], kData);

  space.map(kData, kData + user::kPageSize, {true, false, false});
  const uint32_t value = 0x12345678;
  ASSERT_TRUE(space.poke(kData + 8, &value, 4));
  result = run();
  EXPECT_EQ(result.trap.kind, TrapKind::kEcall);
  EXPECT_EQ(result.trap.pc, kCode + 8);
  EXPECT_EQ(context.pc, kCode + 8);
  EXPECT_EQ(result.executed, 2u);  // the load, and the ecall
  EXPECT_EQ(context.x[kA1], value);
}

TEST_P(InterpreterTest, PageFaultOnWriteToAReadOnlyPageThenTheStoreIsRetried) {
  code(kCode, {lui(kA0, kData >> 12), addi(kA1, 0, 77), lw(kA2, kA0, 0x10), sw(kA1, kA0, 0x10), kEcall});
  space.map(kData, kData + user::kPageSize, {true, false, false});
  auto result = run();
  EXPECT_EQ(result.trap.kind, TrapKind::kPageFault);
  EXPECT_EQ(result.trap.access, Access::kWrite);
  EXPECT_EQ(result.trap.address, kData + 0x10);
  EXPECT_EQ(result.trap.pc, kCode + 12);
  EXPECT_EQ(context.x[kA2], 0u);  // the read of the same page went through

  space.protect(kData, {true, true, false});
  result = run();
  ASSERT_EQ(result.trap.kind, TrapKind::kEcall);
  uint32_t stored = 0;
  ASSERT_TRUE(space.peek(kData + 0x10, &stored, 4));
  EXPECT_EQ(stored, 77u);
}

TEST_P(InterpreterTest, StoreAcrossPagesFaultsOnTheSecondPageWithoutWritingTheFirst) {
  code(kCode, {lui(kA0, (kData + 0x1000) >> 12), addi(kA1, 0, -1), sw(kA1, kA0, -2), kEcall});
  space.map(kData, kData + user::kPageSize, {true, true, false});
  auto result = run();
  EXPECT_EQ(result.trap.kind, TrapKind::kPageFault);
  EXPECT_EQ(result.trap.access, Access::kWrite);
  EXPECT_EQ(result.trap.address, kData + user::kPageSize);
  uint16_t low = 1;
  ASSERT_TRUE(space.peek(kData + 0xffe, &low, 2));
  EXPECT_EQ(low, 0u);
  space.map(kData + user::kPageSize, kData + 2 * user::kPageSize, {true, true, false});
  result = run();
  ASSERT_EQ(result.trap.kind, TrapKind::kEcall);
  uint32_t word = 0;
  ASSERT_TRUE(space.peek(kData + 0xffe, &word, 4));
  EXPECT_EQ(word, 0xffffffffu);
}

// Both pages in the TLB (each touched first): an access across them still reads and writes
// each page's own bytes (the pages are apart in host memory), not past the first page's end.
TEST_P(InterpreterTest, AnAccessAcrossTwoPagesInTheTlbTouchesBoth) {
  const uint32_t second = kData + user::kPageSize;
  code(kCode, {lui(kA0, second >> 12), lw(kA1, kA0, -8), lw(kA2, kA0, 0), lw(kA3, kA0, -2), sw(kA3, kA0, -1), kEcall});
  space.map(kData, kData + 2 * user::kPageSize, {true, true, false});
  const uint8_t bytes[] = {0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88};
  ASSERT_TRUE(space.poke(second - 4, bytes, sizeof bytes));
  const auto result = run();
  ASSERT_EQ(result.trap.kind, TrapKind::kEcall);
  EXPECT_EQ(context.x[kA2], 0x88776655u);
  EXPECT_EQ(context.x[kA3], 0x66554433u);
  uint8_t stored[4] = {};
  ASSERT_TRUE(space.peek(second - 1, stored, sizeof stored));
  EXPECT_EQ(stored[0], 0x33);
  EXPECT_EQ(stored[1], 0x44);
  EXPECT_EQ(stored[2], 0x55);
  EXPECT_EQ(stored[3], 0x66);
}

TEST_P(InterpreterTest, PageFaultOnExecReportsTheTargetAfterTheJump) {
  code(kCode, {lui(kA0, 0x30), jalr(kRa, kA0, 0x10)});
  auto result = run();
  EXPECT_EQ(result.trap.kind, TrapKind::kPageFault);
  EXPECT_EQ(result.trap.access, Access::kExec);
  EXPECT_EQ(result.trap.address, 0x30010u);
  EXPECT_EQ(context.pc, 0x30010u);
  EXPECT_EQ(context.x[kRa], kCode + 8);  // the jump completed
  EXPECT_EQ(result.executed, 2u);

  // Readable but not executable: still an exec fault.
  space.map(0x30000, 0x31000, {true, true, false});
  result = run();
  EXPECT_EQ(result.trap.kind, TrapKind::kPageFault);
  EXPECT_EQ(result.trap.access, Access::kExec);

  code(0x30010, {addi(kA1, 0, 5), kEcall});
  tlb.flush();
  result = run();
  EXPECT_EQ(result.trap.kind, TrapKind::kEcall);
  EXPECT_EQ(context.x[kA1], 5u);
}

TEST_P(InterpreterTest, AnInstructionAcrossTwoPagesFaultsOnTheSecondThenRuns) {
  // c.nop at 0x10ffc, then a 32-bit addi at 0x10ffe..0x11001, then ecall at 0x11002.
  code(kCode, {});
  context.pc = 0x10ffc;
  const uint16_t c_nop = 0x0001;
  const uint32_t add = addi(kA0, 0, 42);
  ASSERT_TRUE(space.poke(0x10ffc, &c_nop, 2));
  ASSERT_TRUE(space.poke(0x10ffe, &add, 2));
  auto result = run();
  EXPECT_EQ(result.trap.kind, TrapKind::kPageFault);
  EXPECT_EQ(result.trap.access, Access::kExec);
  EXPECT_EQ(result.trap.address, 0x11000u);
  EXPECT_EQ(result.trap.pc, 0x10ffeu);
  EXPECT_EQ(result.executed, 1u);

  space.map(0x11000, 0x12000, {true, false, true});
  const uint16_t high = uint16_t(add >> 16);
  ASSERT_TRUE(space.poke(0x11000, &high, 2));
  const uint32_t ecall = kEcall;
  ASSERT_TRUE(space.poke(0x11002, &ecall, 4));
  result = run();
  EXPECT_EQ(result.trap.kind, TrapKind::kEcall);
  EXPECT_EQ(result.trap.pc, 0x11002u);
  EXPECT_EQ(context.x[kA0], 42u);
}

TEST_P(InterpreterTest, IllegalInstructionsReportTheirBits) {
  for (uint32_t bits : {0xffffffffu, kRdcycle, 0x0000'0000u, 0x0000'2007u /* flw */}) {
    SCOPED_TRACE(bits);
    code(kCode, {addi(kA0, 0, 1), bits});
    cache.drop_all();
    context.pc = kCode;
    auto result = run();
    EXPECT_EQ(result.trap.kind, TrapKind::kIllegalInstruction);
    EXPECT_EQ(result.trap.pc, kCode + 4);
    // A compressed one reports its 16 bits.
    EXPECT_EQ(result.trap.address, (bits & 3) == 3 ? bits : bits & 0xffff);
    EXPECT_EQ(result.executed, 1u);
  }
}

TEST_P(InterpreterTest, EbreakAndMisalignedAtomicAndPc) {
  code(kCode, {kEbreak});
  auto result = run();
  EXPECT_EQ(result.trap.kind, TrapKind::kEbreak);
  EXPECT_EQ(result.trap.pc, kCode);

  space.map(kData, kData + user::kPageSize, {true, true, false});
  code(kCode, {lui(kA0, kData >> 12), lr_w(kA1, kA0), addi(kA0, kA0, 2), lr_w(kA1, kA0)});
  cache.drop_all();
  context.pc = kCode;
  result = run();
  EXPECT_EQ(result.trap.kind, TrapKind::kMisaligned);
  EXPECT_EQ(result.trap.address, kData + 2);
  EXPECT_EQ(result.trap.pc, kCode + 12);

  context.pc = kCode + 1;
  result = run();
  EXPECT_EQ(result.trap.kind, TrapKind::kMisaligned);
  EXPECT_EQ(result.trap.access, Access::kExec);
  EXPECT_EQ(result.executed, 0u);
}

// a0 = 0; a1 = n; loop: a0 += 3; a1 -= 1; bne a1, 0, loop; ecall: 2 + 3n + 1 instructions.
constexpr uint32_t kLoops = 1000;
constexpr uint64_t kLoopInstructions = 2 + 3 * kLoops + 1;

TEST_P(InterpreterTest, QuantumExhaustionStopsMidProgramAndResumes) {
  code(kCode, {addi(kA0, 0, 0), addi(kA1, 0, kLoops), addi(kA0, kA0, 3), addi(kA1, kA1, -1), bne(kA1, 0, -8), kEcall});
  EXPECT_EQ(run(0).executed, 0u);
  EXPECT_EQ(context.pc, kCode);

  uint64_t total = 0;
  unsigned runs = 0;
  for (;;) {
    auto result = run(7);
    total += result.executed;
    ++runs;
    if (result.trap.kind == TrapKind::kEcall) break;
    ASSERT_EQ(result.trap.kind, TrapKind::kQuantum);
    ASSERT_EQ(result.executed, 7u);
    ASSERT_EQ(result.trap.pc, context.pc);
    ASSERT_LT(runs, 10000u);
  }
  EXPECT_EQ(total, kLoopInstructions);
  EXPECT_EQ(runs, (kLoopInstructions + 6) / 7);
  EXPECT_EQ(context.x[kA0], 3 * kLoops);
  EXPECT_EQ(context.x[kA1], 0u);
  EXPECT_EQ(context.pc, kCode + 20);
}

TEST_P(InterpreterTest, QuantumStopsAtTheExactInstruction) {
  code(kCode, {addi(kA0, 0, 0), addi(kA1, 0, kLoops), addi(kA0, kA0, 3), addi(kA1, kA1, -1), bne(kA1, 0, -8), kEcall});
  auto result = run(2 + 3 * 10);  // ten rounds of the loop
  EXPECT_EQ(result.trap.kind, TrapKind::kQuantum);
  EXPECT_EQ(context.x[kA0], 30u);
  EXPECT_EQ(context.pc, kCode + 8);  // back at the loop's head
  result = run(1);
  EXPECT_EQ(context.x[kA0], 33u);
  EXPECT_EQ(context.pc, kCode + 12);
}

TEST_P(InterpreterTest, EcallReportsItsPcAndTheRegisters) {
  code(kCode, {addi(kA7, 0, 93), addi(kA0, 0, -5), kEcall, addi(kA0, 0, 9), kEcall});
  auto result = run();
  ASSERT_EQ(result.trap.kind, TrapKind::kEcall);
  EXPECT_EQ(result.trap.pc, kCode + 8);
  EXPECT_EQ(context.x[kA7], 93u);
  EXPECT_EQ(context.x[kA0], uint32_t(-5));
  context.pc += 4;  // as a system call handler does
  result = run();
  ASSERT_EQ(result.trap.kind, TrapKind::kEcall);
  EXPECT_EQ(context.x[kA0], 9u);
}

// Runs the context to its ecall in runs of `quantum` instructions: each run but the last
// stops at exactly `quantum`; returns the instructions executed in all.
uint64_t run_in_quanta(user::Context& context, user::Tlb& tlb, user::CodeCache& cache, uint64_t quantum) {
  uint64_t total = 0;
  for (unsigned runs = 0; runs < 100000; ++runs) {
    const auto result = user::run(context, tlb, cache, quantum);
    total += result.executed;
    if (result.trap.kind == TrapKind::kEcall) return total;
    EXPECT_EQ(result.trap.kind, TrapKind::kQuantum);
    EXPECT_EQ(result.executed, quantum);
    EXPECT_EQ(result.trap.pc, context.pc);
    if (result.trap.kind != TrapKind::kQuantum || result.executed != quantum) return 0;
  }
  return 0;
}

// Code the program writes (a writable and executable page): a function is called, one of
// its instructions is stored over, fence.i, and the second call runs the new instruction —
// the decoded page is dropped, in one run and whatever the quantum.
TEST_P(InterpreterTest, FenceIRunsTheInstructionsWrittenBeforeIt) {
  const uint32_t add_16 = addi(kA0, kA0, 16);
  space.map(kData, kData + user::kPageSize, {true, true, false});
  ASSERT_TRUE(space.poke(kData, &add_16, 4));
  space.map(kCode, kCode + user::kPageSize, {true, true, true});
  auto load_program = [&] {
    const uint32_t main[] = {addi(kA0, 0, 0), jal(kRa, 0x100 - 4),   lui(kA2, kData >> 12),
                             lw(kA1, kA2, 0), lui(kA3, kCode >> 12), sw(kA1, kA3, 0x100),
                             kFenceI,         jal(kRa, 0x100 - 28),  kEcall};
    const uint32_t function[] = {addi(kA0, kA0, 1), jalr(0, kRa, 0)};
    ASSERT_TRUE(space.poke(kCode, main, sizeof main));
    ASSERT_TRUE(space.poke(kCode + 0x100, function, sizeof function));
  };
  load_program();
  const uint64_t expected = 2 + 2 + 5 + 1 + 2 + 1;
  auto result = run();
  ASSERT_EQ(result.trap.kind, TrapKind::kEcall);
  EXPECT_EQ(context.x[kA0], 17u);  // 1 from the first call, 16 from the second
  EXPECT_EQ(result.executed, expected);
  for (uint64_t quantum = 1; quantum <= 9; ++quantum) {
    SCOPED_TRACE(quantum);
    load_program();
    cache.drop_all();
    context = user::Context{.x = {}, .pc = kCode};
    EXPECT_EQ(run_in_quanta(context, tlb, cache, quantum), expected);
    EXPECT_EQ(context.x[kA0], 17u);
  }
}

// A fence.i in a page's last halfword (its high half on the next page): decoded when it first
// runs, it drops both pages and the run goes on after it, on the next page.
TEST_P(InterpreterTest, FenceIAcrossTwoPages) {
  space.map(kCode, kCode + 2 * user::kPageSize, {true, false, true});
  const uint32_t jump = jal(0, 0xffe);
  const uint16_t low = uint16_t(kFenceI), high = uint16_t(kFenceI >> 16);
  const uint32_t after[] = {addi(kA0, 0, 5), kEcall};
  ASSERT_TRUE(space.poke(kCode, &jump, 4));
  ASSERT_TRUE(space.poke(kCode + 0xffe, &low, 2));
  ASSERT_TRUE(space.poke(kCode + 0x1000, &high, 2));
  ASSERT_TRUE(space.poke(kCode + 0x1002, after, sizeof after));
  for (uint64_t quantum : {1000, 1, 2, 3}) {
    SCOPED_TRACE(quantum);
    cache.drop_all();
    context = user::Context{.x = {}, .pc = kCode};
    EXPECT_EQ(run_in_quanta(context, tlb, cache, quantum), 4u);
    EXPECT_EQ(context.x[kA0], 5u);
    EXPECT_EQ(context.pc, kCode + 0x1006);
  }
}

// A loop of fused pairs (lui+addi, sw+addi, lw+add, addi+bne on its result): stopped by
// every quantum from 1 to 13, at every position in and between the pairs, it counts the
// same instructions and ends in the same registers as in one run.
TEST_P(InterpreterTest, FusedPairsCountExactlyWhereverTheQuantumEnds) {
  space.map(kData, kData + user::kPageSize, {true, true, false});
  code(kCode, {lui(kA0, kData >> 12), addi(kA1, 0, 50), addi(kA2, 0, 0), sw(kA1, kA0, 0), addi(kA0, kA0, 4),
               lw(kA3, kA0, -4), add(kA2, kA2, kA3), addi(kA1, kA1, -1), bne(kA1, 0, -20), kEcall});
  const uint64_t expected = 3 + 6 * 50 + 1;
  auto result = run(1'000'000);
  ASSERT_EQ(result.trap.kind, TrapKind::kEcall);
  EXPECT_EQ(result.executed, expected);
  EXPECT_EQ(context.x[kA2], 50u * 51 / 2);
  for (uint64_t quantum = 1; quantum <= 13; ++quantum) {
    SCOPED_TRACE(quantum);
    context = user::Context{.x = {}, .pc = kCode};
    EXPECT_EQ(run_in_quanta(context, tlb, cache, quantum), expected);
    EXPECT_EQ(context.x[kA2], 50u * 51 / 2);
    EXPECT_EQ(context.x[kA0], kData + 200);
    EXPECT_EQ(context.pc, kCode + 36);
  }
}

// A run that stops inside a block patches a slot of the page for its length only: the page's
// handlers are as they were after it.
TEST_P(InterpreterTest, AStopInsideABlockLeavesThePageAsItWas) {
  code(kCode, {addi(kA0, 0, 1), addi(kA0, kA0, 1), addi(kA1, kA0, 1), addi(kA1, kA1, -1), bne(kA1, 0, -4), kEcall});
  // Every block entered once first: its first slot's handler changes then (Warm), by design.
  ASSERT_EQ(run().trap.kind, TrapKind::kEcall);
  context = user::Context{.x = {}, .pc = kCode};
  ASSERT_EQ(run(1).trap.kind, TrapKind::kQuantum);
  auto page = cache.page(kCode, tlb);
  ASSERT_TRUE(page);
  std::vector<const void*> handlers;
  for (const user::Slot& slot : (*page)->slots) handlers.push_back(slot.handler);
  for (uint64_t quantum : {1, 2, 3}) {
    auto result = run(quantum);
    ASSERT_EQ(result.trap.kind, TrapKind::kQuantum);
    for (size_t i = 0; i < handlers.size(); ++i) ASSERT_EQ((*page)->slots[i].handler, handlers[i]) << i;
  }
  auto result = run();
  EXPECT_EQ(result.trap.kind, TrapKind::kEcall);
  EXPECT_EQ(context.x[kA0], 2u);
}

// addi+bne is one handler when entered at the addi; a jump to the bne runs the bne alone.
TEST_P(InterpreterTest, AJumpIntoTheSecondOfAPairRunsItAlone) {
  code(kCode, {addi(kA0, 0, 5), jal(0, 8), addi(kA0, kA0, 100), bne(kA0, 0, 8), addi(kA1, 0, 1), kEcall});
  auto result = run();
  ASSERT_EQ(result.trap.kind, TrapKind::kEcall);
  EXPECT_EQ(result.executed, 4u);  // addi, jal, bne, ecall
  EXPECT_EQ(context.x[kA0], 5u);
  EXPECT_EQ(context.x[kA1], 0u);

  context.pc = kCode + 8;
  context.x[kA0] = uint32_t(-100);
  result = run();
  ASSERT_EQ(result.trap.kind, TrapKind::kEcall);
  EXPECT_EQ(result.executed, 4u);  // addi, bne (not taken), addi, ecall
  EXPECT_EQ(context.x[kA0], 0u);
  EXPECT_EQ(context.x[kA1], 1u);
}

// addi+lw is one handler: a fault on the lw reports the lw, with the addi done and counted;
// a fault on the first of a pair (lbu+beq, sw+addi) leaves the second undone.
TEST_P(InterpreterTest, AFaultInsideAPairNamesTheInstructionThatFaulted) {
  code(kCode, {lui(kA0, kData >> 12), addi(kA2, 0, 1), addi(kA0, kA0, 8), lw(kA1, kA0, 0), lbu(kA3, kA0, 4),
               beq(kA3, 0, 8), kEcall, sw(kA2, kA0, 12), addi(kA0, kA0, 4), kEcall});
  auto result = run();
  EXPECT_EQ(result.trap.kind, TrapKind::kPageFault);
  EXPECT_EQ(result.trap.address, kData + 8);
  EXPECT_EQ(result.trap.pc, kCode + 12);
  EXPECT_EQ(result.executed, 3u);
  EXPECT_EQ(context.x[kA0], kData + 8);

  // The lbu of lbu+beq faults: the beq has not run.
  space.map(kData, kData + user::kPageSize, {false, false, false});
  context.pc = kCode + 16;
  result = run();
  EXPECT_EQ(result.trap.kind, TrapKind::kPageFault);
  EXPECT_EQ(result.trap.pc, kCode + 16);
  EXPECT_EQ(result.executed, 0u);

  // Readable: lw, lbu (0), beq taken to the sw of sw+addi, which faults (read-only).
  space.map(kData, kData + user::kPageSize, {true, false, false});
  context.pc = kCode + 12;
  result = run();
  EXPECT_EQ(result.trap.kind, TrapKind::kPageFault);
  EXPECT_EQ(result.trap.access, Access::kWrite);
  EXPECT_EQ(result.trap.pc, kCode + 28);
  EXPECT_EQ(result.executed, 3u);
  EXPECT_EQ(context.x[kA0], kData + 8);  // the addi after the sw has not run

  space.map(kData, kData + user::kPageSize, {true, true, false});
  result = run();
  ASSERT_EQ(result.trap.kind, TrapKind::kEcall);
  EXPECT_EQ(result.trap.pc, kCode + 36);
  EXPECT_EQ(result.executed, 3u);
  EXPECT_EQ(context.x[kA0], kData + 12);
}

// Two stores back to back (sw; sw, a fused pair: a heap sort's swap) whose second faults: the
// first is done and counted, the fault names the second, and the retry runs it alone.
TEST_P(InterpreterTest, AStorePairWhoseSecondFaultsKeepsTheFirst) {
  const uint32_t second_page = kData + user::kPageSize;
  code(kCode,
       {lui(kA0, kData >> 12), lui(kA3, second_page >> 12), addi(kA2, 0, 7), sw(kA2, kA0, 4), sw(kA2, kA3, 8), kEcall});
  space.map(kData, second_page, {true, true, false});
  auto result = run();
  EXPECT_EQ(result.trap.kind, TrapKind::kPageFault);
  EXPECT_EQ(result.trap.access, Access::kWrite);
  EXPECT_EQ(result.trap.address, second_page + 8);
  EXPECT_EQ(result.trap.pc, kCode + 16);
  EXPECT_EQ(result.executed, 4u);
  uint32_t word = 0;
  ASSERT_TRUE(space.peek(kData + 4, &word, 4));
  EXPECT_EQ(word, 7u);

  space.map(second_page, second_page + user::kPageSize, {true, true, false});
  result = run();
  ASSERT_EQ(result.trap.kind, TrapKind::kEcall);
  EXPECT_EQ(result.executed, 2u);
  ASSERT_TRUE(space.peek(second_page + 8, &word, 4));
  EXPECT_EQ(word, 7u);
}

// addi at a page's end and bne at the next page's start are not fused (a pair stays on its
// page): the loop counts exactly at every quantum.
TEST_P(InterpreterTest, APairAcrossAPageBoundaryRunsAsTwoInstructions) {
  space.map(0x11000, 0x12000, {true, false, true});
  code(0x10ff8, {addi(kA0, kA0, 3), addi(kA1, kA1, -1)});
  code(0x11000, {bne(kA1, 0, -8), kEcall});
  const uint64_t expected = 3 * 10 + 1;
  for (uint64_t quantum : {1, 2, 3, 4, 5, 6, 7, 1000}) {
    SCOPED_TRACE(quantum);
    context = user::Context{.x = {}, .pc = 0x10ff8};
    context.x[kA1] = 10;
    EXPECT_EQ(run_in_quanta(context, tlb, cache, quantum), expected);
    EXPECT_EQ(context.x[kA0], 30u);
    EXPECT_EQ(context.pc, 0x11004u);
  }
}

// A 32-bit bne across two pages (decoded at its first execution) closing a loop on the first
// page: the branch finds its target on its own page, at every quantum.
TEST_P(InterpreterTest, ABranchAcrossTwoPagesLoopsBackExactly) {
  space.map(0x11000, 0x12000, {true, false, true});
  code(0x10ff8, {});
  const uint32_t head[] = {addi(kA0, kA0, 3)};
  const uint32_t loop = addi(kA1, kA1, -1), branch = bne(kA1, 0, -4);
  ASSERT_TRUE(space.poke(0x10ff6, head, 4));
  ASSERT_TRUE(space.poke(0x10ffa, &loop, 4));
  ASSERT_TRUE(space.poke(0x10ffe, &branch, 4));
  const uint32_t ecall = kEcall;
  ASSERT_TRUE(space.poke(0x11002, &ecall, 4));
  const uint64_t expected = 1 + 2 * 10 + 1;
  for (uint64_t quantum : {1, 2, 3, 4, 5, 1000}) {
    SCOPED_TRACE(quantum);
    cache.drop_all();
    context = user::Context{.x = {}, .pc = 0x10ff6};
    context.x[kA1] = 10;
    EXPECT_EQ(run_in_quanta(context, tlb, cache, quantum), expected);
    EXPECT_EQ(context.x[kA0], 3u);
    EXPECT_EQ(context.x[kA1], 0u);
    EXPECT_EQ(context.pc, 0x11002u);
  }
}

// A branch to its own page takes its target's block length from its own operands (set at
// decode): a branch into the middle of a block, onto the second of a pair (addi+addi at 8),
// counts exactly the rest of that block, at every quantum.
TEST_P(InterpreterTest, ABranchIntoTheMiddleOfABlockCountsTheRestOfIt) {
  code(kCode, {addi(kA0, kA0, 1), beq(0, 0, 8), addi(kA1, kA1, 1), addi(kA2, kA2, 1), addi(kA3, kA3, -1),
               bne(kA3, 0, -20), kEcall});
  const uint64_t expected = 5 * 7 + 1;
  for (uint64_t quantum : {1, 2, 3, 4, 5, 6, 7, 11, 1000}) {
    SCOPED_TRACE(quantum);
    context = user::Context{.x = {}, .pc = kCode};
    context.x[kA3] = 7;
    EXPECT_EQ(run_in_quanta(context, tlb, cache, quantum), expected);
    EXPECT_EQ(context.x[kA0], 7u);
    EXPECT_EQ(context.x[kA1], 0u);
    EXPECT_EQ(context.x[kA2], 7u);
    EXPECT_EQ(context.pc, kCode + 24);
  }
}

// A page of `words` (ecalls after them) at 0x10000, every slot undecoded.
std::unique_ptr<user::DecodedPage> page_of(std::vector<uint32_t> words) {
  words.resize(user::kPageSize / 4, kEcall);
  return std::make_unique<user::DecodedPage>(0x10000, reinterpret_cast<const std::byte*>(words.data()));
}

constexpr bool undecoded(const user::Slot& slot) { return slot.op == user::Op::kUndecoded; }

// A loop of three blocks on one page (a branch over an add, a load, the loop's branch back):
// the same registers, memory and count interpreted and translated, run at once or in quanta
// of 1 to 12 instructions; translated, the blocks are chained (the count of translations
// stays that of the blocks).
TEST_P(InterpreterTest, ALoopOfSeveralBlocksCountsExactlyWhereverTheQuantumEnds) {
  space.map(kData, kData + user::kPageSize, {true, true, false});
  auto andi = [](uint32_t rd, uint32_t rs1, int32_t imm) { return itype(0x13, 7, rd, rs1, imm); };
  code(kCode, {lui(kA0, kData >> 12), addi(kA1, 0, 40), addi(kA2, 0, 0),
               // the loop (kCode + 12): a2 += 3 on odd turns, then *(a0 + 4 * (a1 % 8)) += a2
               andi(kA3, kA1, 1), beq(kA3, 0, 8), addi(kA2, kA2, 3), andi(kA3, kA1, 7), add(kA3, kA3, kA3),
               add(kA3, kA3, kA3), add(kA3, kA3, kA0), lw(kA7, kA3, 0), add(kA7, kA7, kA2), sw(kA7, kA3, 0),
               addi(kA1, kA1, -1), bne(kA1, 0, -44), kEcall});
  auto total = [&](uint64_t quantum) {
    context = user::Context{.x = {}, .pc = kCode};
    const uint32_t zeros[8] = {};
    EXPECT_TRUE(space.poke(kData, zeros, sizeof zeros));
    return quantum == 0 ? run(100000).executed : run_in_quanta(context, tlb, cache, quantum);
  };
  const uint64_t expected = 3 + 40 * 12 - 20 + 1;  // even turns skip the add
  EXPECT_EQ(total(0), expected);
  uint32_t sums[8];
  ASSERT_TRUE(space.peek(kData, sums, sizeof sums));
  const uint32_t a2 = context.x[kA2];
  EXPECT_EQ(a2, 60u);
  for (uint64_t quantum = 1; quantum <= 12; ++quantum) {
    SCOPED_TRACE(quantum);
    EXPECT_EQ(total(quantum), expected);
    EXPECT_EQ(context.x[kA2], a2);
    uint32_t again[8];
    ASSERT_TRUE(space.peek(kData, again, sizeof again));
    EXPECT_EQ(std::memcmp(sums, again, sizeof sums), 0);
  }
  EXPECT_EQ(cache.translator().blocks() > 0, GetParam() != 0);
}

std::string mode_name(const ::testing::TestParamInfo<uint32_t>& mode) {
  return mode.param == 0 ? "Interpreted" : "Translated";
}
INSTANTIATE_TEST_SUITE_P(Modes, InterpreterTest, ::testing::Values(0u, 1u), mode_name);

#if defined(__x86_64__)
// The translator alone, on a page of 1 024 addi (one block, to the page's end): its code
// takes the block's length from the budget, runs to the side exit at the page's end, and
// leaves at once, with the block's pc, when the budget is short; the buffer refuses a
// translation once it cannot hold another block's worst case, and clear() empties it.
TEST(Translator, RunsABlockToItsSideExitAndStopsTranslatingWhenFull) {
  const std::vector<uint32_t> words(user::kPageSize / 4, addi(kA0, kA0, 3));
  const auto page = std::make_unique<user::DecodedPage>(0x10000, reinterpret_cast<const std::byte*>(words.data()));
  user::decode_block(*page, 0, nullptr);
  ASSERT_EQ(page->slots[0].length, 1024u);
  user::Translator translator;
  const uint16_t handle = translator.translate(*page, 0, nullptr);
  ASSERT_NE(handle, 0u);
  FlatSpace space;
  const user::Tlb tlb(space);
  uint32_t x[33] = {};
  int64_t budget = 1024;
  EXPECT_EQ(translator.run(handle, x, tlb, &budget), user::Translator::kSideExit | user::DecodedPage::kSlots);
  EXPECT_EQ(x[kA0], 3072u);
  EXPECT_EQ(budget, 0);
  budget = 1023;
  EXPECT_EQ(translator.run(handle, x, tlb, &budget), 0x10000u);
  EXPECT_EQ(budget, 1023);
  EXPECT_EQ(x[kA0], 3072u);
  size_t made = 1;
  while (translator.translate(*page, 0, nullptr) != 0) ASSERT_LT(++made, 1000u);
  EXPECT_GT(made, 1u);
  EXPECT_EQ(translator.blocks(), made);
  translator.clear();
  EXPECT_NE(translator.translate(*page, 0, nullptr), 0u);
}
#endif

TEST(CodeCache, DecodeBlockFusesPairsOnItsPageAndCountsBlocks) {
  // addi; bne (near: fused with the addi); addi; bne (to the previous page: not fused);
  // addi; addi; ecall.
  const auto page = page_of({addi(kA0, kA0, 1), bne(kA0, 0, -4), addi(kA1, kA1, 1), bne(kA1, 0, -0x100c),
                             addi(kA2, 0, 1), addi(kA2, 0, 2), kEcall});
  const user::Slot* slots = page->slots;
  user::decode_block(*page, 0, nullptr);  // the block of the addi and the bne, whose target it is
  EXPECT_FALSE(undecoded(slots[0]));
  EXPECT_TRUE(undecoded(slots[1]));  // the middle of the addi
  EXPECT_TRUE(undecoded(slots[4]));  // after the bne: its own block, decoded when entered
  user::decode_block(*page, 4, nullptr);
  user::decode_block(*page, 8, nullptr);
  EXPECT_TRUE(user::is_fused(slots[0].kind));
  EXPECT_FALSE(user::is_fused(slots[2].kind));
  EXPECT_EQ(slots[2].kind, user::handler_of(user::Op::kBne, 1));  // near, 32-bit
  EXPECT_FALSE(user::is_fused(slots[4].kind));
  EXPECT_EQ(slots[6].kind, user::handler_of(user::Op::kBne, 3));  // far, 32-bit
  EXPECT_EQ(user::unfused(slots[0].kind), user::handler_of(user::Op::kAddi, 1));
  // The near bne's operands: its target's Slot in bytes, and that slot's block length.
  EXPECT_EQ(user::imm_of(slots[2].operands), -2 * int32_t(sizeof(user::Slot)));
  EXPECT_EQ(user::rd_of(slots[2].operands), 2u);
  EXPECT_EQ(user::rs1_of(slots[2].operands), kA0);
  // Block lengths: to the control transfer or trap, inclusive.
  EXPECT_EQ(slots[0].length, 2u);
  EXPECT_EQ(slots[2].length, 1u);
  EXPECT_EQ(slots[4].length, 2u);
  EXPECT_EQ(slots[8].length, 3u);
  EXPECT_EQ(slots[10].length, 2u);
  EXPECT_EQ(slots[12].length, 1u);
  EXPECT_EQ(slots[user::DecodedPage::kSlots].length, 0u);
  EXPECT_EQ(slots[user::DecodedPage::kSlots].op, user::Op::kPageEnd);
}

TEST(CodeCache, ABranchToItsPageDecodesItsTargetsBlockForItsLength) {
  // beq to the third addi; addi; addi; addi (fused with the next); addi; ecall.
  const auto page =
      page_of({beq(0, 0, 12), addi(kA0, 0, 1), addi(kA1, 0, 1), addi(kA2, 0, 1), addi(kA3, 0, 1), kEcall});
  const user::Slot* slots = page->slots;
  user::decode_block(*page, 0, nullptr);
  EXPECT_TRUE(undecoded(slots[2]));  // the fall-through: not reached yet
  EXPECT_EQ(slots[6].length, 3u);
  EXPECT_EQ(user::rd_of(slots[0].operands), 3u);  // the target's block length
  user::decode_block(*page, 2, nullptr);          // stops at the target's block, decoded before
  EXPECT_EQ(slots[4].length, 4u);
  EXPECT_EQ(slots[2].length, 5u);
  EXPECT_TRUE(user::is_fused(slots[4].kind));  // with the target's addi
}

TEST(CodeCache, BlocksDecodeAlikeInAnyOrder) {
  // Pages of random halfwords (compressed and 32-bit instructions, branches among them):
  // decoded slot by slot, in order, backwards and in a random order, every slot is the same.
  std::mt19937 random(7);
  for (int round = 0; round < 20; ++round) {
    SCOPED_TRACE(round);
    std::vector<uint32_t> words(user::kPageSize / 4);
    for (uint32_t& word : words) word = random();
    const auto forward = page_of(words);
    const auto backward = page_of(words);
    const auto shuffled = page_of(words);
    std::vector<uint32_t> order(user::DecodedPage::kSlots);
    std::iota(order.begin(), order.end(), 0u);
    for (uint32_t index : order) user::decode_block(*forward, index, nullptr);
    for (auto index = order.rbegin(); index != order.rend(); ++index) user::decode_block(*backward, *index, nullptr);
    std::shuffle(order.begin(), order.end(), random);
    for (uint32_t index : order) user::decode_block(*shuffled, index, nullptr);
    for (uint32_t i = 0; i < user::DecodedPage::kSlots + 2; ++i) {
      for (const user::DecodedPage* page : {backward.get(), shuffled.get()}) {
        const user::Slot& want = forward->slots[i];
        const user::Slot& got = page->slots[i];
        ASSERT_FALSE(undecoded(got)) << i;
        ASSERT_EQ(got.kind, want.kind) << i;
        ASSERT_EQ(got.operands, want.operands) << i;
        ASSERT_EQ(got.length, want.length) << i;
        ASSERT_EQ(got.slots, want.slots) << i;
      }
    }
  }
}

TEST(Decoder, DestinationX0WritesTheSink) {
  EXPECT_EQ(user::decode32(addi(0, 1, 5)).rd, user::kSinkRegister);
  EXPECT_EQ(user::decode16(0x4501).op, user::Op::kAddi);  // c.li a0, 0
  EXPECT_EQ(user::decode16(0x4501).rd, kA0);
  EXPECT_EQ(user::decode16(0x0000).op, user::Op::kIllegal);
  EXPECT_EQ(user::decode16(0x9002).op, user::Op::kEbreak);  // c.ebreak
}

}  // namespace
}  // namespace mkh::test
