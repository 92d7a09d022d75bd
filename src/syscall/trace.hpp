// The system-call trace: mkh's trace(mode), and `mkh exec --strace`. A traced process's calls
// each print a line on the kernel console (TXT0) once they return, as strace(1) prints them: the
// caller, the call's name and arguments, its answer and how long it took (its page faults:
// proc/user_thread.hpp). Layer: syscall.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "syscall/call.hpp"

namespace mkh::syscall {

// How a call's arguments are shown, one character per argument, in order (a0 ...):
//   d  a signed number        u  an unsigned number     x  a number in hex
//   o  a number in octal      p  an address (NULL)      f  a folder's fd (AT_FDCWD)
//   s  a string the call reads (a path)                 S  a string the call writes
//   w  bytes the call reads, as many as the next argument says
//   r  bytes the call writes, as many as it answers
//   v  an array of strings (argv)                       e  the same, counted (envp)
//   g  a signal's number                                O  open's flags, by name
// A first '!' marks a call that does not return to its caller (exit, exit_group,
// rt_sigreturn): its answer is shown as "?". A last ">p": the answer is an address (brk,
// mmap2), shown in hex; other answers are signed numbers.
struct TraceSpec {
  std::string_view name;
  std::string_view args;
};

// Whether a thread's process is traced: proc::traced (user_thread.hpp), which also traces
// its page faults.
using proc::traced;
// The line of call `number` about to run: the caller, the name and the arguments the call
// reads. `spec` null: a call mkh does not know, its six registers shown.
std::string trace_begin(Call& call, uint32_t number, const TraceSpec* spec);
// Ends the line with what the call wrote and its answer, and prints it. `ns`: its time.
void trace_end(Call& call, const TraceSpec* spec, std::string line, const Answer& answer, int64_t ns);

// A signal `thread` takes, as the trace shows it (for a traced process): "--- SIGSEGV (what)
// ---", where `what` says how it acts (a handler runs, a fault's address...).
void trace_signal(const proc::UserThread* thread, uint32_t signal, std::string_view what);

// mkh's trace(mode): what of the calling process is traced from now on, a set of bits:
// proc::kTraceCalls (1) its calls, proc::kTraceFaults (2) its page faults; 0 nothing.
// Inherited by the children it forks from then on, kept across execve. EINVAL for another
// bit.
Answer sys_mkh_trace(Call& call);

}  // namespace mkh::syscall
