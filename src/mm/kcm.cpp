// kcm: kernel object caches over ppm blocks (see kcm.hpp).
// Layer: mm. Calls the Ppm (never with the kcm lock held), kern/busylock, hal, libk.
// A block is on the active list while some slots are free and at least one is used, on the
// full list when every slot is used; the free() that empties a block gives it to the ppm.
#include "mm/kcm.hpp"

#include <bit>
#include <cstring>
#include <new>

#include "hal/fault.hpp"

namespace mkh::mm {

// The header at the base of every kcm block.
struct KcmBlock {
  // immutable while the block exists
  Kcm* kcm = nullptr;
  Page* page = nullptr;  // the ppm head page of the block
  // guarded by kcm->m_lock
  KcmBlock* next = nullptr;
  KcmBlock* prev = nullptr;
  uint32_t used = 0;
  uint64_t bitmap[kKcmMaxObjectsPerBlock / 64] = {};  // bit set: slot used (or past the last slot)
};

namespace {

constexpr uint32_t kHeaderSize = (sizeof(KcmBlock) + kKcmObjectAlign - 1) & ~(kKcmObjectAlign - 1);

void list_push(KcmBlock*& head, KcmBlock* block) {
  block->prev = nullptr;
  block->next = head;
  if (head != nullptr) head->prev = block;
  head = block;
}

void list_unlink(KcmBlock*& head, KcmBlock* block) {
  if (block->prev != nullptr) block->prev->next = block->next;
  else head = block->next;
  if (block->next != nullptr) block->next->prev = block->prev;
  block->next = block->prev = nullptr;
}

// A broken invariant, found by check() (a failure path: the message is built under the lock).
tl::unexpected<Error> fail(KcmType type, std::string_view what, const void* block) {
  return error(Errno::kUClean, "kcm {} check: {} (block {})", kcm_type_name(type), what, block);
}

// An argument that free cannot free (a failure path: built under the lock, like KASSERT's).
tl::unexpected<Error> refuse(std::string_view why) { return error(Error(Errno::kInval, std::string(why))); }

}  // namespace

void Kcm::init(KcmType type, uint32_t object_size, Ppm* ppm) {
  KASSERT(type < KcmType::kCount && ppm != nullptr && object_size > 0, "kcm: bad init arguments");
  const uint32_t size = (object_size + kKcmObjectAlign - 1) & ~(kKcmObjectAlign - 1);
  // The smallest order holding kKcmMinObjectsPerBlock objects after the header, capped.
  uint32_t order = 0;
  auto slots_at = [&](uint32_t o) { return uint32_t(((hal::kPageSize << o) - kHeaderSize) / size); };
  while (order < kKcmMaxBlockOrder && slots_at(order) < kKcmMinObjectsPerBlock) ++order;
  const uint32_t slots = slots_at(order);
  KASSERT(slots >= 1, "kcm {}: a {}-byte object does not fit in an order-{} block", kcm_type_name(type), size, order);

  m_type = type;
  m_object_size = size;
  m_block_order = order;
  m_objects_per_block = slots < kKcmMaxObjectsPerBlock ? slots : kKcmMaxObjectsPerBlock;
  m_first_slot = kHeaderSize;
  m_ppm = ppm;

  hal::BusylockGuard guard(m_lock);  // nobody else sees the cache yet; the lock documents it
  m_active = m_full = nullptr;
  for (uint64_t* counter :
       {&m_objects_in_use, &m_blocks_active, &m_blocks_full, &m_allocs, &m_frees, &m_alloc_failures})
    hal::local_store(*counter, uint64_t(0), std::memory_order_relaxed);
}

void* Kcm::take_slot_locked(KcmBlock* block) {
  DEBUG_KASSERT(block->used < m_objects_per_block, "kcm {}: taking a slot in a full block", kcm_type_name(m_type));
  uint32_t slot = 0;
  for (uint32_t word = 0;; ++word) {
    if (block->bitmap[word] != ~uint64_t(0)) {
      const uint32_t bit = uint32_t(std::countr_one(block->bitmap[word]));
      block->bitmap[word] |= uint64_t(1) << bit;
      slot = word * 64 + bit;
      break;
    }
  }
  if (++block->used == m_objects_per_block) {
    list_unlink(m_active, block);
    list_push(m_full, block);
    hal::stat_sub(m_blocks_active);
    hal::stat_add(m_blocks_full);
  }
  hal::stat_add(m_objects_in_use);
  hal::stat_add(m_allocs);
  return reinterpret_cast<uint8_t*>(block) + m_first_slot + uint64_t(slot) * m_object_size;
}

Result<void*> Kcm::alloc() {
  if (hal::fault_inject(hal::FaultSite::kKcmAlloc)) {  // counted like a real exhaustion
    hal::stat_add(m_alloc_failures);
    return error(Errno::kNoMem);
  }
  {
    hal::BusylockGuard guard(m_lock);
    if (m_active != nullptr) return take_slot_locked(m_active);
  }
  // No free slot: a fresh block from the ppm, prepared without the kcm lock held.
  auto page = m_ppm->alloc_pages(m_block_order);
  if (!page) {
    hal::stat_add(m_alloc_failures);
    return error(Errno::kNoMem);
  }
  auto* block = new (m_ppm->page_to_base(*page)) KcmBlock();
  block->kcm = this;
  block->page = *page;
  for (uint32_t slot = m_objects_per_block; slot < kKcmMaxObjectsPerBlock; ++slot)
    block->bitmap[slot / 64] |= uint64_t(1) << (slot % 64);  // slots past the end count as used
  (*page)->owner = block;
  (*page)->set_flags(PageFlags::KCM);

  hal::BusylockGuard guard(m_lock);
  list_push(m_active, block);
  hal::stat_add(m_blocks_active);
  return take_slot_locked(block);
}

Result<void*> Kcm::alloc_zeroed() {
  void* object = TRY(alloc());
  std::memset(object, 0, m_object_size);
  return object;
}

void Kcm::free(void* object) {
  if (auto released = release(object); !released)
    kpanic("kcm {}: freeing {}: {}", kcm_type_name(m_type), object, released.error());
}

Result<void> Kcm::try_free(void* object) {
  if (auto released = release(object); !released) return error(released.error().code);
  return {};
}

Result<void, Error> Kcm::release(void* object) {
  const uint64_t block_bytes = hal::kPageSize << m_block_order;
  const auto address = reinterpret_cast<uintptr_t>(object);
  const auto bank = reinterpret_cast<uintptr_t>(m_ppm->bank_base());
  if (address < bank || address >= bank + (m_ppm->total_pages() << hal::kPageShift)) return refuse("outside this bank");
  auto* block = reinterpret_cast<KcmBlock*>(address & ~uintptr_t(block_bytes - 1));
  Page* page = m_ppm->base_to_page(block);
  if (!page->has(PageFlags::KCM) || page->owner != block) return refuse("in no kcm block");
  if (block->kcm != this) return refuse("in a block of another kcm");
  const uint64_t offset = uint64_t(static_cast<uint8_t*>(object) - reinterpret_cast<uint8_t*>(block));
  if (offset < m_first_slot || (offset - m_first_slot) % m_object_size != 0 ||
      (offset - m_first_slot) / m_object_size >= m_objects_per_block)
    return refuse("not the start of a slot");
  const uint64_t slot = (offset - m_first_slot) / m_object_size;
  const uint64_t bit = uint64_t(1) << (slot % 64);

  Page* release_page = nullptr;
  {
    hal::BusylockGuard guard(m_lock);
    if ((block->bitmap[slot / 64] & bit) == 0) return refuse("already free");
    block->bitmap[slot / 64] &= ~bit;
    const bool was_full = block->used == m_objects_per_block;
    --block->used;
    if (was_full) {
      list_unlink(m_full, block);
      hal::stat_sub(m_blocks_full);
    } else if (block->used == 0) {
      list_unlink(m_active, block);
      hal::stat_sub(m_blocks_active);
    }
    if (block->used == 0) {
      release_page = page;
    } else if (was_full) {
      list_push(m_active, block);
      hal::stat_add(m_blocks_active);
    }
    hal::stat_sub(m_objects_in_use);
    hal::stat_add(m_frees);
  }
  if (release_page != nullptr) {  // the block is unreachable now: give it back outside the lock
    release_page->owner = nullptr;
    release_page->clear_flags(PageFlags::KCM);
    m_ppm->free_pages(release_page);
  }
  return {};
}

KcmStats Kcm::stats() const {
  KcmStats s;
  s.object_size = m_object_size;
  s.objects_per_block = m_objects_per_block;
  s.block_order = m_block_order;
  s.objects_in_use = hal::stat_read(m_objects_in_use);
  s.blocks_active = hal::stat_read(m_blocks_active);
  s.blocks_full = hal::stat_read(m_blocks_full);
  s.allocs = hal::stat_read(m_allocs);
  s.frees = hal::stat_read(m_frees);
  s.alloc_failures = hal::stat_read(m_alloc_failures);
  return s;
}

Result<void, Error> Kcm::check() const {
  hal::BusylockGuard guard(m_lock);
  uint64_t in_use = 0;
  uint64_t counts[2] = {0, 0};
  const uint64_t limit = m_ppm->total_pages();  // bounds a corrupt (cyclic) list
  for (int full = 0; full < 2; ++full) {
    const KcmBlock* prev = nullptr;
    for (const KcmBlock* block = full ? m_full : m_active; block != nullptr; prev = block, block = block->next) {
      if (++counts[full] > limit) return fail(m_type, "block list does not terminate", block);
      if (block->kcm != this || block->prev != prev) return fail(m_type, "foreign block or broken link", block);
      if (block->page->owner != block || !block->page->has(PageFlags::KCM) ||
          m_ppm->page_to_base(block->page) != block || block->page->order != m_block_order)
        return fail(m_type, "block and its ppm page disagree", block);
      uint32_t bits = 0;
      for (uint64_t word : block->bitmap) bits += uint32_t(std::popcount(word));
      if (bits != block->used + (kKcmMaxObjectsPerBlock - m_objects_per_block))
        return fail(m_type, "bitmap and used count disagree", block);
      if (full ? block->used != m_objects_per_block : (block->used == 0 || block->used >= m_objects_per_block))
        return fail(m_type, "block on the wrong list", block);
      in_use += block->used;
    }
  }
  if (counts[0] != hal::stat_read(m_blocks_active) || counts[1] != hal::stat_read(m_blocks_full))
    return fail(m_type, "block counters wrong", nullptr);
  if (in_use != hal::stat_read(m_objects_in_use)) return fail(m_type, "objects_in_use counter wrong", nullptr);
  return {};
}

}  // namespace mkh::mm
