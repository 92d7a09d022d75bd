// The virtual memory manager of one process copy. Layer: vmm.
#include "mm/vmm/vmm.hpp"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <optional>

#include "hal/remote.hpp"
#include "kern/cluster.hpp"
#include "kern/sched.hpp"
#include "mm/kmem.hpp"
#include "rpc/services/pmem.hpp"

namespace mkh::vmm {

namespace {

Vseg* vseg_of(libk::ListEntry* entry) { return libk::list_element(entry, &Vseg::m_entry); }

uint32_t attr_for_prot(uint32_t prot) {
  return GPT_MAPPED | GPT_USER | GPT_PRIVATE | ((prot & VSEG_READ) != 0 ? GPT_READ : 0) |
         ((prot & VSEG_WRITE) != 0 ? GPT_WRITE | GPT_READ : 0) | ((prot & VSEG_EXEC) != 0 ? GPT_EXEC : 0);
}
// A writable page is readable (RISC-V has no write-only page).
uint32_t allowed_access(uint32_t prot) { return (prot & VSEG_WRITE) != 0 ? prot | VSEG_READ : prot; }
uint32_t attr_for_access(uint32_t access) {
  return access == VSEG_WRITE ? GPT_WRITE : access == VSEG_EXEC ? GPT_EXEC : GPT_READ;
}

// The page descriptor of the page at `base` (any cluster): every bank has the same layout, so
// the local ppm's arithmetic applies to the same lpa of the local bank (no remote field read).
hal::Xptr<mm::Page> page_of_base(hal::xptr_t base) {
  const hal::cxy_t here = hal::local_cxy();
  const mm::Page* twin =
      mm::memory_at(here)->m_ppm.base_to_page(hal::GET_PTR((hal::xptr_t(here) << hal::kCxyShift) | hal::GET_LPA(base)));
  return hal::Xptr<mm::Page>((hal::xptr_t(hal::GET_CXY(base)) << hal::kCxyShift) | hal::lpa_of(twin));
}

Result<hal::xptr_t> alloc_page(hal::cxy_t cxy) {
  mm::Page* page = cxy == hal::local_cxy() ? TRY(mm::kmem_alloc_pages(0)) : TRY(rpc::rpc_pmem_get_pages_client(cxy, 0));
  return mapper::mapper_page_base(hal::Xptr<mm::Page>(cxy, page)).raw();
}

// Drops one hold of a page of a mapping: the mapping's own (its refcount's first), or a
// kernel copy's (vmm_hold_page). The last frees it, in its cluster.
void free_page(hal::xptr_t base) {
  const hal::Xptr<mm::Page> page = page_of_base(base);
  if (hal::remote_atomic_add(page.field(&mm::Page::refcount), uint32_t(-1)) != 1) return;
  if (page.cxy() == hal::local_cxy()) mm::kmem_free_pages(page.host_ptr());
  else if (!rpc::rpc_pmem_release_pages_client(page.cxy(), page.host_ptr())) kern::cluster_count_error();
}

void zero_bytes(hal::xptr_t at, uint32_t size) {
  if (hal::GET_CXY(at) == hal::local_cxy()) {
    std::memset(hal::GET_PTR(at), 0, size);
    return;
  }
  for (uint32_t done = 0; done < size; done += 8) hal::remote_store(hal::Xptr<uint64_t>(at + done), uint64_t(0));
}

// Fills the new page at `base` for the page at `page_va` of `vseg`: its file bytes, then zeros.
Result<FaultKind> fill_page(const Vseg& vseg, uint32_t page_va, hal::xptr_t base) {
  const uint32_t offset = page_va - vseg.m_base;
  uint32_t from_file = 0;
  if (vseg.m_mapper && offset < vseg.m_file_size) from_file = std::min(kPageSize, vseg.m_file_size - offset);
  if (from_file > 0)
    TRY(mapper::mapper_move_buffer(vseg.m_mapper, true, false, uint64_t(vseg.m_file_offset) + offset, base, from_file));
  if (from_file < kPageSize) zero_bytes(base + from_file, kPageSize - from_file);
  return from_file > 0 ? FaultKind::kFile : FaultKind::kZero;
}

// A change of the vsegs or entries, a seqlock's writer for the copies (vmm.hpp): the
// generation odd from before the first entry goes (its page freed) to after the last vseg
// changed, and the flush callback (if any) told of the change (kChangeMade) before it ends.
// Under the VMM's lock, so changes do not nest.
class ChangeSection {
 public:
  explicit ChangeSection(Vmm* vmm, void (*flush)(uint32_t, void*) = nullptr, void* context = nullptr)
      : m_vmm(vmm), m_flush(flush), m_context(context) {
    std::atomic_ref<uint64_t>(m_vmm->m_generation).fetch_add(1, std::memory_order_seq_cst);
  }
  ~ChangeSection() {
    if (m_flush != nullptr) m_flush(kChangeMade, m_context);
    std::atomic_ref<uint64_t>(m_vmm->m_generation).fetch_add(1, std::memory_order_release);
  }
  ChangeSection(const ChangeSection&) = delete;
  ChangeSection& operator=(const ChangeSection&) = delete;

 private:
  Vmm* m_vmm;
  void (*m_flush)(uint32_t, void*);
  void* m_context;
};

Vseg* find_locked(Vmm* vmm, uint32_t address) REQUIRES(vmm->m_lock) {
  for (libk::ListEntry* e = vmm->m_vsegs.next; e != &vmm->m_vsegs; e = e->next) {
    Vseg* vseg = vseg_of(e);
    if (address < vseg->m_base) return nullptr;
    if (address < vseg->end()) return vseg;
  }
  return nullptr;
}

// The first vseg that ends after `address` (nullptr: none).
Vseg* first_ending_after_locked(Vmm* vmm, uint32_t address) REQUIRES(vmm->m_lock) {
  for (libk::ListEntry* e = vmm->m_vsegs.next; e != &vmm->m_vsegs; e = e->next)
    if (vseg_of(e)->end() > address) return vseg_of(e);
  return nullptr;
}

bool range_free_locked(Vmm* vmm, uint64_t base, uint64_t end) REQUIRES(vmm->m_lock) {
  if (base < kUserBase || end > kUserEnd || base >= end) return false;
  const Vseg* next = first_ending_after_locked(vmm, uint32_t(base));
  return next == nullptr || next->m_base >= end;
}

void insert_locked(Vmm* vmm, Vseg* vseg) REQUIRES(vmm->m_lock) {
  libk::ListEntry* e = vmm->m_vsegs.next;
  while (e != &vmm->m_vsegs && vseg_of(e)->m_base < vseg->m_base) e = e->next;
  // insert before e
  vseg->m_entry.next = e;
  vseg->m_entry.pred = e->pred;
  e->pred->next = &vseg->m_entry;
  e->pred = &vseg->m_entry;
}

// Unmaps the pages of [first, end) (page aligned), calling flush before a page is freed.
void unmap_pages_locked(Vmm* vmm, uint32_t first, uint32_t end, void (*flush)(uint32_t, void*), void* context)
    REQUIRES(vmm->m_lock) {
  for (uint64_t va = first; va < end; va += kPageSize) {
    const uint64_t entry = vmm->m_gpt.clear(uint32_t(va >> 12));
    if ((entry & GPT_MAPPED) == 0) continue;
    if (flush != nullptr) flush(uint32_t(va >> 12), context);
    if ((entry & GPT_PRIVATE) != 0) free_page(gpt_page(entry));
  }
}

// Splits the vseg holding `address` (page aligned) in two at it; nothing when no vseg holds
// it or it is a vseg's base. kNoMem.
Result<void> split_locked(Vmm* vmm, uint32_t address) REQUIRES(vmm->m_lock) {
  Vseg* vseg = find_locked(vmm, address);
  if (vseg == nullptr || vseg->m_base == address) return {};
  Vseg* upper = TRY(mm::kmem_new<Vseg>(*vseg));
  const uint32_t delta = address - vseg->m_base;
  upper->m_base = address;
  upper->m_size = vseg->m_size - delta;
  upper->m_file_offset = vseg->m_file_offset + delta;
  upper->m_file_size = vseg->m_file_size > delta ? vseg->m_file_size - delta : 0;
  // A copy may be reading the vseg's fields (vmm_copy_get_pte): it checks the generation after.
  hal::local_store(vseg->m_size, delta);
  hal::local_store(vseg->m_file_size, std::min(vseg->m_file_size, delta));
  insert_locked(vmm, upper);
  return {};
}

Result<Vseg*> create_locked(Vmm* vmm, VsegType type, uint32_t base, uint32_t size, uint32_t prot, uint32_t file_offset,
                            uint32_t file_size, hal::Xptr<mapper::Mapper> mapper, hal::cxy_t cxy)
    REQUIRES(vmm->m_lock) {
  if (base % kPageSize != 0 || size % kPageSize != 0 || size == 0 || file_size > size ||
      (prot & ~(VSEG_READ | VSEG_WRITE | VSEG_EXEC)) != 0 || !range_free_locked(vmm, base, uint64_t(base) + size))
    return error(Errno::kInval);
  Vseg* vseg = TRY(mm::kmem_new<Vseg>());
  vseg->m_type = type;
  vseg->m_base = base;
  vseg->m_size = size;
  vseg->m_prot = prot;
  vseg->m_file_offset = file_offset;
  vseg->m_file_size = mapper ? file_size : 0;
  vseg->m_mapper = mapper;
  vseg->m_cxy = cxy;
  insert_locked(vmm, vseg);
  return vseg;
}

void delete_vseg_locked(Vmm* vmm, Vseg* vseg) REQUIRES(vmm->m_lock) {
  if (vmm->m_heap == vseg) vmm->m_heap = nullptr;
  libk::list_unlink(&vseg->m_entry);
  vseg->m_magic = 0;
  mm::kmem_delete(vseg);
}

// Unmaps [base, end) (page aligned): the vsegs split at its ends, those inside deleted with
// their pages (flush told of each entry removed, before its page is freed). kNoMem.
Result<void> unmap_range_locked(Vmm* vmm, uint32_t base, uint64_t end, void (*flush)(uint32_t, void*), void* context)
    REQUIRES(vmm->m_lock) {
  TRY(split_locked(vmm, base));
  if (end < kUserEnd) TRY(split_locked(vmm, uint32_t(end)));
  for (Vseg* vseg = first_ending_after_locked(vmm, base); vseg != nullptr && vseg->m_base < end;) {
    Vseg* next = vseg->m_entry.next == &vmm->m_vsegs ? nullptr : vseg_of(vseg->m_entry.next);
    unmap_pages_locked(vmm, vseg->m_base, vseg->end(), flush, context);
    delete_vseg_locked(vmm, vseg);
    vseg = next;
  }
  return {};
}

// Every entry (the mapping's own pages freed) and every vseg.
void drop_all_locked(Vmm* vmm) REQUIRES(vmm->m_lock) {
  vmm->m_gpt.destroy(
      [](uint32_t, uint64_t entry, void*) {
        if ((entry & GPT_PRIVATE) != 0) free_page(gpt_page(entry));
      },
      nullptr);
  while (!libk::list_is_empty(&vmm->m_vsegs)) delete_vseg_locked(vmm, vseg_of(vmm->m_vsegs.next));
}

// A CODE vseg that stays read-only: its pages are replicated in each copy's cluster.
bool replicated(const Vseg& vseg) { return vseg.m_type == VsegType::kCode && (vseg.m_prot & VSEG_WRITE) == 0; }

// The copy's entry for `vpn` from the reference's answer `entry`: the reference's page, or for
// a replicated vseg a page of this cluster with its bytes. kNoMem.
Result<uint64_t> copy_entry(const Vseg& vseg, uint64_t entry) {
  if (!replicated(vseg)) return entry & ~uint64_t(GPT_PRIVATE);  // the reference frees it
  const hal::xptr_t page = TRY(alloc_page(hal::local_cxy()));
  hal::remote_memcpy(hal::Xptr<void>(page), hal::Xptr<void>(gpt_page(entry)), kPageSize);
  return gpt_entry(page, gpt_attr(entry) | GPT_PRIVATE);
}

// The copy's vseg for `found`, a vseg the reference answered: a new one, or the copy's own
// vseg of the same base made larger (the heap grew by brk, which is no change: vmm_brk). Within
// one generation nothing else can overlap what the copy holds: kInval if it did.
Result<Vseg*> copy_vseg_locked(Vmm* copy, const Vseg& found) REQUIRES(copy->m_lock) {
  if (Vseg* held = find_locked(copy, found.m_base); held != nullptr && held->m_base == found.m_base) {
    if (held->m_type != found.m_type || held->m_prot != found.m_prot || found.m_size <= held->m_size)
      return error(Errno::kInval);
    const Vseg* next = held->m_entry.next == &copy->m_vsegs ? nullptr : vseg_of(held->m_entry.next);
    if (next != nullptr && next->m_base < found.end()) return error(Errno::kInval);
    held->m_size = found.m_size;
    return held;
  }
  return create_locked(copy, found.m_type, found.m_base, found.m_size, found.m_prot, found.m_file_offset,
                       found.m_file_size, found.m_mapper, found.m_cxy);
}

}  // namespace

const char* vseg_type_name(VsegType type) {
  switch (type) {
    case VsegType::kCode: return "code";
    case VsegType::kData: return "data";
    case VsegType::kStack: return "stack";
    case VsegType::kAnon: return "anon";
    case VsegType::kFile: return "file";
    case VsegType::kRemote: return "remote";
  }
  return "invalid";
}

Result<void> vmm_init(Vmm* vmm) {
  vmm->m_lock.init();
  kern::QueuelockGuard guard(vmm->m_lock);
  libk::list_root_init(&vmm->m_vsegs);
  return vmm->m_gpt.init();
}

Result<void> vmm_reset(Vmm* vmm) {
  kern::QueuelockGuard guard(vmm->m_lock);
  const ChangeSection change(vmm);
  drop_all_locked(vmm);
  vmm->m_brk_base = vmm->m_brk = 0;
  return vmm->m_gpt.init();
}

void vmm_destroy(Vmm* vmm) {
  kern::QueuelockGuard guard(vmm->m_lock);
  const ChangeSection change(vmm);
  drop_all_locked(vmm);
}

Result<Vseg*> vmm_create_vseg(Vmm* vmm, VsegType type, uint32_t base, uint32_t size, uint32_t prot,
                              uint32_t file_offset, uint32_t file_size, hal::Xptr<mapper::Mapper> mapper,
                              hal::cxy_t cxy) {
  kern::QueuelockGuard guard(vmm->m_lock);
  return create_locked(vmm, type, base, size, prot, file_offset, file_size, mapper, cxy);
}

Result<Vseg> vmm_find_vseg(Vmm* vmm, uint32_t address) {
  kern::QueuelockGuard guard(vmm->m_lock);
  const Vseg* vseg = find_locked(vmm, address);
  if (vseg == nullptr) return error(Errno::kFault);
  return *vseg;
}

Result<hal::Xptr<Vseg>> vmm_find_vseg_xptr(Vmm* vmm, uint32_t address) {
  kern::QueuelockGuard guard(vmm->m_lock);
  Vseg* vseg = find_locked(vmm, address);
  if (vseg == nullptr) return error(Errno::kFault);
  return hal::Xptr<Vseg>(hal::local_cxy(), vseg);
}

namespace {

// A write to the copy-on-write entry `entry` of `vpn` in `vseg` (writable): the page is the
// mapping's alone (its last user), or it is copied into a new page of the vseg's cluster.
Result<uint64_t> break_cow_locked(Vmm* vmm, const Vseg& vseg, uint32_t vpn, uint64_t entry,
                                  void (*flush)(uint32_t, void*), void* context, FaultKind& kind)
    REQUIRES(vmm->m_lock) {
  const hal::xptr_t old_page = gpt_page(entry);
  const uint32_t attr = attr_for_prot(vseg.m_prot);
  // Only a mapping that holds the page raises its count (a fork, a kernel hold of one of its
  // threads, both under a VMM's lock): at 1, no other can appear meanwhile. The copies of the
  // process hold read-only entries naming the same page, still right.
  if (hal::remote_load(page_of_base(old_page).field(&mm::Page::refcount)) == 1) {
    const uint64_t made = gpt_entry(old_page, attr);
    (void)vmm->m_gpt.set(vpn, made);  // the table exists
    hal::stat_add(vmm->m_cow_reuses, uint64_t(1));
    kind = FaultKind::kCowReuse;
    return made;
  }
  const hal::xptr_t page = TRY(alloc_page(vseg.m_cxy));
  hal::remote_memcpy(hal::Xptr<void>(page), hal::Xptr<void>(old_page), kPageSize);
  const uint64_t made = gpt_entry(page, attr);
  const ChangeSection change(vmm, flush, context);
  (void)vmm->m_gpt.set(vpn, made);
  if (flush != nullptr) flush(vpn, context);
  free_page(old_page);  // this mapping's reference
  hal::stat_add(vmm->m_cow_copies, uint64_t(1));
  kind = FaultKind::kCowCopy;
  return made;
}

}  // namespace

Result<uint64_t> get_pte_locked(Vmm* vmm, uint32_t address, uint32_t access, void (*flush)(uint32_t, void*),
                                void* context, FaultKind& kind) REQUIRES(vmm->m_lock) {
  kind = FaultKind::kNone;
  const uint32_t vpn = address >> 12;
  const uint64_t entry = vmm->m_gpt.get(vpn);
  if ((entry & GPT_MAPPED) != 0 && (gpt_attr(entry) & attr_for_access(access)) != 0) return entry;
  const Vseg* vseg = find_locked(vmm, address);
  Errno refused = Errno::kOk;
  if (vseg == nullptr) refused = Errno::kFault;
  else if ((allowed_access(vseg->m_prot) & access) == 0) refused = Errno::kAcces;
  else if ((entry & GPT_MAPPED) != 0 && access == VSEG_WRITE && (entry & GPT_COW) != 0)
    return break_cow_locked(vmm, *vseg, vpn, entry, flush, context, kind);
  else if ((entry & GPT_MAPPED) != 0) refused = Errno::kAcces;  // mapped without this right
  else if (vseg->m_type == VsegType::kFile && page_down(address) - vseg->m_base >= page_up(vseg->m_file_size))
    refused = Errno::kIo;  // a page of a file mapping wholly past the file's end: SIGBUS, as Linux
  if (refused != Errno::kOk) {
    hal::stat_add(vmm->m_fault_errors, uint64_t(1));
    return error(refused);
  }
  const hal::xptr_t page = TRY(alloc_page(vseg->m_cxy));
  const auto filled = fill_page(*vseg, page_down(address), page);
  if (!filled) {
    free_page(page);
    hal::stat_add(vmm->m_fault_errors, uint64_t(1));
    return error(filled.error());
  }
  const uint64_t made = gpt_entry(page, attr_for_prot(vseg->m_prot) | (vseg->m_shared ? GPT_SHARED : 0));
  if (auto set = vmm->m_gpt.set(vpn, made); !set) {
    free_page(page);
    return error(set.error());
  }
  hal::stat_add(vmm->m_faults, uint64_t(1));
  kind = *filled;
  return made;
}

Result<uint64_t> vmm_get_pte(Vmm* vmm, uint32_t address, uint32_t access, void (*flush)(uint32_t, void*), void* context,
                             FaultKind* kind) {
  kern::QueuelockGuard guard(vmm->m_lock);
  FaultKind done = FaultKind::kNone;
  auto entry = get_pte_locked(vmm, address, access, flush, context, done);
  if (kind != nullptr) *kind = done;
  return entry;
}

namespace {

Result<HeldPage> hold_page_locked(Vmm* vmm, uint32_t address, uint32_t access, void (*flush)(uint32_t, void*),
                                  void* context) REQUIRES(vmm->m_lock) {
  FaultKind kind = FaultKind::kNone;
  const uint64_t entry = TRY(get_pte_locked(vmm, address, access, flush, context, kind));
  HeldPage held{.base = gpt_page(entry), .held = (entry & GPT_PRIVATE) != 0};
  if (held.held) hal::remote_atomic_add(page_of_base(held.base).field(&mm::Page::refcount), 1u);
  if (held.held && access == VSEG_WRITE) {
    held.write_holds = &vmm->m_write_holds;
    std::atomic_ref<uint32_t>(vmm->m_write_holds).fetch_add(1);
  }
  return held;
}

}  // namespace

Result<HeldPage> vmm_hold_page(Vmm* vmm, uint32_t address, uint32_t access, void (*flush)(uint32_t, void*),
                               void* context) {
  for (;;) {
    {
      kern::QueuelockGuard guard(vmm->m_lock);
      // A fork waits for the holds for writing to end: a new one waits for the fork.
      if (access != VSEG_WRITE || std::atomic_ref<uint32_t>(vmm->m_forks_waiting).load() == 0)
        return hold_page_locked(vmm, address, access, flush, context);
    }
    kern::sched_yield();
  }
}

void vmm_release_page(const HeldPage& page) {
  if (page.write_holds != nullptr) std::atomic_ref<uint32_t>(*page.write_holds).fetch_sub(1);
  if (page.held) free_page(page.base);
}

void vmm_set_heap_start(Vmm* vmm, uint32_t address) {
  kern::QueuelockGuard guard(vmm->m_lock);
  vmm->m_brk_base = vmm->m_brk = address;
}

uint32_t vmm_brk(Vmm* vmm, uint32_t address, void (*flush)(uint32_t, void*), void* context) {
  kern::QueuelockGuard guard(vmm->m_lock);
  if (address < vmm->m_brk_base || address >= kStackZone) return vmm->m_brk;
  const uint32_t old_end = uint32_t(page_up(vmm->m_brk));
  const uint32_t new_end = uint32_t(page_up(address));
  std::optional<ChangeSection> change;  // when the heap shrinks
  if (new_end > old_end) {
    // Growth is no change for the copies: a vseg grows at its end only (the copy that finds
    // the larger vseg grows its own, vmm_copy_get_pte), and nothing that was is gone.
    if (!range_free_locked(vmm, old_end, new_end)) return vmm->m_brk;
    if (vmm->m_heap != nullptr && vmm->m_heap->end() == old_end) {
      hal::local_store(vmm->m_heap->m_size, new_end - vmm->m_heap->m_base);
    } else {
      // No heap yet, or its end was unmapped (munmap, MAP_FIXED): a vseg from the break on.
      auto heap = create_locked(vmm, VsegType::kAnon, old_end, new_end - old_end, VSEG_READ | VSEG_WRITE, 0, 0, {},
                                hal::local_cxy());
      if (!heap) return vmm->m_brk;
      vmm->m_heap = *heap;
    }
  } else if (new_end < old_end) {
    change.emplace(vmm, flush, context);
    // As munmap: whatever is mapped there goes, its entries flushed before its pages are freed.
    if (!unmap_range_locked(vmm, new_end, old_end, flush, context)) return vmm->m_brk;
  }
  vmm->m_brk = address;
  return address;
}

Result<uint32_t> vmm_mmap(Vmm* vmm, uint32_t hint, Placement placement, uint32_t size, uint32_t prot,
                          hal::Xptr<mapper::Mapper> mapper, uint32_t file_offset, uint32_t file_size,
                          void (*flush)(uint32_t, void*), void* context, bool shared) {
  const uint64_t length = page_up(size);
  if (length == 0 || (prot & ~uint32_t(VSEG_READ | VSEG_WRITE | VSEG_EXEC)) != 0) return error(Errno::kInval);
  if (length >= kStackZone) return error(Errno::kNoMem);
  uint32_t base = 0;
  kern::QueuelockGuard guard(vmm->m_lock);
  std::optional<ChangeSection> change;  // a fixed mapping's: it may replace what is there
  if (placement == Placement::kFixed) {
    if (hint % kPageSize != 0) return error(Errno::kInval);
    if (hint < kUserBase) return error(Errno::kPerm);  // as below Linux's mmap_min_addr
    if (hint + length > kStackZone) return error(Errno::kNoMem);
    change.emplace(vmm, flush, context);
    TRY(unmap_range_locked(vmm, hint, hint + length, flush, context));  // checked first: a refusal unmaps nothing
    base = hint;
  } else {
    const uint32_t floor = uint32_t(page_up(std::max(vmm->m_brk, kUserBase)));
    if (hint % kPageSize == 0 && hint >= floor && range_free_locked(vmm, hint, hint + length)) {
      base = hint;
    } else {
      // Top down from the stacks: the highest gap that holds it.
      uint64_t gap_end = kStackZone;
      for (libk::ListEntry* e = vmm->m_vsegs.pred; e != &vmm->m_vsegs; e = e->pred) {
        const Vseg* vseg = vseg_of(e);
        if (vseg->m_base >= gap_end) continue;
        if (vseg->end() + length <= gap_end) break;
        gap_end = vseg->m_base;
      }
      if (gap_end < floor + length) return error(Errno::kNoMem);
      base = uint32_t(gap_end - length);
    }
  }
  Vseg* vseg =
      TRY(create_locked(vmm, mapper ? VsegType::kFile : VsegType::kAnon, base, uint32_t(length), prot, file_offset,
                        uint32_t(std::min<uint64_t>(file_size, length)), mapper, hal::local_cxy()));
  vseg->m_shared = shared && !mapper;
  return base;
}

Result<void> vmm_munmap(Vmm* vmm, uint32_t base, uint32_t size, void (*flush)(uint32_t, void*), void* context) {
  const uint64_t end = page_up(uint64_t(base) + size);
  if (base % kPageSize != 0 || size == 0 || end > kUserEnd) return error(Errno::kInval);
  kern::QueuelockGuard guard(vmm->m_lock);
  const ChangeSection change(vmm, flush, context);
  return unmap_range_locked(vmm, base, end, flush, context);
}

Result<void> vmm_mprotect(Vmm* vmm, uint32_t base, uint32_t size, uint32_t prot, void (*flush)(uint32_t, void*),
                          void* context) {
  const uint64_t end = page_up(uint64_t(base) + size);
  if (base % kPageSize != 0 || end > kUserEnd || (prot & ~uint32_t(VSEG_READ | VSEG_WRITE | VSEG_EXEC)) != 0)
    return error(Errno::kInval);
  if (size == 0) return {};
  kern::QueuelockGuard guard(vmm->m_lock);
  for (uint64_t at = base; at < end;) {  // every byte mapped, or ENOMEM as Linux
    const Vseg* vseg = find_locked(vmm, uint32_t(at));
    if (vseg == nullptr) return error(Errno::kNoMem);
    at = vseg->end();
  }
  const ChangeSection change(vmm, flush, context);
  TRY(split_locked(vmm, base));
  if (end < kUserEnd) TRY(split_locked(vmm, uint32_t(end)));
  for (Vseg* vseg = find_locked(vmm, base); vseg != nullptr && vseg->m_base < end;) {
    hal::local_store(vseg->m_prot, prot);
    for (uint32_t va = vseg->m_base; va < vseg->end(); va += kPageSize) {
      const uint64_t entry = vmm->m_gpt.get(va >> 12);
      if ((entry & GPT_MAPPED) == 0) continue;
      // A copy-on-write page stays so: shared with another mapping, it is copied at its first write.
      uint32_t attr = attr_for_prot(prot) | (gpt_attr(entry) & GPT_SHARED);
      if ((entry & GPT_COW) != 0) attr = (attr & ~GPT_WRITE) | GPT_COW;
      (void)vmm->m_gpt.set(va >> 12, gpt_entry(gpt_page(entry), attr));  // the table exists
      if (flush != nullptr) flush(va >> 12, context);
    }
    vseg = vseg->m_entry.next == &vmm->m_vsegs ? nullptr : vseg_of(vseg->m_entry.next);
  }
  return {};
}

// The image of a fork (vmm.hpp): this header, then its vsegs, then its entries, in one block of
// pages of the parent's reference cluster.
struct ForkImage {
  struct Entry {
    uint64_t entry;  // the child's: copy-on-write, its page with a reference for the child
    uint32_t vpn;
    uint32_t unused;
  };
  mm::Page* block = nullptr;  // local to the image's cluster
  uint32_t vsegs = 0;
  uint32_t entries = 0;
  uint32_t taken = 0;  // entries whose reference a child took (vmm_fork_adopt)
  uint32_t brk_base = 0;
  uint32_t brk = 0;
  uint32_t heap = 0;  // the heap's index among the vsegs; `vsegs` when there is none

  static std::size_t bytes(uint32_t vsegs, uint32_t entries) {
    return sizeof(ForkImage) + vsegs * sizeof(Vseg) + entries * sizeof(Entry);
  }
  static hal::Xptr<Vseg> vseg_at(hal::Xptr<ForkImage> image, uint32_t i) {
    return hal::Xptr<Vseg>(image.raw() + sizeof(ForkImage) + i * sizeof(Vseg));
  }
  static hal::Xptr<Entry> entry_at(hal::Xptr<ForkImage> image, uint32_t vsegs, uint32_t i) {
    return hal::Xptr<Entry>(image.raw() + bytes(vsegs, 0) + i * sizeof(Entry));
  }
};
static_assert(sizeof(Vseg) % 8 == 0 && sizeof(ForkImage) % 8 == 0, "the image's arrays stay aligned");

namespace {

Result<hal::Xptr<ForkImage>> fork_image_locked(Vmm* parent, void (*flush)(uint32_t, void*), void* context)
    REQUIRES(parent->m_lock) {
  // A shared vseg's pages, each made now (zeros, whatever its protection: an mprotect may open
  // it later) so that both sides map the same ones. All of them: a large shared mapping costs
  // its whole size at the first fork (Linux's shared memory fills on demand).
  for (libk::ListEntry* e = parent->m_vsegs.next; e != &parent->m_vsegs; e = e->next) {
    const Vseg* vseg = vseg_of(e);
    if (!vseg->m_shared) continue;
    for (uint32_t vpn = vseg->m_base >> 12; vpn < vseg->end() >> 12; ++vpn) {
      if ((parent->m_gpt.get(vpn) & GPT_MAPPED) != 0) continue;
      const hal::xptr_t page = TRY(alloc_page(vseg->m_cxy));
      zero_bytes(page, kPageSize);
      if (auto set = parent->m_gpt.set(vpn, gpt_entry(page, attr_for_prot(vseg->m_prot) | GPT_SHARED)); !set) {
        free_page(page);
        return error(set.error());
      }
    }
  }
  uint32_t vsegs = 0;
  for (libk::ListEntry* e = parent->m_vsegs.next; e != &parent->m_vsegs; e = e->next) ++vsegs;
  const uint64_t entries = parent->m_gpt.mapped();
  uint32_t order = 0;
  while ((uint64_t(kPageSize) << order) < ForkImage::bytes(vsegs, uint32_t(entries))) ++order;
  mm::Page* block = TRY(mm::kmem_alloc_pages(order));
  auto* image = new (mm::kmem_page_base(block)) ForkImage();
  image->block = block;
  image->vsegs = vsegs;
  image->brk_base = parent->m_brk_base;
  image->brk = parent->m_brk;
  image->heap = vsegs;
  const hal::Xptr<ForkImage> xptr(hal::local_cxy(), image);
  uint32_t i = 0;
  for (libk::ListEntry* e = parent->m_vsegs.next; e != &parent->m_vsegs; e = e->next, ++i) {
    if (vseg_of(e) == parent->m_heap) image->heap = i;
    *ForkImage::vseg_at(xptr, i).host_ptr() = *vseg_of(e);
  }
  // The entries change (no write right): the copies, whose entries may allow writes, drop them.
  const ChangeSection change(parent, flush, context);
  parent->m_gpt.for_each_mapped([&](uint32_t vpn, uint64_t& entry) {
    if ((entry & GPT_PRIVATE) == 0) return;  // none in a reference VMM
    const bool writable = (entry & GPT_WRITE) != 0;
    if ((entry & GPT_SHARED) == 0) entry = (entry & ~uint64_t(GPT_WRITE)) | GPT_COW;
    hal::remote_atomic_add(page_of_base(gpt_page(entry)).field(&mm::Page::refcount), 1u);
    *ForkImage::entry_at(xptr, vsegs, image->entries++).host_ptr() = ForkImage::Entry{entry, vpn, 0};
    if (writable && (entry & GPT_WRITE) == 0 && flush != nullptr) flush(vpn, context);
  });
  hal::publish_local(*image);  // read by the child's cluster
  return xptr;
}

}  // namespace

Result<hal::Xptr<ForkImage>> vmm_fork_image(Vmm* parent, void (*flush)(uint32_t, void*), void* context) {
  // The holds for writing that began end soon (a system call's copy to one page); new ones wait
  // until the image is made (vmm_hold_page), so that readers in a loop cannot keep the count up.
  std::atomic_ref<uint32_t>(parent->m_forks_waiting).fetch_add(1);
  for (;;) {
    {
      kern::QueuelockGuard guard(parent->m_lock);
      if (std::atomic_ref<uint32_t>(parent->m_write_holds).load() == 0) {
        auto image = fork_image_locked(parent, flush, context);
        std::atomic_ref<uint32_t>(parent->m_forks_waiting).fetch_sub(1);
        return image;
      }
    }
    kern::sched_yield();
  }
}

Result<void> vmm_fork_adopt(Vmm* child, hal::Xptr<ForkImage> image) {
  const ForkImage header = hal::remote_read(image);
  kern::QueuelockGuard guard(child->m_lock);
  for (uint32_t i = 0; i < header.vsegs; ++i) {
    const Vseg vseg = hal::remote_read(ForkImage::vseg_at(image, i));
    if (vseg.m_magic != Vseg::kMagic) return error(Errno::kInval);
    const hal::cxy_t cxy = vseg.m_type == VsegType::kRemote ? vseg.m_cxy : hal::local_cxy();
    Vseg* made = TRY(create_locked(child, vseg.m_type, vseg.m_base, vseg.m_size, vseg.m_prot, vseg.m_file_offset,
                                   vseg.m_file_size, vseg.m_mapper, cxy));
    made->m_shared = vseg.m_shared;
    if (i == header.heap) child->m_heap = made;
  }
  child->m_brk_base = header.brk_base;
  child->m_brk = header.brk;
  for (uint32_t i = 0; i < header.entries; ++i) {
    const ForkImage::Entry entry = hal::remote_read(ForkImage::entry_at(image, header.vsegs, i));
    if (find_locked(child, entry.vpn << 12) == nullptr) return error(Errno::kInval);
    TRY(child->m_gpt.set(entry.vpn, entry.entry));
    hal::remote_store(image.field(&ForkImage::taken), i + 1);
  }
  return {};
}

void vmm_fork_image_free(hal::Xptr<ForkImage> image) {
  const ForkImage header = hal::remote_read(image);
  for (uint32_t i = header.taken; i < header.entries; ++i)
    free_page(gpt_page(hal::remote_load(ForkImage::entry_at(image, header.vsegs, i).field(&ForkImage::Entry::entry))));
  if (image.cxy() == hal::local_cxy()) mm::kmem_free_pages(header.block);
  else if (!rpc::rpc_pmem_release_pages_client(image.cxy(), header.block)) kern::cluster_count_error();
}

Result<uint64_t> vmm_copy_get_pte(Vmm* copy, VmmReference& reference, uint32_t address, uint32_t access,
                                  FaultKind* kind) {
  if (kind != nullptr) *kind = FaultKind::kNone;
  const uint32_t vpn = address >> 12;
  kern::QueuelockGuard guard(copy->m_lock);
  // A seqlock's reader: what it asks is kept only if the generation did not move meanwhile.
  for (;;) {
    const uint64_t generation = reference.generation();
    if ((generation & 1) != 0) {  // a change runs at the reference
      kern::sched_yield();
      continue;
    }
    if (generation != copy->m_copy_generation) {
      // A new copy holds nothing to drop.
      if (!copy->m_gpt.ready() || copy->m_gpt.mapped() != 0 || !libk::list_is_empty(&copy->m_vsegs)) {
        drop_all_locked(copy);
        TRY(copy->m_gpt.init());  // the generation left unrecorded: the next fault drops again
        hal::stat_add(copy->m_copy_drops, uint64_t(1));
      }
      copy->m_copy_generation = generation;
    }
    const uint64_t held = copy->m_gpt.get(vpn);
    if ((held & GPT_MAPPED) != 0 && (gpt_attr(held) & attr_for_access(access)) != 0) return held;
    Vseg* vseg = find_locked(copy, address);
    if (vseg == nullptr) {
      const auto found = reference.get_vseg(address);
      if (reference.generation() != generation) continue;
      if (!found) {
        hal::stat_add(copy->m_fault_errors, uint64_t(1));
        return error(found.error());
      }
      vseg = TRY(copy_vseg_locked(copy, *found));
    }
    Result<uint64_t> answer = error(Errno::kAcces);
    if ((allowed_access(vseg->m_prot) & access) != 0) answer = reference.get_pte(vpn, access == VSEG_WRITE);
    if (reference.generation() != generation) continue;
    if (!answer) {
      hal::stat_add(copy->m_fault_errors, uint64_t(1));
      return error(answer.error());
    }
    const uint64_t made = TRY(copy_entry(*vseg, *answer));
    if ((made & GPT_PRIVATE) != 0 &&
        reference.generation() != generation) {  // the bytes copied may be of a page freed since
      free_page(gpt_page(made));
      continue;
    }
    if (auto set = copy->m_gpt.set(vpn, made); !set) {
      if ((made & GPT_PRIVATE) != 0) free_page(gpt_page(made));
      return error(set.error());
    }
    hal::stat_add(copy->m_faults, uint64_t(1));
    if (kind != nullptr) *kind = (made & GPT_PRIVATE) != 0 ? FaultKind::kReplica : FaultKind::kReference;
    return made;
  }
}

void vmm_for_each_vseg(Vmm* vmm, void (*visit)(const Vseg& vseg, void* context), void* context) {
  kern::QueuelockGuard guard(vmm->m_lock);
  for (libk::ListEntry* e = vmm->m_vsegs.next; e != &vmm->m_vsegs; e = e->next) visit(*vseg_of(e), context);
}

VmmStats vmm_stats(Vmm* vmm) {
  kern::QueuelockGuard guard(vmm->m_lock);
  VmmStats stats;
  for (libk::ListEntry* e = vmm->m_vsegs.next; e != &vmm->m_vsegs; e = e->next) ++stats.vsegs;
  stats.pages = vmm->m_gpt.mapped();
  stats.faults = hal::stat_read(vmm->m_faults);
  stats.fault_errors = hal::stat_read(vmm->m_fault_errors);
  stats.copy_drops = hal::stat_read(vmm->m_copy_drops);
  stats.cow_copies = hal::stat_read(vmm->m_cow_copies);
  stats.cow_reuses = hal::stat_read(vmm->m_cow_reuses);
  return stats;
}

}  // namespace mkh::vmm
