// The code cache (code_cache.hpp): decoding the blocks of a page, finding and dropping decoded
// pages. Layer: user.
#include "user/code_cache.hpp"

#include <cstring>
#include <new>

namespace mkh::user {

namespace {

constexpr bool ends_block(Op op) {
  const OpKind kind = kOpKinds[unsigned(op)];
  return kind == OpKind::kBranch || kind == OpKind::kJump || kind == OpKind::kIndirect || op == Op::kEcall ||
         op == Op::kEbreak || op == Op::kFenceI || op == Op::kIllegal;
}

template <size_t N>
int index_in(const Op (&ops)[N], Op op) {
  for (unsigned i = 0; i < N; ++i)
    if (ops[i] == op) return int(i);
  return -1;
}

bool decoded(const Slot& slot) { return slot.op != Op::kUndecoded; }

// The instruction at slot `index` of `page` (kCrossPage: a 32-bit one in its last halfword).
Insn instruction_at(const DecodedPage& page, uint32_t index) {
  const uint16_t half = page.halves[index];
  if ((half & 3) != 3) return decode16(half);
  if (index + 1 < DecodedPage::kSlots) return decode32(uint32_t(half) | uint32_t(page.halves[index + 1]) << 16);
  return Insn{Op::kCrossPage, kSinkRegister, 0, 0, int32_t(half), 2};
}

// The index of the target of a branch to its own page at `slot` (kNoTarget for any other).
constexpr uint32_t kNoTarget = ~uint32_t(0);
uint32_t near_target(const Slot* slots, const Slot& slot) {
  const unsigned kind = slot.kind;
  if (kind >= kFusedBase || !is_near_branch(Op(kind / kVariants), kind % kVariants)) return kNoTarget;
  return uint32_t(&slot - slots) + uint32_t(imm_of(slot.operands) / int32_t(sizeof(Slot)));
}

// Fuses the instruction at slot `index` with the next when they make a pair (code_cache.hpp).
void fuse(Slot* slots, uint32_t index) {
  Slot& slot = slots[index];
  const int first = index_in(kFusedFirst, slot.op);
  if (first < 0) return;
  const uint32_t next = index + slot.slots;
  if (next >= DecodedPage::kSlots) return;
  const Slot& following = slots[next];
  const int second = index_in(kFusedSecond, following.op);
  if (second < 0) return;
  if (kOpKinds[unsigned(following.op)] == OpKind::kBranch && following.kind % kVariants >= 2) return;  // far
  slot.kind = fused_handler_of(unsigned(first), unsigned(second), slot.slots, following.slots);
}

}  // namespace

Slot slot_of(const Insn& insn, uint32_t pc) {
  const OpKind kind = kOpKinds[unsigned(insn.op)];
  unsigned variant = insn.slots - 1u;
  if (kind == OpKind::kSpecial) {
    variant = 0;
  } else if (kind == OpKind::kBranch || kind == OpKind::kJump) {
    const uint32_t target = pc + uint32_t(insn.imm);
    if ((target & ~kPageMask) != (pc & ~kPageMask)) variant += 2;
  }
  int32_t imm = insn.imm;
  if (variant < 2 && (kind == OpKind::kBranch || kind == OpKind::kJump)) imm = insn.imm / 2 * int32_t(sizeof(Slot));
  Slot slot;
  slot.kind = handler_of(insn.op, variant);
  slot.operands = operands_of(insn.rs1, insn.rs2, insn.rd, imm);
  slot.slots = insn.slots;
  slot.op = insn.op;
  return slot;
}

DecodedPage::DecodedPage(uint32_t page_base, const std::byte* bytes) : base(page_base) {
  std::memcpy(halves, bytes, sizeof halves);
  for (uint32_t i = kSlots; i < kSlots + 2; ++i)
    slots[i] = slot_of(Insn{Op::kPageEnd, kSinkRegister, 0, 0, 0, 1}, base + i * 2);
}

void decode_block(DecodedPage& page, uint32_t index, const void* const* labels) {
  constexpr uint32_t kSlots = DecodedPage::kSlots;
  Slot* const slots = page.slots;
  uint16_t starts[kSlots];  // the blocks left to decode: targets of the branches decoded
  uint16_t fresh[kSlots];   // the slots this call decodes, block by block, each in order
  uint16_t firsts[kSlots];  // the first slot of each of those blocks
  uint32_t pending = 0;
  uint32_t count = 0;
  uint32_t blocks = 0;
  starts[pending++] = uint16_t(index);
  while (pending > 0) {
    const uint32_t start = starts[--pending];
    if (decoded(slots[start])) continue;
    firsts[blocks++] = uint16_t(start);
    const uint32_t first = count;
    for (uint32_t i = start;;) {
      Slot& slot = slots[i];
      slot = slot_of(instruction_at(page, i), page.base + i * 2);
      fresh[count++] = uint16_t(i);
      if (const uint32_t target = near_target(slots, slot); target != kNoTarget && !decoded(slots[target]))
        starts[pending++] = uint16_t(target);
      if (ends_block(slot.op)) break;
      i += slot.slots;
      if (i >= kSlots || decoded(slots[i])) break;  // a sentinel, or a block decoded before
    }
    // Block lengths, from the end (the slot after the last is a sentinel, of length 0, or
    // decoded before); then the pairs.
    for (uint32_t k = count; k-- > first;) {
      Slot& slot = slots[fresh[k]];
      slot.length = uint16_t(1 + (ends_block(slot.op) ? 0 : slots[fresh[k] + slot.slots].length));
    }
    for (uint32_t k = first; k < count; ++k) fuse(slots, fresh[k]);
  }
  for (uint32_t k = 0; k < count; ++k) {
    Slot& slot = slots[fresh[k]];
    link_branch(page, slot, labels);
    if (labels != nullptr) slot.handler = labels[slot.kind];
  }
  if (labels == nullptr) return;
  // The blocks' first slots, and the targets of the branches and jumps to the page (a loop's
  // head may be the middle of a block decoded before), decoded and with their plain handler
  // (not warm or native already, nor a budget's patch).
  auto warm = [&](Slot& slot) {
    if (decoded(slot) && slot.handler == labels[slot.kind]) slot.handler = labels[kWarmHandler];
  };
  for (uint32_t k = 0; k < blocks; ++k) warm(slots[firsts[k]]);
  for (uint32_t k = 0; k < count; ++k) {
    const Slot& slot = slots[fresh[k]];
    const unsigned kind = slot.kind;
    const bool near = kind < kFusedBase && kind % kVariants < 2 &&
                      (kOpKinds[kind / kVariants] == OpKind::kBranch || kOpKinds[kind / kVariants] == OpKind::kJump);
    if (near) warm(slots[fresh[k] + uint32_t(imm_of(slot.operands) / int32_t(sizeof(Slot)))]);
  }
}

void link_branch(DecodedPage& page, Slot& slot, const void* const* labels) {
  const uint32_t target = near_target(page.slots, slot);
  if (target == kNoTarget) return;
  if (!decoded(page.slots[target])) decode_block(page, target, labels);
  slot.operands =
      operands_of(rs1_of(slot.operands), rs2_of(slot.operands), page.slots[target].length, imm_of(slot.operands));
}

Result<DecodedPage*> CodeCache::page(uint32_t address, Tlb& tlb) {
  const uint32_t number = address >> kPageShift;
  DecodedPage*& recent = m_recent[number % kRecent];
  if (recent != nullptr && recent->base >> kPageShift == number) return recent;
  if (auto found = m_pages.find(number); found != m_pages.end()) {
    recent = found->second.get();
    return recent;
  }
  const std::byte* bytes = tlb.exec(number << kPageShift);
  if (bytes == nullptr) return error(Errno::kFault);
  std::unique_ptr<DecodedPage> fetched(new (std::nothrow) DecodedPage(number << kPageShift, bytes));
  if (!fetched) return error(Errno::kNoMem);
  try {
    recent = m_pages.emplace(number, std::move(fetched)).first->second.get();
  } catch (const std::bad_alloc&) {
    return error(Errno::kNoMem);
  }
  return recent;
}

void CodeCache::drop_page(uint32_t address) {
  const uint32_t number = address >> kPageShift;
  for (uint32_t page : {number, number - 1}) {
    DecodedPage*& recent = m_recent[page % kRecent];
    if (recent != nullptr && recent->base >> kPageShift == page) recent = nullptr;
    m_pages.erase(page);
  }
}

void CodeCache::drop_all() {
  m_pages.clear();
  m_recent.fill(nullptr);
  m_translator.clear();
}

}  // namespace mkh::user
