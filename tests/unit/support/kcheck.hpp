// Checks usable inside kernel threads: KCHECK(cond), KCHECK_EQ(a, b), KCHECK_NE(a, b),
// KCHECK_OK(result), KCHECK_ERR(result, errno). A failure is recorded with its file, line,
// expression and values, and the test goes on; MachineTest's TearDown fails the test with
// every recorded failure (gtest's EXPECT_* are for the host thread of the test body: a
// kernel thread runs on a fiber of a core's host thread, and its failures would carry no
// values once folded into a counter). Test support, host memory.
#pragma once

#include <string>
#include <type_traits>
#include <vector>

#include <fmt/format.h>

#include "libk/host_mutex.hpp"
#include "libk/result.hpp"

namespace mkh::test {

class Kchecks {
 public:
  static Kchecks& instance() {
    static Kchecks checks;
    return checks;
  }
  void fail(const char* file, int line, std::string what) {
    libk::HostMutexGuard guard(m_lock);
    if (m_failures.size() < kKept) m_failures.push_back(fmt::format("{}:{}: {}", file, line, std::move(what)));
    ++m_count;
  }
  // The failures recorded since the last take, and how many there were in all.
  std::vector<std::string> take(uint64_t* count) {
    libk::HostMutexGuard guard(m_lock);
    *count = m_count;
    m_count = 0;
    return std::exchange(m_failures, {});
  }

 private:
  static constexpr std::size_t kKept = 50;
  libk::HostMutex m_lock;
  std::vector<std::string> m_failures GUARDED_BY(m_lock);
  uint64_t m_count GUARDED_BY(m_lock) = 0;
};

template <typename T>
std::string kcheck_value(const T& value) {
  if constexpr (std::is_same_v<T, Errno>) return std::string(errno_name(value));
  else if constexpr (std::is_enum_v<T>) return fmt::format("{}", std::underlying_type_t<T>(value));
  else if constexpr (std::is_pointer_v<T>) return fmt::format("{}", static_cast<const void*>(value));
  else if constexpr (fmt::is_formattable<T>::value) return fmt::format("{}", value);
  else return "(value)";
}

template <typename R>
std::string kcheck_result(const R& result) {
  return result ? std::string("a value") : std::string(errno_name(result.error()));
}

}  // namespace mkh::test

#define KCHECK_FAIL(...) ::mkh::test::Kchecks::instance().fail(__FILE__, __LINE__, ::fmt::format(__VA_ARGS__))

#define KCHECK(cond)                               \
  do {                                             \
    if (!(cond)) KCHECK_FAIL("KCHECK({})", #cond); \
  } while (0)

#define MKH_KCHECK_OP(a, b, op)                                                                    \
  do {                                                                                             \
    const auto& kcheck_a = (a);                                                                    \
    const auto& kcheck_b = (b);                                                                    \
    if (!(kcheck_a op kcheck_b))                                                                   \
      KCHECK_FAIL("expected {} " #op " {}: {} vs {}", #a, #b, ::mkh::test::kcheck_value(kcheck_a), \
                  ::mkh::test::kcheck_value(kcheck_b));                                            \
  } while (0)
#define KCHECK_EQ(a, b) MKH_KCHECK_OP(a, b, ==)
#define KCHECK_NE(a, b) MKH_KCHECK_OP(a, b, !=)
#define KCHECK_LE(a, b) MKH_KCHECK_OP(a, b, <=)

// A Result that must hold a value.
#define KCHECK_OK(result)                                                                                   \
  do {                                                                                                      \
    const auto& kcheck_r = (result);                                                                        \
    if (!kcheck_r) KCHECK_FAIL("expected {} to succeed: {}", #result, ::mkh::errno_name(kcheck_r.error())); \
  } while (0)

// A Result that must fail with `e`.
#define KCHECK_ERR(result, e)                                                       \
  do {                                                                              \
    const auto& kcheck_r = (result);                                                \
    if (kcheck_r || kcheck_r.error() != (e))                                        \
      KCHECK_FAIL("expected {} to fail with {}: {}", #result, ::mkh::errno_name(e), \
                  ::mkh::test::kcheck_result(kcheck_r));                            \
  } while (0)
