// User threads: a kernel thread of type USER whose fiber runs the RV32IMAC interpreter over
// its process's address space, and the kernel's access to user memory. Layer: proc. Calls
// the interpreter (user/), vmm (page faults), kern (threads, the scheduler).
//
// The loop runs the interpreter for a quantum of instructions, then handles what stopped it:
// the end of the quantum (a scheduling point), an ecall (the system-call handler, installed
// by the syscall layer), or a trap the VMM could not resolve (the process is killed with the
// signal Linux sends: SIGSEGV, SIGBUS, SIGILL, SIGTRAP). A page fault is resolved inside the
// run: the address space's translate asks the VMM, which fills the page.
#pragma once

#include <cstddef>
#include <cstdint>

#include "hal/xptr.hpp"
#include "kern/thread.hpp"
#include "libk/result.hpp"
#include "proc/process.hpp"
#include "user/code_cache.hpp"
#include "user/interpreter.hpp"
#include "user/tlb.hpp"

namespace mkh::proc {

// Instructions a user thread runs before it passes through a scheduling point.
inline constexpr uint64_t kUserQuantum = 100'000;

struct UserThread final : user::AddressSpace {
  explicit UserThread(Process* process) : m_process(process), m_tlb(*this) {}

  // The host address of the page holding `address` for `access`, the page fault resolved by
  // the VMM; nullptr (and m_fault the VMM's refusal) when it cannot be.
  std::byte* translate(uint32_t address, user::Access access) override;

  Process* m_process;
  kern::Thread* m_thread = nullptr;
  user::Context m_context;
  user::Tlb m_tlb;
  user::CodeCache m_code;
  Errno m_fault = Errno::kOk;  // why the last translate failed
  uint32_t m_clear_child_tid = 0;
  // CPU time, in hal::ticks(): the time since the thread started but its scheduling points
  // (the other threads of its core run there) and the waits of its sleeps: the interpreter,
  // its page faults and its system calls (a call that blocks counts its wait).
  uint64_t m_cpu_ticks = 0;     // up to m_cpu_since
  uint64_t m_cpu_since = 0;     // the start of the interval running now
  uint64_t m_waited_ticks = 0;  // of that interval, the waits of a sleep
};

// The CPU time of the calling user thread, in nanoseconds (the CPU-time clocks).
[[nodiscard]] uint64_t user_cpu_ns(const UserThread* thread);
// A system call of `thread` waited `ticks` (hal::ticks()) without using its CPU: a sleep.
inline void user_thread_waited(UserThread* thread, uint64_t ticks) { thread->m_waited_ticks += ticks; }

// Creates the user thread of `process` on core `lid` of the local cluster, starting at `pc`
// with stack pointer `sp`; it runs from its core's next scheduling point — possibly before
// this returns, and to its end: the caller must not touch the result after. kNoMem.
[[nodiscard]] Result<UserThread*> user_thread_create(Process* process, hal::lid_t lid, uint32_t pc, uint32_t sp);

// The system-call handler: runs the call in the context's a7 with its arguments, writes a0,
// and advances pc past the ecall. Installed once at boot by the syscall layer.
using SyscallHandler = void (*)(UserThread* thread);
void set_syscall_handler(SyscallHandler handler);

// Forgets every translation of the page at `vpn` (every TLB of the process's threads, and
// its decoded code): after the VMM removed or changed its entry.
void user_flush_page(uint32_t vpn, void* process);

// Kernel access to a process's memory (local: the reference's VMM), page by page through the VMM
// (which resolves the faults); kFault when a page cannot be had.
[[nodiscard]] Result<void> copy_from_user(Process* process, void* to, uint32_t from, uint32_t size);
[[nodiscard]] Result<void> copy_to_user(Process* process, uint32_t to, const void* from, uint32_t size);
// A NUL-terminated string of at most capacity - 1 bytes; kNameTooLong when longer, kFault.
[[nodiscard]] Result<uint32_t> string_from_user(Process* process, char* to, uint32_t from, uint32_t capacity);
// The user page holding `address`, for `access` (vmm::VSEG_READ / VSEG_WRITE), as an xptr to
// the byte: buffers of read and write move straight between the mapper and the user's pages.
// kFault for a page the VMM refuses, whatever its reason (EFAULT, as Linux).
[[nodiscard]] Result<hal::xptr_t> user_byte(Process* process, uint32_t address, uint32_t access);

}  // namespace mkh::proc
