// The system-call trace (trace.hpp). Layer: syscall.
#include "syscall/trace.hpp"

#include <algorithm>
#include <cstring>
#include <utility>

#include <fmt/format.h>

#include "dev/txt.hpp"
#include "hal/remote.hpp"
#include "kern/thread.hpp"
#include "proc/process.hpp"

namespace mkh::syscall {

namespace {

constexpr uint32_t kShownBytes = 32;   // of a buffer
constexpr uint32_t kShownString = 64;  // of a string
constexpr uint32_t kShownStrings = 8;  // of an argv

// `size` bytes in double quotes, C's escapes for the others than printable ASCII.
void append_quoted(std::string& out, const char* bytes, uint32_t size) {
  out += '"';
  for (uint32_t i = 0; i < size; ++i) {
    const auto c = static_cast<unsigned char>(bytes[i]);
    switch (c) {
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      default:
        if (c >= 0x20 && c < 0x7f) out += char(c);
        else fmt::format_to(std::back_inserter(out), "\\x{:02x}", c);
    }
  }
  out += '"';
}

// A user's string, its first kShownString bytes and "..." when longer; its address when the
// process cannot read it.
void append_string(std::string& out, proc::Process* process, uint32_t address) {
  if (address == 0) {
    out += "NULL";
    return;
  }
  char text[kShownString + 1];
  if (const auto length = proc::string_from_user(process, text, address, sizeof text); length) {
    append_quoted(out, text, *length);
  } else if (length.error() == Errno::kNameTooLong) {
    append_quoted(out, text, kShownString);
    out += "...";
  } else {
    fmt::format_to(std::back_inserter(out), "{:#x}", address);
  }
}

// A user's buffer of `size` bytes, its first kShownBytes.
void append_bytes(std::string& out, proc::Process* process, uint32_t address, uint32_t size) {
  char bytes[kShownBytes];
  const uint32_t shown = std::min(size, kShownBytes);
  if (!proc::copy_from_user(process, bytes, address, shown)) {
    fmt::format_to(std::back_inserter(out), "{:#x}", address);
    return;
  }
  append_quoted(out, bytes, shown);
  if (size > shown) out += "...";
}

// A user's NULL-ended array of strings: its first kShownStrings, or (`counted`) their number.
void append_strings(std::string& out, proc::Process* process, uint32_t address, bool counted) {
  if (address == 0) {
    out += "NULL";
    return;
  }
  if (counted) fmt::format_to(std::back_inserter(out), "{:#x} /* ", address);
  else out += '[';
  uint32_t count = 0;
  for (;; ++count) {
    uint32_t string = 0;
    if (!proc::copy_from_user(process, &string, address + 4 * count, 4)) {
      out += "?";
      break;
    }
    if (string == 0 || counted) {
      if (string == 0) break;
      continue;
    }
    if (count > 0) out += ", ";
    if (count == kShownStrings) {
      out += "...";
      break;
    }
    append_string(out, process, string);
  }
  if (counted) fmt::format_to(std::back_inserter(out), "{} vars */", count);
  else out += ']';
}

// Linux's open flags by name (asm-generic's numbers), the access mode first, as strace shows
// them; bits it does not name in octal at the end.
void append_open_flags(std::string& out, uint32_t flags) {
  constexpr std::pair<uint32_t, std::string_view> kFlags[] = {
      {0100, "O_CREAT"},        {0200, "O_EXCL"},         {0400, "O_NOCTTY"},      {01000, "O_TRUNC"},
      {02000, "O_APPEND"},      {04000, "O_NONBLOCK"},    {010000, "O_DSYNC"},     {040000, "O_DIRECT"},
      {0100000, "O_LARGEFILE"}, {0200000, "O_DIRECTORY"}, {0400000, "O_NOFOLLOW"}, {01000000, "O_NOATIME"},
      {02000000, "O_CLOEXEC"},  {04000000, "__O_SYNC"},   {010000000, "O_PATH"},   {020000000, "__O_TMPFILE"}};
  constexpr std::string_view kModes[] = {"O_RDONLY", "O_WRONLY", "O_RDWR", "O_ACCMODE"};
  out += kModes[flags & 3];
  flags &= ~3u;
  for (const auto& [bit, name] : kFlags)
    if ((flags & bit) != 0) {
      out += '|';
      out += name;
      flags &= ~bit;
    }
  if (flags != 0) fmt::format_to(std::back_inserter(out), "|{:#o}", flags);
}

void append_signal(std::string& out, uint32_t signal) {
  if (const std::string_view name = proc::signal_name(signal); !name.empty()) out += name;
  else fmt::format_to(std::back_inserter(out), "{}", int32_t(signal));
}

// The argument `index` of kind `kind` as the line shows it; `answer` when the call returned
// (the kinds the call writes wait for it: "..." before).
void append_argument(std::string& out, Call& call, char kind, uint32_t index, const Answer* answer) {
  const uint32_t value = call.a[index];
  switch (kind) {
    case 'd': fmt::format_to(std::back_inserter(out), "{}", int32_t(value)); return;
    case 'u': fmt::format_to(std::back_inserter(out), "{}", value); return;
    case 'x': fmt::format_to(std::back_inserter(out), "{:#x}", value); return;
    case 'o': fmt::format_to(std::back_inserter(out), "{:#o}", value); return;
    case 'p':
      if (value == 0) out += "NULL";
      else fmt::format_to(std::back_inserter(out), "{:#x}", value);
      return;
    case 'f':
      if (int32_t(value) == AT_FDCWD) out += "AT_FDCWD";
      else fmt::format_to(std::back_inserter(out), "{}", int32_t(value));
      return;
    case 's': append_string(out, call.process, value); return;
    case 'w': append_bytes(out, call.process, value, index + 1 < 6 ? call.a[index + 1] : 0); return;
    case 'v': append_strings(out, call.process, value, false); return;
    case 'e': append_strings(out, call.process, value, true); return;
    case 'g': append_signal(out, value); return;
    case 'O': append_open_flags(out, value); return;
    case 'S':
    case 'r':
      if (answer == nullptr || !*answer) fmt::format_to(std::back_inserter(out), "{:#x}", value);
      else if (kind == 'S') append_string(out, call.process, value);
      else append_bytes(out, call.process, value, **answer);
      return;
    default: fmt::format_to(std::back_inserter(out), "{:#x}", value); return;
  }
}

// The spec's argument kinds: without its '!' and its answer's kind.
std::string_view argument_kinds(const TraceSpec& spec) {
  std::string_view kinds = spec.args.starts_with('!') ? spec.args.substr(1) : spec.args;
  return kinds.substr(0, kinds.find('>'));
}

// A call mkh does not know: its six argument registers.
constexpr TraceSpec kUnknownCall{"", "xxxxxx"};

bool writes_arguments(std::string_view kinds) { return kinds.find_first_of("Sr") != std::string_view::npos; }

// The arguments from the first, shown as the call left them (`answer`) or as it finds them.
void append_arguments(std::string& out, Call& call, std::string_view kinds, const Answer* answer) {
  for (uint32_t i = 0; i < kinds.size() && i < 6; ++i) {
    if (i > 0) out += ", ";
    append_argument(out, call, kinds[i], i, answer);
  }
}

}  // namespace

std::string trace_begin(Call& call, uint32_t number, const TraceSpec* known) {
  const TraceSpec& spec = known != nullptr ? *known : kUnknownCall;
  std::string line = proc::trace_caller(call.thread);
  if (known != nullptr) fmt::format_to(std::back_inserter(line), "{}(", spec.name);
  else fmt::format_to(std::back_inserter(line), "syscall_{}(", number);
  // A call that writes into its arguments shows them all once it returned; the others now,
  // while what they name is still there (execve replaces the memory its strings are in).
  if (const std::string_view kinds = argument_kinds(spec); !writes_arguments(kinds))
    append_arguments(line, call, kinds, nullptr);
  return line;
}

void trace_end(Call& call, const TraceSpec* known, std::string line, const Answer& answer, int64_t ns) {
  const TraceSpec& spec = known != nullptr ? *known : kUnknownCall;
  if (const std::string_view kinds = argument_kinds(spec); writes_arguments(kinds))
    append_arguments(line, call, kinds, &answer);
  if (spec.args.starts_with('!')) line += ") = ?";
  else if (answer && spec.args.ends_with(">p")) fmt::format_to(std::back_inserter(line), ") = {:#x}", *answer);
  else if (answer) fmt::format_to(std::back_inserter(line), ") = {}", int32_t(*answer));
  else fmt::format_to(std::back_inserter(line), ") = -1 {}", errno_name(answer.error()));
  fmt::format_to(std::back_inserter(line), " <{}.{:03} us>\n", ns / 1000, ns % 1000);
  (void)dev::txt_print(0, line);
}

void trace_signal(const proc::UserThread* thread, uint32_t signal, std::string_view what) {
  std::string line = proc::trace_caller(thread) + "--- ";
  append_signal(line, signal);
  fmt::format_to(std::back_inserter(line), " ({}) ---\n", what);
  (void)dev::txt_print(0, line);
}

Answer sys_mkh_trace(Call& call) {
  if ((call.a[0] & ~(proc::kTraceCalls | proc::kTraceFaults)) != 0) return error(Errno::kInval);
  hal::remote_store(call.thread->m_reference.field(&proc::Process::m_syscall_trace), call.a[0]);
  return 0;
}

}  // namespace mkh::syscall
