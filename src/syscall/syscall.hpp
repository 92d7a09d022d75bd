// The system calls of user programs: Linux's numbers and semantics for RISC-V 32-bit (the
// asm-generic table with 64-bit time only), for the subset a static program needs, and
// mkh's own calls from 1024. Layer: syscall. Calls proc (processes, user memory), vmm, the
// VFS. Anything else answers -ENOSYS and is counted (ProcCluster::m_unknown_syscalls).
#pragma once

#include <cstdint>

namespace mkh::proc {
struct UserThread;
}

namespace mkh::syscall {

// Runs the system call the thread's context names (a7, a0..a5), writes a0, advances pc.
void syscall_dispatch(proc::UserThread* thread);

// Installs syscall_dispatch as the user threads' handler (boot, once).
void syscall_init();

}  // namespace mkh::syscall
