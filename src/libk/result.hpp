// Errors as values inside the kernel: Result<T> and Result<T, Error> (mkh/result.hpp) and the
// TRY macro.
// Layer: libk (used by every layer). Calls nothing.
#pragma once

#include <utility>

#include "mkh/result.hpp"

namespace mkh::detail {
template <typename T, typename E>
T take_value(tl::expected<T, E>&& result) {
  return std::move(*result);
}
template <typename E>
void take_value(tl::expected<void, E>&&) {}
}  // namespace mkh::detail

// TRY(expr): evaluate a Result; on error return the error (an Errno or an Error) from the
// enclosing function. An Errno carries into a function that returns Result<T, Error>.
#define MKH_TRY_CONCAT2(a, b) a##b
#define MKH_TRY_CONCAT(a, b) MKH_TRY_CONCAT2(a, b)
#define TRY(expr)                                                                                                   \
  __extension__({                                                                                                   \
    auto MKH_TRY_CONCAT(try_result_, __LINE__) = (expr);                                                            \
    if (!MKH_TRY_CONCAT(try_result_, __LINE__)) return ::mkh::error(MKH_TRY_CONCAT(try_result_, __LINE__).error()); \
    ::mkh::detail::take_value(std::move(MKH_TRY_CONCAT(try_result_, __LINE__)));                                    \
  })
