// The page descriptor: one per 4 KiB page of a cluster's bank, in the ppm's page array.
// Layer: mm. Calls only hal/remote.hpp (relaxed atomics on the flags word).
// Only the first page of a block (its head) carries a meaningful order and flags; the other
// pages of the block keep no flags. While a block is free its head belongs to the ppm; once
// allocated, the head's links, owner and refcount belong to whoever allocated it.
#pragma once

#include <cstdint>

#include "hal/remote.hpp"

namespace mkh::mm {

// Page flags: a bit set. FREE, RESERVED and ALLOCATED are the ppm's; the others are set by
// the owner of an allocated block on its head page.
enum class PageFlags : uint16_t {
  NONE = 0,
  FREE = 1u << 0,       // heads a block on a ppm free list
  RESERVED = 1u << 1,   // kernel data or the page array: never allocated, never freed
  ALLOCATED = 1u << 2,  // heads a block handed out by Ppm::alloc_pages
  KCM = 1u << 3,        // heads a kcm block (owner = the KcmBlock header at its base)
  DIRTY = 1u << 4,      // a mapper's page written since it was loaded or last synced
};

constexpr PageFlags operator|(PageFlags a, PageFlags b) { return PageFlags(uint16_t(a) | uint16_t(b)); }
constexpr PageFlags operator&(PageFlags a, PageFlags b) { return PageFlags(uint16_t(a) & uint16_t(b)); }
constexpr PageFlags operator~(PageFlags a) { return PageFlags(uint16_t(~uint16_t(a))); }
constexpr bool any(PageFlags a) { return a != PageFlags::NONE; }

struct Page {
  // the ppm's while the page heads a free block (under the ppm lock); the owner's otherwise
  Page* next = nullptr;  // free-list links; reusable by the owner of an allocated block
  Page* prev = nullptr;
  void* owner = nullptr;  // opaque to the ppm, e.g. the kcm block using the page
  uint32_t refcount = 0;  // 1 when alloc_pages returns the block; then the owner's business

  // The flags word: always accessed atomically (relaxed), because the ppm reads a buddy's
  // flags under its lock while that buddy's owner may set its own bits. Transitions of
  // FREE/ALLOCATED happen only under the ppm lock.
  PageFlags flags() const { return PageFlags(hal::local_load(m_flags, std::memory_order_relaxed)); }
  bool has(PageFlags bits) const { return any(flags() & bits); }
  void set_flags(PageFlags bits) {
    std::atomic_ref<uint16_t>(m_flags).fetch_or(uint16_t(bits), std::memory_order_relaxed);
  }
  void clear_flags(PageFlags bits) {
    std::atomic_ref<uint16_t>(m_flags).fetch_and(uint16_t(~bits), std::memory_order_relaxed);
  }
  void reset_flags(PageFlags bits) { hal::local_store(m_flags, uint16_t(bits), std::memory_order_relaxed); }
  // The flags word of a page of any cluster, for hal::remote_atomic_or / remote_load.
  static hal::Xptr<uint16_t> flags_field(hal::Xptr<Page> page) { return page.field(&Page::m_flags); }

  // the ppm's (under its lock) for a free block; read-only for the owner of an allocated one
  uint8_t order = 0;  // log2 of the pages in the block this page heads

 private:
  uint16_t m_flags = 0;
};

static_assert(sizeof(Page) == 32, "the page descriptor should stay small (32 bytes)");

}  // namespace mkh::mm
