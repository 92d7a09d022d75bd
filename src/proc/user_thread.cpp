// User threads: the interpreter's loop, traps, and kernel access to user memory. Layer: proc.
#include "proc/user_thread.hpp"

#include <algorithm>
#include <cstring>
#include <new>

#include "hal/clock.hpp"
#include "hal/remote.hpp"
#include "kern/sched.hpp"
#include "mm/kmem.hpp"

namespace mkh::proc {

namespace {

SyscallHandler g_syscall_handler = nullptr;

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

// The CPU time of the interval running since m_cpu_since, at `now`: its length less its
// sleeps (none when the time-stamp counters of two host CPUs disagree and `now` reads earlier).
uint64_t running_ticks(const UserThread* thread, uint64_t now) {
  const uint64_t length = now > thread->m_cpu_since ? now - thread->m_cpu_since : 0;
  return length - std::min(length, thread->m_waited_ticks);
}

// Adds the interval running since m_cpu_since to the thread's CPU time and starts another.
void count_cpu(UserThread* thread) {
  const uint64_t now = hal::ticks();
  thread->m_cpu_ticks += running_ticks(thread, now);
  thread->m_cpu_since = now;
  thread->m_waited_ticks = 0;
}

void user_thread_entry(void* arg) {
  auto* thread = static_cast<UserThread*>(arg);
  thread->m_thread = kern::thread_current();
  Process* process = thread->m_process;
  // The quantum is spent by instructions, across system calls: a thread that calls the
  // kernel more often than once a quantum still passes through scheduling points (the
  // core's RPC threads, its other threads and, in the deterministic mode, the other cores
  // run there).
  uint64_t budget = kUserQuantum;
  thread->m_cpu_since = hal::ticks();
  while (hal::local_load(process->m_exiting, std::memory_order_relaxed) == 0) {
    const user::RunResult run = user::run(thread->m_context, thread->m_tlb, thread->m_code, budget);
    hal::stat_add(process->m_instructions, run.executed);
    budget -= std::min(budget, run.executed);
    if (run.trap.kind == user::TrapKind::kEcall) {
      hal::stat_add(process->m_syscalls, uint64_t(1));
      hal::stat_add(local_proc()->m_syscalls, uint64_t(1));
      g_syscall_handler(thread);
    } else if (run.trap.kind != user::TrapKind::kQuantum) {
      process_make_exit(process, 0, trap_signal(run, thread->m_fault));
    }
    if (run.trap.kind == user::TrapKind::kQuantum || budget == 0) {
      count_cpu(thread);
      kern::sched_yield();  // off the core: not the thread's time
      thread->m_cpu_since = hal::ticks();
      budget = kUserQuantum;
    }
  }
  process->m_main = nullptr;
  thread->~UserThread();
  mm::kmem_free_pages(mm::local_memory()->m_ppm.base_to_page(thread));
  process_threads_gone(process);
}

}  // namespace

uint64_t user_cpu_ns(const UserThread* thread) {
  return hal::ticks_to_ns(thread->m_cpu_ticks + running_ticks(thread, hal::ticks()));
}

std::byte* UserThread::translate(uint32_t address, user::Access access) {
  auto entry = vmm::vmm_get_pte(&m_process->m_vmm, address, vmm_access(access));
  if (!entry) {
    m_fault = entry.error();
    return nullptr;
  }
  // The page may be in another cluster's bank: the interpreter touches it directly, as the
  // hardware would (DESIGN.md §6).
  return hal::GET_PTR<std::byte>(vmm::gpt_page(*entry));
}

Result<UserThread*> user_thread_create(Process* process, hal::lid_t lid, uint32_t pc, uint32_t sp) {
  auto block = TRY(mm::PageBlock::alloc(kUserThreadOrder));
  auto* thread = new (block.base()) UserThread(process);
  thread->m_context.pc = pc;
  thread->m_context.x[2] = sp;
  // Everything the thread reads is in place before it can run: it may run, and end, on
  // another core before thread_create returns (it records its own kern::Thread).
  process->m_main = thread;
  auto created = kern::thread_create(kern::ThreadType::USER, user_thread_entry, thread, lid, "user");
  if (!created) {
    process->m_main = nullptr;
    thread->~UserThread();
    return error(created.error());
  }
  block.release();
  return thread;
}

void set_syscall_handler(SyscallHandler handler) { g_syscall_handler = handler; }

void user_flush_page(uint32_t vpn, void* raw) {
  auto* process = static_cast<Process*>(raw);
  if (process->m_main == nullptr) return;
  process->m_main->m_tlb.flush_page(vpn << user::kPageShift);
  process->m_main->m_code.drop_page(vpn << user::kPageShift);
}

Result<hal::xptr_t> user_byte(Process* process, uint32_t address, uint32_t access) {
  const auto got = vmm::vmm_get_pte(&process->m_vmm, address, access);
  if (!got) return error(Errno::kFault);  // whatever the VMM's reason, as Linux's copy_{to,from}_user
  const uint64_t entry = *got;
  return vmm::gpt_page(entry) + (address & (vmm::kPageSize - 1));
}

Result<void> copy_from_user(Process* process, void* to, uint32_t from, uint32_t size) {
  auto* out = static_cast<uint8_t*>(to);
  for (uint64_t done = 0; done < size;) {
    const uint64_t at = uint64_t(from) + done;
    if (at >= vmm::kUserEnd) return error(Errno::kFault);
    const uint32_t chunk = uint32_t(std::min<uint64_t>(size - done, vmm::kPageSize - (at & (vmm::kPageSize - 1))));
    const hal::xptr_t byte = TRY(user_byte(process, uint32_t(at), vmm::VSEG_READ));
    hal::remote_memcpy(hal::Xptr<void>(hal::local_cxy(), out + done), hal::Xptr<void>(byte), chunk);
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
    const hal::xptr_t byte = TRY(user_byte(process, uint32_t(at), vmm::VSEG_WRITE));
    hal::remote_memcpy(hal::Xptr<void>(byte), hal::Xptr<void>(hal::local_cxy(), const_cast<uint8_t*>(in + done)),
                       chunk);
    done += chunk;
  }
  return {};
}

Result<uint32_t> string_from_user(Process* process, char* to, uint32_t from, uint32_t capacity) {
  hal::xptr_t byte = 0;
  for (uint32_t i = 0; i < capacity; ++i) {
    const uint64_t at = uint64_t(from) + i;
    if (at >= vmm::kUserEnd) return error(Errno::kFault);
    if (i == 0 || (at & (vmm::kPageSize - 1)) == 0) byte = TRY(user_byte(process, uint32_t(at), vmm::VSEG_READ));
    else ++byte;
    to[i] = hal::remote_load(hal::Xptr<char>(byte));
    if (to[i] == '\0') return i;
  }
  return error(Errno::kNameTooLong);
}

}  // namespace mkh::proc
