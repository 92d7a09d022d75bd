// The translator (translate.hpp): x86-64 code for a decoded block, written with Xbyak.
// Layer: user.
//
// The native code's registers: rbx the register file (x[r] at rbx + 4r), r12 and r13 the
// Tlb's read and write entries, r14 the budget left (r15 where it is kept); eax, ecx and edx
// the scratch. It is entered through the buffer's first routine (enter: the System V
// arguments x, read entries, write entries, code, budget) and leaves through its second
// (leave), the exit value in rax.
//
// A block's code starts by taking its length from the budget, and leaves (before running
// anything) when that would overdraw it: the interpreter then runs the part of the block the
// budget allows. An exit to a block of the same page jumps to that block's code once it is
// translated (the jump is patched when it is, as QEMU links its blocks), so a hot loop of
// several blocks runs without leaving; any other exit leaves with its pc.
#include "user/translate.hpp"

#include "user/code_cache.hpp"

#if defined(__x86_64__)
#include <xbyak/xbyak.h>

#include <cstddef>
#include <cstring>
#include <unordered_map>
#include <vector>
#endif

namespace mkh::user {

#if defined(__x86_64__)

namespace {

constexpr size_t kBufferBytes = size_t(512) << 10;
constexpr size_t kAlign = 16;  // a block's code starts on a multiple: its handle is its offset / 16
static_assert(kBufferBytes / kAlign <= 0x10000);
static_assert(sizeof(Slot) == 24 && kAlign == 16);  // go_to_computed's arithmetic
// Bytes of code one instruction takes at most, its side exit included (a division: about 60).
constexpr size_t kMostBytesPerInstruction = 96;

}  // namespace

class Translator::Writer : public Xbyak::CodeGenerator {
 public:
  Writer() : Xbyak::CodeGenerator(kBufferBytes) {
    setDefaultJmpNEAR(true);
    push(rbx);
    push(r12);
    push(r13);
    push(r14);
    push(r15);
    mov(rbx, rdi);
    mov(r12, rsi);
    mov(r13, rdx);
    mov(r15, r8);
    mov(r14, qword[r15]);
    jmp(rcx);
    L(m_leave);
    mov(qword[r15], r14);
    pop(r15);
    pop(r14);
    pop(r13);
    pop(r12);
    pop(rbx);
    ret();
    m_first_block = getSize();
  }

  void clear() {
    setSize(m_first_block);
    m_unlinked.clear();
  }

  // The handle of the block of `page` at slot `index`, or 0 (translate.hpp). `native`: the
  // interpreter's handler of a translated block.
  uint16_t block(const DecodedPage& page, uint32_t index, const void* native) {
    const Slot& first = page.slots[index];
    if (!translated(first.op)) return 0;
    if (getSize() + kAlign + kMostBytesPerInstruction * (first.length + 2u) > kBufferBytes) return 0;
    align(kAlign);
    const size_t start = getSize();
    m_misses.clear();
    m_misses.reserve(first.length + 1u);
    m_exits.clear();
    m_exits.reserve(2 * first.length + 1u);
    m_page = &page;
    m_first = &first;
    m_start = start;
    m_native = native;
    Xbyak::Label overdrawn;
    sub(r14, first.length);
    js(overdrawn);
    uint32_t i = index;
    for (;;) {
      const Slot& slot = page.slots[i];
      if (!translated(slot.op)) {
        side_exit(i);
        break;
      }
      instruction(i, slot);
      if (ends_run(slot.op)) break;
      i += slot.slots;
    }
    L(overdrawn);
    add(r14, first.length);
    leave_to(page.base + index * 2);
    for (Miss& miss : m_misses) {
      L(miss.label);
      side_exit(miss.index);
    }
    for (Exit& exit : m_exits) {
      L(exit.label);
      leave_to(exit.pc);
    }
    // The jumps of the blocks written before that wait for this one.
    const auto waiting = m_unlinked.equal_range(&first);
    for (auto link = waiting.first; link != waiting.second; ++link) patch(link->second, start);
    m_unlinked.erase(&first);
    return uint16_t(start / kAlign);
  }

 private:
  struct Miss {
    Xbyak::Label label;
    uint32_t index;
  };
  struct Exit {
    Xbyak::Label label;
    uint32_t pc;
  };

  // The jump (jmp rel32) at `site` now goes to `to`.
  void patch(size_t site, size_t to) {
    const int32_t displacement = int32_t(int64_t(to) - int64_t(site + 5));
    std::memcpy(const_cast<uint8_t*>(getCode()) + site + 1, &displacement, sizeof displacement);
  }

  // On to `pc`: the block's own start, a translated block of the page, or (leaving) the
  // interpreter, through a jump patched when the block of the page there is translated.
  void go_to(uint32_t pc) {
    if ((pc & ~kPageMask) != m_page->base) {
      leave_to(pc);
      return;
    }
    const Slot* target = &m_page->slots[(pc & kPageMask) >> 1];
    if (target == m_first) {
      jmp(getCode() + m_start);
    } else if (m_native != nullptr && target->handler == m_native) {
      jmp(getCode() + size_t(target->native) * kAlign);
    } else {
      m_exits.push_back(Exit{Xbyak::Label(), pc});
      m_unlinked.emplace(target, getSize());
      jmp(m_exits.back().label, T_NEAR);
    }
  }

  // What the native code does: the base integer operations but fence, ecall and ebreak, and
  // the multiplications and divisions. The rest (atomics, fences, traps, the interpreter's own
  // operations) is left to the interpreter, at a side exit.
  static bool translated(Op op) { return (op >= Op::kLui && op <= Op::kAnd) || (op >= Op::kMul && op <= Op::kRemu); }

  static bool ends_run(Op op) {
    const OpKind kind = kOpKinds[unsigned(op)];
    return kind == OpKind::kBranch || kind == OpKind::kJump || kind == OpKind::kIndirect;
  }

  void side_exit(uint32_t index) {
    mov(rax, kSideExit | index);
    jmp(m_leave);
  }
  void leave_to(uint32_t pc) {
    mov(eax, pc);  // the upper half cleared: not a side exit
    jmp(m_leave);
  }

  Xbyak::Address reg(uint32_t r) { return dword[rbx + int(4 * r)]; }
  void read(const Xbyak::Reg32& to, uint32_t r) {
    if (r == 0) {
      xor_(to, to);
    } else {
      mov(to, reg(r));
    }
  }

  // eax = the access's address, rax the host's after a hit (the entry's offset added); a miss,
  // or an access whose last byte is on another page, leaves at the instruction.
  void translate_address(const Xbyak::Reg64& entries, uint32_t rs1, int32_t imm, uint32_t size, uint32_t index) {
    read(eax, rs1);
    if (imm != 0) add(eax, imm);
    if (size == 1) {
      mov(ecx, eax);
    } else {
      lea(ecx, ptr[rax + int(size - 1)]);
    }
    and_(ecx, ~kPageMask);
    mov(edx, eax);
    shr(edx, kPageShift - 4);
    and_(edx, (Tlb::kEntries - 1) * Tlb::kEntryBytes);
    cmp(dword[entries + rdx + int(Tlb::kEntryPageAt)], ecx);
    m_misses.push_back(Miss{Xbyak::Label(), index});
    jne(m_misses.back().label);
    add(rax, qword[entries + rdx + int(Tlb::kEntryOffsetAt)]);
  }

  // On to the pc in eax (a jalr's target): to its block's code when it is on this page and
  // translated (its slot's handler the native one), else leaving with it.
  void go_to_computed() {
    if (m_native == nullptr) {  // no interpreter's handlers (a test of the translator alone)
      jmp(m_leave);
      return;
    }
    Xbyak::Label leave;
    mov(edx, eax);
    and_(edx, ~kPageMask);
    cmp(edx, m_page->base);
    jne(leave);
    mov(edx, eax);
    and_(edx, kPageMask);
    lea(rdx, ptr[rdx + rdx * 2]);  // (offset / 2) * sizeof(Slot): offset * 12
    shl(rdx, 2);
    mov(rcx, reinterpret_cast<uintptr_t>(m_page->slots));
    add(rdx, rcx);
    mov(rcx, reinterpret_cast<uintptr_t>(m_native));
    cmp(qword[rdx + int(offsetof(Slot, handler))], rcx);
    jne(leave);
    movzx(edx, word[rdx + int(offsetof(Slot, native))]);
    shl(edx, 4);
    mov(rcx, reinterpret_cast<uintptr_t>(getCode()));
    add(rcx, rdx);
    jmp(rcx);
    L(leave);
    jmp(m_leave);
  }

  // The target of a branch or jal at slot `index` (a near one holds its target's slot offset).
  uint32_t target_of(uint32_t index, const Slot& slot) const {
    const int32_t imm = imm_of(slot.operands);
    if (slot.kind % kVariants < 2) return m_page->base + (index + uint32_t(imm / int32_t(sizeof(Slot)))) * 2;
    return m_page->base + index * 2 + uint32_t(imm);
  }

  // A division's special cases as RISC-V has them: by zero (the quotient all ones, the
  // remainder the dividend) and the signed one's overflow (INT32_MIN / -1).
  void divide(Op op, uint32_t rd) {
    const bool is_signed = op == Op::kDiv || op == Op::kRem;
    const bool remainder = op == Op::kRem || op == Op::kRemu;
    Xbyak::Label by_zero, by_minus_one, done;
    test(ecx, ecx);
    jz(by_zero);
    if (is_signed) {
      cmp(ecx, -1);
      je(by_minus_one);
      cdq();
      idiv(ecx);
    } else {
      xor_(edx, edx);
      div(ecx);
    }
    mov(reg(rd), remainder ? edx : eax);
    jmp(done);
    L(by_zero);
    if (remainder) {
      mov(reg(rd), eax);
    } else {
      mov(reg(rd), uint32_t(~0u));
    }
    if (is_signed) {
      jmp(done);
      L(by_minus_one);
      if (remainder) {
        mov(reg(rd), 0);
      } else {
        neg(eax);
        mov(reg(rd), eax);
      }
    }
    L(done);
  }

  // The code of the instruction at slot `index` (translated).
  void instruction(uint32_t index, const Slot& slot) {
    const uint64_t operands = slot.operands;
    const uint32_t rs1 = rs1_of(operands);
    const uint32_t rs2 = rs2_of(operands);
    const uint32_t rd = rd_of(operands);
    const int32_t imm = imm_of(operands);
    const uint32_t pc = m_page->base + index * 2;
    const uint32_t next = pc + slot.slots * 2u;
    switch (slot.op) {
      case Op::kLui: mov(reg(rd), uint32_t(imm)); return;
      case Op::kAuipc: mov(reg(rd), pc + uint32_t(imm)); return;
      case Op::kJal:
        mov(reg(rd), next);
        go_to(target_of(index, slot));
        return;
      case Op::kJalr:
        read(eax, rs1);
        add(eax, imm);
        and_(eax, ~1u);
        mov(reg(rd), next);
        go_to_computed();
        return;
      case Op::kBeq:
      case Op::kBne:
      case Op::kBlt:
      case Op::kBge:
      case Op::kBltu:
      case Op::kBgeu: {
        Xbyak::Label taken;
        read(eax, rs1);
        read(ecx, rs2);
        cmp(eax, ecx);
        switch (slot.op) {
          case Op::kBeq: je(taken); break;
          case Op::kBne: jne(taken); break;
          case Op::kBlt: jl(taken); break;
          case Op::kBge: jge(taken); break;
          case Op::kBltu: jb(taken); break;
          default: jae(taken); break;
        }
        go_to(next);
        L(taken);
        go_to(target_of(index, slot));
        return;
      }
      case Op::kLb:
      case Op::kLh:
      case Op::kLw:
      case Op::kLbu:
      case Op::kLhu: {
        const uint32_t size = slot.op == Op::kLw ? 4 : slot.op == Op::kLh || slot.op == Op::kLhu ? 2 : 1;
        translate_address(r12, rs1, imm, size, index);
        switch (slot.op) {
          case Op::kLb: movsx(ecx, byte[rax]); break;
          case Op::kLh: movsx(ecx, word[rax]); break;
          case Op::kLw: mov(ecx, dword[rax]); break;
          case Op::kLbu: movzx(ecx, byte[rax]); break;
          default: movzx(ecx, word[rax]); break;
        }
        mov(reg(rd), ecx);
        return;
      }
      case Op::kSb:
      case Op::kSh:
      case Op::kSw: {
        const uint32_t size = slot.op == Op::kSw ? 4 : slot.op == Op::kSh ? 2 : 1;
        translate_address(r13, rs1, imm, size, index);
        read(ecx, rs2);
        if (size == 1) {
          mov(byte[rax], cl);
        } else if (size == 2) {
          mov(word[rax], cx);
        } else {
          mov(dword[rax], ecx);
        }
        return;
      }
      case Op::kAddi:
      case Op::kSlti:
      case Op::kSltiu:
      case Op::kXori:
      case Op::kOri:
      case Op::kAndi:
      case Op::kSlli:
      case Op::kSrli:
      case Op::kSrai:
        if (rd == kSinkRegister) return;  // a hint or a nop: no effect
        read(eax, rs1);
        switch (slot.op) {
          case Op::kAddi: add(eax, imm); break;
          case Op::kSlti:
          case Op::kSltiu:
            cmp(eax, imm);
            if (slot.op == Op::kSlti) {
              setl(cl);
            } else {
              setb(cl);
            }
            movzx(eax, cl);
            break;
          case Op::kXori: xor_(eax, imm); break;
          case Op::kOri: or_(eax, imm); break;
          case Op::kAndi: and_(eax, imm); break;
          case Op::kSlli: shl(eax, imm & 31); break;
          case Op::kSrli: shr(eax, imm & 31); break;
          default: sar(eax, imm & 31); break;
        }
        mov(reg(rd), eax);
        return;
      case Op::kAdd:
      case Op::kSub:
      case Op::kSll:
      case Op::kSlt:
      case Op::kSltu:
      case Op::kXor:
      case Op::kSrl:
      case Op::kSra:
      case Op::kOr:
      case Op::kAnd:
      case Op::kMul:
      case Op::kMulh:
      case Op::kMulhsu:
      case Op::kMulhu:
        if (rd == kSinkRegister) return;
        read(eax, rs1);
        read(ecx, rs2);
        switch (slot.op) {
          case Op::kAdd: add(eax, ecx); break;
          case Op::kSub: sub(eax, ecx); break;
          case Op::kSll: shl(eax, cl); break;  // x86 takes the count modulo 32, as RISC-V
          case Op::kSrl: shr(eax, cl); break;
          case Op::kSra: sar(eax, cl); break;
          case Op::kSlt:
          case Op::kSltu:
            cmp(eax, ecx);
            if (slot.op == Op::kSlt) {
              setl(dl);
            } else {
              setb(dl);
            }
            movzx(eax, dl);
            break;
          case Op::kXor: xor_(eax, ecx); break;
          case Op::kOr: or_(eax, ecx); break;
          case Op::kAnd: and_(eax, ecx); break;
          case Op::kMul: imul(eax, ecx); break;
          default:
            // The high word of the 64-bit product: the operands widened as signed or not.
            if (slot.op != Op::kMulhu) movsxd(rax, eax);
            if (slot.op == Op::kMulh) movsxd(rcx, ecx);
            imul(rax, rcx);
            shr(rax, 32);
            break;
        }
        mov(reg(rd), eax);
        return;
      case Op::kDiv:
      case Op::kDivu:
      case Op::kRem:
      case Op::kRemu:
        if (rd == kSinkRegister) return;
        read(eax, rs1);
        read(ecx, rs2);
        divide(slot.op, rd);
        return;
      default: break;  // not translated (translated() says)
    }
  }

  Xbyak::Label m_leave;
  size_t m_first_block = 0;
  // The jumps to blocks of their page not translated yet: each block's first slot, the offset
  // of a jump to patch when it is.
  std::unordered_multimap<const Slot*, size_t> m_unlinked;
  // The block being written: its page, first slot and offset, its accesses' side exits and
  // its exits to blocks of its page not translated yet.
  const DecodedPage* m_page = nullptr;
  const Slot* m_first = nullptr;
  size_t m_start = 0;
  const void* m_native = nullptr;
  std::vector<Miss> m_misses;
  std::vector<Exit> m_exits;
};

Translator::Translator() = default;
Translator::~Translator() = default;

uint16_t Translator::translate(const DecodedPage& page, uint32_t index, const void* native) {
  try {
    if (!m_writer) m_writer = std::make_unique<Writer>();
    const uint16_t handle = m_writer->block(page, index, native);
    if (handle != 0) ++m_blocks;
    return handle;
  } catch (const std::exception&) {
    return 0;  // no memory for the buffer (Xbyak's error, or std::bad_alloc)
  }
}

uint64_t Translator::run(uint16_t handle, uint32_t* x, const Tlb& tlb, int64_t* budget) const {
  using Enter = uint64_t (*)(uint32_t*, const void*, const void*, const void*, int64_t*);
  const uint8_t* code = m_writer->getCode();
  return reinterpret_cast<Enter>(const_cast<uint8_t*>(code))(x, tlb.read_entries(), tlb.write_entries(),
                                                             code + size_t(handle) * kAlign, budget);
}

void Translator::clear() {
  if (m_writer) m_writer->clear();
}

#else

class Translator::Writer {};
Translator::Translator() = default;
Translator::~Translator() = default;
uint16_t Translator::translate(const DecodedPage&, uint32_t, const void*) { return 0; }
uint64_t Translator::run(uint16_t, uint32_t*, const Tlb&, int64_t*) const { return 0; }
void Translator::clear() {}

#endif

}  // namespace mkh::user
