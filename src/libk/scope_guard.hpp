// ScopeGuard: runs a function when the scope ends, unless dismissed (Zircon's
// MakeAutoCall). Layer: libk. Calls nothing. For the steps of a constructor that have no
// owner type of their own: what must be undone if a later step fails.
#pragma once

#include <utility>

namespace mkh::libk {

template <typename F>
class [[nodiscard]] ScopeGuard {
 public:
  explicit ScopeGuard(F fn) : m_fn(std::move(fn)) {}
  ScopeGuard(const ScopeGuard&) = delete;
  ScopeGuard& operator=(const ScopeGuard&) = delete;
  ~ScopeGuard() {
    if (m_armed) m_fn();
  }
  // The scope completed: nothing to undo.
  void dismiss() { m_armed = false; }

 private:
  F m_fn;
  bool m_armed = true;
};

}  // namespace mkh::libk
