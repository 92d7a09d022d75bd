// A local intrusive circular doubly linked list (the reference's list_entry_t).
// Layer: libk. For structures that never leave their cluster (a core's thread lists);
// structures that span clusters use hal/xlist.hpp. Not synchronised: callers lock.
#pragma once

#include <cstddef>

namespace mkh::libk {

struct ListEntry {
  ListEntry* next = nullptr;
  ListEntry* pred = nullptr;
};

inline void list_root_init(ListEntry* root) { root->next = root->pred = root; }
inline bool list_is_empty(const ListEntry* root) { return root->next == root; }

inline void list_add_last(ListEntry* root, ListEntry* entry) {
  entry->next = root;
  entry->pred = root->pred;
  root->pred->next = entry;
  root->pred = entry;
}

inline void list_unlink(ListEntry* entry) {
  entry->pred->next = entry->next;
  entry->next->pred = entry->pred;
  entry->next = entry->pred = nullptr;
}

// The object that contains `entry` as its member `member`.
template <typename T>
T* list_element(ListEntry* entry, ListEntry T::*member) {
  alignas(T) static unsigned char storage[sizeof(T)];
  const auto offset = reinterpret_cast<unsigned char*>(&(reinterpret_cast<T*>(storage)->*member)) - storage;
  return reinterpret_cast<T*>(reinterpret_cast<unsigned char*>(entry) - offset);
}

}  // namespace mkh::libk
