// kmem: the typed front-end of the local cluster's ppm and kcm caches.
// Layer: mm. Pages come from ppm, objects from the kcm of their type (a type T names its
// cache as T::kKcmType). Failures are values (kNoMem), counted by the allocator.
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

}  // namespace mkh::mm
