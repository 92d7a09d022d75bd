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

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
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

// A thread to make in another cluster (THREAD_USER_CREATE, 6): the catalogue's "pthread
// attributes, local to the client", which the server reads and writes back by remote access.
struct ThreadAttributes {
  user::Context context;  // the registers (the start function and argument replace pc and a0)
  uint64_t signals_blocked = 0;
  uint32_t lid = kNoPlacement;   // its core, or the server's choice
  uint32_t clear_child_tid = 0;  // CLONE_CHILD_CLEARTID's word (0: none)
  // CLONE_PARENT_SETTID's and CLONE_CHILD_SETTID's words (0: none): the new thread writes its
  // tid there before it runs user code, then posts `started` to `creator`.
  uint32_t parent_tid = 0;
  uint32_t child_tid = 0;
  uint32_t tid = 0;  // written by the server
  uint32_t started = 0;
  hal::Xptr<kern::Thread> creator;
};

// What a system call interrupted by a signal does once the signals were seen (Linux's
// -ERESTARTSYS and its kin): start again when no handler ran, or when the handler's
// SA_RESTART asks for it (kRestartable) — never for a sleep (kEintr), which answers EINTR
// whenever a handler ran.
enum class SyscallRestart : uint8_t { kNone, kRestartable, kEintr };

// A thread's alternate signal stack (sigaltstack(2)): none while `size` is 0. `autodisarm`:
// SS_AUTODISARM, the stack is let go while a handler runs on it (its return sets it again).
struct AltStack {
  uint32_t sp = 0;
  uint32_t size = 0;
  uint32_t autodisarm = 0;
  bool holds(uint32_t address) const { return size != 0 && address - sp < size; }
};

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
  uint32_t m_place_cxy = kNoPlacement;  // mkh's place_thread: the cluster and core of the next thread it clones
  uint32_t m_place_lid = kNoPlacement;
  uint32_t m_place_fork_cxy = kNoPlacement;    // mkh's place_fork: the cluster of the next child it forks
  hal::Xptr<ThreadAttributes> m_start_report;  // made by THREAD_USER_CREATE: where its creator waits (until it starts)
  bool m_code_stale = false;                   // the epoch moved during a run: the decoded code goes at its end
  // Its signal mask and the signals sent to it alone while it blocked them (bit n - 1: signal
  // n), under the process's m_signal_lock (syscall/signals.cpp).
  uint64_t m_signals_blocked = 0;
  uint64_t m_signals_pending = 0;
  SignalOrigin m_signal_origins[64];  // each pending signal's
  uint64_t m_signals_waited = 0;      // rt_sigtimedwait's set while it waits: one of them sent kicks it
  // 1 when a signal with a handler may be waiting for the thread: set by its sender (then the
  // thread's wait is interrupted: wait_interrupted), taken by the thread before it runs user
  // code again, which then runs the handlers (signal_hooks). A new thread looks once.
  uint32_t m_signal_kick = 1;
  // The system call a signal interrupted (it answered EINTR): whether it may start again, and
  // its first argument, which the answer replaced in a0.
  SyscallRestart m_restart = SyscallRestart::kNone;
  uint32_t m_restart_a0 = 0;
  // rt_sigsuspend's: the mask it replaced, which the handler's frame saves (restored by its
  // return) or, when no handler ran, is restored at once.
  bool m_restore_mask = false;
  uint64_t m_saved_mask = 0;
  AltStack m_alt_stack;  // kept by fork; a new thread or image has none
  // The shootdown's two words: written by the thread, read by any other of its process.
  uint32_t m_in_user = 0;     // 1 while the interpreter runs (translate's faults aside)
  uint32_t m_seen_epoch = 0;  // the process's m_tlb_epoch its TLB and code are flushed for
  // CPU time, in hal::ticks(): its kernel thread's running time (kern::thread_run_ticks: the
  // interpreter, its page faults and its system calls, not the time it is blocked, whatever
  // it waits for), brought up to date by the thread at its scheduling points (count_cpu) for
  // the other threads of its process to read.
  uint64_t m_cpu_ticks = 0;
  uint64_t m_sys_ticks = 0;  // of its CPU time, the kernel's: its system calls and page faults
  // Of those two, what the thread charged to its process's CPU timers (cpu_timers_charge).
  uint64_t m_charged_cpu_ticks = 0;
  uint64_t m_charged_sys_ticks = 0;
};

// A CPU time in nanoseconds, and how much of it was the kernel's (system calls and page
// faults; the rest is user time: the interpreter).
struct CpuTime {
  uint64_t ns = 0;
  uint64_t sys_ns = 0;
  [[nodiscard]] uint64_t user_ns() const { return ns - std::min(ns, sys_ns); }
};
// The CPU time of the calling user thread (the thread's CPU-time clock).
[[nodiscard]] CpuTime user_cpu_time(const UserThread* thread);
// The CPU time of the calling thread's process: its threads' that ended, the others' up to
// their last scheduling point, the caller's up to now (the process's CPU-time clock).
[[nodiscard]] CpuTime process_cpu_time(const UserThread* thread);
// The CPU time of `process`'s threads (this cluster's descriptor of it, from any kernel
// thread): those that ended, the others' up to their last scheduling point.
[[nodiscard]] CpuTime threads_cpu_time(const Process* process);
// The CPU time of the children the calling thread's process waited for, theirs included.
[[nodiscard]] CpuTime children_cpu_time(const UserThread* thread);

// A new thread of `process` (this cluster's descriptor of it) with `context` (its registers
// and pc) and the signal mask `signals_blocked`, in the process's thread table (its tid
// chosen) but not running: user_thread_start runs it. `first`: the process's main thread
// (exec), else the process must have a thread still (kSrch once its last ended). kAgain when
// the process has kMaxThreads threads, kNoMem.
[[nodiscard]] Result<UserThread*> user_thread_make(Process* process, const user::Context& context,
                                                   uint64_t signals_blocked, bool first = false);
// Runs a thread made by user_thread_make on core `lid` of the local cluster from the core's
// next scheduling point — possibly before this returns, and to its end: the caller must not
// touch it after. On failure (kNoMem) the thread is gone.
[[nodiscard]] Result<void> user_thread_start(UserThread* thread, hal::lid_t lid);
// Where clone places the thread `creator` makes: the cluster and core it named with
// place_thread, else the cores of its own cluster in turn (kNoPlacement: this cluster's next).
struct Placement {
  hal::cxy_t cxy;
  hal::lid_t lid;
};
Placement user_thread_place(UserThread* creator);
// The next core of this cluster in turn for a thread of `process` (this cluster's descriptor).
hal::lid_t next_core(Process* process);
// A thread of the process `pid` made on cluster `cxy` by THREAD_USER_CREATE, as `attributes`
// say (the caller's: a thread of the process, or a kernel thread that knows it lives); returns
// its tid once it wrote its tid words (it may have run to its end since). kSrch, kAgain (the
// process has kMaxThreads threads), kNoMem.
[[nodiscard]] Result<uint32_t> user_thread_create_in(uint32_t pid, hal::cxy_t cxy, ThreadAttributes& attributes);
// 6 THREAD_USER_CREATE's server: a thread of the process `pid` in this cluster's descriptor of
// it (its reference, or its copy, made if needed), running from `start` with `argument` in a0
// and the rest of `attributes` (the client's); the client is a thread of the process, so that
// the process lives meanwhile. kSrch (no such process, or no thread left in it), kAgain, kNoMem.
Result<hal::Xptr<UserThread>> thread_user_create_server(uint32_t pid, uint32_t start, uint32_t argument,
                                                        hal::Xptr<ThreadAttributes> attributes);

// The system-call handler: runs the call in the context's a7 with its arguments, writes a0,
// and advances pc past the ecall. Installed once at boot by the syscall layer.
using SyscallHandler = void (*)(UserThread* thread);
void set_syscall_handler(SyscallHandler handler);

// Signal handlers, installed once at boot by the syscall layer: `deliver` takes the thread's
// m_signal_kick and acts on the signals waiting for it (a handler's frame pushed, a default
// action taken), before the thread runs user code again; `signal_return` is a handler's
// return through kSignalReturnGate (rt_sigreturn); `fault` gives a trap's signal (SIGSEGV,
// SIGBUS, SIGILL, SIGTRAP) to its handler, the faulting instruction's pc saved in the frame
// — false when there is none (or the signal is blocked or ignored): the process ends;
// `leave`, as a thread ends, gives the signals pending on its process to another thread.
struct SignalHooks {
  void (*deliver)(UserThread* thread) = nullptr;
  void (*signal_return)(UserThread* thread) = nullptr;
  bool (*fault)(UserThread* thread, uint32_t signal, const user::Trap& trap) = nullptr;
  void (*leave)(UserThread* thread) = nullptr;  // the thread ends: its process's signals go to another
};
void set_signal_hooks(SignalHooks hooks);

// A handler's return address: the first address of the reserved range (no page is ever
// mapped there). Fetching an instruction there is rt_sigreturn, as the vDSO's
// __vdso_rt_sigreturn is on Linux.
inline constexpr uint32_t kSignalReturnGate = vmm::kUserEnd;

// Whether the calling thread's wait ends early (kIntr): its process is ending, or (a user
// thread) a signal with a handler may be waiting for it. Looked at after the waiter blocked
// itself: the sender sets the kick, then unblocks the thread (causes kSignalWakeCauses).
bool wait_interrupted(const Process* process);

// The trace (mkh's trace(mode), `mkh exec --strace --faults`: Process::m_syscall_trace).
// Whether `thread`'s process has its calls traced, or its page faults (from any cluster).
bool traced(const UserThread* thread);
bool faults_traced(const UserThread* thread);
// The caller's part that starts each line of the trace: "[pid P tid T CXY.LID] ".
std::string trace_caller(const UserThread* thread);
inline constexpr uint32_t kSignalWakeCauses = kern::THREAD_BLOCKED_SLEEP | kern::THREAD_BLOCKED_USERSYNC;

// One change of a process's VMM (munmap, mprotect, brk, a fixed mmap) by `thread`, a user
// thread of the process or null (the kernel, with no thread of the process running), given
// to the VMM as its flush's context.
struct TlbShootdown {
  Process* process;
  UserThread* thread;
  bool others_flushed = false;
  // A page fault inside the thread's run (a write breaking a copy-on-write): its decoded code
  // may be running and stays (the new page holds the same bytes).
  bool in_run = false;
};
// The VMM's flush, under its lock, for each entry it removed or changed: the calling thread's
// TLB and decoded code forget the page at `vpn`; at the first call the other threads of the
// process are told to flush everything, and it returns once none runs with what it held (no
// other can fill its TLB again before the VMM's lock is released). At a change's end
// (vmm::kChangeMade) with no entry flushed, the same shootdown when threads run in copies
// (their copies drop their replicated pages at their next fault).
void user_flush_page(uint32_t vpn, void* shootdown);
// The shootdown alone: every thread of `process` but `self` (or null) flushes its TLB and its
// decoded code before it runs user code again; returns once none runs with what it held.
// `self` counts as flushed for the new epoch only if it had seen the one before.
void user_shootdown(Process* process, UserThread* self);

// Kernel access to a process's memory, page by page through the VMM (which resolves the
// faults): `process` is this cluster's descriptor of it, the reference (any kernel thread) or
// a copy (a thread of the process: the caller's own memory); kFault when a page cannot be had.
[[nodiscard]] Result<void> copy_from_user(Process* process, void* to, uint32_t from, uint32_t size);
[[nodiscard]] Result<void> copy_to_user(Process* process, uint32_t to, const void* from, uint32_t size);
// A NUL-terminated string of at most capacity - 1 bytes; kNameTooLong when longer, kFault.
[[nodiscard]] Result<uint32_t> string_from_user(Process* process, char* to, uint32_t from, uint32_t capacity);
// The user page holding an address, held while the kernel moves bytes to or from it (buffers
// of read and write move straight between the mapper and the user's pages): another thread's
// munmap meanwhile does not free it under the copy. Released when it goes. In the reference,
// the VMM holds it (vmm::vmm_hold_page); in a copy, whose page is the reference's, the calling
// thread holds it as its interpreter would: it counts as running user code from the moment it
// found the page to the release, so the reference's shootdown waits for it before the page
// can go. One page at a time per thread, then, and no wait without end while it is held.
class UserPage {
 public:
  // The page of `address`, for `access` (vmm::VSEG_READ / VSEG_WRITE); kFault for a page the
  // VMM refuses, whatever its reason (EFAULT, as Linux).
  [[nodiscard]] static Result<UserPage> hold(Process* process, uint32_t address, uint32_t access);
  UserPage(UserPage&& other) noexcept
      : m_page(std::exchange(other.m_page, {})), m_holder(std::exchange(other.m_holder, nullptr)) {}
  UserPage(const UserPage&) = delete;
  UserPage& operator=(const UserPage&) = delete;
  UserPage& operator=(UserPage&&) = delete;
  ~UserPage();

  // The byte of `address` (on this page), as an xptr.
  hal::xptr_t byte(uint32_t address) const { return m_page.base + (address & (vmm::kPageSize - 1)); }

 private:
  UserPage(const vmm::HeldPage& page, UserThread* holder) : m_page(page), m_holder(holder) {}
  vmm::HeldPage m_page;
  UserThread* m_holder;  // a copy's: the thread that holds the page
};

}  // namespace mkh::proc
