// The interpreter's loop (interpreter.hpp): threaded code over the pre-decoded pages. Each
// handler is a label (per operation and length, per fused pair, code_cache.hpp); an
// instruction ends by jumping straight to the next slot's handler (computed goto, a GNU
// extension that GCC and Clang share), so nothing is decoded again and there is no central
// switch. The pc is not kept while running straight: it is the position of the current Slot
// in its decoded page. The budget is taken once per block, on entering it. Layer: user.
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

// A load that missed the TLB or crosses a page (`fault`: where, on false).
[[gnu::noinline]] bool load_slow(Tlb& tlb, uint32_t address, void* out, unsigned size, uint32_t& fault) {
  if (!inside_page(address, size)) return load_split(tlb, address, out, size, fault);
  const std::byte* host = tlb.read_miss(address);
  if (host == nullptr) {
    fault = address;
    return false;
  }
  std::memcpy(out, host, size);
  return true;
}

// The same for a store of the low `size` bytes of `value`.
[[gnu::noinline]] bool store_slow(Tlb& tlb, uint32_t address, uint32_t value, unsigned size, uint32_t& fault) {
  if (!inside_page(address, size)) return store_split(tlb, address, &value, size, fault);
  std::byte* host = tlb.write_miss(address);
  if (host == nullptr) {
    fault = address;
    return false;
  }
  std::memcpy(host, &value, size);
  return true;
}

}  // namespace

#if defined(__clang__)
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wgnu-label-as-value"
#endif
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpedantic"

RunResult run(Context& context, Tlb& tlb, CodeCache& code, uint64_t budget) {
  // Every handler's address, by handler index (code_cache.hpp).
#define MKH_LABELS_Straight(name) &&op_##name##_1, &&op_##name##_2, &&op_##name##_1, &&op_##name##_2,
#define MKH_LABELS_Indirect(name) MKH_LABELS_Straight(name)
#define MKH_LABELS_Branch(name) &&op_##name##_1, &&op_##name##_2, &&op_##name##_far1, &&op_##name##_far2,
#define MKH_LABELS_Jump(name) MKH_LABELS_Branch(name)
#define MKH_LABELS_Special(name) &&op_##name, &&op_##name, &&op_##name, &&op_##name,
#define MKH_LABELS(name, kind) MKH_LABELS_##kind(name)
#define MKH_FUSED_LABELS_OF(second, first)                                                  \
  &&op_##first##_##second##_11, &&op_##first##_##second##_12, &&op_##first##_##second##_21, \
      &&op_##first##_##second##_22,
#define MKH_FUSED_LABELS(first) MKH_RV32_FUSED_SECOND_OF(MKH_FUSED_LABELS_OF, first)
  static const void* const kLabels[] = {MKH_RV32_OPS(MKH_LABELS) MKH_RV32_FUSED_FIRST(MKH_FUSED_LABELS) && op_Stop,
                                        &&op_Warm, &&op_Native};
#undef MKH_LABELS_Straight
#undef MKH_LABELS_Indirect
#undef MKH_LABELS_Branch
#undef MKH_LABELS_Jump
#undef MKH_LABELS_Special
#undef MKH_LABELS
#undef MKH_FUSED_LABELS_OF
#undef MKH_FUSED_LABELS
  static_assert(sizeof kLabels / sizeof kLabels[0] == kHandlers);

  uint32_t x[33];  // x[32]: the sink of writes to x0
  std::memcpy(x, context.x, sizeof context.x);
  x[0] = 0;
  // The budget is taken a block at a time, on entering it (its first slot's length); a trap
  // gives back the instructions of the block it did not complete. A block longer than what is
  // left runs up to a kStopHandler patched over the slot where the budget ends (and a pair
  // that would run past it unfused), restored before returning.
  const int64_t limit = budget > uint64_t(INT64_MAX) ? INT64_MAX : int64_t(budget);
  int64_t left = limit;
  DecodedPage* page = nullptr;
  Slot* insn = nullptr;
  uint32_t target = context.pc;
  RunResult result;
  struct Patch {
    Slot* slot;
    const void* handler;
  };
  Patch patches[2];
  unsigned patched = 0;
  uint64_t operands = 0;  // the current instruction's (OPERANDS)

// The pc of the current instruction.
#define PC() (page->base + uint32_t(insn - page->slots) * 2)
#define DISPATCH() goto * insn->handler
// The start of a block of `length` instructions: take them from the budget.
#define ENTER_LENGTH(length)                                 \
  do {                                                       \
    left -= (length);                                        \
    if (__builtin_expect(left < 0, 0)) goto short_of_budget; \
    DISPATCH();                                              \
  } while (0)
#define ENTER() ENTER_LENGTH(insn->length)
// A handler's operands, in one load (code_cache.hpp), split by shifts (GCC keeps it one load).
// One variable for every handler: unoptimised builds give each declaration its own stack
// slot, and the loop's frame would grow with them.
#define OPERANDS() operands = insn->operands
// The current instruction is done: on to `to`, on this page without a lookup.
#define JUMP(to)                                        \
  do {                                                  \
    target = (to);                                      \
    if ((target & ~kPageMask) == page->base) {          \
      insn = page->slots + ((target & kPageMask) >> 1); \
      ENTER();                                          \
    }                                                   \
    goto change_page;                                   \
  } while (0)
// Puts back the handlers the budget's stop replaced.
#define RESTORE_PATCHES()                                        \
  do {                                                           \
    while (patched > 0) {                                        \
      --patched;                                                 \
      patches[patched].slot->handler = patches[patched].handler; \
    }                                                            \
  } while (0)
// The current instruction traps without completing: its block gives back what is left of it.
#define TRAP(trap_kind, trap_access, trap_address)                                      \
  do {                                                                                  \
    result.trap = Trap{TrapKind::trap_kind, Access::trap_access, PC(), (trap_address)}; \
    left += insn->length;                                                               \
    goto leave;                                                                         \
  } while (0)
// The fields of `operands` (code_cache.hpp's rs1_of ...), spelled out: an unoptimised build
// spills what is live across a call, and the loop's frame would grow with every use.
#define RS1 x[uint32_t(operands) & 0xff]
#define RS2 x[uint32_t(operands) >> 8 & 0xff]
#define RD_INDEX (uint32_t(operands) >> 16)  // a branch to this page: its target's block length
#define RD x[RD_INDEX]
#define IMM int32_t(uint32_t(operands >> 32))
// A hit is one compare (Tlb::read_hit); a miss and an access that crosses a page go out of
// line (load_slow, store_slow). Nothing the hit computed lives across that call (the slow
// path reads the instruction's destination again): GCC would otherwise keep it in the frame
// for the hit too.
#define LOAD(type, size)                                                                             \
  do {                                                                                               \
    const uint32_t address = RS1 + uint32_t(IMM);                                                    \
    if (const std::byte* host = tlb.read_hit(address, size); __builtin_expect(host != nullptr, 1)) { \
      type value;                                                                                    \
      std::memcpy(&value, host, size);                                                               \
      RD = uint32_t(value);                                                                          \
    } else {                                                                                         \
      type value;                                                                                    \
      uint32_t fault = 0;                                                                            \
      if (!load_slow(tlb, address, &value, size, fault)) TRAP(kPageFault, kRead, fault);             \
      x[rd_of(insn->operands)] = uint32_t(value);                                                    \
    }                                                                                                \
  } while (0)
#define STORE(type, size)                                                                       \
  do {                                                                                          \
    const uint32_t address = RS1 + uint32_t(IMM);                                               \
    const type value = type(RS2);                                                               \
    if (std::byte* host = tlb.write_hit(address, size); __builtin_expect(host != nullptr, 1)) { \
      std::memcpy(host, &value, size);                                                          \
    } else if (uint32_t fault = 0; !store_slow(tlb, address, value, size, fault)) {             \
      TRAP(kPageFault, kWrite, fault);                                                          \
    }                                                                                           \
  } while (0)
// A Straight operation: its two handlers, for each length.
#define STRAIGHT(name, ...) \
  op_##name##_1 : {         \
    OPERANDS();             \
    __VA_ARGS__;            \
  }                         \
  insn += 1;                \
  DISPATCH();               \
  op_##name##_2 : {         \
    OPERANDS();             \
    __VA_ARGS__;            \
  }                         \
  insn += 2;                \
  DISPATCH();
// A branch or jal to this page: its target is IMM bytes of slots away.
#define TO_TARGET() insn = reinterpret_cast<Slot*>(reinterpret_cast<char*>(insn) + IMM)
// A branch to this page; its operands hold its target's block length.
#define NEAR_BRANCH(condition, length) \
  do {                                 \
    OPERANDS();                        \
    if (condition) {                   \
      TO_TARGET();                     \
      ENTER_LENGTH(RD_INDEX);          \
    }                                  \
    insn += (length);                  \
    ENTER();                           \
  } while (0)
#define FAR_BRANCH(condition, length) \
  do {                                \
    OPERANDS();                       \
    if (condition) {                  \
      target = PC() + uint32_t(IMM);  \
      goto change_page;               \
    }                                 \
    insn += (length);                 \
    ENTER();                          \
  } while (0)
#define BRANCH(name, condition)                \
  op_##name##_1 : NEAR_BRANCH(condition, 1);   \
  op_##name##_2 : NEAR_BRANCH(condition, 2);   \
  op_##name##_far1 : FAR_BRANCH(condition, 1); \
  op_##name##_far2 : FAR_BRANCH(condition, 2);
#define CONDITION_Beq (RS1 == RS2)
#define CONDITION_Bne (RS1 != RS2)
#define CONDITION_Blt (int32_t(RS1) < int32_t(RS2))
#define CONDITION_Bge (int32_t(RS1) >= int32_t(RS2))
#define CONDITION_Bltu (RS1 < RS2)
#define CONDITION_Bgeu (RS1 >= RS2)
#define BODY_Addi RD = RS1 + uint32_t(IMM)
#define BODY_Add RD = RS1 + RS2
#define BODY_Andi RD = RS1 & uint32_t(IMM)
#define BODY_Lbu LOAD(uint8_t, 1)
#define BODY_Xor RD = RS1 ^ RS2
#define BODY_Sub RD = RS1 - RS2
#define BODY_Slli RD = RS1 << IMM
#define BODY_Srli RD = RS1 >> IMM
#define BODY_And RD = RS1 & RS2
#define BODY_Or RD = RS1 | RS2
#define BODY_Lui RD = uint32_t(IMM)
#define BODY_Lw LOAD(uint32_t, 4)
#define BODY_Sb STORE(uint8_t, 1)
#define BODY_Sw STORE(uint32_t, 4)
// A fused pair's second: a branch to this page, or a Straight operation.
#define SECOND_Beq(length) NEAR_BRANCH(CONDITION_Beq, length)
#define SECOND_Bne(length) NEAR_BRANCH(CONDITION_Bne, length)
#define SECOND_Blt(length) NEAR_BRANCH(CONDITION_Blt, length)
#define SECOND_Bge(length) NEAR_BRANCH(CONDITION_Bge, length)
#define SECOND_Bltu(length) NEAR_BRANCH(CONDITION_Bltu, length)
#define SECOND_Bgeu(length) NEAR_BRANCH(CONDITION_Bgeu, length)
#define SECOND_STRAIGHT(body, length) \
  do {                                \
    {                                 \
      OPERANDS();                     \
      body;                           \
    }                                 \
    insn += (length);                 \
    DISPATCH();                       \
  } while (0)
#define SECOND_Addi(length) SECOND_STRAIGHT(BODY_Addi, length)
#define SECOND_Add(length) SECOND_STRAIGHT(BODY_Add, length)
#define SECOND_Lw(length) SECOND_STRAIGHT(BODY_Lw, length)
#define SECOND_Sw(length) SECOND_STRAIGHT(BODY_Sw, length)
// A fused pair: `first` (a Straight operation, of `first_length` halfwords) then `second`;
// `insn` moves to the second before it runs, so a trap or the pc name the right one.
#define FUSED_OF(first, second, first_length, second_length) \
  op_##first##_##second##_##first_length##second_length : {  \
    OPERANDS();                                              \
    BODY_##first;                                            \
  }                                                          \
  insn += first_length;                                      \
  SECOND_##second(second_length);
#define FUSED_LENGTHS(second, first) \
  FUSED_OF(first, second, 1, 1)      \
  FUSED_OF(first, second, 1, 2)      \
  FUSED_OF(first, second, 2, 1)      \
  FUSED_OF(first, second, 2, 2)
#define FUSED(first) MKH_RV32_FUSED_SECOND_OF(FUSED_LENGTHS, first)
// An atomic's word: 4-aligned, mapped for `access`; `word` is a host atomic on it.
#define ATOMIC_WORD(access, lookup)                       \
  const uint32_t address = RS1;                           \
  if (address & 3) TRAP(kMisaligned, access, address);    \
  std::byte* host = tlb.lookup(address);                  \
  if (host == nullptr) TRAP(kPageFault, access, address); \
  std::atomic_ref<uint32_t> word(*reinterpret_cast<uint32_t*>(host))
#define AMO(operation)          \
  const uint32_t operand = RS2; \
  ATOMIC_WORD(kWrite, write);   \
  RD = operation
// min/max as a compare-and-swap loop; `better(a, b)`: a replaces b.
#define AMO_SELECT(type, better)                                                           \
  const uint32_t operand = RS2;                                                            \
  ATOMIC_WORD(kWrite, write);                                                              \
  uint32_t old = word.load();                                                              \
  while (better(type(operand), type(old)) && !word.compare_exchange_weak(old, operand)) {} \
  RD = old
#define LESS(a, b) ((a) < (b))
#define GREATER(a, b) ((a) > (b))

change_page:
  // Continue at `target`, on another page (or the first): a new block.
  if (target & 1) {
    result.trap = Trap{TrapKind::kMisaligned, Access::kExec, target, target};
    context.pc = target;
    goto leave_at_pc;
  }
  if (auto found = code.page(target, tlb); found) {
    page = *found;
    if (!page->threaded) {
      for (Slot& slot : page->slots) slot.handler = kLabels[slot.kind];
      page->threaded = true;
    }
    insn = page->slots + ((target & kPageMask) >> 1);
    ENTER();
  } else {
    const TrapKind kind = found.error() == Errno::kNoMem ? TrapKind::kNoMemory : TrapKind::kPageFault;
    result.trap = Trap{kind, Access::kExec, target, target};
    context.pc = target;
    goto leave_at_pc;
  }

short_of_budget : {
  // The block at `insn` is longer than the budget left: `allowed` of its instructions run.
  const int64_t allowed = left + insn->length;
  if (allowed == 0) TRAP(kQuantum, kExec, 0);
  Slot* stop = insn;
  Slot* before = nullptr;
  for (int64_t i = 0; i < allowed; ++i) {
    before = stop;
    stop += stop->slots;
  }
  patches[patched++] = Patch{stop, stop->handler};
  stop->handler = kLabels[kStopHandler];
  if (is_fused(before->kind)) {
    patches[patched++] = Patch{before, before->handler};
    before->handler = kLabels[unfused(before->kind)];
  }
  DISPATCH();
}
op_Stop:
  TRAP(kQuantum, kExec, 0);

op_Illegal : {
  OPERANDS();
  TRAP(kIllegalInstruction, kExec, uint32_t(IMM));
}
op_CrossPage : {
  // A 32-bit instruction in the page's last halfword: its high half is the next page's first.
  auto next = code.page(page->base + kPageSize, tlb);
  if (!next) {
    if (next.error() == Errno::kNoMem) TRAP(kNoMemory, kExec, page->base + kPageSize);
    TRAP(kPageFault, kExec, page->base + kPageSize);
  }
  const uint16_t length = insn->length;
  *insn = slot_of(decode32(uint32_t(uint16_t(imm_of(insn->operands))) | uint32_t((*next)->halves[0]) << 16), PC());
  insn->length = length;
  link_branch(*page, *insn, kLabels);
  insn->handler = kLabels[insn->kind];
  DISPATCH();
}
op_PageEnd:
  target = PC();
  goto change_page;
op_Warm:
  // A block's first slot, until the block is translated (translate.hpp); with translation
  // off, the slot takes its plain handler at its first entry.
  if (code.warm_entries() == 0) {
    insn->handler = kLabels[insn->kind];
    goto * insn->handler;
  }
  if (++insn->native < code.warm_entries()) goto* kLabels[insn->kind];
  insn->native = code.translator().translate(*page, uint32_t(insn - page->slots), kLabels[kNativeHandler]);
  if (insn->native == 0) {
    insn->handler = kLabels[insn->kind];
    goto * insn->handler;
  }
  insn->handler = kLabels[kNativeHandler];
op_Native : {
  // A translated block (entered, or reached running straight, its rest charged either way):
  // its native code, unless the budget's stop lies ahead (patched). It leaves at the pc where
  // the run goes on, or at a slot of its page that the interpreter runs on from.
  if (patched != 0) goto* kLabels[insn->kind];
  left += insn->length;  // taken again by the native code, with the lengths of the blocks it goes on to
  const uint64_t exit = code.translator().run(insn->native, x, tlb, &left);
  if (exit & Translator::kSideExit) {
    insn = page->slots + uint32_t(exit);
    goto* kLabels[insn->kind];
  }
  JUMP(uint32_t(exit));
}
op_Undecoded:
  // A block's first entry: decoded (code_cache.hpp), then entered. The way here charged
  // nothing: an undecoded slot's length is 0.
  decode_block(*page, uint32_t(insn - page->slots), kLabels);
  ENTER();

  STRAIGHT(Lui, RD = uint32_t(IMM))
  STRAIGHT(Auipc, RD = PC() + uint32_t(IMM))
op_Jal_1 : {
  OPERANDS();
  RD = PC() + 2u;
  TO_TARGET();
  ENTER();
}
op_Jal_2 : {
  OPERANDS();
  RD = PC() + 4u;
  TO_TARGET();
  ENTER();
}
op_Jal_far1 : {
  OPERANDS();
  const uint32_t pc = PC();
  RD = pc + 2u;
  target = pc + uint32_t(IMM);
  goto change_page;
}
op_Jal_far2 : {
  OPERANDS();
  const uint32_t pc = PC();
  RD = pc + 4u;
  target = pc + uint32_t(IMM);
  goto change_page;
}
op_Jalr_1 : {
  OPERANDS();
  const uint32_t pc = PC();
  const uint32_t to = (RS1 + uint32_t(IMM)) & ~uint32_t(1);
  RD = pc + 2u;
  JUMP(to);
}
op_Jalr_2 : {
  OPERANDS();
  const uint32_t pc = PC();
  const uint32_t to = (RS1 + uint32_t(IMM)) & ~uint32_t(1);
  RD = pc + 4u;
  JUMP(to);
}
  BRANCH(Beq, CONDITION_Beq)
  BRANCH(Bne, CONDITION_Bne)
  BRANCH(Blt, CONDITION_Blt)
  BRANCH(Bge, CONDITION_Bge)
  BRANCH(Bltu, CONDITION_Bltu)
  BRANCH(Bgeu, CONDITION_Bgeu)

  STRAIGHT(Lb, LOAD(int8_t, 1))
  STRAIGHT(Lh, LOAD(int16_t, 2))
  STRAIGHT(Lw, LOAD(uint32_t, 4))
  STRAIGHT(Lbu, LOAD(uint8_t, 1))
  STRAIGHT(Lhu, LOAD(uint16_t, 2))
  STRAIGHT(Sb, STORE(uint8_t, 1))
  STRAIGHT(Sh, STORE(uint16_t, 2))
  STRAIGHT(Sw, STORE(uint32_t, 4))

  STRAIGHT(Addi, BODY_Addi)
  STRAIGHT(Slti, RD = int32_t(RS1) < IMM)
  STRAIGHT(Sltiu, RD = RS1 < uint32_t(IMM))
  STRAIGHT(Xori, RD = RS1 ^ uint32_t(IMM))
  STRAIGHT(Ori, RD = RS1 | uint32_t(IMM))
  STRAIGHT(Andi, BODY_Andi)
  STRAIGHT(Slli, RD = RS1 << IMM)
  STRAIGHT(Srli, RD = RS1 >> IMM)
  STRAIGHT(Srai, RD = uint32_t(int32_t(RS1) >> IMM))
  STRAIGHT(Add, BODY_Add)
  STRAIGHT(Sub, RD = RS1 - RS2)
  STRAIGHT(Sll, RD = RS1 << (RS2 & 31))
  STRAIGHT(Slt, RD = int32_t(RS1) < int32_t(RS2))
  STRAIGHT(Sltu, RD = RS1 < RS2)
  STRAIGHT(Xor, RD = RS1 ^ RS2)
  STRAIGHT(Srl, RD = RS1 >> (RS2 & 31))
  STRAIGHT(Sra, RD = uint32_t(int32_t(RS1) >> (RS2 & 31)))
  STRAIGHT(Or, RD = RS1 | RS2)
  STRAIGHT(And, RD = RS1 & RS2)
#if defined(__SANITIZE_THREAD__)
  // ThreadSanitizer does not model fences (GCC refuses them, -Wtsan): a sequentially
  // consistent read-modify-write of a word of its own stands in for one.
  STRAIGHT(Fence, static std::atomic<uint32_t> fence_word{0}; fence_word.fetch_add(0, std::memory_order_seq_cst))
#else
  STRAIGHT(Fence, std::atomic_thread_fence(std::memory_order_seq_cst))
#endif
op_FenceI : {
  // The instruction stream sees every store before it (Zifencei): the decoded pages, maybe
  // of bytes the program has written since, are dropped; the run goes on at the next
  // instruction, decoded again. fence.i ends its block, so no budget patch can lie after it
  // (restored anyway: nothing may write into a dropped page).
  target = PC() + 4u;
  left += insn->length - 1;  // fence.i is done (its block was charged through it)
  RESTORE_PATCHES();
  code.drop_all();
  goto change_page;
}
op_Ecall:
  result.trap = Trap{TrapKind::kEcall, Access::kExec, PC(), 0};
  left += insn->length - 1;  // the ecall itself is done
  goto leave;
op_Ebreak:
  result.trap = Trap{TrapKind::kEbreak, Access::kExec, PC(), 0};
  left += insn->length - 1;
  goto leave;

  STRAIGHT(Mul, RD = RS1 * RS2)
  STRAIGHT(Mulh, RD = uint32_t(uint64_t(int64_t(int32_t(RS1)) * int64_t(int32_t(RS2))) >> 32))
  STRAIGHT(Mulhsu, RD = uint32_t(uint64_t(int64_t(int32_t(RS1)) * int64_t(RS2)) >> 32))
  STRAIGHT(Mulhu, RD = uint32_t((uint64_t(RS1) * uint64_t(RS2)) >> 32))
  STRAIGHT(Div, const int32_t dividend = int32_t(RS1); const int32_t divisor = int32_t(RS2);
           if (divisor == 0) RD = ~uint32_t(0);
           else if (divisor == -1) RD = uint32_t(0) - uint32_t(dividend);  // INT32_MIN / -1 is INT32_MIN
           else RD = uint32_t(dividend / divisor))
  STRAIGHT(Divu, RD = RS2 == 0 ? ~uint32_t(0) : RS1 / RS2)
  STRAIGHT(Rem, const int32_t dividend = int32_t(RS1); const int32_t divisor = int32_t(RS2);
           if (divisor == 0) RD = uint32_t(dividend); else if (divisor == -1) RD = 0;  // INT32_MIN % -1 is 0
           else RD = uint32_t(dividend % divisor))
  STRAIGHT(Remu, RD = RS2 == 0 ? RS1 : RS1 % RS2)

  STRAIGHT(LrW, ATOMIC_WORD(kRead, read); const uint32_t value = word.load(); context.reserved = true;
           context.reserved_address = address; context.reserved_value = value; RD = value)
  // No reservation on this address: fails without touching memory (as qemu-user).
  STRAIGHT(
      ScW,
      if (!context.reserved || context.reserved_address != RS1) {
        context.reserved = false;
        RD = 1;
      } else {
        const uint32_t operand = RS2;
        ATOMIC_WORD(kWrite, write);
        uint32_t expected = context.reserved_value;
        context.reserved = false;
        RD = word.compare_exchange_strong(expected, operand) ? 0 : 1;
      })
  STRAIGHT(AmoswapW, AMO(word.exchange(operand)))
  STRAIGHT(AmoaddW, AMO(word.fetch_add(operand)))
  STRAIGHT(AmoxorW, AMO(word.fetch_xor(operand)))
  STRAIGHT(AmoandW, AMO(word.fetch_and(operand)))
  STRAIGHT(AmoorW, AMO(word.fetch_or(operand)))
  STRAIGHT(AmominW, AMO_SELECT(int32_t, LESS))
  STRAIGHT(AmomaxW, AMO_SELECT(int32_t, GREATER))
  STRAIGHT(AmominuW, AMO_SELECT(uint32_t, LESS))
  STRAIGHT(AmomaxuW, AMO_SELECT(uint32_t, GREATER))

  MKH_RV32_FUSED_FIRST(FUSED)

leave:
  context.pc = result.trap.pc;
leave_at_pc:
  RESTORE_PATCHES();
  std::memcpy(context.x + 1, x + 1, sizeof context.x - sizeof context.x[0]);
  result.executed = uint64_t(limit - left);
  return result;

#undef PC
#undef DISPATCH
#undef ENTER
#undef ENTER_LENGTH
#undef OPERANDS
#undef FAR_BRANCH
#undef JUMP
#undef TRAP
#undef RESTORE_PATCHES
#undef RD
#undef RD_INDEX
#undef RS1
#undef RS2
#undef IMM
#undef LOAD
#undef STORE
#undef STRAIGHT
#undef NEAR_BRANCH
#undef TO_TARGET
#undef BRANCH
#undef CONDITION_Beq
#undef CONDITION_Bne
#undef CONDITION_Blt
#undef CONDITION_Bge
#undef CONDITION_Bltu
#undef CONDITION_Bgeu
#undef BODY_Addi
#undef BODY_Add
#undef BODY_Andi
#undef BODY_Lbu
#undef BODY_Xor
#undef BODY_Sub
#undef BODY_Slli
#undef BODY_Srli
#undef BODY_And
#undef BODY_Or
#undef BODY_Lui
#undef BODY_Lw
#undef BODY_Sb
#undef BODY_Sw
#undef SECOND_Beq
#undef SECOND_Bne
#undef SECOND_Blt
#undef SECOND_Bge
#undef SECOND_Bltu
#undef SECOND_Bgeu
#undef SECOND_STRAIGHT
#undef SECOND_Addi
#undef SECOND_Add
#undef SECOND_Lw
#undef SECOND_Sw
#undef FUSED_OF
#undef FUSED_LENGTHS
#undef FUSED
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
