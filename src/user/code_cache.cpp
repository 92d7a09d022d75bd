// The code cache (code_cache.hpp): decoding a page, finding and dropping decoded pages.
// Layer: user.
#include "user/code_cache.hpp"

#include <cstring>
#include <new>

namespace mkh::user {

namespace {

constexpr bool ends_block(OpKind kind, Op op) {
  return kind == OpKind::kBranch || kind == OpKind::kJump || kind == OpKind::kIndirect || op == Op::kEcall ||
         op == Op::kEbreak || op == Op::kFenceI || op == Op::kIllegal;
}

template <size_t N>
int index_in(const Op (&ops)[N], Op op) {
  for (unsigned i = 0; i < N; ++i)
    if (ops[i] == op) return int(i);
  return -1;
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
  return slot;
}

void decode_page(DecodedPage& page, uint32_t base, const std::byte* bytes) {
  constexpr uint32_t kSlots = DecodedPage::kSlots;
  uint16_t halves[kSlots];
  std::memcpy(halves, bytes, sizeof halves);
  page.base = base;
  page.first_half = halves[0];
  page.threaded = false;
  Op ops[kSlots + 2];
  for (uint32_t i = 0; i < kSlots; ++i) {
    Insn insn;
    if ((halves[i] & 3) != 3) {
      insn = decode16(halves[i]);
    } else if (i + 1 < kSlots) {
      insn = decode32(uint32_t(halves[i]) | uint32_t(halves[i + 1]) << 16);
    } else {
      insn = Insn{Op::kCrossPage, kSinkRegister, 0, 0, int32_t(halves[i]), 2};
    }
    ops[i] = insn.op;
    page.slots[i] = slot_of(insn, base + i * 2);
  }
  for (uint32_t i = kSlots; i < kSlots + 2; ++i) {
    ops[i] = Op::kPageEnd;
    page.slots[i] = slot_of(Insn{Op::kPageEnd, kSinkRegister, 0, 0, 0, 1}, base + i * 2);
  }
  // Block lengths, from the end; then the pairs.
  for (uint32_t i = kSlots; i-- > 0;) {
    Slot& slot = page.slots[i];
    const Op op = ops[i];
    slot.length = uint16_t(1 + (ends_block(kOpKinds[unsigned(op)], op) ? 0 : page.slots[i + slot.slots].length));
  }
  for (uint32_t i = 0; i < kSlots; ++i) link_branch(page.slots[i]);
  for (uint32_t i = 0; i < kSlots; ++i) {
    Slot& slot = page.slots[i];
    const int first = index_in(kFusedFirst, ops[i]);
    if (first < 0) continue;
    const uint32_t next = i + slot.slots;
    if (next >= kSlots) continue;
    const int second = index_in(kFusedSecond, ops[next]);
    if (second < 0) continue;
    const Slot& following = page.slots[next];
    if (kOpKinds[unsigned(ops[next])] == OpKind::kBranch && following.kind % kVariants >= 2) continue;  // far
    slot.kind = fused_handler_of(unsigned(first), unsigned(second), slot.slots, following.slots);
  }
}

void link_branch(Slot& slot) {
  const unsigned kind = slot.kind;
  if (kind >= kFusedBase || !is_near_branch(Op(kind / kVariants), kind % kVariants)) return;
  const Slot& target = *reinterpret_cast<const Slot*>(reinterpret_cast<const char*>(&slot) + imm_of(slot.operands));
  slot.operands = operands_of(rs1_of(slot.operands), rs2_of(slot.operands), target.length, imm_of(slot.operands));
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
  std::unique_ptr<DecodedPage> decoded(new (std::nothrow) DecodedPage);
  if (!decoded) return error(Errno::kNoMem);
  decode_page(*decoded, number << kPageShift, bytes);
  try {
    recent = m_pages.emplace(number, std::move(decoded)).first->second.get();
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
}

}  // namespace mkh::user
