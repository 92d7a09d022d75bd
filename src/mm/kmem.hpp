// kmem: the typed front-end of the local cluster's ppm and kcm caches, and the owners of
// what it hands out. Layer: mm. Pages come from ppm, objects from the kcm of their type (a
// type T names its cache as T::kKcmType). Failures are values (kNoMem), counted by the
// allocator. A multi-step constructor holds each allocation in an owner (PageBlock,
// KmemOwner<T>) until the object is complete, so that a failure half-way releases
// everything by itself; it then takes each one out with release().
#pragma once

#include <new>
#include <utility>

#include "libk/result.hpp"
#include "mm/memory.hpp"

namespace mkh::mm {

inline Result<Page*> kmem_alloc_pages(uint32_t order) { return local_memory()->m_ppm.alloc_pages(order); }
inline void kmem_free_pages(Page* page) { local_memory()->m_ppm.free_pages(page); }
inline void* kmem_page_base(Page* page) { return local_memory()->m_ppm.page_to_base(page); }

// One object of a kcm type, by index (the form KCM_ALLOC uses); kInval for a bad type.
inline Result<void*> kmem_alloc(KcmType type) {
  if (uint32_t(type) >= uint32_t(KcmType::kCount)) return error(Errno::kInval);
  return local_memory()->m_kcm[uint32_t(type)].alloc();
}
inline void kmem_free(void* object, KcmType type) { local_memory()->m_kcm[uint32_t(type)].free(object); }

// A constructed object of type T from its cache.
template <typename T, typename... Args>
Result<T*> kmem_new(Args&&... args) {
  void* memory = TRY(kmem_alloc(T::kKcmType));
  return new (memory) T(std::forward<Args>(args)...);
}

template <typename T>
void kmem_delete(T* object) {
  object->~T();
  kmem_free(object, T::kKcmType);
}

// Owns a block of pages of the local cluster: frees it at the end of its scope unless
// released. Move-only.
class [[nodiscard]] PageBlock {
 public:
  static Result<PageBlock> alloc(uint32_t order) { return PageBlock(TRY(kmem_alloc_pages(order))); }
  PageBlock(PageBlock&& other) noexcept : m_page(std::exchange(other.m_page, nullptr)) {}
  PageBlock& operator=(PageBlock&&) = delete;
  PageBlock(const PageBlock&) = delete;
  ~PageBlock() {
    if (m_page != nullptr) kmem_free_pages(m_page);
  }
  Page* page() const { return m_page; }
  void* base() const { return kmem_page_base(m_page); }
  // The block is the caller's from now on.
  Page* release() { return std::exchange(m_page, nullptr); }

 private:
  explicit PageBlock(Page* page) : m_page(page) {}
  Page* m_page;
};

// Owns a constructed kcm object of the local cluster: deletes it at the end of its scope
// unless released. Move-only.
template <typename T>
class [[nodiscard]] KmemOwner {
 public:
  template <typename... Args>
  static Result<KmemOwner> make(Args&&... args) {
    return KmemOwner(TRY(kmem_new<T>(std::forward<Args>(args)...)));
  }
  KmemOwner(KmemOwner&& other) noexcept : m_object(std::exchange(other.m_object, nullptr)) {}
  KmemOwner& operator=(KmemOwner&&) = delete;
  KmemOwner(const KmemOwner&) = delete;
  ~KmemOwner() {
    if (m_object != nullptr) kmem_delete(m_object);
  }
  T* get() const { return m_object; }
  T* operator->() const { return m_object; }
  // The object is the caller's from now on.
  T* release() { return std::exchange(m_object, nullptr); }

 private:
  explicit KmemOwner(T* object) : m_object(object) {}
  T* m_object;
};

}  // namespace mkh::mm
