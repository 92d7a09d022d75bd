// kcm: the kernel object cache of one object type, carving fixed-size slots out of ppm blocks.
// Layer: mm. Calls the cluster's Ppm, hal/busylock.hpp, hal (relaxed statistics atomics).
// A Kcm lives in the cluster's kernel data (placement-constructed, no heap). Each kcm block
// is one naturally aligned ppm block whose first bytes are the block header (slot bitmap,
// used count, links, back pointer); an object's block is found by aligning its address down.
// Lock order: the kcm lock is never held while calling into the ppm.
#pragma once

#include <cstdint>

#include "hal/busylock.hpp"
#include "libk/result.hpp"
#include "libk/thread_annotations.hpp"
#include "mm/kcm_types.hpp"
#include "mm/ppm.hpp"

namespace mkh::mm {

inline constexpr uint32_t kKcmObjectAlign = 16;          // every object is 16-byte aligned
inline constexpr uint32_t kKcmMinObjectsPerBlock = 4;    // a block holds at least this many...
inline constexpr uint32_t kKcmMaxBlockOrder = 4;         // ...unless that would need a larger block
inline constexpr uint32_t kKcmMaxObjectsPerBlock = 256;  // slot bitmap size

struct KcmBlock;  // the block header, private to kcm.cpp

// A snapshot of the counters, read without the lock (exact when the cache is quiet).
struct KcmStats {
  uint32_t object_size = 0;  // after rounding to kKcmObjectAlign
  uint32_t objects_per_block = 0;
  uint32_t block_order = 0;  // ppm order of a kcm block
  uint64_t objects_in_use = 0;
  uint64_t blocks_active = 0;  // blocks with free slots (and at least one used)
  uint64_t blocks_full = 0;
  uint64_t allocs = 0;
  uint64_t frees = 0;
  uint64_t alloc_failures = 0;  // kNoMem returned
};

class Kcm {
 public:
  Kcm() = default;
  Kcm(const Kcm&) = delete;
  Kcm& operator=(const Kcm&) = delete;

  // object_size is rounded up to kKcmObjectAlign. Blocks come from `ppm` (same bank).
  void init(KcmType type, uint32_t object_size, Ppm* ppm) EXCLUDES(m_lock);

  // An object of object_size() bytes, 16-byte aligned, NOT zeroed (it holds whatever the
  // previous user left). kNoMem (counted) when the ppm cannot give a new block.
  [[nodiscard]] Result<void*> alloc() EXCLUDES(m_lock);
  // The same, filled with zeroes.
  [[nodiscard]] Result<void*> alloc_zeroed() EXCLUDES(m_lock);

  // Gives an object back; a block left empty goes back to the ppm at once. Freeing an
  // object that is not allocated from this cache is a kernel bug (kpanic).
  void free(void* object) EXCLUDES(m_lock);
  // The same for an object named by another cluster (an RPC argument): kInval, not a
  // panic, when it is not an allocated object of this cache.
  [[nodiscard]] Result<void> try_free(void* object) EXCLUDES(m_lock);

  KcmStats stats() const;

  // Walks both block lists under the lock; kUClean, with a message naming the broken
  // invariant and the block, when one is broken. For tests and debugging.
  Result<void, Error> check() const EXCLUDES(m_lock);

  KcmType type() const { return m_type; }
  uint32_t object_size() const { return m_object_size; }

 private:
  // Frees an object; else kInval and why it cannot be freed.
  Result<void, Error> release(void* object) EXCLUDES(m_lock);
  void* take_slot_locked(KcmBlock* block) REQUIRES(m_lock);

  // immutable after init()
  KcmType m_type = KcmType::kCount;
  uint32_t m_object_size = 0;
  uint32_t m_objects_per_block = 0;
  uint32_t m_block_order = 0;
  uint32_t m_first_slot = 0;  // offset of slot 0 from the block base (after the header)
  Ppm* m_ppm = nullptr;

  mutable hal::Busylock m_lock;
  // guarded by m_lock: null-terminated doubly linked lists of block headers
  KcmBlock* m_active GUARDED_BY(m_lock) = nullptr;  // some slots free
  KcmBlock* m_full GUARDED_BY(m_lock) = nullptr;    // no slot free

  // written with relaxed atomics (hal::stat_add; under m_lock except alloc_failures), read by anyone
  uint64_t m_objects_in_use = 0;
  uint64_t m_blocks_active = 0;
  uint64_t m_blocks_full = 0;
  uint64_t m_allocs = 0;
  uint64_t m_frees = 0;
  uint64_t m_alloc_failures = 0;
};

}  // namespace mkh::mm
