// ppm: the physical page manager of one cluster, a buddy allocator of its bank's 4 KiB pages.
// Layer: mm. Calls hal/busylock.hpp, hal (page size, relaxed statistics atomics), libk.
// The Ppm lives in the cluster's kernel data inside the very bank it manages (placement-
// constructed, no heap); its page array sits right after the kernel data. Blocks are
// naturally aligned both as page indexes and as host addresses (the bank is aligned).
#pragma once

#include <cstdint>

#include "hal/busylock.hpp"
#include "hal/xptr.hpp"
#include "libk/result.hpp"
#include "libk/thread_annotations.hpp"
#include "mm/page.hpp"

namespace mkh::mm {

// Largest block order: a whole bank of 2^40 bytes (lpas have kCxyShift bits).
inline constexpr uint32_t kMaxOrder = hal::kCxyShift - hal::kPageShift;
// Largest order alloc_pages accepts: 2^10 pages = 4 MiB.
inline constexpr uint32_t kMaxAllocOrder = 10;

// A snapshot of the counters; read without the lock, so it may be slightly inconsistent
// while other cores allocate (exact when the ppm is quiet).
struct PpmStats {
  uint64_t total_pages = 0;
  uint64_t reserved_pages = 0;  // kernel data and page array
  uint64_t free_pages = 0;
  uint64_t free_blocks[kMaxOrder + 1] = {};  // free blocks per order
  uint64_t allocs = 0;                       // successful alloc_pages
  uint64_t frees = 0;
  uint64_t alloc_failures = 0;  // kNoMem returned (not kInval)
};

class Ppm {
 public:
  Ppm() = default;
  Ppm(const Ppm&) = delete;
  Ppm& operator=(const Ppm&) = delete;

  // bank_size: a power of two; bank_base aligned on it. Bytes [0, kernel_data_end) of the
  // bank are the kernel's own data. Places the page array after them, reserves every page
  // up to the end of that array, frees the rest as maximal naturally aligned blocks.
  void init(uint8_t* bank_base, uint64_t bank_size, uint64_t kernel_data_end) EXCLUDES(m_lock);

  // A block of 2^order pages; its head page has ALLOCATED set, order, refcount 1.
  // kInval when order > kMaxAllocOrder; kNoMem (counted) when no block is large enough.
  [[nodiscard]] Result<Page*> alloc_pages(uint32_t order) EXCLUDES(m_lock);

  // Gives back a block returned by alloc_pages, coalescing it with its free buddies.
  // Freeing a reserved, already free or non-head page is a kernel bug (kpanic).
  void free_pages(Page* page) EXCLUDES(m_lock);
  // The same for a page named by another cluster (an RPC argument): kInval, not a panic,
  // when it is not the head of an allocated block of this ppm (or is a kcm block).
  [[nodiscard]] Result<void> try_free_pages(Page* page) EXCLUDES(m_lock);

  void* page_to_base(const Page* page) const;
  Page* base_to_page(const void* address) const;  // any address inside the page
  uint64_t page_index(const Page* page) const;

  PpmStats stats() const;

  // Walks every free list and the page array under the lock; kUClean, with a message naming
  // the broken invariant and where, when one is broken. For tests and debugging.
  Result<void, Error> check() const EXCLUDES(m_lock);

  uint64_t total_pages() const { return m_total_pages; }
  uint64_t reserved_pages() const { return m_reserved_pages; }
  uint8_t* bank_base() const { return m_base; }

 private:
  // Frees the block page heads; else kInval and why it cannot be freed.
  Result<void, Error> release(Page* page) EXCLUDES(m_lock);
  void push_locked(Page* page, uint32_t order) REQUIRES(m_lock);
  void unlink_locked(Page* page, uint32_t order) REQUIRES(m_lock);
  Result<void, Error> check_locked() const REQUIRES(m_lock);

  // immutable after init()
  uint8_t* m_base = nullptr;
  uint64_t m_bank_size = 0;
  Page* m_pages = nullptr;
  uint64_t m_total_pages = 0;
  uint64_t m_reserved_pages = 0;
  uint32_t m_bank_order = 0;  // log2(m_total_pages): no block is larger

  mutable hal::Busylock m_lock;
  // guarded by m_lock
  Page* m_free_lists[kMaxOrder + 1] GUARDED_BY(m_lock) = {};  // null-terminated, by order

  // written under m_lock with relaxed atomics (hal::stat_add), read by anyone
  uint64_t m_free_pages = 0;
  uint64_t m_free_blocks[kMaxOrder + 1] = {};
  uint64_t m_allocs = 0;
  uint64_t m_frees = 0;
  uint64_t m_alloc_failures = 0;
};

}  // namespace mkh::mm
