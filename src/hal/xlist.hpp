// Extended lists: circular doubly linked lists whose links are extended pointers, so a
// root in one cluster can chain entries that live in any clusters (the reference's xlist).
// Layer: hal. Calls only hal/remote.hpp (and libk/assert.hpp for debug checks): no host
// pointer of another cluster is ever dereferenced. Not synchronised: every operation,
// traversals included, runs under the lock that guards the root (a remote_busylock or a
// remote_queuelock in the root's cluster), taken by the caller.
#pragma once

#include <cstddef>

#include "hal/remote.hpp"
#include "hal/xptr.hpp"

namespace mkh::hal {

// A list root and a list entry have the same shape. A root is empty when root.next is the
// root's own xptr; an entry that is in no list has null links (as constructed, and after
// xlist_unlink or xlist_replace).
struct XlistEntry {
  hal::xptr_t next = hal::XPTR_NULL;
  hal::xptr_t pred = hal::XPTR_NULL;
};

namespace detail {

inline hal::Xptr<hal::xptr_t> xlist_next_field(hal::Xptr<XlistEntry> entry) {
  return hal::Xptr<hal::xptr_t>(entry.raw() + offsetof(XlistEntry, next));
}
inline hal::Xptr<hal::xptr_t> xlist_pred_field(hal::Xptr<XlistEntry> entry) {
  return hal::Xptr<hal::xptr_t>(entry.raw() + offsetof(XlistEntry, pred));
}
inline hal::Xptr<XlistEntry> xlist_load_next(hal::Xptr<XlistEntry> entry) {
  return hal::Xptr<XlistEntry>(hal::remote_load(xlist_next_field(entry)));
}
inline hal::Xptr<XlistEntry> xlist_load_pred(hal::Xptr<XlistEntry> entry) {
  return hal::Xptr<XlistEntry>(hal::remote_load(xlist_pred_field(entry)));
}
inline void xlist_store_links(hal::Xptr<XlistEntry> entry, hal::Xptr<XlistEntry> next, hal::Xptr<XlistEntry> pred) {
  hal::remote_store(xlist_next_field(entry), next.raw());
  hal::remote_store(xlist_pred_field(entry), pred.raw());
}

// Debug checks (xlist.cpp): each panics with the xptrs involved when the list is corrupt.
// `anchor` is a root or an entry in a list, with consistent links on both sides.
void xlist_check_anchor(hal::Xptr<XlistEntry> anchor, const char* what);
// `entry` is in no list (null links), so it can be added.
void xlist_check_unlinked(hal::Xptr<XlistEntry> entry, const char* what);

}  // namespace detail

// ---- initialisation

// An empty list: both links point to the root itself.
inline void xlist_root_init(hal::Xptr<XlistEntry> root) { detail::xlist_store_links(root, root, root); }

// An entry in no list: null links.
inline void xlist_entry_init(hal::Xptr<XlistEntry> entry) {
  detail::xlist_store_links(entry, hal::Xptr<XlistEntry>(), hal::Xptr<XlistEntry>());
}

// ---- queries

inline bool xlist_is_empty(hal::Xptr<XlistEntry> root) { return detail::xlist_load_next(root) == root; }

// The first / last entry, or a null xptr when the list is empty.
inline hal::Xptr<XlistEntry> xlist_first(hal::Xptr<XlistEntry> root) {
  const auto next = detail::xlist_load_next(root);
  return next == root ? hal::Xptr<XlistEntry>() : next;
}
inline hal::Xptr<XlistEntry> xlist_last(hal::Xptr<XlistEntry> root) {
  const auto pred = detail::xlist_load_pred(root);
  return pred == root ? hal::Xptr<XlistEntry>() : pred;
}

// The entry after / before `entry` in the list of `root`, or a null xptr at the end.
inline hal::Xptr<XlistEntry> xlist_next(hal::Xptr<XlistEntry> root, hal::Xptr<XlistEntry> entry) {
  const auto next = detail::xlist_load_next(entry);
  return next == root ? hal::Xptr<XlistEntry>() : next;
}
inline hal::Xptr<XlistEntry> xlist_pred(hal::Xptr<XlistEntry> root, hal::Xptr<XlistEntry> entry) {
  const auto pred = detail::xlist_load_pred(entry);
  return pred == root ? hal::Xptr<XlistEntry>() : pred;
}

// The object that contains `entry` as its member `member` (same cluster, same technique
// as Xptr::field). A null entry gives a null object xptr.
template <typename T>
hal::Xptr<T> xlist_element(hal::Xptr<XlistEntry> entry, XlistEntry T::*member) {
  if (entry.is_null()) return hal::Xptr<T>();
  return hal::Xptr<T>(entry.raw() - hal::detail::member_offset(member));
}

// ---- changes

// Inserts `entry` (in no list) right after / before `anchor` (a root or an entry in a list).
inline void xlist_insert_after(hal::Xptr<XlistEntry> anchor, hal::Xptr<XlistEntry> entry) {
#if defined(MKH_DEBUG_CHECKS)
  detail::xlist_check_anchor(anchor, "xlist_insert_after");
  detail::xlist_check_unlinked(entry, "xlist_insert_after");
#endif
  const auto next = detail::xlist_load_next(anchor);
  detail::xlist_store_links(entry, next, anchor);
  hal::remote_store(detail::xlist_pred_field(next), entry.raw());
  hal::remote_store(detail::xlist_next_field(anchor), entry.raw());
}
inline void xlist_insert_before(hal::Xptr<XlistEntry> anchor, hal::Xptr<XlistEntry> entry) {
#if defined(MKH_DEBUG_CHECKS)
  detail::xlist_check_anchor(anchor, "xlist_insert_before");
  detail::xlist_check_unlinked(entry, "xlist_insert_before");
#endif
  const auto pred = detail::xlist_load_pred(anchor);
  detail::xlist_store_links(entry, anchor, pred);
  hal::remote_store(detail::xlist_next_field(pred), entry.raw());
  hal::remote_store(detail::xlist_pred_field(anchor), entry.raw());
}

inline void xlist_add_first(hal::Xptr<XlistEntry> root, hal::Xptr<XlistEntry> entry) {
  xlist_insert_after(root, entry);
}
inline void xlist_add_last(hal::Xptr<XlistEntry> root, hal::Xptr<XlistEntry> entry) {
  xlist_insert_before(root, entry);
}

// Takes `entry` out of its list and leaves it with null links.
inline void xlist_unlink(hal::Xptr<XlistEntry> entry) {
#if defined(MKH_DEBUG_CHECKS)
  detail::xlist_check_anchor(entry, "xlist_unlink");
#endif
  const auto next = detail::xlist_load_next(entry);
  const auto pred = detail::xlist_load_pred(entry);
  hal::remote_store(detail::xlist_next_field(pred), next.raw());
  hal::remote_store(detail::xlist_pred_field(next), pred.raw());
  xlist_entry_init(entry);
}

// Puts `new_entry` (in no list) in the place of `old_entry`, which is left with null links.
inline void xlist_replace(hal::Xptr<XlistEntry> old_entry, hal::Xptr<XlistEntry> new_entry) {
#if defined(MKH_DEBUG_CHECKS)
  detail::xlist_check_anchor(old_entry, "xlist_replace");
  detail::xlist_check_unlinked(new_entry, "xlist_replace");
#endif
  const auto next = detail::xlist_load_next(old_entry);
  const auto pred = detail::xlist_load_pred(old_entry);
  detail::xlist_store_links(new_entry, next, pred);
  hal::remote_store(detail::xlist_next_field(pred), new_entry.raw());
  hal::remote_store(detail::xlist_pred_field(next), new_entry.raw());
  xlist_entry_init(old_entry);
}

namespace detail {
inline hal::Xptr<XlistEntry> xlist_next_or_null(hal::Xptr<XlistEntry> root, hal::Xptr<XlistEntry> entry) {
  return entry.is_null() ? entry : xlist_next(root, entry);
}
inline hal::Xptr<XlistEntry> xlist_pred_or_null(hal::Xptr<XlistEntry> root, hal::Xptr<XlistEntry> entry) {
  return entry.is_null() ? entry : xlist_pred(root, entry);
}
}  // namespace detail

}  // namespace mkh::hal

// ---- iteration, as in the reference: `iter` is declared by the macro as an
// hal::Xptr<XlistEntry> naming each entry in turn; `root` is evaluated once.
//   XLIST_FOREACH(root, iter) { auto t = xlist_element(iter, &Thread::m_wait_entry); ... }
// The list must not change during XLIST_FOREACH / XLIST_FOREACH_BACKWARD. The _SAFE forms
// read the following entry into `next` before the body runs, so the body may unlink (or
// move to another list) the current entry `iter` — and no other entry.
#define XLIST_FOREACH(root, iter)                                                                                  \
  for (::mkh::hal::Xptr<::mkh::hal::XlistEntry> iter##_root = (root), iter = ::mkh::hal::xlist_first(iter##_root); \
       !iter.is_null(); iter = ::mkh::hal::xlist_next(iter##_root, iter))

#define XLIST_FOREACH_BACKWARD(root, iter)                                                                        \
  for (::mkh::hal::Xptr<::mkh::hal::XlistEntry> iter##_root = (root), iter = ::mkh::hal::xlist_last(iter##_root); \
       !iter.is_null(); iter = ::mkh::hal::xlist_pred(iter##_root, iter))

#define XLIST_FOREACH_SAFE(root, iter, next)                                                                       \
  for (::mkh::hal::Xptr<::mkh::hal::XlistEntry> iter##_root = (root), iter = ::mkh::hal::xlist_first(iter##_root), \
                                                next = ::mkh::hal::detail::xlist_next_or_null(iter##_root, iter);  \
       !iter.is_null(); iter = next, next = ::mkh::hal::detail::xlist_next_or_null(iter##_root, iter))

#define XLIST_FOREACH_BACKWARD_SAFE(root, iter, pred)                                                             \
  for (::mkh::hal::Xptr<::mkh::hal::XlistEntry> iter##_root = (root), iter = ::mkh::hal::xlist_last(iter##_root), \
                                                pred = ::mkh::hal::detail::xlist_pred_or_null(iter##_root, iter); \
       !iter.is_null(); iter = pred, pred = ::mkh::hal::detail::xlist_pred_or_null(iter##_root, iter))
