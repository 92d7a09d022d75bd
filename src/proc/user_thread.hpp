// User threads: a kernel thread of type USER whose fiber runs the RV32IMAC interpreter over
// its process's address space, and the kernel's access to user memory. Layer: proc. Calls
// the interpreter (user/), vmm (page faults), kern (threads, the scheduler).
//
// The loop runs the interpreter for a quantum of instructions, then handles what stopped it:
// the end of the quantum (a scheduling point), an ecall (the system-call handler, installed
// by the syscall layer), or a trap the VMM could not resolve (the process is killed with the
// signal Linux sends: SIGSEGV, SIGBUS, SIGILL, SIGTRAP). A page fault is resolved inside the
// run: the address space's translate asks the VMM, which fills the page.
//
// The threads of a process run on the cores of its cluster at once, each with its own TLB
// and decoded code. The shootdown (USERMODE.md): a thread that changes or removes an entry of
// the GPT bumps the process's epoch and waits until no other thread runs user code with an
// older one; a thread flushes its TLB and code when it finds the epoch moved, each time it
// starts running user code (m_in_user goes to 1: the two sides are Dekker's, sequentially
// consistent) and after each page fault it resolved (a fault runs with m_in_user 0: it may
// wait for the VMM's lock, held by the thread that waits for the shootdown).
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>

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

inline constexpr uint32_t kNoPlacement = ~0u;

struct UserThread final : user::AddressSpace {
  explicit UserThread(Process* process) : m_process(process), m_reference(process_reference(process)), m_tlb(*this) {}

  // The host address of the page holding `address` for `access`, the page fault resolved by
  // the VMM; nullptr (and m_fault the VMM's refusal) when it cannot be.
  std::byte* translate(uint32_t address, user::Access access) override;

  Process* m_process;              // this cluster's descriptor of its process: the reference or a copy
  hal::Xptr<Process> m_reference;  // the reference (its thread table, epoch, end)
  kern::Thread* m_thread = nullptr;
  user::Context m_context;
  user::Tlb m_tlb;
  user::CodeCache m_code;
  Errno m_fault = Errno::kOk;  // why the last translate failed
  uint32_t m_tid = 0;
  uint32_t m_slot = 0;                  // in the reference's m_threads
  uint32_t m_clear_child_tid = 0;       // set_tid_address(2), CLONE_CHILD_CLEARTID: zeroed and woken at the end
  uint32_t m_exit = 0;                  // exit(2): the thread ends at its next turn of the loop
  uint32_t m_place_lid = kNoPlacement;  // mkh's place_thread: the core of the next thread it clones
  // Its signal mask and the signals sent to it alone while it blocked them (bit n - 1: signal
  // n), under the process's m_signal_lock (syscall/signals.cpp).
  uint64_t m_signals_blocked = 0;
  uint64_t m_signals_pending = 0;
  // The shootdown's two words: written by the thread, read by any other of its process.
  uint32_t m_in_user = 0;     // 1 while the interpreter runs (translate's faults aside)
  uint32_t m_seen_epoch = 0;  // the process's m_tlb_epoch its TLB and code are flushed for
  // CPU time, in hal::ticks(): the time since the thread started but its scheduling points
  // (the other threads of its core run there) and the waits of its sleeps: the interpreter,
  // its page faults and its system calls (a call that blocks counts its wait).
  uint64_t m_cpu_ticks = 0;     // up to m_cpu_since (written by the thread, read by any of its process)
  uint64_t m_cpu_since = 0;     // the start of the interval running now
  uint64_t m_waited_ticks = 0;  // of that interval, the waits of a sleep
};

// The CPU time of the calling user thread, in nanoseconds (the thread's CPU-time clock).
[[nodiscard]] uint64_t user_cpu_ns(const UserThread* thread);
// The CPU time of the calling thread's process: its threads' that ended, the others' up to
// their last scheduling point, the caller's up to now (the process's CPU-time clock).
[[nodiscard]] uint64_t process_cpu_ns(const UserThread* thread);
// A system call of `thread` waited `ticks` (hal::ticks()) without using its CPU: a sleep.
inline void user_thread_waited(UserThread* thread, uint64_t ticks) { thread->m_waited_ticks += ticks; }

// A new thread of `process` with `context` (its registers and pc) and the signal mask
// `signals_blocked`, in the process's thread table (its tid chosen) but not running:
// user_thread_start runs it. kAgain when the process has kMaxThreads threads, kNoMem.
[[nodiscard]] Result<UserThread*> user_thread_make(Process* process, const user::Context& context,
                                                   uint64_t signals_blocked);
// Runs a thread made by user_thread_make on core `lid` of the local cluster from the core's
// next scheduling point — possibly before this returns, and to its end: the caller must not
// touch it after. On failure (kNoMem) the thread is gone.
[[nodiscard]] Result<void> user_thread_start(UserThread* thread, hal::lid_t lid);
// Where clone places the thread `creator` makes: the core it named with place_thread, else
// the cores of the process's cluster in turn.
hal::lid_t user_thread_place(UserThread* creator);

// The system-call handler: runs the call in the context's a7 with its arguments, writes a0,
// and advances pc past the ecall. Installed once at boot by the syscall layer.
using SyscallHandler = void (*)(UserThread* thread);
void set_syscall_handler(SyscallHandler handler);

// One change of a process's VMM (munmap, mprotect, brk, a fixed mmap) by `thread`, a user
// thread of the process or null (the kernel, with no thread of the process running), given
// to the VMM as its flush's context.
struct TlbShootdown {
  Process* process;
  UserThread* thread;
  bool others_flushed = false;
};
// The VMM's flush, under its lock, for each entry it removed or changed: the calling thread's
// TLB and decoded code forget the page at `vpn`; at the first call the other threads of the
// process are told to flush everything, and it returns once none runs with what it held (no
// other can fill its TLB again before the VMM's lock is released).
void user_flush_page(uint32_t vpn, void* shootdown);
// The shootdown alone: every thread of `process` but `self` (or null) flushes its TLB and its
// decoded code before it runs user code again; returns once none runs with what it held.
void user_shootdown(Process* process, UserThread* self);

// Kernel access to a process's memory (local: the reference's VMM), page by page through the VMM
// (which resolves the faults); kFault when a page cannot be had.
[[nodiscard]] Result<void> copy_from_user(Process* process, void* to, uint32_t from, uint32_t size);
[[nodiscard]] Result<void> copy_to_user(Process* process, uint32_t to, const void* from, uint32_t size);
// A NUL-terminated string of at most capacity - 1 bytes; kNameTooLong when longer, kFault.
[[nodiscard]] Result<uint32_t> string_from_user(Process* process, char* to, uint32_t from, uint32_t capacity);
// The user page holding an address, held while the kernel moves bytes to or from it (buffers
// of read and write move straight between the mapper and the user's pages): another thread's
// munmap meanwhile does not free it under the copy (vmm::vmm_hold_page). Released when it goes.
class UserPage {
 public:
  // The page of `address`, for `access` (vmm::VSEG_READ / VSEG_WRITE); kFault for a page the
  // VMM refuses, whatever its reason (EFAULT, as Linux).
  [[nodiscard]] static Result<UserPage> hold(Process* process, uint32_t address, uint32_t access);
  UserPage(UserPage&& other) noexcept : m_page(std::exchange(other.m_page, {})) {}
  UserPage(const UserPage&) = delete;
  UserPage& operator=(const UserPage&) = delete;
  UserPage& operator=(UserPage&&) = delete;
  ~UserPage() { vmm::vmm_release_page(m_page); }

  // The byte of `address` (on this page), as an xptr.
  hal::xptr_t byte(uint32_t address) const { return m_page.base + (address & (vmm::kPageSize - 1)); }

 private:
  explicit UserPage(const vmm::HeldPage& page) : m_page(page) {}
  vmm::HeldPage m_page;
};

}  // namespace mkh::proc
