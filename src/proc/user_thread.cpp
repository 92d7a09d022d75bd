// User threads: the interpreter's loop, traps, and kernel access to user memory. Layer: proc.
#include "proc/user_thread.hpp"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <new>
#include <optional>
#include <utility>

#include <fmt/format.h>

#include "dev/txt.hpp"
#include "hal/clock.hpp"
#include "hal/remote.hpp"
#include "kern/cluster.hpp"
#include "kern/sched.hpp"
#include "mm/kmem.hpp"
#include "proc/alarm.hpp"
#include "proc/copy.hpp"
#include "proc/exec.hpp"
#include "proc/futex.hpp"
#include "proc/services.hpp"
#include "rpc/services/thread.hpp"

namespace mkh::proc {

namespace {

SyscallHandler g_syscall_handler = nullptr;
SignalHooks g_signal_hooks;

// The user thread the calling kernel thread runs, or null (a kernel thread of another type, or
// a user thread past its end).
UserThread* current_user_thread() {
  kern::Thread* current = kern::thread_current();
  return current != nullptr && current->m_type == kern::ThreadType::USER ? static_cast<UserThread*>(current->m_arg)
                                                                         : nullptr;
}

// A UserThread (its TLB is 12 KiB) takes a block of pages of the thread's cluster.
constexpr uint32_t kUserThreadOrder = 2;
static_assert(sizeof(UserThread) <= (hal::kPageSize << kUserThreadOrder), "a user thread outgrew its pages");

uint32_t vmm_access(user::Access access) {
  switch (access) {
    case user::Access::kRead: return vmm::VSEG_READ;
    case user::Access::kWrite: return vmm::VSEG_WRITE;
    case user::Access::kExec: return vmm::VSEG_EXEC;
  }
  return vmm::VSEG_READ;
}

// The signal Linux sends for a fault the VMM refused.
uint32_t fault_signal(Errno why) {
  switch (why) {
    case Errno::kFault:
    case Errno::kAcces: return kSigSegv;
    case Errno::kNoMem: return kSigKill;  // Linux's OOM killer
    default: return kSigBus;              // the file behind the page could not be read
  }
}

// The signal of a trap that ends the thread; 0 for one that does not.
uint32_t trap_signal(const user::RunResult& run, Errno fault) {
  switch (run.trap.kind) {
    case user::TrapKind::kQuantum:
    case user::TrapKind::kEcall: return 0;
    case user::TrapKind::kEbreak: return kSigTrap;
    case user::TrapKind::kPageFault: return fault_signal(fault);
    case user::TrapKind::kIllegalInstruction: return kSigIll;
    case user::TrapKind::kMisaligned: return kSigBus;
    case user::TrapKind::kNoMemory: return kSigKill;
  }
  return kSigKill;
}

// The CPU time of the calling thread not yet in its m_cpu_ticks: its kernel thread's running
// time (kern::thread_run_ticks) is the thread's CPU time.
uint64_t running_ticks(const UserThread* thread) {
  const uint64_t ran = kern::thread_run_ticks(thread->m_thread);
  const uint64_t counted = hal::local_load(thread->m_cpu_ticks, std::memory_order_relaxed);
  return ran > counted ? ran - counted : 0;
}

// Brings the thread's m_cpu_ticks, which other threads read, up to now.
void count_cpu(UserThread* thread) { hal::stat_add(thread->m_cpu_ticks, running_ticks(thread)); }

// The shootdown's thread side: m_in_user set, then the epoch read, both sequentially
// consistent (the other side bumps the epoch, then reads m_in_user). True when the epoch had
// moved: the TLB is flushed and m_seen_epoch records it; the decoded code is the caller's
// (it may be running).
bool enter_user(UserThread* thread) {
  hal::local_store(thread->m_in_user, 1u, std::memory_order_seq_cst);
  const uint32_t epoch = hal::remote_load_sc(thread->m_reference.field(&Process::m_tlb_epoch));
  if (epoch == thread->m_seen_epoch) return false;
  thread->m_tlb.flush();
  hal::local_store(thread->m_seen_epoch, epoch);
  return true;
}
void leave_user(UserThread* thread) { hal::local_store(thread->m_in_user, 0u); }

bool is_copy(const Process* process) { return !process->m_reference.is_null(); }

// Whether `process` has a thread in a cluster other than this one (in a copy).
bool threads_elsewhere(const Process* process) {
  ThreadTable table(process);
  for (uint32_t slot = 0; slot < kMaxThreads; ++slot)
    if (const auto thread = table.get(slot); thread && thread.cxy() != hal::local_cxy()) return true;
  return false;
}

// Takes the thread out of its process's table (its CPU time, `ran_ticks`, to the process's
// ended threads') and frees it; true when it was the process's last.
bool thread_discard(UserThread* thread, uint64_t ran_ticks) {
  bool last = false;
  {
    ThreadTable table(thread->m_process);
    (void)hal::remote_atomic_add(thread->m_reference.field(&Process::m_ended_cpu_ticks), ran_ticks);
    (void)hal::remote_atomic_add(thread->m_reference.field(&Process::m_ended_sys_ticks), thread->m_sys_ticks);
    table.set(thread->m_slot, {});
    table.set_count(table.count() - 1);
    last = table.count() == 0;
  }
  thread->~UserThread();
  mm::kmem_free_pages(mm::local_memory()->m_ppm.base_to_page(thread));
  return last;
}

// At the reference, once the last thread left: the new image an execve asked for, else the end
// of the process.
void last_thread_gone(Process* process) {
  if (exec_after_last_thread(process)) return;
  process_make_exit(process, process->m_main_exit_code, 0);
  process_threads_gone(process);
}

// last_thread_gone for a process whose last thread ended on a copy, run at its reference by a
// kernel thread of the owner's cluster (the copies it deletes wait for their threads to be gone).
void end_at_reference(void* pid) {
  Process* process = process_lookup(uint32_t(reinterpret_cast<uintptr_t>(pid)));
  KASSERT(process != nullptr, "the process {:#x} ended on a copy is gone", uint32_t(reinterpret_cast<uintptr_t>(pid)));
  last_thread_gone(process);
}

// exit(2) of the thread, or the end of its process: the thread leaves the table; the last to
// leave makes the image an execve asked for, or ends the process (with the main thread's exit
// status unless exit_group or a signal decided another) and frees it — at its reference, asked
// by a kernel thread made there (THREAD_KERNEL_CREATE) when it is a copy's thread.
void thread_end(UserThread* thread) {
  Process* process = thread->m_process;
  // CLONE_CHILD_CLEARTID and set_tid_address: the word is zeroed, atomically (a joiner reads
  // it with an AMO), and one waiter woken — the way pthread_join learns that the thread is gone.
  const uint32_t clear = thread->m_clear_child_tid;
  if (clear != 0 && (clear & 3) == 0 && !process_ending(process)) {
    if (auto page = UserPage::hold(process, clear, vmm::VSEG_WRITE)) {
      hal::remote_store(hal::Xptr<uint32_t>(page->byte(clear)), 0u);
      (void)futex_wake(process, clear, 1, kFutexBitsetAny);
    }
  }
  const uint32_t pid = process->m_pid;
  const bool copy = is_copy(process);
  const bool last = thread_discard(thread, thread->m_cpu_ticks + running_ticks(thread));
  // This kernel thread runs no user thread any more: what it does from here (an execve's new
  // image made by the last thread out) holds user pages as a kernel thread's (UserPage::hold).
  kern::thread_current()->m_arg = nullptr;
  // The last touch of this cluster's descriptor: a copy may be deleted once none of its threads is left.
  std::atomic_ref<uint32_t>(process->m_local_threads).fetch_sub(1);
  if (!last) return;
  if (!copy) {
    last_thread_gone(process);
    return;
  }
  // The end must happen: a full FIFO or a lack of memory at the owner is waited out.
  void* arg = reinterpret_cast<void*>(uintptr_t(pid));
  while (!rpc::rpc_thread_kernel_create_client(pid_cxy(pid), kern::ThreadType::DEV, end_at_reference, arg))
    kern::sched_yield();
}

// A thread made by THREAD_USER_CREATE writes its tid where its creator's clone asked, then
// lets the creator's clone return (Linux writes both words before either thread runs on).
void report_start(UserThread* thread) {
  const hal::Xptr<ThreadAttributes> report = thread->m_start_report;
  const ThreadAttributes asked = hal::remote_read(report);
  if (asked.parent_tid != 0) (void)copy_to_user(thread->m_process, asked.parent_tid, &thread->m_tid, 4);
  if (asked.child_tid != 0) (void)copy_to_user(thread->m_process, asked.child_tid, &thread->m_tid, 4);
  kern::thread_post_flag(report.field(&ThreadAttributes::started), asked.creator, kern::THREAD_BLOCKED_WAIT);
}

// A stopped process's thread (PROCESS_SIGACTION BLOCK: m_stopped) stops on its way back to
// user code, as Linux stops a thread, holding no kernel lock: it blocks itself (cause GLOBAL)
// until the UNBLOCK or the process's end. The UNBLOCK clears the flag, then unblocks the
// threads whose kernel thread is recorded, as process_make_exit does once m_exiting is set;
// the thread recorded its kernel thread before it ever looks, blocks itself, then looks again
// and unblocks itself when the flag went clear or the process is ending (every access
// sequentially consistent): an UNBLOCK or a kill that found it not yet blocked is not lost
// (tests/model/stop.pml). The time stopped is not the thread's CPU time.
void stop_while_stopped(UserThread* thread) {
  Process* process = thread->m_process;
  auto stopped = [process] {
    return hal::local_load(process->m_stopped, std::memory_order_seq_cst) != 0 && !process_ending(process);
  };
  if (!stopped()) return;
  count_cpu(thread);
  const auto self = kern::thread_current_xptr();
  while (stopped()) {
    kern::thread_block(self, kern::THREAD_BLOCKED_GLOBAL);
    if (!stopped()) (void)kern::thread_unblock(self, kern::THREAD_BLOCKED_GLOBAL);
    kern::sched_yield();
  }
}

void user_thread_entry(void* arg) {
  auto* thread = static_cast<UserThread*>(arg);
  // Read by process_make_exit and PROCESS_SIGACTION's UNBLOCK.
  hal::local_store(thread->m_thread, kern::thread_current(), std::memory_order_seq_cst);
  Process* process = thread->m_process;
  if (thread->m_start_report) report_start(thread);
  // The quantum is spent by instructions, across system calls: a thread that calls the
  // kernel more often than once a quantum still passes through scheduling points (the
  // core's RPC threads, its other threads and, in the deterministic mode, the other cores
  // run there).
  uint64_t budget = kUserQuantum;
  for (;;) {
    stop_while_stopped(thread);
    if (process_ending(process) || thread->m_exit != 0) break;
    if (hal::local_load(thread->m_signal_kick, std::memory_order_seq_cst) != 0) {
      g_signal_hooks.deliver(thread);  // a default action may end the process: looked at again
      continue;
    }
    const bool moved = enter_user(thread);
    if (std::exchange(thread->m_code_stale, false) || moved) thread->m_code.drop_all();
    const user::RunResult run = user::run(thread->m_context, thread->m_tlb, thread->m_code, budget);
    leave_user(thread);
    (void)hal::remote_atomic_add(thread->m_reference.field(&Process::m_instructions), run.executed);
    budget -= std::min(budget, run.executed);
    if (run.trap.kind == user::TrapKind::kEcall) {
      (void)hal::remote_atomic_add(thread->m_reference.field(&Process::m_syscalls), uint64_t(1));
      hal::stat_add(local_proc()->m_syscalls, uint64_t(1));
      const uint64_t before = kern::thread_run_ticks(thread->m_thread);
      g_syscall_handler(thread);
      const uint64_t after = kern::thread_run_ticks(thread->m_thread);
      hal::stat_add(thread->m_sys_ticks, after > before ? after - before : 0);
    } else if (run.trap.kind == user::TrapKind::kPageFault && run.trap.access == user::Access::kExec &&
               run.trap.pc == kSignalReturnGate) {
      g_signal_hooks.signal_return(thread);
    } else if (run.trap.kind != user::TrapKind::kQuantum) {
      const uint32_t signal = trap_signal(run, thread->m_fault);
      if (!g_signal_hooks.fault(thread, signal, run.trap)) process_make_exit(process, 0, signal);
    }
    if (run.trap.kind == user::TrapKind::kQuantum || budget == 0) {
      count_cpu(thread);
      cpu_timers_charge(thread);
      kern::sched_yield();
      budget = kUserQuantum;
    }
  }
  g_signal_hooks.leave(thread);
  hal::stat_add(local_proc()->m_blocks_translated, uint64_t(thread->m_code.translator().blocks()));
  thread_end(thread);
}

}  // namespace

hal::lid_t next_core(Process* process) {
  return hal::lid_t(std::atomic_ref<uint32_t>(process->m_next_lid).fetch_add(1) % kern::local_cluster()->m_cores_nr);
}

void cpu_timers_charge_now(UserThread* thread) {
  count_cpu(thread);
  cpu_timers_charge(thread);
}

CpuTime user_cpu_time(const UserThread* thread) {
  return CpuTime{.ns = hal::ticks_to_ns(thread->m_cpu_ticks + running_ticks(thread)),
                 .sys_ns = hal::ticks_to_ns(thread->m_sys_ticks)};
}

CpuTime threads_cpu_time(const Process* process) {
  const hal::Xptr<Process> reference = process_reference(process);
  ThreadTable table(process);  // a thread that ends meanwhile moves its time to the ended ones' under its lock
  uint64_t ticks = hal::remote_load(reference.field(&Process::m_ended_cpu_ticks));
  uint64_t sys_ticks = hal::remote_load(reference.field(&Process::m_ended_sys_ticks));
  for (uint32_t slot = 0; slot < kMaxThreads; ++slot)
    if (const auto each = table.get(slot)) {
      ticks += hal::remote_load(each.field(&UserThread::m_cpu_ticks));
      sys_ticks += hal::remote_load(each.field(&UserThread::m_sys_ticks));
    }
  return CpuTime{.ns = hal::ticks_to_ns(ticks), .sys_ns = hal::ticks_to_ns(sys_ticks)};
}

CpuTime process_cpu_time(const UserThread* thread) {
  CpuTime time = threads_cpu_time(thread->m_process);
  time.ns += hal::ticks_to_ns(running_ticks(thread));
  return time;
}

CpuTime children_cpu_time(const UserThread* thread) {
  return CpuTime{
      .ns = hal::ticks_to_ns(hal::remote_load(thread->m_reference.field(&Process::m_children_cpu_ticks))),
      .sys_ns = hal::ticks_to_ns(hal::remote_load(thread->m_reference.field(&Process::m_children_sys_ticks)))};
}

namespace {

uint32_t trace_mode(const UserThread* thread) {
  return hal::remote_load(thread->m_reference.field(&Process::m_syscall_trace));
}

// A traced thread's page fault, as the trace shows it: "--- page fault ADDRESS ACCESS: WHAT,
// a page of cluster CXY <TIME us> ---".
void trace_fault(const UserThread* thread, uint32_t address, user::Access access, vmm::FaultKind kind, uint64_t entry,
                 uint64_t ns) {
  const hal::cxy_t reference = thread->m_reference.cxy();
  std::string what;
  switch (kind) {
    case vmm::FaultKind::kNone: return;
    case vmm::FaultKind::kZero: what = "zero-filled"; break;
    case vmm::FaultKind::kFile: what = "read from the file"; break;
    case vmm::FaultKind::kCowCopy: what = "copy-on-write, copied"; break;
    case vmm::FaultKind::kCowReuse: what = "copy-on-write, its only mapping: writable again"; break;
    case vmm::FaultKind::kReference:
      what = fmt::format("the entry of the reference in cluster {:#x}", reference);
      break;
    case vmm::FaultKind::kReplica:
      what = fmt::format("code copied from the reference in cluster {:#x}", reference);
      break;
  }
  static constexpr const char* kAccess[] = {"read", "write", "exec"};
  const std::string line =
      fmt::format("{}--- page fault {:#x} {}: {}, a page of cluster {:#x} <{}.{:03} us> ---\n", trace_caller(thread),
                  address, kAccess[uint32_t(access)], what, hal::GET_CXY(vmm::gpt_page(entry)), ns / 1000, ns % 1000);
  (void)dev::txt_print(0, line);
}

}  // namespace

bool traced(const UserThread* thread) { return (trace_mode(thread) & kTraceCalls) != 0; }
bool faults_traced(const UserThread* thread) { return (trace_mode(thread) & kTraceFaults) != 0; }

std::string trace_caller(const UserThread* thread) {
  return fmt::format("[pid {} tid {} {:#x}.{}] ", thread->m_process->m_pid, thread->m_tid, hal::local_cxy(),
                     thread->m_thread->m_lid);
}

std::byte* UserThread::translate(uint32_t address, user::Access access) {
  if ((address & ~user::kPageMask) == kSignalReturnGate) {  // never mapped: the VMM is not asked
    m_fault = Errno::kFault;
    return nullptr;
  }
  for (;;) {
    // The VMM may block (its lock, the mapper, an RPC): out of user code meanwhile, so a
    // shootdown does not wait for this thread. A page it got may have been unmapped before the
    // thread was back in user code: then the epoch moved, the TLB is flushed, and it asks again.
    leave_user(this);
    // The kernel's work for the thread: system time, as Linux counts a page fault's (when it
    // runs: a test may resolve a fault for a thread not started).
    kern::Thread* const running = hal::local_load(m_thread);
    const uint64_t before = running != nullptr ? kern::thread_run_ticks(running) : 0;
    const bool trace = faults_traced(this);
    const uint64_t start = trace ? hal::ticks() : 0;
    TlbShootdown shootdown{.process = m_process, .thread = this, .in_run = true};
    vmm::FaultKind kind = vmm::FaultKind::kNone;
    auto entry = is_copy(m_process) ? process_copy_get_pte(m_process, address, vmm_access(access), &kind)
                                    : vmm::vmm_get_pte(&m_process->m_vmm, address, vmm_access(access), user_flush_page,
                                                       &shootdown, &kind);
    const uint64_t after = running != nullptr ? kern::thread_run_ticks(running) : 0;
    hal::stat_add(m_sys_ticks, after > before ? after - before : 0);
    if (trace && entry) trace_fault(this, address, access, kind, *entry, hal::ticks_to_ns(hal::ticks() - start));
    if (enter_user(this)) {
      m_code_stale = true;  // dropped at the run's end (it may be running code of it)
      continue;
    }
    if (!entry) {
      m_fault = entry.error();
      return nullptr;
    }
    // The page may be in another cluster's bank: the interpreter touches it directly, as the
    // hardware would (DESIGN.md §6).
    return hal::GET_PTR<std::byte>(vmm::gpt_page(*entry));
  }
}

Result<UserThread*> user_thread_make(Process* process, const user::Context& context, uint64_t signals_blocked,
                                     bool first) {
  auto block = TRY(mm::PageBlock::alloc(kUserThreadOrder));
  auto* thread = new (block.base()) UserThread(process);
  thread->m_code.set_warm_entries(local_proc()->m_translate_after);
  thread->m_context = context;
  thread->m_signals_blocked = signals_blocked;  // before the table shows the thread to a signal's sender
  {
    ThreadTable table(process);
    // Slot 0 is the main thread's, never given again while the process lives: its tid is the
    // pid (Linux does not reuse the group leader's tid either).
    if (table.count() == 0 && !first) {
      thread->~UserThread();
      return error(Errno::kSrch);
    }
    uint32_t slot = table.count() == 0 ? 0 : 1;
    while (slot < kMaxThreads && table.get(slot)) ++slot;
    if (slot == kMaxThreads) {
      thread->~UserThread();
      return error(Errno::kAgain);
    }
    table.set(slot, hal::Xptr<UserThread>(hal::local_cxy(), thread));
    table.set_count(table.count() + 1);
    thread->m_slot = slot;
    thread->m_tid = tid_make(process->m_pid, slot);
    // A thread made while others run has missed no shootdown: its TLB is empty.
    thread->m_seen_epoch = hal::remote_load(thread->m_reference.field(&Process::m_tlb_epoch));
  }
  std::atomic_ref<uint32_t>(process->m_local_threads).fetch_add(1);
  hal::stat_add(local_proc()->m_user_threads, uint64_t(1));
  block.release();
  return thread;
}

Result<void> user_thread_start(UserThread* thread, hal::lid_t lid) {
  // Everything the thread reads is in place before it can run: it may run, and end, on
  // another core before thread_create returns (it records its own kern::Thread).
  // Named as `ps -L` shows a thread: its tid and its program (SCHED_DISPLAY, panics).
  char name[kern::kThreadNameSize];
  const auto named = fmt::format_to_n(name, sizeof name, "{} {}", thread->m_tid,
                                      process_comm(process_reference(thread->m_process)).text());
  auto created = kern::thread_create(kern::ThreadType::USER, user_thread_entry, thread, lid,
                                     std::string_view(name, named.out - name));
  if (!created) {
    Process* process = thread->m_process;
    (void)thread_discard(thread, 0);  // never the last: its creator runs
    std::atomic_ref<uint32_t>(process->m_local_threads).fetch_sub(1);
    return error(created.error());
  }
  return {};
}

void set_syscall_handler(SyscallHandler handler) { g_syscall_handler = handler; }
void set_signal_hooks(SignalHooks hooks) { g_signal_hooks = hooks; }

bool wait_interrupted(const Process* process) {
  if (process_ending(process)) return true;
  const UserThread* thread = current_user_thread();
  return thread != nullptr && hal::local_load(thread->m_signal_kick, std::memory_order_seq_cst) != 0;
}

void user_shootdown(Process* process, UserThread* self) {
  const uint32_t epoch = hal::remote_atomic_add(process_reference(process).field(&Process::m_tlb_epoch), 1u) + 1;
  // The caller's own flush (user_flush_page) stands for this epoch only when it had seen every
  // earlier one: another thread's shootdown that passed it by while it was out of user code (a
  // page of its TLB freed since) is left to its next enter_user, which flushes everything.
  if (self != nullptr && self->m_seen_epoch == epoch - 1) hal::local_store(self->m_seen_epoch, epoch);
  const auto self_xptr = self != nullptr ? hal::Xptr<UserThread>(hal::local_cxy(), self) : hal::Xptr<UserThread>();
  // Each other thread, in any cluster, runs user code no longer, or has flushed for this epoch.
  // One that runs on this core is not in user code (it yielded), so the wait yields to the others.
  for (;;) {
    bool waiting = false;
    {
      ThreadTable table(process);
      for (uint32_t slot = 0; slot < kMaxThreads && !waiting; ++slot) {
        const auto other = table.get(slot);
        waiting = other && other != self_xptr && hal::remote_load_sc(other.field(&UserThread::m_in_user)) != 0 &&
                  int32_t(hal::remote_load(other.field(&UserThread::m_seen_epoch)) - epoch) < 0;
      }
    }
    if (!waiting) return;
    kern::sched_yield();
  }
}

void user_flush_page(uint32_t vpn, void* raw) {
  auto* shootdown = static_cast<TlbShootdown*>(raw);
  if (vpn != vmm::kChangeMade) {
    if (UserThread* self = shootdown->thread; self != nullptr) {
      self->m_tlb.flush_page(vpn << user::kPageShift);
      if (!shootdown->in_run) self->m_code.drop_page(vpn << user::kPageShift);
    }
  } else if (shootdown->others_flushed || !threads_elsewhere(shootdown->process)) {
    // The end of a change that flushed no entry: the copies will drop what they hold (their
    // replicated pages freed) at their next fault, so their threads flush first, as for an
    // entry; without threads in copies, nothing to do.
    return;
  }
  if (!shootdown->others_flushed) user_shootdown(shootdown->process, shootdown->thread);
  shootdown->others_flushed = true;
}

Placement user_thread_place(UserThread* creator) {
  const uint32_t cxy = std::exchange(creator->m_place_cxy, kNoPlacement);
  const uint32_t lid = std::exchange(creator->m_place_lid, kNoPlacement);
  if (cxy != kNoPlacement && cxy != hal::local_cxy()) return {hal::cxy_t(cxy), hal::lid_t(lid)};
  return {hal::local_cxy(), lid != kNoPlacement ? hal::lid_t(lid) : next_core(creator->m_process)};
}

Result<uint32_t> user_thread_create_in(uint32_t pid, hal::cxy_t cxy, ThreadAttributes& attributes) {
  attributes.creator = kern::thread_current_xptr();
  const hal::Xptr<ThreadAttributes> request(hal::local_cxy(), &attributes);
  hal::publish_local(attributes);  // read and written by the server and the new thread
  TRY(rpc::rpc_call<rpc::RPC_THREAD_USER_CREATE>(cxy, pid, attributes.context.pc, attributes.context.x[10], request));
  kern::thread_wait_flag(request.field(&ThreadAttributes::started), kern::THREAD_BLOCKED_WAIT);
  return hal::remote_load(request.field(&ThreadAttributes::tid));
}

Result<hal::Xptr<UserThread>> thread_user_create_server(uint32_t pid, uint32_t start, uint32_t argument,
                                                        hal::Xptr<ThreadAttributes> attributes) {
  // This cluster's descriptor held while the thread is made: the owner's process (its destroy
  // waits), or the copy (its deletion waits).
  std::optional<ProcessUse> owned;
  if (pid_cxy(pid) == hal::local_cxy()) owned.emplace(TRY(ProcessUse::by_pid(pid)));
  Process* process = owned ? owned->get() : TRY(process_copy_hold(pid));
  const ThreadAttributes asked = hal::remote_read(attributes);
  user::Context context = asked.context;
  context.pc = start;
  context.x[10] = argument;
  auto made = user_thread_make(process, context, asked.signals_blocked);
  if (!owned) process_copy_release(process);  // the new thread counts now
  UserThread* thread = TRY(std::move(made));
  thread->m_clear_child_tid = asked.clear_child_tid;
  thread->m_start_report = attributes;
  hal::remote_store(attributes.field(&ThreadAttributes::tid), thread->m_tid);
  const hal::lid_t lid = asked.lid < kern::local_cluster()->m_cores_nr ? hal::lid_t(asked.lid) : next_core(process);
  const auto xptr = hal::Xptr<UserThread>(hal::local_cxy(), thread);
  TRY(user_thread_start(thread, lid));
  return xptr;
}

Result<UserPage> UserPage::hold(Process* process, uint32_t address, uint32_t access) {
  if (!is_copy(process)) {
    // A write to a copy-on-write page made a copy of it: the threads of the process flush the
    // old one (the calling thread's too, when it is one of them).
    UserThread* thread = current_user_thread();
    TlbShootdown shootdown{.process = process,
                           .thread = thread != nullptr && thread->m_process == process ? thread : nullptr};
    const auto held = vmm::vmm_hold_page(&process->m_vmm, address, access, user_flush_page, &shootdown);
    if (!held) return error(Errno::kFault);  // whatever the VMM's reason, as Linux's copy_{to,from}_user
    return UserPage(*held, nullptr);
  }
  UserThread* thread = current_user_thread();
  KASSERT(thread != nullptr && thread->m_process == process && hal::local_load(thread->m_in_user) == 0,
          "a copy's page is held by a thread of the copy, one at a time");
  // As translate: the entry found out of user code, then in it; the epoch moved meanwhile (a
  // change at the reference may have freed the page), the TLB flushed, found again.
  for (;;) {
    const auto entry = process_copy_get_pte(process, address, access);
    if (!entry) return error(Errno::kFault);
    if (!enter_user(thread)) return UserPage(vmm::HeldPage{vmm::gpt_page(*entry), false}, thread);
    thread->m_code.drop_all();  // in a system call: its run is over
    leave_user(thread);
  }
}

UserPage::~UserPage() {
  if (m_holder != nullptr) leave_user(m_holder);
  else vmm::vmm_release_page(m_page);
}

Result<void> copy_from_user(Process* process, void* to, uint32_t from, uint32_t size) {
  auto* out = static_cast<uint8_t*>(to);
  for (uint64_t done = 0; done < size;) {
    const uint64_t at = uint64_t(from) + done;
    if (at >= vmm::kUserEnd) return error(Errno::kFault);
    const uint32_t chunk = uint32_t(std::min<uint64_t>(size - done, vmm::kPageSize - (at & (vmm::kPageSize - 1))));
    const UserPage page = TRY(UserPage::hold(process, uint32_t(at), vmm::VSEG_READ));
    hal::remote_memcpy(hal::Xptr<void>(hal::local_cxy(), out + done), hal::Xptr<void>(page.byte(uint32_t(at))), chunk);
    done += chunk;
  }
  return {};
}

Result<void> copy_to_user(Process* process, uint32_t to, const void* from, uint32_t size) {
  const auto* in = static_cast<const uint8_t*>(from);
  for (uint64_t done = 0; done < size;) {
    const uint64_t at = uint64_t(to) + done;
    if (at >= vmm::kUserEnd) return error(Errno::kFault);
    const uint32_t chunk = uint32_t(std::min<uint64_t>(size - done, vmm::kPageSize - (at & (vmm::kPageSize - 1))));
    const UserPage page = TRY(UserPage::hold(process, uint32_t(at), vmm::VSEG_WRITE));
    hal::remote_memcpy(hal::Xptr<void>(page.byte(uint32_t(at))),
                       hal::Xptr<void>(hal::local_cxy(), const_cast<uint8_t*>(in + done)), chunk);
    done += chunk;
  }
  return {};
}

Result<uint32_t> string_from_user(Process* process, char* to, uint32_t from, uint32_t capacity) {
  std::optional<UserPage> page;
  for (uint32_t i = 0; i < capacity; ++i) {
    const uint64_t at = uint64_t(from) + i;
    if (at >= vmm::kUserEnd) return error(Errno::kFault);
    if (i == 0 || (at & (vmm::kPageSize - 1)) == 0) {
      page.reset();  // one page held at a time (a copy's thread holds it in user code)
      page.emplace(TRY(UserPage::hold(process, uint32_t(at), vmm::VSEG_READ)));
    }
    to[i] = hal::remote_load(hal::Xptr<char>(page->byte(uint32_t(at))));
    if (to[i] == '\0') return i;
  }
  return error(Errno::kNameTooLong);
}

}  // namespace mkh::proc
