// The RV32IMAC user machine as the interpreter sees it: a thread's register context, the
// kinds of memory access, and the trap that ends a run. Layer: user (the interpreter, a
// library of its own above libk: it knows no kernel object). Calls nothing.
#pragma once

#include <cstdint>

namespace mkh::user {

inline constexpr uint32_t kPageShift = 12;
inline constexpr uint32_t kPageSize = uint32_t(1) << kPageShift;
inline constexpr uint32_t kPageMask = kPageSize - 1;

// A user thread's registers: x[0] reads as zero (the interpreter never writes it), pc the
// address of the next instruction to execute. Plain data: the kernel keeps it in the thread.
struct Context {
  uint32_t x[32] = {};
  uint32_t pc = 0;
  // The LR.W reservation: an SC.W succeeds only on this address (and value). The kernel may
  // clear it (reserved = false) when the thread is switched out; SC then fails, as is legal.
  bool reserved = false;
  uint32_t reserved_address = 0;
  uint32_t reserved_value = 0;
};

enum class Access : uint8_t { kRead, kWrite, kExec };

// Why a run returned. The context's pc names the instruction concerned (the ecall itself, the
// faulting instruction, or the next one to run after kQuantum): a handler that resolves a
// fault runs the context again to retry it; a system call handler advances pc by 4.
enum class TrapKind : uint8_t {
  kQuantum,             // the instruction budget is spent; nothing is wrong
  kEcall,               // a system call: a7 the number, a0..a5 the arguments
  kEbreak,              // a breakpoint (ebreak, c.ebreak)
  kPageFault,           // address, access: the address space refused the page
  kIllegalInstruction,  // address: the instruction's bits (as Linux's stval)
  kMisaligned,          // address, access: an atomic on an address not 4-aligned, or a pc not 2-aligned
  kNoMemory,            // address: the code page the code cache had no memory to decode
};

struct Trap {
  TrapKind kind = TrapKind::kQuantum;
  Access access = Access::kRead;  // kPageFault, kMisaligned
  uint32_t pc = 0;                // the instruction that trapped (the next one for kQuantum)
  uint32_t address = 0;           // the faulting address, or the illegal instruction's bits
};

struct RunResult {
  Trap trap;
  uint64_t executed = 0;  // instructions completed in this run (an ecall or ebreak counts, a fault does not)
};

const char* trap_kind_name(TrapKind kind);

}  // namespace mkh::user
