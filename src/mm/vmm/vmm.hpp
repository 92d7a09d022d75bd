// The virtual memory manager of one process copy: its virtual segments (vsegs) and its
// generic page table, page faults resolved by allocating and filling pages, brk, anonymous
// mmap, munmap and mprotect. Layer: vmm. Calls mm (pages, objects), kern (the queuelock),
// rpc (pages of other clusters: PMEM_GET_PAGES, PMEM_RELEASE_PAGES), the mapper (file bytes).
//
// The address space (docs/decisions.md "User mode"): nothing below 0x10000; the ELF's
// segments from 0x10000; the brk heap after the bss, growing up; the mmap zone below the
// stacks, growing down; the stacks in [0xC0000000, 0xF0000000), one slot per thread with a
// guard page below it; nothing from 0xF0000000.
//
// Concurrency: m_lock (a queuelock: filling a page may block on the mapper or an RPC) guards
// the vsegs, the GPT and the heap. Whoever removes or changes an entry flushes the TLBs that
// may hold it before the page can be reused (the caller: the VMM knows no TLB).
//
// Copies (DESIGN.md §4): the VMM of a process in a cluster other than its reference's is a
// cache of the reference's, filled on its faults (vmm_copy_get_pte) by asking the reference
// (VMM_GET_VSEG, VMM_GET_PTE, through a VmmReference). The reference never reaches into its
// copies: its generation, a seqlock's count, is odd while its vsegs or entries change (munmap,
// mprotect, a brk that shrinks, a fixed mmap) and moves by two with each change; a copy reads
// it before and after what it asks, keeps an answer only when it did not move, and drops
// everything it holds when it finds it moved since — its replicated pages freed, while its own
// threads may still hold them in their TLBs: so each change also tells its flush callback
// (kChangeMade) before it ends, for the copies' threads to flush first. A new vseg, a new entry and the heap's
// growth are no change (a copy that finds a vseg larger than its own grows it). CODE pages (read-only) are replicated in the copy's cluster;
// the others are the reference's pages, named by the copy's entries.
#pragma once

#include <cstdint>

#include "hal/xptr.hpp"
#include "kern/queuelock.hpp"
#include "libk/list.hpp"
#include "libk/result.hpp"
#include "mm/kcm_types.hpp"
#include "mm/mapper/mapper.hpp"
#include "mm/vmm/gpt.hpp"

namespace mkh::vmm {

inline constexpr uint32_t kPageSize = 4096;
inline constexpr uint32_t kUserBase = 0x0001'0000;   // below: never mapped
inline constexpr uint32_t kStackZone = 0xC000'0000;  // stacks from here
inline constexpr uint32_t kUserEnd = 0xF000'0000;    // reserved from here
inline constexpr uint32_t kStackSlot = 8u << 20;     // one thread's stack slot, its guard page included

inline constexpr uint32_t page_down(uint32_t address) { return address & ~(kPageSize - 1); }
inline constexpr uint64_t page_up(uint64_t address) { return (address + kPageSize - 1) & ~uint64_t(kPageSize - 1); }

// vseg types (DESIGN.md §4).
enum class VsegType : uint32_t { kCode = 1, kData = 2, kStack = 3, kAnon = 4, kFile = 5, kRemote = 6 };
const char* vseg_type_name(VsegType type);

// The flush callbacks' vpn for "a change was made" (vmm.hpp's copies): told once at the end of
// each change, whether or not an entry was flushed, while the copies cannot yet see it.
inline constexpr uint32_t kChangeMade = ~0u;

// Protections: Linux's PROT_ bits.
inline constexpr uint32_t VSEG_READ = 1;
inline constexpr uint32_t VSEG_WRITE = 2;
inline constexpr uint32_t VSEG_EXEC = 4;

struct Vseg {
  static constexpr mm::KcmType kKcmType = mm::KcmType::VSEG;
  static constexpr uint32_t kMagic = 0x76736567;  // "vseg"

  uint32_t m_magic = kMagic;
  VsegType m_type = VsegType::kAnon;
  uint32_t m_base = 0;  // page aligned
  uint32_t m_size = 0;  // bytes, whole pages
  uint32_t m_prot = 0;  // VSEG_ bits
  // A file-backed vseg: the byte of the file at m_base is m_file_offset; the first m_file_size
  // bytes from m_base come from the file (copied: a private mapping), the rest are zeros.
  uint32_t m_file_offset = 0;
  uint32_t m_file_size = 0;
  hal::Xptr<mapper::Mapper> m_mapper;
  hal::cxy_t m_cxy = 0;  // where its pages are allocated
  // An anonymous MAP_SHARED mapping: a fork's child shares its pages (populated at the fork),
  // not copied on write.
  bool m_shared = false;
  libk::ListEntry m_entry;

  uint32_t end() const { return m_base + m_size; }
};

struct VmmStats {
  uint64_t vsegs = 0;
  uint64_t pages = 0;   // pages mapped
  uint64_t faults = 0;  // entries made by a fault
  uint64_t fault_errors = 0;
  uint64_t copy_drops = 0;  // a copy's: everything dropped for a newer reference
  uint64_t cow_copies = 0;  // copy-on-write faults that copied the page
  uint64_t cow_reuses = 0;  // those that found the mapping the page's last user
};

struct Vmm {
  kern::Queuelock m_lock;
  libk::ListEntry m_vsegs GUARDED_BY(m_lock);  // sorted by base, never overlapping
  Gpt m_gpt GUARDED_BY(m_lock);
  uint32_t m_brk_base GUARDED_BY(m_lock) = 0;  // the heap: [m_brk_base, m_brk)
  uint32_t m_brk GUARDED_BY(m_lock) = 0;
  Vseg* m_heap GUARDED_BY(m_lock) = nullptr;  // the ANON vseg of the heap's pages (null while empty)
  uint64_t m_faults = 0;
  uint64_t m_fault_errors = 0;
  // A reference's: odd while a change runs, advanced by two by each (read by copies through
  // remote_load; written under m_lock).
  uint64_t m_generation = 0;
  // A copy's: the reference's generation its vsegs and entries are from, and how many times it
  // dropped them for a newer one.
  uint64_t m_copy_generation GUARDED_BY(m_lock) = 0;
  uint64_t m_copy_drops = 0;
  // Pages of the reference held by the kernel for writing (vmm_hold_page), until released: a
  // fork waits for none (vmm_fork_image); meanwhile m_forks_waiting makes a new hold for
  // writing wait for the fork (each thread holds one page at a time: the count falls to 0).
  uint32_t m_write_holds = 0;
  uint32_t m_forks_waiting = 0;
  uint64_t m_cow_copies = 0;
  uint64_t m_cow_reuses = 0;
};

// Local: an empty address space; kNoMem.
[[nodiscard]] Result<void> vmm_init(Vmm* vmm);
// Local: unmaps everything (the pages back to their clusters) and frees the vsegs and tables.
void vmm_destroy(Vmm* vmm);
// Local: the same, but the address space stays valid and empty, under its lock all along (a
// service of another cluster may be waiting on it, or holding it): exec's new image, the end
// of a process whose descriptor stays until its waiter destroys it. kNoMem (the new table):
// then the address space is destroyed, still valid under its lock, but without a table.
[[nodiscard]] Result<void> vmm_reset(Vmm* vmm);

// Registers a vseg [base, base + size) (page aligned, non-empty, inside the user range, not
// overlapping another): kInval otherwise, kNoMem.
[[nodiscard]] Result<Vseg*> vmm_create_vseg(Vmm* vmm, VsegType type, uint32_t base, uint32_t size, uint32_t prot,
                                            uint32_t file_offset, uint32_t file_size, hal::Xptr<mapper::Mapper> mapper,
                                            hal::cxy_t cxy);

// The vseg holding `address` (a copy of it, for a caller outside the lock); kFault if none.
[[nodiscard]] Result<Vseg> vmm_find_vseg(Vmm* vmm, uint32_t address);
// The same as an xptr (VMM_GET_VSEG's answer: the client copies it by remote access).
[[nodiscard]] Result<hal::Xptr<Vseg>> vmm_find_vseg_xptr(Vmm* vmm, uint32_t address);

// What a request for an entry did (vmm_get_pte, vmm_copy_get_pte): a page fault's kind, as the
// system-call trace shows it.
enum class FaultKind : uint8_t {
  kNone,       // the entry was there: no fault
  kZero,       // a page allocated and zeroed
  kFile,       // a page allocated and filled from the file (the bytes past its end zeroed)
  kCowCopy,    // a write to a copy-on-write entry: the page copied
  kCowReuse,   // the same, the page held by this mapping alone: its write right given back
  kReference,  // a copy's entry, asked of the reference (VMM_GET_PTE)
  kReplica,    // the same for a CODE page, copied into a page of the copy's cluster
};

// The entry of the page holding `address` for `access` (VSEG_READ, VSEG_WRITE or VSEG_EXEC),
// made if needed: the page allocated in the vseg's cluster and filled (from the file, or
// zeros). kFault when no vseg holds it (SIGSEGV), kAcces when the vseg forbids the access
// (SIGSEGV too), kNoMem, kIo for a page of a file mapping wholly past the file's end (SIGBUS,
// as Linux; the bytes past the end in the file's last page read as zeros), or the mapper's
// error (SIGBUS).
// A write to a copy-on-write entry (vmm_fork_image) whose vseg is writable takes the write right
// back when no other mapping holds the page, else maps a copy of it (the entry changed: flush
// told, as by munmap, before the mapping's reference to the old page goes). `kind`, when not
// null, says what was done.
[[nodiscard]] Result<uint64_t> vmm_get_pte(Vmm* vmm, uint32_t address, uint32_t access,
                                           void (*flush)(uint32_t, void*) = nullptr, void* context = nullptr,
                                           FaultKind* kind = nullptr);

// A user page held for the kernel while it moves bytes to or from it (a system call's
// buffer): unmapped meanwhile (by another thread of the process), it is freed only when the
// hold is released, as Linux's pinned pages are.
struct HeldPage {
  hal::xptr_t base = hal::XPTR_NULL;  // the page's first byte
  bool held = false;                  // a private page whose refcount the hold raised
  uint32_t* write_holds = nullptr;    // a hold for writing: its VMM's count (Vmm::m_write_holds)
};
// The page holding `address` for `access`, made if needed (vmm_get_pte's faults and
// refusals), held until vmm_release_page.
[[nodiscard]] Result<HeldPage> vmm_hold_page(Vmm* vmm, uint32_t address, uint32_t access,
                                             void (*flush)(uint32_t, void*) = nullptr, void* context = nullptr);
void vmm_release_page(const HeldPage& page);

// The heap's end moved to `address` (Linux's brk: returns the heap's end after the call; a
// request below the start, into another vseg, or that cannot be had leaves it unchanged).
// Shrinking unmaps as munmap does (flush told of each entry removed).
uint32_t vmm_brk(Vmm* vmm, uint32_t address, void (*flush)(uint32_t, void*), void* context);
void vmm_set_heap_start(Vmm* vmm, uint32_t address);

// Where mmap puts a mapping: at the hint when it is free above the heap, else where the VMM
// finds room (kHint); at the hint or nowhere (kFixed, Linux's MAP_FIXED), replacing what is
// mapped there (unmapped as vmm_munmap does, flush told of each entry removed).
enum class Placement { kHint, kFixed };
// mmap: `size` bytes, page rounded, placed as `placement` says, below the stacks: anonymous
// (no mapper), or a private copy of the file's bytes from file_offset (file_size of them,
// zeros after); the address; kNoMem (no room, too long, a fixed range reaching the stacks),
// kPerm (a fixed address under kUserBase), kInval. A refused fixed mapping unmaps nothing,
// but one that fails to allocate after the unmap leaves the range empty. `shared` (anonymous
// only): the vseg's pages are shared with a fork's child (Vseg::m_shared).
[[nodiscard]] Result<uint32_t> vmm_mmap(Vmm* vmm, uint32_t hint, Placement placement, uint32_t size, uint32_t prot,
                                        hal::Xptr<mapper::Mapper> mapper, uint32_t file_offset, uint32_t file_size,
                                        void (*flush)(uint32_t, void*) = nullptr, void* context = nullptr,
                                        bool shared = false);
// Unmaps [base, base + size) (splitting vsegs at its ends); kInval for an unaligned base.
// Calls flush(vpn) for every entry removed before its page is freed.
[[nodiscard]] Result<void> vmm_munmap(Vmm* vmm, uint32_t base, uint32_t size, void (*flush)(uint32_t, void*),
                                      void* context);
// Changes the protection of [base, base + size), which must be mapped entirely; kNoMem
// (ENOMEM for a hole, as Linux), kInval. Calls flush(vpn) for every entry that changed.
[[nodiscard]] Result<void> vmm_mprotect(Vmm* vmm, uint32_t base, uint32_t size, uint32_t prot,
                                        void (*flush)(uint32_t, void*), void* context);

// fork (DESIGN.md §4, copy-on-write). The parent's address space, as its child gets it: its
// vsegs, its heap and its mapped entries, each entry's page with one more reference (the
// child's), in a page block of the parent's reference cluster that the child's cluster reads by
// remote access (vmm.cpp). A shared vseg's pages are all made first, and stay writable on both
// sides: the child maps the same pages.
struct ForkImage;
// The parent's side, on its reference VMM, as one change: every mapped entry loses its write
// right and becomes copy-on-write (GPT_COW; flush told of each entry that could be written),
// and the image is made. It waits first until no page is held for writing (a read(2) moving
// bytes into it would bring them to the child alone: Linux copies such a page at fork). kNoMem.
[[nodiscard]] Result<hal::Xptr<ForkImage>> vmm_fork_image(Vmm* parent, void (*flush)(uint32_t, void*), void* context);
// The child's side: the empty address space `child` (vmm_init, local) takes the image's vsegs
// and entries; the references of the pages it maps become its own. Its new pages are allocated
// in its cluster (but a REMOTE vseg's, where the user named). kNoMem, kInval (a bad image):
// the child keeps what it took, vmm_fork_image_free drops the rest.
[[nodiscard]] Result<void> vmm_fork_adopt(Vmm* child, hal::Xptr<ForkImage> image);
// Frees an image, from any cluster, with the references of the pages no child took.
void vmm_fork_image_free(hal::Xptr<ForkImage> image);

// What a copy asks of its reference, in another cluster (proc: services 20 and 21).
class VmmReference {
 public:
  // The reference's m_generation, as it is now.
  virtual uint64_t generation() = 0;
  // VMM_GET_VSEG: the reference's vseg holding `address` (its fields read after the answer:
  // the caller checks the generation before it trusts them); kFault when none.
  virtual Result<Vseg> get_vseg(uint32_t address) = 0;
  // VMM_GET_PTE: the reference's entry of `vpn`, made if needed (for a write when `write`).
  virtual Result<uint64_t> get_pte(uint32_t vpn, bool write) = 0;

 protected:
  ~VmmReference() = default;
};

// A copy's page fault: the entry of the page holding `address` for `access` in the copy
// `copy` (an address space made by vmm_init that nothing but this fills), made if needed from
// `reference`. A CODE page is copied into a page of this cluster (the copy's own, freed with
// it); any other page is the reference's. The reference's refusals (kFault, kAcces, kIo,
// kNoMem). `kind`, when not null, says what was done.
[[nodiscard]] Result<uint64_t> vmm_copy_get_pte(Vmm* copy, VmmReference& reference, uint32_t address, uint32_t access,
                                                FaultKind* kind = nullptr);

VmmStats vmm_stats(Vmm* vmm);
// Calls visit(vseg, context) for every vseg in address order, under the VMM's lock (visit must
// not block).
void vmm_for_each_vseg(Vmm* vmm, void (*visit)(const Vseg& vseg, void* context), void* context);

}  // namespace mkh::vmm
