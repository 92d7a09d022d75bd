// Errors as values, shared by the kernel and embedders: Result<T> (a value or an Errno),
// Result<T, Error> where a person reads the error (an Errno and a message naming what is
// wrong). Public API. The Errno values are Linux's errno values: user mode gets them as they are.
#pragma once

#include <cerrno>
#include <cstdint>
#include <iosfwd>
#include <string>
#include <string_view>
#include <utility>

#include <fmt/format.h>
#include <tl/expected.hpp>

namespace mkh {

// Every error number: X(enumerator, Linux number, name). The numbers are literals (the ABI of
// user mode), checked below against the host's <cerrno>.
#define MKH_ERRNO_LIST(X)                                                         \
  X(kPerm, 1, EPERM)                                                              \
  X(kNoEnt, 2, ENOENT)                                                            \
  X(kSrch, 3, ESRCH)                                                              \
  X(kIntr, 4, EINTR)                                                              \
  X(kIo, 5, EIO)                                                                  \
  X(kNxIo, 6, ENXIO)                                                              \
  X(k2Big, 7, E2BIG)                                                              \
  X(kNoExec, 8, ENOEXEC)                                                          \
  X(kBadF, 9, EBADF)                                                              \
  X(kChild, 10, ECHILD)                                                           \
  X(kAgain, 11, EAGAIN)                                                           \
  X(kNoMem, 12, ENOMEM)                                                           \
  X(kAcces, 13, EACCES)                                                           \
  X(kFault, 14, EFAULT)                                                           \
  X(kBusy, 16, EBUSY)                                                             \
  X(kExist, 17, EEXIST)                                                           \
  X(kXDev, 18, EXDEV)                                                             \
  X(kNoDev, 19, ENODEV)                                                           \
  X(kNotDir, 20, ENOTDIR)                                                         \
  X(kIsDir, 21, EISDIR)                                                           \
  X(kInval, 22, EINVAL)                                                           \
  X(kNFile, 23, ENFILE)                                                           \
  X(kMFile, 24, EMFILE)                                                           \
  X(kNotTy, 25, ENOTTY)                                                           \
  X(kTxtBsy, 26, ETXTBSY)                                                         \
  X(kFBig, 27, EFBIG)                                                             \
  X(kNoSpc, 28, ENOSPC)                                                           \
  X(kSPipe, 29, ESPIPE)                                                           \
  X(kRoFs, 30, EROFS)                                                             \
  X(kMLink, 31, EMLINK)                                                           \
  X(kPipe, 32, EPIPE)                                                             \
  X(kDom, 33, EDOM)                                                               \
  X(kRange, 34, ERANGE)                                                           \
  X(kDeadLk, 35, EDEADLK)                                                         \
  X(kNameTooLong, 36, ENAMETOOLONG)                                               \
  X(kNoSys, 38, ENOSYS)                                                           \
  X(kNotEmpty, 39, ENOTEMPTY)                                                     \
  X(kLoop, 40, ELOOP)                                                             \
  X(kOverflow, 75, EOVERFLOW)                                                     \
  X(kNotSup, 95, ENOTSUP) /* Linux: EOPNOTSUPP is the same number */              \
  X(kTimedOut, 110, ETIMEDOUT)                                                    \
  X(kUClean, 117, EUCLEAN) /* a structure found corrupt (Linux's EFSCORRUPTED) */ \
  X(kCanceled, 125, ECANCELED)

enum class Errno : int32_t {
  kOk = 0,
#define MKH_ERRNO_ENUMERATOR(enumerator, number, name) enumerator = number,
  MKH_ERRNO_LIST(MKH_ERRNO_ENUMERATOR)
#undef MKH_ERRNO_ENUMERATOR
};

#define MKH_ERRNO_CHECK(enumerator, number, name) \
  static_assert(number == name, "Errno::" #enumerator " is not Linux's " #name);
MKH_ERRNO_LIST(MKH_ERRNO_CHECK)
#undef MKH_ERRNO_CHECK
static_assert(ENOTSUP == EOPNOTSUPP, "Errno::kNotSup stands for both");

// "ENOENT", "OK" for kOk, "E?" for a number outside the list.
std::string_view errno_name(Errno e);

// A host error number (errno after a failed POSIX call) as an Errno: the numbers are Linux's.
inline Errno errno_from_host(int host_errno) { return static_cast<Errno>(host_errno); }

// An error for people: the number, and a message that names what is wrong (e.g. "topology
// '2x2:0': C (cores per cluster) must be at least 1"). A bare Errno converts to an Error with
// no message, so TRY carries a kernel error into a function that returns Result<T, Error>.
struct Error {
  Errno code = Errno::kInval;
  std::string message;

  Error(Errno error_code) : code(error_code) {}  // NOLINT(google-explicit-constructor)
  Error(Errno error_code, std::string text) : code(error_code), message(std::move(text)) {}

  // The message, or the error number's name when there is none.
  std::string_view text() const { return message.empty() ? errno_name(code) : std::string_view(message); }

  // The same error seen from a caller that knows more: "what: message".
  Error context(std::string_view what) const { return Error(code, fmt::format("{}: {}", what, text())); }

  friend bool operator==(const Error&, const Error&) = default;
};

// out << error writes the error's text (gtest messages, iostream users).
template <typename Char, typename Traits>
std::basic_ostream<Char, Traits>& operator<<(std::basic_ostream<Char, Traits>& out, const Error& e) {
  return out << e.text();
}

// A value or an error; ignoring a returned Result does not compile (-Werror): handle it, or
// discard it with (void) and a comment saying why that is safe. A class rather than an alias
// of tl::expected so that it can carry [[nodiscard]].
template <typename T, typename E = Errno>
class [[nodiscard]] Result : public tl::expected<T, E> {
 public:
  using Base = tl::expected<T, E>;
  using Base::Base;
  Result() = default;
  Result(const Base& other) : Base(other) {}        // NOLINT(google-explicit-constructor)
  Result(Base&& other) : Base(std::move(other)) {}  // NOLINT(google-explicit-constructor)
};

// return error(Errno::kNoMem);
inline tl::unexpected<Errno> error(Errno e) { return tl::unexpected<Errno>(e); }
// return error(some_error.context("boot"));
inline tl::unexpected<Error> error(Error e) { return tl::unexpected<Error>(std::move(e)); }
// return error(Errno::kInval, "topology '{}' is not of the form XxY:C", text);
template <typename... Args>
tl::unexpected<Error> error(Errno code, fmt::format_string<Args...> format, Args&&... args) {
  return tl::unexpected<Error>(Error(code, fmt::format(format, std::forward<Args>(args)...)));
}

}  // namespace mkh

// fmt::print("{}", error) prints the error's text (its message, else its number's name).
template <>
struct fmt::formatter<mkh::Error> : fmt::formatter<std::string_view> {
  template <typename FormatContext>
  auto format(const mkh::Error& e, FormatContext& ctx) const {
    return fmt::formatter<std::string_view>::format(e.text(), ctx);
  }
};
