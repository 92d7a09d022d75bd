// Extended lists: the debug checks, out of line so that the inline operations stay small.
// Layer: hal. Calls hal/remote.hpp and kpanic.
#include "hal/xlist.hpp"

#include "libk/assert.hpp"

namespace mkh::hal::detail {

void xlist_check_anchor(hal::Xptr<XlistEntry> anchor, const char* what) {
  KASSERT(!anchor.is_null(), "{}: null xlist entry", what);
  const auto next = xlist_load_next(anchor);
  const auto pred = xlist_load_pred(anchor);
  KASSERT(!next.is_null() && !pred.is_null(),
          "{}: xlist entry {:#x} is in no list (next {:#x}, pred {:#x}): a root not initialised, "
          "or an entry already unlinked",
          what, anchor.raw(), next.raw(), pred.raw());
  const auto next_pred = xlist_load_pred(next);
  const auto pred_next = xlist_load_next(pred);
  KASSERT(next_pred == anchor && pred_next == anchor,
          "{}: xlist links around {:#x} are corrupt: next {:#x} has pred {:#x}, pred {:#x} has next {:#x}", what,
          anchor.raw(), next.raw(), next_pred.raw(), pred.raw(), pred_next.raw());
}

void xlist_check_unlinked(hal::Xptr<XlistEntry> entry, const char* what) {
  KASSERT(!entry.is_null(), "{}: null xlist entry", what);
  const auto next = xlist_load_next(entry);
  const auto pred = xlist_load_pred(entry);
  KASSERT(next.is_null() && pred.is_null(),
          "{}: xlist entry {:#x} is already in a list (next {:#x}, pred {:#x}); unlink it first", what, entry.raw(),
          next.raw(), pred.raw());
}

}  // namespace mkh::hal::detail
