// Errors as values inside the kernel: Result<T> (mkh/result.hpp) and the TRY macro.
// Layer: libk (used by every layer). Calls nothing.
#pragma once

#include <utility>

#include "mkh/result.hpp"

namespace mkh::detail {
template <typename T>
T take_value(Result<T>&& result) {
  return std::move(*result);
}
inline void take_value(Result<void>&&) {}
}  // namespace mkh::detail

// TRY(expr): evaluate a Result; on error return the error from the enclosing function.
#define MKH_TRY_CONCAT2(a, b) a##b
#define MKH_TRY_CONCAT(a, b) MKH_TRY_CONCAT2(a, b)
#define TRY(expr)                                                                 \
  __extension__({                                                                 \
    auto MKH_TRY_CONCAT(try_result_, __LINE__) = (expr);                          \
    if (!MKH_TRY_CONCAT(try_result_, __LINE__))                                   \
      return ::mkh::error(MKH_TRY_CONCAT(try_result_, __LINE__).error());         \
    ::mkh::detail::take_value(std::move(MKH_TRY_CONCAT(try_result_, __LINE__)));                     \
  })
