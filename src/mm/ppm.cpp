// ppm: the buddy allocator of one cluster's pages (see ppm.hpp).
// Layer: mm. Calls hal/busylock, hal (relaxed statistics atomics), libk (KASSERT).
// Free lists are null-terminated doubly linked lists of head pages, one per order, all under
// one busylock. No allocation anywhere: everything lives in the bank being managed.
#include "mm/ppm.hpp"

#include <bit>
#include <new>

#include "hal/fault.hpp"

namespace mkh::mm {

namespace {

constexpr uint64_t block_pages(uint32_t order) { return uint64_t(1) << order; }

// A broken invariant, found by check() (a failure path: the message is built under the lock).
tl::unexpected<Error> fail(std::string_view what, uint64_t index, uint32_t order) {
  return error(Errno::kUClean, "ppm check: {} (page {}, order {})", what, index, order);
}

// An argument that free_pages cannot free (a failure path: built under the lock, like KASSERT's).
tl::unexpected<Error> refuse(std::string_view why) { return error(Error(Errno::kInval, std::string(why))); }

}  // namespace

void Ppm::init(uint8_t* bank_base, uint64_t bank_size, uint64_t kernel_data_end) {
  KASSERT(std::has_single_bit(bank_size) && bank_size >= (hal::kPageSize << 2) &&
              bank_size <= (hal::kPageSize << kMaxOrder),
          "ppm: bank size {:#x} is not a power of two in range", bank_size);
  KASSERT((reinterpret_cast<uintptr_t>(bank_base) & (bank_size - 1)) == 0,
          "ppm: bank base {} is not aligned on its size {:#x}", static_cast<void*>(bank_base), bank_size);
  KASSERT(kernel_data_end < bank_size, "ppm: kernel data ({:#x} bytes) exceeds the bank", kernel_data_end);

  m_base = bank_base;
  m_bank_size = bank_size;
  m_total_pages = bank_size >> hal::kPageShift;
  m_bank_order = uint32_t(std::countr_zero(m_total_pages));

  const uint64_t array_offset = (kernel_data_end + alignof(Page) - 1) & ~uint64_t(alignof(Page) - 1);
  const uint64_t array_end = array_offset + m_total_pages * sizeof(Page);
  KASSERT(array_end < bank_size, "ppm: the page array does not fit in a {:#x}-byte bank", bank_size);
  m_pages = reinterpret_cast<Page*>(bank_base + array_offset);
  m_reserved_pages = (array_end + hal::kPageSize - 1) >> hal::kPageShift;

  hal::BusylockGuard guard(m_lock);  // nobody else sees the ppm yet; the lock documents it
  for (auto& head : m_free_lists) head = nullptr;
  for (auto& count : m_free_blocks) hal::local_store(count, uint64_t(0), std::memory_order_relaxed);
  hal::local_store(m_free_pages, uint64_t(0), std::memory_order_relaxed);
  hal::local_store(m_allocs, uint64_t(0), std::memory_order_relaxed);
  hal::local_store(m_frees, uint64_t(0), std::memory_order_relaxed);
  hal::local_store(m_alloc_failures, uint64_t(0), std::memory_order_relaxed);

  for (uint64_t index = 0; index < m_total_pages; ++index) {
    Page* page = new (&m_pages[index]) Page();
    if (index < m_reserved_pages) page->reset_flags(PageFlags::RESERVED);
  }
  // Maximal naturally aligned blocks: at each index the largest order it is aligned on
  // that still fits before the end of the bank.
  uint64_t index = m_reserved_pages;
  while (index < m_total_pages) {
    uint32_t order = uint32_t(std::countr_zero(index));
    while (index + block_pages(order) > m_total_pages) --order;
    push_locked(&m_pages[index], order);
    hal::stat_add(m_free_pages, block_pages(order));
    index += block_pages(order);
  }
}

void Ppm::push_locked(Page* page, uint32_t order) {
  page->order = uint8_t(order);
  page->reset_flags(PageFlags::FREE);
  page->owner = nullptr;
  page->refcount = 0;
  page->prev = nullptr;
  page->next = m_free_lists[order];
  if (page->next != nullptr) page->next->prev = page;
  m_free_lists[order] = page;
  hal::stat_add(m_free_blocks[order]);
}

void Ppm::unlink_locked(Page* page, uint32_t order) {
  if (page->prev != nullptr) page->prev->next = page->next;
  else m_free_lists[order] = page->next;
  if (page->next != nullptr) page->next->prev = page->prev;
  page->next = page->prev = nullptr;
  page->reset_flags(PageFlags::NONE);
  hal::stat_sub(m_free_blocks[order]);
}

Result<Page*> Ppm::alloc_pages(uint32_t order) {
  if (order > kMaxAllocOrder) return error(Errno::kInval);

  if (hal::fault_inject(hal::FaultSite::kPpmAlloc)) {  // counted like a real exhaustion
    hal::stat_add(m_alloc_failures);
    return error(Errno::kNoMem);
  }

  hal::BusylockGuard guard(m_lock);
  uint32_t current = order;
  while (current <= m_bank_order && m_free_lists[current] == nullptr) ++current;
  if (current > m_bank_order) {
    hal::stat_add(m_alloc_failures);
    return error(Errno::kNoMem);
  }
  Page* block = m_free_lists[current];
  unlink_locked(block, current);
  // Split: give back the upper halves until the block has the requested order.
  while (current > order) {
    --current;
    push_locked(block + block_pages(current), current);
  }
  block->order = uint8_t(order);
  block->reset_flags(PageFlags::ALLOCATED);
  block->owner = nullptr;
  block->refcount = 1;
  hal::stat_sub(m_free_pages, block_pages(order));
  hal::stat_add(m_allocs);
  return block;
}

void Ppm::free_pages(Page* page) {
  if (auto released = release(page); !released)
    kpanic("ppm: freeing page {}: {}", static_cast<void*>(page), released.error());
}

Result<void> Ppm::try_free_pages(Page* page) {
  if (auto released = release(page); !released) return error(released.error().code);
  return {};
}

Result<void, Error> Ppm::release(Page* page) {
  const auto offset = reinterpret_cast<uintptr_t>(page) - reinterpret_cast<uintptr_t>(m_pages);
  if (page < m_pages || page >= m_pages + m_total_pages || offset % sizeof(Page) != 0)
    return refuse("not a page descriptor of this ppm");
  uint64_t index = uint64_t(page - m_pages);

  hal::BusylockGuard guard(m_lock);
  const PageFlags flags = page->flags();
  if (any(flags & PageFlags::RESERVED)) return refuse("reserved page");
  if (any(flags & PageFlags::FREE)) return refuse("already free");
  if (!any(flags & PageFlags::ALLOCATED)) return refuse("heads no allocated block");
  if (any(flags & PageFlags::KCM)) return refuse("a kcm block (free its objects instead)");
  uint32_t order = page->order;
  KASSERT(order <= kMaxAllocOrder && (index & (block_pages(order) - 1)) == 0, "ppm: page {} has a corrupt order {}",
          index, order);
  const uint64_t freed_pages = block_pages(order);
  page->reset_flags(PageFlags::NONE);

  // Coalesce while the buddy heads a free block of the same order.
  while (order < m_bank_order) {
    Page* buddy = &m_pages[index ^ block_pages(order)];
    if (!buddy->has(PageFlags::FREE) || buddy->order != order) break;
    unlink_locked(buddy, order);
    index &= ~block_pages(order);
    ++order;
  }
  push_locked(&m_pages[index], order);
  hal::stat_add(m_free_pages, freed_pages);
  hal::stat_add(m_frees);
  return {};
}

void* Ppm::page_to_base(const Page* page) const {
  DEBUG_KASSERT(page >= m_pages && page < m_pages + m_total_pages, "ppm: {} is not a page descriptor of this ppm",
                static_cast<const void*>(page));
  return m_base + (uint64_t(page - m_pages) << hal::kPageShift);
}

Page* Ppm::base_to_page(const void* address) const {
  const auto offset = uint64_t(reinterpret_cast<uintptr_t>(address) - reinterpret_cast<uintptr_t>(m_base));
  KASSERT(offset < m_bank_size, "ppm: address {} is outside this bank", address);
  return &m_pages[offset >> hal::kPageShift];
}

uint64_t Ppm::page_index(const Page* page) const {
  DEBUG_KASSERT(page >= m_pages && page < m_pages + m_total_pages, "ppm: {} is not a page descriptor of this ppm",
                static_cast<const void*>(page));
  return uint64_t(page - m_pages);
}

PpmStats Ppm::stats() const {
  PpmStats s;
  s.total_pages = m_total_pages;
  s.reserved_pages = m_reserved_pages;
  s.free_pages = hal::stat_read(m_free_pages);
  for (uint32_t order = 0; order <= kMaxOrder; ++order) s.free_blocks[order] = hal::stat_read(m_free_blocks[order]);
  s.allocs = hal::stat_read(m_allocs);
  s.frees = hal::stat_read(m_frees);
  s.alloc_failures = hal::stat_read(m_alloc_failures);
  return s;
}

Result<void, Error> Ppm::check() const {
  hal::BusylockGuard guard(m_lock);
  return check_locked();
}

Result<void, Error> Ppm::check_locked() const {
  uint64_t listed_blocks[kMaxOrder + 1] = {};
  uint64_t listed_pages = 0;
  for (uint32_t order = 0; order <= kMaxOrder; ++order) {
    const Page* prev = nullptr;
    for (const Page* page = m_free_lists[order]; page != nullptr; prev = page, page = page->next) {
      if (page < m_pages || page >= m_pages + m_total_pages) return fail("free-list entry outside the array", 0, order);
      const uint64_t index = uint64_t(page - m_pages);
      if (listed_blocks[order] >= m_total_pages) return fail("free list does not terminate", index, order);
      if (page->prev != prev) return fail("broken prev link", index, order);
      if (order > m_bank_order || (index & (block_pages(order) - 1)) != 0)
        return fail("free block not aligned on its order", index, order);
      if (index < m_reserved_pages || index + block_pages(order) > m_total_pages)
        return fail("free block overlaps reserved pages or the bank end", index, order);
      if (page->flags() != PageFlags::FREE || page->order != order)
        return fail("free-list head not flagged FREE with its list's order", index, order);
      // Overlap: a block containing another free block would contain a FREE head.
      for (uint64_t inner = index + 1; inner < index + block_pages(order); ++inner)
        if (m_pages[inner].flags() != PageFlags::NONE) return fail("flagged page inside a free block", inner, order);
      if (order < m_bank_order) {
        const Page& buddy = m_pages[index ^ block_pages(order)];
        if (buddy.has(PageFlags::FREE) && buddy.order == order) return fail("free buddies not coalesced", index, order);
      }
      ++listed_blocks[order];
      listed_pages += block_pages(order);
    }
  }
  // Every FREE head is on its list (counts match), and the counters add up.
  uint64_t flagged_blocks[kMaxOrder + 1] = {};
  for (uint64_t index = 0; index < m_total_pages; ++index) {
    const Page& page = m_pages[index];
    if ((index < m_reserved_pages) != page.has(PageFlags::RESERVED)) return fail("RESERVED flag misplaced", index, 0);
    if (page.has(PageFlags::FREE)) {
      if (page.order > kMaxOrder) return fail("free page with a corrupt order", index, page.order);
      ++flagged_blocks[page.order];
    }
  }
  for (uint32_t order = 0; order <= kMaxOrder; ++order) {
    if (flagged_blocks[order] != listed_blocks[order]) return fail("FREE heads missing from the free list", 0, order);
    if (hal::stat_read(m_free_blocks[order]) != listed_blocks[order])
      return fail("free_blocks counter wrong", 0, order);
  }
  if (hal::stat_read(m_free_pages) != listed_pages) return fail("free_pages counter wrong", listed_pages, 0);
  return {};
}

}  // namespace mkh::mm
