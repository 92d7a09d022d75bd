// exec: a process's new image from an ELF32 RISC-V executable of the file system — service 2,
// PROCESS_MAKE_EXEC, on the process's owner. Layer: proc. Calls the VFS (the file, its
// mapper), the ELF checker (user/elf.hpp), vmm (vsegs), proc/user_thread.hpp (the main thread).
//
// The vsegs: one per PT_LOAD, CODE when it is not writable, DATA otherwise, both backed by the
// file's mapper (their pages are private copies of the file's bytes, the bss zeros); the heap
// starts after the highest segment; the main thread's STACK is the top stack slot, below a
// guard page, and holds argc, argv, envp and the auxiliary vector as Linux lays them out for
// RISC-V (docs/decisions.md "User mode").
#pragma once

#include <cstdint>

#include "hal/xptr.hpp"
#include "libk/result.hpp"

namespace mkh::proc {

inline constexpr uint32_t kExecPathMax = 256;
inline constexpr uint32_t kExecStringsMax = 12 * 1024;  // argv and envp strings, their NULs included
inline constexpr uint32_t kExecArgsMax = 1024;          // argv and envp entries

// What exec is given, in the client's memory: the process, the path, then argc strings of argv
// followed by envc strings of envp, each NUL-terminated, in `strings`.
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

}  // namespace mkh::proc
