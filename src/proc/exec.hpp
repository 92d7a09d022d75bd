// exec: a process's new image from an ELF32 RISC-V executable of the file system — service 2,
// PROCESS_MAKE_EXEC, on the process's owner. Layer: proc. Calls the VFS (the file, its
// mapper), the ELF checker (user/elf.hpp), vmm (vsegs), proc/user_thread.hpp (the main thread).
//
// The vsegs: one per PT_LOAD, CODE when it is not writable, DATA otherwise, both backed by the
// file's mapper (their pages are private copies of the file's bytes, the bss zeros); the heap
// starts after the highest segment; the main thread's STACK is the top stack slot, below a
// guard page, and holds argc, argv, envp and the auxiliary vector as Linux lays them out for
// RISC-V (docs/decisions.md "User mode").
//
// execve(2) replaces the image of a running process (docs/decisions.md "execve"): the calling
// thread opens and checks the program, then its process ends its threads as for exit_group —
// but marked kExitingForExec — and the last thread to leave builds the new image at the
// reference, whose main thread keeps the pid.
#pragma once

#include <cstdint>

#include "fs/vfs/objects.hpp"
#include "hal/xptr.hpp"
#include "libk/result.hpp"

namespace mkh::proc {

inline constexpr uint32_t kExecPathMax = 256;
inline constexpr uint32_t kExecStringsMax = 12 * 1024;  // argv and envp strings, their NULs included
inline constexpr uint32_t kExecArgsMax = 1024;          // argv and envp entries

// What exec is given, in the client's memory: the process, the path (execve's: its last
// kExecPathMax - 1 bytes, which name the process), then argc strings of argv followed by envc
// strings of envp, each NUL-terminated, in `strings`.
struct ExecInfo {
  uint32_t pid = 0;
  uint32_t argc = 0;
  uint32_t envc = 0;
  uint32_t strings_size = 0;
  char path[kExecPathMax] = {};
  char strings[kExecStringsMax] = {};
};

// Appends one string to info's argv (before any envp) or envp; kInval when full (E2BIG's
// case: the caller says which argument).
[[nodiscard]] Result<void> exec_info_add(ExecInfo* info, const char* text, bool to_env);

// 2: builds the new image of process `info.pid` (owned by the server cluster) and starts its
// main thread. ENOENT, EACCES (a directory), ENOEXEC (the checker's refusal: nothing is
// created), ENOMEM, E2BIG, kBusy (the process still has a thread: exec over a running image
// comes with threads in several clusters).
Result<void> process_make_exec_server(hal::Xptr<ExecInfo> info);
Result<void> rpc_process_make_exec_client(hal::cxy_t cxy, hal::Xptr<ExecInfo> info);

struct Process;
struct UserThread;

// execve(2)'s first step, as Linux's (before the strings are read): the program `path`
// (relative to `at`) opened, its reference the caller's. ENOENT, ENOTDIR, EACCES for a directory.
[[nodiscard]] Result<hal::Xptr<fs::File>> exec_open(fs::At at, const char* path);
// execve(2) by `thread`, a user thread of the process in any cluster, of the program open as
// `file` (the reference given: closed when the call fails): checked — ENOEXEC, ENOMEM returned
// with nothing changed —, then the point of no return: every thread of the process stops, in
// every cluster, this one at its return, and the last to leave makes the new image from `info`
// (the caller's) with this thread's signal mask and pending signals (exec_after_last_thread).
// kIntr when the process was ending already (the thread ends at its return all the same).
[[nodiscard]] Result<void> exec_from_thread(UserThread* thread, hal::Xptr<fs::File> file, const ExecInfo& info);

// The last thread of `process` (the reference, local) has left it. True when an execve asked
// for a new image and it is made (its main thread started): the process goes on. False when
// the process ends: no execve was asked, a kill came first, or the new image could not be made
// after the old one went (the process is then killed by SIGSEGV, as Linux does).
bool exec_after_last_thread(Process* process);

}  // namespace mkh::proc
