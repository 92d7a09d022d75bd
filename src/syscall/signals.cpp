// kill, tkill, tgkill, rt_sigaction, rt_sigprocmask, rt_sigpending, rt_sigsuspend,
// rt_sigtimedwait and rt_sigreturn (docs/decisions.md "Signals"): each signal's default
// action, ignored (SIG_IGN) or a handler, blocked and pending. A signal with a handler waits on its target (the thread,
// or the process) and kicks one thread, which runs the handler before it next runs user code:
// a frame on its stack as Linux lays it out for RISC-V, its return through
// proc::kSignalReturnGate. kill reaches its own process, one of its threads (tkill, tgkill),
// another process by its pid, at its owner (PROCESS_MAKE_KILL, which hands the signal back to
// this layer: signal_from_other), or a process group (proc/groups.hpp), each member at its
// owner the same way. The dispositions and the signals pending for the whole
// process are the process's; each thread has its mask and the signals pending for it alone
// (sent by tkill or tgkill while it blocked them), all under the process's m_signal_lock, as
// Linux keeps them: the reference's, with its dispositions and pending set, reached by remote
// access from a thread on a copy (`SignalState`), as are the threads' masks. Layer: syscall.
#include <array>
#include <atomic>
#include <bit>
#include <cstring>
#include <optional>
#include <utility>

#include <fmt/format.h>

#include "proc/copy.hpp"
#include "proc/groups.hpp"
#include "proc/services.hpp"
#include "syscall/call.hpp"
#include "syscall/trace.hpp"
#include "user/interpreter.hpp"

namespace mkh::syscall {

namespace {

using proc::kSignalMax;
constexpr uint32_t kSigsetSize = 8;  // Linux's sigset_t: 64 bits

constexpr uint64_t bit(uint32_t signal) { return uint64_t(1) << (signal - 1); }
// SIGKILL and SIGSTOP: never ignored, blocked or handled.
constexpr uint64_t kUnstoppable = bit(proc::kSigKill) | bit(proc::kSigStop);
// sa_flags that change a handler's delivery (Linux's values).
constexpr uint32_t kSaRestart = 0x10000000, kSaNoDefer = 0x40000000, kSaResetHand = 0x80000000;
constexpr uint32_t kSaOnStack = 0x08000000;

enum class SignalAction { kTerminate, kIgnore, kStop };

// A set of pending signals (a process's or a thread's): their bits, and each one's origin.
struct Pending {
  hal::Xptr<uint64_t> bits;
  hal::Xptr<proc::SignalOrigin> origins;
};

// The signal state of a process (its reference's) and of its threads, locked while this
// lives, from any cluster.
class SignalState {
 public:
  explicit SignalState(const proc::Process* process)
      : m_process(proc::process_reference(process)),
        m_guard(m_process.field(&proc::Process::m_signal_lock)),
        m_threads(process) {}

  hal::Xptr<uint64_t> ignored() const { return m_process.field(&proc::Process::m_signals_ignored); }
  // While an execve stops the threads (and until its new thread is in the table), the mask of
  // its caller, whom a signal sent to the process would reach on Linux (the exec'ing thread
  // lives on); else none (a process ending, or one not started, has no judge: it is dropped).
  std::optional<uint64_t> exec_mask() const {
    if (!in_exec()) return std::nullopt;
    return hal::remote_load(m_process.field(&proc::Process::m_exec_signals_blocked));
  }
  // The same window's caller (0 outside it): its own signals go to the new image's thread.
  uint32_t exec_caller() const {
    return in_exec() ? hal::remote_load(m_process.field(&proc::Process::m_exec_caller_tid)) : 0;
  }
  Pending pending() const {
    return {m_process.field(&proc::Process::m_signals_pending),
            m_process.field(&proc::Process::m_signal_origins).as<proc::SignalOrigin>()};
  }
  hal::Xptr<proc::Process::SignalAction> action(uint32_t signal) const {
    return m_process.field(&proc::Process::m_signal_actions).as<proc::Process::SignalAction>() + (signal - 1);
  }
  // The process's threads (the table is locked too: none enters or leaves meanwhile).
  const proc::ThreadTable& threads() const { return m_threads; }

 private:
  bool in_exec() const {
    const uint32_t exiting = hal::remote_load_sc(m_process.field(&proc::Process::m_exiting));
    return exiting == proc::kExitingForExec ||
           (exiting == 0 && hal::remote_load(m_process.field(&proc::Process::m_exec_window)) != 0);
  }

  hal::Xptr<proc::Process> m_process;
  hal::RemoteBusylockGuard m_guard;  // the signal lock first, then the thread table's
  proc::ThreadTable m_threads;
};

hal::Xptr<uint64_t> blocked_of(hal::Xptr<proc::UserThread> thread) {
  return thread.field(&proc::UserThread::m_signals_blocked);
}
Pending pending_of(hal::Xptr<proc::UserThread> thread) {
  return {thread.field(&proc::UserThread::m_signals_pending),
          thread.field(&proc::UserThread::m_signal_origins).as<proc::SignalOrigin>()};
}
hal::Xptr<proc::UserThread> xptr_of(proc::UserThread* thread) { return {hal::local_cxy(), thread}; }
hal::Xptr<uint64_t> waited_of(hal::Xptr<proc::UserThread> thread) {
  return thread.field(&proc::UserThread::m_signals_waited);
}
// Whether `thread` takes `signal` when it comes: it does not block it, or waits for it
// (rt_sigtimedwait: Linux unblocks the set for the wait).
bool takes(hal::Xptr<proc::UserThread> thread, uint32_t signal) {
  return ((~hal::remote_load(blocked_of(thread)) | hal::remote_load(waited_of(thread))) & bit(signal)) != 0;
}

// Whether `signal` has a handler (under the lock).
bool handled(const SignalState& state, uint32_t signal) {
  return hal::remote_load(state.action(signal).field(&proc::Process::SignalAction::handler)) != 0;
}

// A signal with a handler waits for `thread`: its kick set, then its wait interrupted (the
// waits look at the kick after they block: proc::wait_interrupted).
void kick(hal::Xptr<proc::UserThread> thread) {
  (void)hal::remote_exchange(thread.field(&proc::UserThread::m_signal_kick), 1u);
  if (kern::Thread* kernel_thread = hal::remote_load_sc(thread.field(&proc::UserThread::m_thread)))
    (void)kern::thread_unblock(hal::Xptr<kern::Thread>(thread.cxy(), kernel_thread), proc::kSignalWakeCauses);
}

// A signal with a handler, pending on the process (or one a thread waits for): one thread that
// takes it is kicked (not `except`), the main thread first (Linux's complete_signal); none (an
// execve's window) leaves it to the new image's thread, which looks once as it starts.
void kick_one(const SignalState& state, uint32_t signal, hal::Xptr<proc::UserThread> except = {}) {
  for (uint32_t slot = 0; slot < proc::kMaxThreads; ++slot)
    if (const auto thread = state.threads().get(slot); thread && thread != except && takes(thread, signal)) {
      kick(thread);
      return;
    }
}

// The thread `self` blocks `signals` from now on (a mask that grew, or, all of them, a thread
// that leaves): those pending on the process with a handler go to another thread that does not
// block them (Linux's retarget_shared_pending). Under the lock.
void retarget(const SignalState& state, hal::Xptr<proc::UserThread> self, uint64_t signals) {
  uint64_t moved = signals & hal::remote_load(state.pending().bits);
  for (uint32_t signal = 1; moved != 0; ++signal, moved >>= 1)
    if ((moved & 1) != 0 && handled(state, signal)) kick_one(state, signal, self);
}

// Linux's default action (signal(7)); a core dump is a termination here.
SignalAction default_action(uint32_t signal) {
  switch (signal) {
    case proc::kSigChld:
    case proc::kSigCont:
    case proc::kSigUrg:
    case proc::kSigWinch: return SignalAction::kIgnore;
    case proc::kSigStop:
    case proc::kSigTstp:
    case proc::kSigTtin:
    case proc::kSigTtou: return SignalAction::kStop;
    default: return SignalAction::kTerminate;
  }
}

// `signal` (1..64), neither blocked nor ignored, acts on the process. A terminating signal
// sent to itself ends it before the call returns. A stop stops it as SIGSTOP does (its owner
// stops its threads and tells its parent) when another process sent it (`from_other`) or when
// the process has a parent, which can send the SIGCONT; the first process of `mkh exec` has
// none, and no other process may ever continue it: a stop it sends itself ends it, and `mkh
// exec` reports it as a shell reports a stopped job (128 + the signal).
void deliver(proc::Process* process, uint32_t signal, bool from_other = false) {
  switch (default_action(signal)) {
    case SignalAction::kIgnore: return;
    case SignalAction::kStop: {
      const bool has_parent =
          !hal::remote_load(proc::process_reference(process).field(&proc::Process::m_parent)).is_null();
      if (!from_other && !has_parent) {
        proc::process_make_exit(process, 0, signal);
        return;
      }
      const uint32_t pid = process->m_pid;
      if (proc::pid_cxy(pid) == hal::local_cxy()) {
        (void)proc::process_set_stopped_everywhere(pid, signal);
      } else {  // a thread of a copy: its owner stops it, as a stop from another process
        const proc::SignalOrigin self{proc::kSiUser, pid, 0};
        (void)rpc::rpc_call<rpc::RPC_PROCESS_MAKE_KILL>(proc::pid_cxy(pid), pid, signal, self.code, self.pid,
                                                        self.status);
      }
      return;
    }
    case SignalAction::kTerminate: proc::process_make_exit(process, 0, signal);
  }
}

// The signals pending for the calling thread (its own, and its process's) that it no longer
// blocks act, the lowest first.
void deliver_unblocked(proc::UserThread* thread) {
  proc::Process* process = thread->m_process;
  const auto self = xptr_of(thread);
  uint64_t ready = 0;
  {
    SignalState state(process);
    ready = (hal::remote_load(pending_of(self).bits) | hal::remote_load(state.pending().bits)) &
            ~hal::remote_load(blocked_of(self));
    // Those with a handler stay pending: the thread runs them before it runs user code again.
    for (uint32_t signal = 1; signal <= kSignalMax; ++signal)
      if ((ready & bit(signal)) != 0 && handled(state, signal)) {
        ready &= ~bit(signal);
        hal::local_store(thread->m_signal_kick, 1u, std::memory_order_seq_cst);
      }
    (void)hal::remote_atomic_and(pending_of(self).bits, ~ready);
    (void)hal::remote_atomic_and(state.pending().bits, ~ready);
  }
  for (uint32_t signal = 1; ready != 0; ++signal, ready >>= 1)
    if ((ready & 1) != 0) {
      if (traced(thread)) trace_signal(thread, signal, "its default action");
      deliver(process, signal);
    }
}

// A signal not ignored, sent to `target` (null: to the process): true when it acts at once —
// its target does not block it (`unblocked`) and it has no handler. Otherwise it waits in
// `pending` with its origin, unless it waits there already (the first sending's origin stays,
// as Linux queues no second standard signal); one that a thread takes (`taken`: it does not
// block it, or waits for it in rt_sigtimedwait) kicks the target (or one of the process's
// threads: kick_one), which runs the handler or takes it.
bool acts_or_waits(const SignalState& state, uint32_t signal, const proc::SignalOrigin& origin, bool unblocked,
                   bool taken, Pending pending, hal::Xptr<proc::UserThread> target) {
  const bool has_handler = handled(state, signal);
  if (unblocked && !has_handler) return true;
  if ((hal::remote_atomic_or(pending.bits, bit(signal)) & bit(signal)) == 0)
    hal::remote_write(pending.origins + (signal - 1), origin);
  if (taken && target) kick(target);
  else if (taken) kick_one(state, signal);
  return false;
}

// The lowest signal of `allowed` pending for the thread, or else for its process (Linux's
// dequeue_signal), taken off with its origin; 0 when none. Under the lock.
uint32_t take_pending(const SignalState& state, hal::Xptr<proc::UserThread> self, uint64_t allowed,
                      proc::SignalOrigin& origin) {
  for (const Pending pending : {pending_of(self), state.pending()}) {
    const uint64_t ready = hal::remote_load(pending.bits) & allowed;
    if (ready == 0) continue;
    const uint32_t signal = uint32_t(std::countr_zero(ready)) + 1;
    (void)hal::remote_atomic_and(pending.bits, ~bit(signal));
    origin = hal::remote_read(pending.origins + (signal - 1));
    return signal;
  }
  return 0;
}

// Linux's prepare_signal: a stop signal drops a pending SIGCONT, and SIGCONT the pending stop
// signals, from the process and each of its threads (under the lock).
void drop_opposites(const SignalState& state, uint32_t signal) {
  constexpr uint64_t kStops = bit(proc::kSigStop) | bit(proc::kSigTstp) | bit(proc::kSigTtin) | bit(proc::kSigTtou);
  const uint64_t dropped = signal == proc::kSigCont ? kStops : (bit(signal) & kStops) != 0 ? bit(proc::kSigCont) : 0;
  if (dropped == 0) return;
  (void)hal::remote_atomic_and(state.pending().bits, ~dropped);
  for (uint32_t slot = 0; slot < proc::kMaxThreads; ++slot)
    if (const auto thread = state.threads().get(slot)) (void)hal::remote_atomic_and(pending_of(thread).bits, ~dropped);
}

// Linux's sig_ignored for a thread whose mask is `blocked`: a blocked signal is never
// ignored (it may be handled by the time it is unblocked); otherwise SIG_IGN, or SIG_DFL for
// a signal whose default is to be ignored.
bool ignored(const SignalState& state, uint64_t blocked, uint32_t signal) {
  if ((blocked & bit(signal)) != 0) return false;
  return (hal::remote_load(state.ignored()) & bit(signal)) != 0 ||
         (default_action(signal) == SignalAction::kIgnore && !handled(state, signal));
}

// `signal` sent to the thread `tid` of `process`, or to the process itself (tid 0), as Linux's
// send_signal and complete_signal: ESRCH when there is no such thread (Linux checks the number
// only once a target is found); dropped when the target ignores it (the main thread judges for
// the process, or another when it is gone); pending on the thread when it blocks it, on the
// process when every thread blocks it; else it acts. SIGKILL and SIGSTOP always act. `sender`:
// the calling thread when it is one of the process's, null when another process sends it;
// `origin`: what the handler's siginfo will say.
Answer send(proc::Process* process, proc::UserThread* sender, uint32_t tid, uint32_t signal,
            const proc::SignalOrigin& origin) {
  bool acts = false;
  {
    SignalState state(process);
    const proc::ThreadTable& threads = state.threads();
    hal::Xptr<proc::UserThread> target;
    if (tid != 0) {
      for (uint32_t slot = 0; slot < proc::kMaxThreads; ++slot)
        if (const auto thread = threads.get(slot);
            thread && hal::remote_load(thread.field(&proc::UserThread::m_tid)) == tid)
          target = thread;
      if (!target) return error(Errno::kSrch);
    }
    if (signal > kSignalMax) return error(Errno::kInval);
    if (signal == 0) return 0;
    drop_opposites(state, signal);
    if (signal == proc::kSigStop && sender == nullptr) return 0;  // PROCESS_MAKE_KILL stopped it
    if ((bit(signal) & kUnstoppable) != 0) {
      acts = true;
    } else if (target) {
      const uint64_t blocked = hal::remote_load(blocked_of(target));
      if (ignored(state, blocked, signal)) return 0;
      // Pending on the thread; on the process for an execve's caller, which lives on as the
      // new image's thread.
      const Pending pending = tid == state.exec_caller() ? state.pending() : pending_of(target);
      acts = acts_or_waits(state, signal, origin, (blocked & bit(signal)) == 0, takes(target, signal), pending, target);
    } else if (const std::optional<uint64_t> blocked = state.exec_mask()) {
      if (ignored(state, *blocked, signal)) return 0;
      const bool unblocked = (*blocked & bit(signal)) == 0;
      acts = acts_or_waits(state, signal, origin, unblocked, unblocked, state.pending(), {});
    } else {
      hal::Xptr<proc::UserThread> judge = threads.get(0);
      for (uint32_t slot = 1; slot < proc::kMaxThreads && !judge; ++slot) judge = threads.get(slot);
      if (!judge && sender != nullptr) judge = xptr_of(sender);
      if (!judge || ignored(state, hal::remote_load(blocked_of(judge)), signal)) return 0;  // none: it is ending
      bool unblocked = false, taken = false;
      for (uint32_t slot = 0; slot < proc::kMaxThreads; ++slot)
        if (const auto thread = threads.get(slot)) {
          unblocked |= (hal::remote_load(blocked_of(thread)) & bit(signal)) == 0;
          taken |= takes(thread, signal);
        }
      acts = acts_or_waits(state, signal, origin, unblocked, taken, state.pending(), {});
    }
  }
  if (acts) deliver(process, signal, sender == nullptr);
  return 0;
}

// Linux's rt_sigframe for RV32 (arch/riscv/kernel/signal.c), at a 16-aligned address below
// the interrupted sp: a siginfo (128 bytes: si_signo, si_errno, si_code, si_pid, si_uid, ...),
// then the ucontext: uc_flags, uc_link, uc_stack (ss_sp, ss_flags, ss_size), uc_sigmask (64
// bits), 120 bytes unused, and at its offset 160 (16-aligned) the sigcontext: pc and x1-x31,
// then the floating-point state (528 bytes; RV32IMAC has none: zeros).
namespace frame {
constexpr uint32_t kInfo = 0, kContext = 128;
constexpr uint32_t kStack = kContext + 8, kMask = kContext + 20, kRegisters = kContext + 160;
constexpr uint32_t kSize = kRegisters + 32 * 4 + 528;
static_assert(kSize == 944);
}  // namespace frame
constexpr uint32_t kSsOnStack = 1, kSsDisable = 2, kSsAutoDisarm = 0x80000000u;

// A stack_t as Linux fills it for the thread whose sp is `sp` (its __save_altstack): the
// alternate stack, and SS_ONSTACK while sp is on it, SS_DISABLE when there is none.
std::array<uint32_t, 3> stack_of(const proc::AltStack& alt, uint32_t sp) {
  const uint32_t flags = alt.size == 0 ? kSsDisable : alt.holds(sp) ? kSsOnStack : 0;
  return {alt.sp, flags | alt.autodisarm, alt.size};
}

// What a handler's siginfo says: the signal, why (si_code), then the union: for a fault,
// where (si_addr); for a sent signal, the sender's pid (si_pid; si_uid after it is 0, mkh's
// only user) and, for SIGCHLD, the child's si_status (the times after it are 0).
struct SignalInfo {
  uint32_t signal;
  int32_t code;
  uint32_t address_or_pid = 0;
  int32_t status = 0;
};

// Linux's siginfo of RV32 (128 bytes, zeroed by the caller): si_signo, si_errno, si_code, then
// the union (si_addr, or si_pid, si_uid and si_status).
void put_siginfo(uint8_t* bytes, const SignalInfo& info) {
  const uint32_t fields[] = {info.signal, 0, uint32_t(info.code), info.address_or_pid, 0, uint32_t(info.status)};
  std::memcpy(bytes, fields, sizeof fields);
}

// The frame of `info.signal`'s handler pushed on the thread's stack and its registers set to
// run it: a0 the signal, a1 the siginfo, a2 the ucontext (whatever the SA_SIGINFO flag, as
// Linux), ra the return gate. `saved_mask`: the mask its return restores. False when the stack
// cannot take the frame.
bool push_frame(proc::UserThread* thread, const SignalInfo& info, uint64_t saved_mask, uint32_t handler,
                uint32_t flags) {
  user::Context& context = thread->m_context;
  proc::AltStack& alt = thread->m_alt_stack;
  const uint32_t sp = context.x[2];
  // SA_ONSTACK: on the alternate stack, unless the thread runs on it already (a nested signal).
  const bool switches = (flags & kSaOnStack) != 0 && alt.size != 0 && !alt.holds(sp);
  const uint32_t top = switches ? alt.sp + alt.size : sp;
  const uint32_t at = (top - frame::kSize) & ~uint32_t(15);
  uint8_t bytes[frame::kSize] = {};
  auto put = [&bytes](uint32_t offset, uint32_t value) { std::memcpy(bytes + offset, &value, 4); };
  put_siginfo(bytes + frame::kInfo, info);
  const std::array<uint32_t, 3> stack = stack_of(alt, sp);
  std::memcpy(bytes + frame::kStack, stack.data(), sizeof stack);
  std::memcpy(bytes + frame::kMask, &saved_mask, 8);
  put(frame::kRegisters, context.pc);
  for (uint32_t i = 1; i < 32; ++i) put(frame::kRegisters + 4 * i, context.x[i]);
  if (at > top || !proc::copy_to_user(thread->m_process, at, bytes, sizeof bytes)) return false;
  if (switches && alt.autodisarm != 0) alt = proc::AltStack{};  // its return sets it again
  context.x[1] = proc::kSignalReturnGate;
  context.x[2] = at;
  context.x[10] = info.signal;
  context.x[11] = at + frame::kInfo;
  context.x[12] = at + frame::kContext;
  context.pc = handler;
  return true;
}

// The interrupted system call starts again: its ecall, its first argument back in a0.
void restart_call(proc::UserThread* thread) {
  thread->m_context.pc -= 4;
  thread->m_context.x[10] = thread->m_restart_a0;
}

// The thread's mask becomes `mask` (never SIGKILL or SIGSTOP); what it unblocks acts.
void set_mask(proc::UserThread* thread, uint64_t mask) {
  {
    SignalState state(thread->m_process);
    const auto self = xptr_of(thread);
    const uint64_t old = hal::remote_load(blocked_of(self));
    hal::remote_store(blocked_of(self), mask & ~kUnstoppable);
    retarget(state, self, mask & ~old);
  }
  deliver_unblocked(thread);
}

// A handler's return (rt_sigreturn): the registers, pc and mask its frame saved, at sp; the
// alternate stack it saved too, unless the thread runs on its alternate stack (Linux's
// restore_altstack, whose sigaltstack then refuses: EPERM, ignored).
bool pop_frame(proc::UserThread* thread) {
  constexpr uint32_t kFrom = frame::kStack, kTo = frame::kRegisters + 32 * 4;
  uint8_t bytes[kTo - kFrom];
  user::Context& context = thread->m_context;
  if (!proc::copy_from_user(thread->m_process, bytes, context.x[2] + kFrom, sizeof bytes)) return false;
  if (!thread->m_alt_stack.holds(context.x[2])) {
    uint32_t stack[3];
    std::memcpy(stack, bytes, sizeof stack);
    if ((stack[1] & kSsDisable) != 0 || stack[2] == 0) thread->m_alt_stack = proc::AltStack{};
    else thread->m_alt_stack = proc::AltStack{stack[0], stack[2], stack[1] & kSsAutoDisarm};
  }
  uint64_t mask = 0;
  std::memcpy(&mask, bytes + frame::kMask - kFrom, 8);
  std::memcpy(&context.pc, bytes + frame::kRegisters - kFrom, 4);
  std::memcpy(&context.x[1], bytes + frame::kRegisters - kFrom + 4, 31 * 4);
  set_mask(thread, mask);
  return true;
}

// `signal`'s action, for the thread `self` whose mask is `blocked` (under the lock): with a
// handler, the thread's mask becomes the one it runs with (its sa_mask and, but with
// SA_NODEFER, the signal) and SA_RESETHAND gives the signal back its default.
proc::Process::SignalAction take_action(const SignalState& state, hal::Xptr<proc::UserThread> self, uint64_t blocked,
                                        uint32_t signal) {
  const proc::Process::SignalAction action = hal::remote_read(state.action(signal));
  if (action.handler == 0) return action;
  uint64_t mask = blocked | action.mask;
  if ((action.flags & kSaNoDefer) == 0) mask |= bit(signal);
  hal::remote_store(blocked_of(self), mask & ~kUnstoppable);
  if ((action.flags & kSaResetHand) != 0)
    hal::remote_store(state.action(signal).field(&proc::Process::SignalAction::handler), 0u);
  retarget(state, self, mask & ~blocked);
  return action;
}

}  // namespace

void signals_deliver(proc::UserThread* thread) {
  std::atomic_ref<uint32_t>(thread->m_signal_kick).store(0, std::memory_order_seq_cst);
  proc::Process* process = thread->m_process;
  const auto self = xptr_of(thread);
  const proc::SyscallRestart restart = std::exchange(thread->m_restart, proc::SyscallRestart::kNone);
  bool handler_ran = false;
  for (;;) {
    // The thread's own signals first, then its process's (Linux's dequeue_signal), the lowest
    // of each; a handler's mask taken.
    uint32_t signal = 0;
    proc::SignalOrigin origin;
    uint64_t blocked = 0;
    proc::Process::SignalAction action;
    {
      SignalState state(process);
      blocked = hal::remote_load(blocked_of(self));
      signal = take_pending(state, self, ~blocked, origin);
      if (signal == 0) break;
      action = take_action(state, self, blocked, signal);
    }
    if (action.handler == 0) {  // its handler went meanwhile: the default action
      if (traced(thread)) trace_signal(thread, signal, "its default action");
      deliver(process, signal);
      if (proc::process_ending(process)) return;
      continue;
    }
    // The first handler decides for the interrupted call: SA_RESTART starts it again.
    if (!handler_ran && restart == proc::SyscallRestart::kRestartable && (action.flags & kSaRestart) != 0)
      restart_call(thread);
    handler_ran = true;
    const uint64_t saved_mask = std::exchange(thread->m_restore_mask, false) ? thread->m_saved_mask : blocked;
    if (traced(thread))
      trace_signal(thread, signal, fmt::format("its handler {:#x}, sent by pid {}", action.handler, origin.pid));
    if (!push_frame(thread, SignalInfo{signal, origin.code, origin.pid, origin.status}, saved_mask, action.handler,
                    action.flags)) {
      proc::process_make_exit(process, 0, proc::kSigSegv);  // Linux's force_sigsegv
      return;
    }
  }
  if (handler_ran) return;
  // No handler ran (another thread took the signal, or its handler went): the call starts
  // again, with the mask it found.
  if (restart != proc::SyscallRestart::kNone) restart_call(thread);
  if (std::exchange(thread->m_restore_mask, false)) set_mask(thread, thread->m_saved_mask);
}

bool signals_fault(proc::UserThread* thread, uint32_t signal, const user::Trap& trap) {
  if (traced(thread))
    trace_signal(thread, signal,
                 fmt::format("{} at {:#x}, pc {:#x}", user::trap_kind_name(trap.kind), trap.address, trap.pc));
  if (signal == proc::kSigKill) return false;  // no memory: Linux's OOM killer
  const auto self = xptr_of(thread);
  uint64_t blocked = 0;
  proc::Process::SignalAction action;
  {
    SignalState state(thread->m_process);
    blocked = hal::remote_load(blocked_of(self));
    // Blocked or ignored, a fault's signal is not put off: the default action (Linux's
    // force_sig_fault).
    if ((blocked & bit(signal)) != 0 || (hal::remote_load(state.ignored()) & bit(signal)) != 0) return false;
    action = take_action(state, self, blocked, signal);
  }
  if (action.handler == 0) return false;
  // si_code: SEGV_MAPERR (nothing mapped there) or SEGV_ACCERR (not so), BUS_ADRALN (an
  // atomic's address) or BUS_ADRERR (the file behind the page failed), ILL_ILLOPC, TRAP_BRKPT
  // (1 or 2 each); si_addr: the address of a memory access, the instruction's for the others.
  const bool access = trap.kind == user::TrapKind::kPageFault || trap.kind == user::TrapKind::kMisaligned;
  const bool second_code = (signal == proc::kSigSegv && thread->m_fault == Errno::kAcces) ||
                           (signal == proc::kSigBus && trap.kind == user::TrapKind::kPageFault);
  if (!push_frame(thread, SignalInfo{signal, second_code ? 2 : 1, access ? trap.address : trap.pc}, blocked,
                  action.handler, action.flags))
    proc::process_make_exit(thread->m_process, 0, proc::kSigSegv);  // Linux's force_sigsegv
  return true;
}

void signals_leave(proc::UserThread* thread) {
  if (proc::process_ending(thread->m_process)) return;
  SignalState state(thread->m_process);
  retarget(state, xptr_of(thread), ~uint64_t(0));
}

void signals_return(proc::UserThread* thread) {
  if (!pop_frame(thread)) proc::process_make_exit(thread->m_process, 0, proc::kSigSegv);
}

// rt_sigreturn(): the handler's return, when a program makes the call itself (a handler
// returns through proc::kSignalReturnGate). A frame that cannot be read is SIGSEGV.
Answer sys_rt_sigreturn(Call& call) {
  call.context_set = true;
  signals_return(call.thread);
  return 0;
}

Result<void> wait_mask_set(Call& call, uint32_t address, uint32_t size) {
  if (size != kSigsetSize) return error(Errno::kInval);
  uint64_t set = 0;
  TRY(proc::copy_from_user(call.process, &set, address, sizeof set));
  proc::UserThread* thread = call.thread;
  thread->m_saved_mask = hal::local_load(thread->m_signals_blocked);
  thread->m_restore_mask = true;
  set_mask(thread, set);
  return {};
}

void wait_mask_restore(Call& call) {
  if (std::exchange(call.thread->m_restore_mask, false)) set_mask(call.thread, call.thread->m_saved_mask);
}

// rt_sigsuspend(set, sigsetsize): the mask becomes `set` until a signal's handler runs (its
// return restores the mask before the call) or the process ends; always EINTR (Linux's
// ERESTARTNOHAND: started again when no handler ran).
Answer sys_rt_sigsuspend(Call& call) {
  TRY(wait_mask_set(call, call.a[0], call.a[1]));
  // Asleep a second at a time until a signal's kick (or the process's end) interrupts a sleep.
  while (sleep_for(call, 1'000'000'000)) {}
  return error(Errno::kIntr);
}

// rt_sigtimedwait(set, info, timeout, sigsetsize) with a struct timespec64 (Linux's
// do_sigtimedwait): the lowest signal of `set` pending for the thread, or else for its process,
// is taken — no handler runs for it — and answered, its siginfo written when `info` is not
// null. With none, the thread waits for one (the set counts as unblocked meanwhile: a signal
// of it kicks the thread, even blocked, and a signal of it not blocked with no handler acts,
// as Linux's), until the timeout (EAGAIN; at once for a zero one) or a signal out of the set
// with a handler (EINTR, whatever SA_RESTART). SIGKILL and SIGSTOP are never waited for.
Answer sys_rt_sigtimedwait_time64(Call& call) {
  if (call.a[3] != kSigsetSize) return error(Errno::kInval);
  uint64_t set = 0;
  TRY(proc::copy_from_user(call.process, &set, call.a[0], sizeof set));
  set &= ~kUnstoppable;
  const int64_t deadline =
      call.a[2] == 0 ? INT64_MAX : deadline_after(CLOCK_MONOTONIC, TRY(timespec_ns_from_user(call, call.a[2])));
  const auto self = xptr_of(call.thread);
  proc::SignalOrigin origin;
  // A look under the lock: a signal of the set taken, or the set waited for from now on.
  auto look = [&](bool waits) {
    SignalState state(call.process);
    const uint32_t taken = take_pending(state, self, set, origin);
    hal::remote_store(waited_of(self), taken == 0 && waits ? set : 0);
    return taken;
  };
  uint32_t signal = 0;
  for (;;) {
    const int64_t left = deadline == INT64_MAX ? INT64_MAX : deadline - hal::clock_ns(CLOCK_MONOTONIC);
    if ((signal = look(left > 0)) != 0) break;
    if (left <= 0) return error(Errno::kAgain);
    if (!sleep_for(call, uint64_t(left))) {  // a kick: the set's signal, or another's handler
      if ((signal = look(false)) == 0) return error(Errno::kIntr);
      break;
    }
  }
  if (call.a[1] != 0) {
    uint8_t info[128] = {};
    put_siginfo(info, SignalInfo{signal, origin.code, origin.pid, origin.status});
    TRY(proc::copy_to_user(call.process, call.a[1], info, sizeof info));
  }
  return signal;
}

// sigaltstack(ss, old_ss), RV32's stack_t (ss_sp, ss_flags, ss_size: 12 bytes), in Linux's
// order: the new stack read (EFAULT), refused while the thread runs on its alternate stack
// (EPERM), its flags checked (0, SS_ONSTACK or SS_DISABLE, with SS_AUTODISARM: else EINVAL)
// and its size (MINSIGSTKSZ, 2048 on RISC-V: else ENOMEM); then the old one written.
Answer sys_sigaltstack(Call& call) {
  constexpr uint32_t kMinimumSize = 2048;
  proc::AltStack& alt = call.thread->m_alt_stack;
  const uint32_t sp = call.thread->m_context.x[2];
  const std::array<uint32_t, 3> old = stack_of(alt, sp);
  if (call.a[0] != 0) {
    uint32_t asked[3];
    TRY(proc::copy_from_user(call.process, asked, call.a[0], sizeof asked));
    if (alt.holds(sp)) return error(Errno::kPerm);
    const uint32_t mode = asked[1] & ~kSsAutoDisarm;
    if (mode != 0 && mode != kSsOnStack && mode != kSsDisable) return error(Errno::kInval);
    if (mode == kSsDisable) {
      alt = proc::AltStack{};
    } else {
      if (asked[2] < kMinimumSize) return error(Errno::kNoMem);
      alt = proc::AltStack{asked[0], asked[2], asked[1] & kSsAutoDisarm};
    }
  }
  if (call.a[1] != 0) TRY(proc::copy_to_user(call.process, call.a[1], old.data(), sizeof old));
  return 0;
}

namespace {
// A signal a process sends with kill (SI_USER) or tkill (SI_TKILL): its pid in the siginfo.
proc::SignalOrigin sent_by(const Call& call, int32_t code) { return {code, call.process->m_pid, 0}; }
}  // namespace

// Linux sends SIGPIPE as kill would (send_sig: SI_USER, the writer's own pid).
void raise_on_caller(Call& call, uint32_t signal) {
  (void)send(call.process, call.thread, call.thread->m_tid, signal, sent_by(call, proc::kSiUser));
}

Result<bool> terminal_access_stops(Call& call, int host_fd, uint32_t signal) {
  const proc::TerminalReader reader = TRY(proc::terminal_reader(call.process));
  if (!reader.background || !host_stream_terminal(host_fd)) return false;
  {
    SignalState state(call.process);
    const uint64_t refused = hal::remote_load(state.ignored()) | hal::remote_load(blocked_of(xptr_of(call.thread)));
    // A read refused SIGTTIN fails; a change refused SIGTTOU is made.
    if ((refused & bit(signal)) != 0) return signal == proc::kSigTtin ? Result<bool>(error(Errno::kIo)) : false;
    if (reader.orphaned) return error(Errno::kIo);
  }
  TRY(proc::signal_group(reader.pgid, signal, proc::kFromKernel));  // the caller's process too
  return true;
}

Result<void> signal_from_other(proc::Process* process, uint32_t signal, proc::SignalOrigin origin) {
  TRY(send(process, nullptr, 0, signal, origin));
  return {};
}

// kill(pid, signal): pid > 0, that process (another than the caller's through its owner,
// PROCESS_MAKE_KILL: its children, say); 0, the caller's group; below -1, the group -pid; -1,
// every process but the caller's. A group's other members are reached through every cluster
// (proc::signal_group), then the caller's own process if it is one: ESRCH when none is.
Answer sys_kill(Call& call) {
  const int32_t pid = int32_t(call.a[0]);
  const uint32_t self = call.process->m_pid;
  const uint32_t signal = call.a[1];
  const proc::SignalOrigin origin = sent_by(call, proc::kSiUser);
  if (uint32_t(pid) == self) return send(call.process, call.thread, 0, signal, origin);
  if (pid > 0) {
    if (!hal::cluster_present(proc::pid_cxy(uint32_t(pid)))) return error(Errno::kSrch);
    TRY(rpc::rpc_call<rpc::RPC_PROCESS_MAKE_KILL>(proc::pid_cxy(uint32_t(pid)), uint32_t(pid), signal, origin.code,
                                                  origin.pid, origin.status));
    return 0;
  }
  if (signal > kSignalMax) return error(Errno::kInval);
  if (pid == int32_t(0x80000000u)) return error(Errno::kSrch);  // -INT_MIN is no group
  const uint32_t own_group = TRY(proc::process_ids(call.process, self)).pgid;
  const uint32_t group = pid == 0 ? own_group : pid == -1 ? proc::kEveryProcess : uint32_t(-pid);
  const proc::GroupMembers others = TRY(proc::signal_group(group, signal, origin));
  if (group == own_group) return send(call.process, call.thread, 0, signal, origin);
  if (others.count == 0 && others.zombies == 0) return error(Errno::kSrch);  // a zombie takes it, as on Linux
  return 0;
}

Answer sys_tkill(Call& call) {
  const int32_t tid = int32_t(call.a[0]);
  if (tid <= 0) return error(Errno::kInval);
  return send(call.process, call.thread, uint32_t(tid), call.a[1], sent_by(call, proc::kSiTkill));
}

Answer sys_tgkill(Call& call) {
  const int32_t tgid = int32_t(call.a[0]), tid = int32_t(call.a[1]);
  if (tgid <= 0 || tid <= 0) return error(Errno::kInval);
  if (uint32_t(tgid) != call.process->m_pid) return error(Errno::kSrch);
  return send(call.process, call.thread, uint32_t(tid), call.a[2], sent_by(call, proc::kSiTkill));
}

// rt_sigaction(signal, act, oldact, sigsetsize), RV32's struct sigaction: the handler, the
// flags (32 bits each) and the mask (64 bits); no restorer on RISC-V. In Linux's order: the
// set's size, the new action read, the signal (SIGKILL and SIGSTOP keep theirs), then the old
// action written. The handler is SIG_DFL (0), SIG_IGN (1) or a function's address, which is
// not checked (a bad one faults when the signal comes, as on Linux). Ignoring a pending
// signal drops it, as Linux does.
Answer sys_rt_sigaction(Call& call) {
  constexpr uint32_t kDefault = 0, kIgnore = 1;
  const uint32_t signal = call.a[0];
  if (call.a[3] != kSigsetSize) return error(Errno::kInval);
  uint8_t in[16] = {};
  if (call.a[1] != 0) TRY(proc::copy_from_user(call.process, in, call.a[1], sizeof in));
  if (signal < 1 || signal > kSignalMax || (call.a[1] != 0 && (bit(signal) & kUnstoppable) != 0))
    return error(Errno::kInval);
  uint32_t handler = 0;
  proc::Process::SignalAction action;
  std::memcpy(&handler, in, 4);
  std::memcpy(&action.flags, in + 4, 4);
  std::memcpy(&action.mask, in + 8, 8);
  action.handler = handler == kIgnore ? kDefault : handler;
  uint32_t old_handler = kDefault;
  proc::Process::SignalAction old;
  {
    SignalState state(call.process);
    old = hal::remote_read(state.action(signal));
    old_handler = (hal::remote_load(state.ignored()) & bit(signal)) != 0 ? kIgnore : old.handler;
    if (call.a[1] != 0) {
      hal::remote_write(state.action(signal), action);
      if (handler == kIgnore) (void)hal::remote_atomic_or(state.ignored(), bit(signal));
      else (void)hal::remote_atomic_and(state.ignored(), ~bit(signal));
      // Ignored from now on (SIG_IGN, or SIG_DFL of a signal ignored by default, as Linux's
      // sig_handler_ignored): no longer pending anywhere.
      if (handler == kIgnore || (handler == kDefault && default_action(signal) == SignalAction::kIgnore)) {
        (void)hal::remote_atomic_and(state.pending().bits, ~bit(signal));
        for (uint32_t slot = 0; slot < proc::kMaxThreads; ++slot)
          if (const auto thread = state.threads().get(slot))
            (void)hal::remote_atomic_and(pending_of(thread).bits, ~bit(signal));
      }
    }
  }
  if (call.a[2] != 0) {
    uint8_t out[16] = {};
    std::memcpy(out, &old_handler, 4);
    std::memcpy(out + 4, &old.flags, 4);
    std::memcpy(out + 8, &old.mask, 8);
    TRY(proc::copy_to_user(call.process, call.a[2], out, sizeof out));
  }
  return 0;
}

// rt_sigprocmask(how, set, oldset, sigsetsize), the calling thread's mask: SIG_BLOCK 0,
// SIG_UNBLOCK 1, SIG_SETMASK 2; SIGKILL and SIGSTOP are never blocked (silently, as Linux). A
// signal pending for the thread or its process that it unblocks acts before the call returns.
Answer sys_rt_sigprocmask(Call& call) {
  enum : uint32_t { kBlock = 0, kUnblock = 1, kSetMask = 2 };
  if (call.a[3] != kSigsetSize) return error(Errno::kInval);
  uint64_t set = 0;
  if (call.a[1] != 0) TRY(proc::copy_from_user(call.process, &set, call.a[1], sizeof set));
  set &= ~kUnstoppable;
  proc::UserThread* thread = call.thread;
  const auto mask = blocked_of(xptr_of(thread));
  uint64_t old = 0;
  {
    SignalState state(call.process);
    old = hal::remote_load(mask);
    if (call.a[1] != 0) {
      switch (call.a[0]) {
        case kBlock: hal::remote_store(mask, old | set); break;
        case kUnblock: hal::remote_store(mask, old & ~set); break;
        case kSetMask: hal::remote_store(mask, set); break;
        default: return error(Errno::kInval);
      }
      retarget(state, xptr_of(thread), hal::remote_load(mask) & ~old);
    }
  }
  if (call.a[2] != 0) TRY(proc::copy_to_user(call.process, call.a[2], &old, sizeof old));
  deliver_unblocked(thread);
  return 0;
}

// rt_sigpending(set, sigsetsize): the signals waiting for the calling thread or its process
// that the thread blocks; a size above 8 bytes is
// EINVAL, a smaller one gets the first bytes, as Linux.
Answer sys_rt_sigpending(Call& call) {
  if (call.a[1] > kSigsetSize) return error(Errno::kInval);
  const auto self = xptr_of(call.thread);
  uint64_t pending = 0;
  {
    SignalState state(call.process);
    pending = (hal::remote_load(pending_of(self).bits) | hal::remote_load(state.pending().bits)) &
              hal::remote_load(blocked_of(self));
  }
  TRY(proc::copy_to_user(call.process, call.a[0], &pending, call.a[1]));
  return 0;
}

}  // namespace mkh::syscall
