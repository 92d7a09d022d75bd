// The interpreter's loop (interpreter.hpp): threaded code over the pre-decoded pages. Each
// operation is a label; an instruction ends by jumping straight to the next one's label
// (computed goto, a GNU extension that GCC and Clang share), so nothing is decoded again and
// there is no central switch. The pc is not kept while running straight: it is the position
// of the current Insn in its decoded page. Layer: user.
#include "user/interpreter.hpp"

#include <atomic>
#include <bit>
#include <cstring>

namespace mkh::user {

static_assert(std::endian::native == std::endian::little, "RV32 user memory is little-endian, as the host must be");

const char* trap_kind_name(TrapKind kind) {
  switch (kind) {
    case TrapKind::kQuantum: return "quantum";
    case TrapKind::kEcall: return "ecall";
    case TrapKind::kEbreak: return "ebreak";
    case TrapKind::kPageFault: return "page fault";
    case TrapKind::kIllegalInstruction: return "illegal instruction";
    case TrapKind::kMisaligned: return "misaligned";
    case TrapKind::kNoMemory: return "no memory";
  }
  return "?";
}

namespace {

// A load of `size` bytes crossing a page boundary: byte by byte, each through the TLB.
// Returns the address of the byte that faulted, or `address` - 1 ... none: true on success.
bool load_split(Tlb& tlb, uint32_t address, void* out, unsigned size, uint32_t& fault) {
  auto* bytes = static_cast<std::byte*>(out);
  for (unsigned i = 0; i < size; ++i) {
    const std::byte* host = tlb.read(address + i);
    if (host == nullptr) {
      fault = address + i;
      return false;
    }
    bytes[i] = *host;
  }
  return true;
}

// A store crossing a page boundary: both pages translated before any byte is written, so a
// fault on the second leaves memory unchanged and the store can be retried.
bool store_split(Tlb& tlb, uint32_t address, const void* in, unsigned size, uint32_t& fault) {
  const uint32_t second = (address | kPageMask) + 1;
  std::byte* low = tlb.write(address);
  if (low == nullptr) {
    fault = address;
    return false;
  }
  std::byte* high = tlb.write(second);
  if (high == nullptr) {
    fault = second;
    return false;
  }
  const auto* bytes = static_cast<const std::byte*>(in);
  const unsigned first = second - address;
  std::memcpy(low, bytes, first);
  std::memcpy(high, bytes + first, size - first);
  return true;
}

bool inside_page(uint32_t address, unsigned size) { return (address & kPageMask) + size <= kPageSize; }

}  // namespace

#if defined(__clang__)
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wgnu-label-as-value"
#endif
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpedantic"

RunResult run(Context& context, Tlb& tlb, CodeCache& code, uint64_t budget) {
  static const void* const kLabels[] = {
#define MKH_RV32_OP_LABEL(name) &&op_##name,
      MKH_RV32_OPS(MKH_RV32_OP_LABEL)
#undef MKH_RV32_OP_LABEL
  };
  static_assert(sizeof kLabels / sizeof kLabels[0] == size_t(Op::kCount));

  uint32_t x[33];  // x[32]: the sink of writes to x0
  std::memcpy(x, context.x, sizeof context.x);
  x[0] = 0;
  uint64_t left = budget;
  DecodedPage* page = nullptr;
  Insn* insn = nullptr;
  uint32_t target = context.pc;
  RunResult result;

// The pc of the current instruction.
#define PC() (page->base + uint32_t(insn - page->slots) * 2)
#define DISPATCH()                                          \
  do {                                                      \
    if (__builtin_expect(left == 0, 0)) goto out_of_budget; \
    goto* kLabels[static_cast<uint8_t>(insn->op)];          \
  } while (0)
// The current instruction is done: on to the one after it.
#define NEXT()           \
  do {                   \
    --left;              \
    insn += insn->slots; \
    DISPATCH();          \
  } while (0)
// The current instruction is done: on to `to`, on this page without a lookup.
#define JUMP(to)                                        \
  do {                                                  \
    --left;                                             \
    target = (to);                                      \
    if ((target & ~kPageMask) == page->base) {          \
      insn = page->slots + ((target & kPageMask) >> 1); \
      DISPATCH();                                       \
    }                                                   \
    goto change_page;                                   \
  } while (0)
// The current instruction traps without completing.
#define TRAP(trap_kind, trap_access, trap_address)                                      \
  do {                                                                                  \
    result.trap = Trap{TrapKind::trap_kind, Access::trap_access, PC(), (trap_address)}; \
    goto leave;                                                                         \
  } while (0)
#define RD x[insn->rd]
#define RS1 x[insn->rs1]
#define RS2 x[insn->rs2]
#define IMM insn->imm
#define LOAD(type, size)                                                             \
  do {                                                                               \
    const uint32_t address = RS1 + uint32_t(IMM);                                    \
    type value;                                                                      \
    if (__builtin_expect(inside_page(address, size), 1)) {                           \
      const std::byte* host = tlb.read(address);                                     \
      if (host == nullptr) TRAP(kPageFault, kRead, address);                         \
      std::memcpy(&value, host, size);                                               \
    } else if (uint32_t fault = 0; !load_split(tlb, address, &value, size, fault)) { \
      TRAP(kPageFault, kRead, fault);                                                \
    }                                                                                \
    RD = uint32_t(value);                                                            \
    NEXT();                                                                          \
  } while (0)
#define STORE(type, size)                                                             \
  do {                                                                                \
    const uint32_t address = RS1 + uint32_t(IMM);                                     \
    const type value = type(RS2);                                                     \
    if (__builtin_expect(inside_page(address, size), 1)) {                            \
      std::byte* host = tlb.write(address);                                           \
      if (host == nullptr) TRAP(kPageFault, kWrite, address);                         \
      std::memcpy(host, &value, size);                                                \
    } else if (uint32_t fault = 0; !store_split(tlb, address, &value, size, fault)) { \
      TRAP(kPageFault, kWrite, fault);                                                \
    }                                                                                 \
    NEXT();                                                                           \
  } while (0)
#define BRANCH(condition)                      \
  do {                                         \
    if (condition) JUMP(PC() + uint32_t(IMM)); \
    NEXT();                                    \
  } while (0)
// An atomic's word: 4-aligned, mapped for `access`; `word` is a host atomic on it.
#define ATOMIC_WORD(access, lookup)                       \
  const uint32_t address = RS1;                           \
  if (address & 3) TRAP(kMisaligned, access, address);    \
  std::byte* host = tlb.lookup(address);                  \
  if (host == nullptr) TRAP(kPageFault, access, address); \
  std::atomic_ref<uint32_t> word(*reinterpret_cast<uint32_t*>(host))
#define AMO(operation)            \
  do {                            \
    const uint32_t operand = RS2; \
    ATOMIC_WORD(kWrite, write);   \
    RD = operation;               \
    NEXT();                       \
  } while (0)
// min/max as a compare-and-swap loop; `better(a, b)`: a replaces b.
#define AMO_SELECT(type, better)                                                             \
  do {                                                                                       \
    const uint32_t operand = RS2;                                                            \
    ATOMIC_WORD(kWrite, write);                                                              \
    uint32_t old = word.load();                                                              \
    while (better(type(operand), type(old)) && !word.compare_exchange_weak(old, operand)) {} \
    RD = old;                                                                                \
    NEXT();                                                                                  \
  } while (0)
#define LESS(a, b) ((a) < (b))
#define GREATER(a, b) ((a) > (b))

change_page:
  // Continue at `target`, on another page (or the first).
  if (target & 1) {
    result.trap = Trap{TrapKind::kMisaligned, Access::kExec, target, target};
    context.pc = target;
    goto leave_at_pc;
  }
  if (auto found = code.page(target, tlb); found) {
    page = *found;
    insn = page->slots + ((target & kPageMask) >> 1);
    DISPATCH();
  } else {
    const TrapKind kind = found.error() == Errno::kNoMem ? TrapKind::kNoMemory : TrapKind::kPageFault;
    result.trap = Trap{kind, Access::kExec, target, target};
    context.pc = target;
    goto leave_at_pc;
  }

op_Illegal:
  TRAP(kIllegalInstruction, kExec, uint32_t(IMM));
op_CrossPage : {
  // A 32-bit instruction in the page's last halfword: its high half is the next page's first.
  auto next = code.page(page->base + kPageSize, tlb);
  if (!next) {
    if (next.error() == Errno::kNoMem) TRAP(kNoMemory, kExec, page->base + kPageSize);
    TRAP(kPageFault, kExec, page->base + kPageSize);
  }
  *insn = decode32(uint32_t(uint16_t(IMM)) | uint32_t((*next)->first_half) << 16);
  goto* kLabels[static_cast<uint8_t>(insn->op)];
}
op_PageEnd:
  target = PC();
  goto change_page;

op_Lui:
  RD = uint32_t(IMM);
  NEXT();
op_Auipc:
  RD = PC() + uint32_t(IMM);
  NEXT();
op_Jal : {
  const uint32_t pc = PC();
  RD = pc + insn->slots * 2u;
  JUMP(pc + uint32_t(IMM));
}
op_Jalr : {
  const uint32_t pc = PC();
  const uint32_t to = (RS1 + uint32_t(IMM)) & ~uint32_t(1);
  RD = pc + insn->slots * 2u;
  JUMP(to);
}
op_Beq:
  BRANCH(RS1 == RS2);
op_Bne:
  BRANCH(RS1 != RS2);
op_Blt:
  BRANCH(int32_t(RS1) < int32_t(RS2));
op_Bge:
  BRANCH(int32_t(RS1) >= int32_t(RS2));
op_Bltu:
  BRANCH(RS1 < RS2);
op_Bgeu:
  BRANCH(RS1 >= RS2);

op_Lb:
  LOAD(int8_t, 1);
op_Lh:
  LOAD(int16_t, 2);
op_Lw:
  LOAD(uint32_t, 4);
op_Lbu:
  LOAD(uint8_t, 1);
op_Lhu:
  LOAD(uint16_t, 2);
op_Sb:
  STORE(uint8_t, 1);
op_Sh:
  STORE(uint16_t, 2);
op_Sw:
  STORE(uint32_t, 4);

op_Addi:
  RD = RS1 + uint32_t(IMM);
  NEXT();
op_Slti:
  RD = int32_t(RS1) < IMM;
  NEXT();
op_Sltiu:
  RD = RS1 < uint32_t(IMM);
  NEXT();
op_Xori:
  RD = RS1 ^ uint32_t(IMM);
  NEXT();
op_Ori:
  RD = RS1 | uint32_t(IMM);
  NEXT();
op_Andi:
  RD = RS1 & uint32_t(IMM);
  NEXT();
op_Slli:
  RD = RS1 << IMM;
  NEXT();
op_Srli:
  RD = RS1 >> IMM;
  NEXT();
op_Srai:
  RD = uint32_t(int32_t(RS1) >> IMM);
  NEXT();
op_Add:
  RD = RS1 + RS2;
  NEXT();
op_Sub:
  RD = RS1 - RS2;
  NEXT();
op_Sll:
  RD = RS1 << (RS2 & 31);
  NEXT();
op_Slt:
  RD = int32_t(RS1) < int32_t(RS2);
  NEXT();
op_Sltu:
  RD = RS1 < RS2;
  NEXT();
op_Xor:
  RD = RS1 ^ RS2;
  NEXT();
op_Srl:
  RD = RS1 >> (RS2 & 31);
  NEXT();
op_Sra:
  RD = uint32_t(int32_t(RS1) >> (RS2 & 31));
  NEXT();
op_Or:
  RD = RS1 | RS2;
  NEXT();
op_And:
  RD = RS1 & RS2;
  NEXT();
op_Fence:
#if defined(__SANITIZE_THREAD__)
  // ThreadSanitizer does not model fences (GCC refuses them, -Wtsan): a sequentially
  // consistent read-modify-write of a word of its own stands in for one.
  static std::atomic<uint32_t> fence_word{0};
  fence_word.fetch_add(0, std::memory_order_seq_cst);
#else
  std::atomic_thread_fence(std::memory_order_seq_cst);
#endif
  NEXT();
op_Ecall:
  --left;
  TRAP(kEcall, kExec, 0);
op_Ebreak:
  --left;
  TRAP(kEbreak, kExec, 0);

op_Mul:
  RD = RS1 * RS2;
  NEXT();
op_Mulh:
  RD = uint32_t(uint64_t(int64_t(int32_t(RS1)) * int64_t(int32_t(RS2))) >> 32);
  NEXT();
op_Mulhsu:
  RD = uint32_t(uint64_t(int64_t(int32_t(RS1)) * int64_t(RS2)) >> 32);
  NEXT();
op_Mulhu:
  RD = uint32_t((uint64_t(RS1) * uint64_t(RS2)) >> 32);
  NEXT();
op_Div : {
  const int32_t dividend = int32_t(RS1), divisor = int32_t(RS2);
  if (divisor == 0) {
    RD = ~uint32_t(0);
  } else if (divisor == -1) {
    RD = uint32_t(0) - uint32_t(dividend);  // INT32_MIN / -1 is INT32_MIN
  } else {
    RD = uint32_t(dividend / divisor);
  }
  NEXT();
}
op_Divu:
  RD = RS2 == 0 ? ~uint32_t(0) : RS1 / RS2;
  NEXT();
op_Rem : {
  const int32_t dividend = int32_t(RS1), divisor = int32_t(RS2);
  if (divisor == 0) {
    RD = uint32_t(dividend);
  } else if (divisor == -1) {
    RD = 0;  // INT32_MIN % -1 is 0
  } else {
    RD = uint32_t(dividend % divisor);
  }
  NEXT();
}
op_Remu:
  RD = RS2 == 0 ? RS1 : RS1 % RS2;
  NEXT();

op_LrW : {
  ATOMIC_WORD(kRead, read);
  const uint32_t value = word.load();
  context.reserved = true;
  context.reserved_address = address;
  context.reserved_value = value;
  RD = value;
  NEXT();
}
op_ScW : {
  // No reservation on this address: fails without touching memory (as qemu-user).
  if (!context.reserved || context.reserved_address != RS1) {
    context.reserved = false;
    RD = 1;
    NEXT();
  }
  const uint32_t operand = RS2;
  ATOMIC_WORD(kWrite, write);
  uint32_t expected = context.reserved_value;
  context.reserved = false;
  RD = word.compare_exchange_strong(expected, operand) ? 0 : 1;
  NEXT();
}
op_AmoswapW:
  AMO(word.exchange(operand));
op_AmoaddW:
  AMO(word.fetch_add(operand));
op_AmoxorW:
  AMO(word.fetch_xor(operand));
op_AmoandW:
  AMO(word.fetch_and(operand));
op_AmoorW:
  AMO(word.fetch_or(operand));
op_AmominW:
  AMO_SELECT(int32_t, LESS);
op_AmomaxW:
  AMO_SELECT(int32_t, GREATER);
op_AmominuW:
  AMO_SELECT(uint32_t, LESS);
op_AmomaxuW:
  AMO_SELECT(uint32_t, GREATER);

out_of_budget:
  result.trap = Trap{TrapKind::kQuantum, Access::kExec, PC(), 0};
leave:
  context.pc = result.trap.pc;
leave_at_pc:
  std::memcpy(context.x + 1, x + 1, sizeof context.x - sizeof context.x[0]);
  result.executed = budget - left;
  return result;

#undef PC
#undef DISPATCH
#undef NEXT
#undef JUMP
#undef TRAP
#undef RD
#undef RS1
#undef RS2
#undef IMM
#undef LOAD
#undef STORE
#undef BRANCH
#undef ATOMIC_WORD
#undef AMO
#undef AMO_SELECT
#undef LESS
#undef GREATER
}

#pragma GCC diagnostic pop
#if defined(__clang__)
#pragma clang diagnostic pop
#endif

}  // namespace mkh::user
