// The RV32IMAC interpreter: runs a user thread's context over an address space until a trap
// or the end of its instruction budget, and returns the trap as a value; it never aborts.
// Layer: user. Calls the code cache (pre-decoded pages) and the Tlb (data accesses); nothing
// of the kernel: the kernel implements AddressSpace and handles the traps.
//
// Loads and stores of any alignment are performed (a misaligned one is split in bytes when it
// crosses a page, both pages translated before a byte is stored): Linux emulates them for a
// RISC-V user program, and qemu-user performs them. LR/SC and the AMOs are host atomics on
// the host address and need a 4-aligned address (kMisaligned otherwise). An SC succeeds when
// its address is the reservation's and the word still holds the value the LR read (a
// compare-and-swap, as qemu-user does; an SC after a trap fails only when the context's
// reservation was cleared).
#pragma once

#include <cstdint>

#include "user/code_cache.hpp"
#include "user/rv32.hpp"
#include "user/tlb.hpp"

namespace mkh::user {

// Runs `context` for at most `budget` instructions: data accesses through `tlb`, code through
// `code` (which fetches through tlb.exec). On return the context holds the registers and the
// pc as the trap says (rv32.hpp).
RunResult run(Context& context, Tlb& tlb, CodeCache& code, uint64_t budget);

}  // namespace mkh::user
