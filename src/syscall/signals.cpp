// kill, tkill, tgkill, rt_sigaction, rt_sigprocmask and rt_sigpending (docs/decisions.md
// "Signals"): each signal's default action, or ignored (SIG_IGN), blocked and pending; no
// handlers yet (USERMODE.md: a handler is ENOSYS). A process is alone in its process group:
// kill reaches its own process (its pid, its group: 0 or the pid negated), one of its threads
// (tkill, tgkill), or another process by its pid, at its owner (PROCESS_MAKE_KILL, which
// hands the signal back to this layer: signal_from_other). Other targets are ESRCH, as Linux
// answers for a process that does not exist. The dispositions and the signals pending for the whole
// process are the process's; each thread has its mask and the signals pending for it alone
// (sent by tkill or tgkill while it blocked them), all under the process's m_signal_lock, as
// Linux keeps them: the reference's, with its dispositions and pending set, reached by remote
// access from a thread on a copy (`SignalState`), as are the threads' masks. Layer: syscall.
#include <cstring>
#include <optional>

#include "proc/copy.hpp"
#include "proc/services.hpp"
#include "syscall/call.hpp"

namespace mkh::syscall {

namespace {

constexpr uint32_t kSignalMax = 64;  // Linux's _NSIG: 1..64 are signals, 0 asks whether the target exists
constexpr uint32_t kSigsetSize = 8;  // Linux's sigset_t: 64 bits

constexpr uint64_t bit(uint32_t signal) { return uint64_t(1) << (signal - 1); }
// SIGKILL and SIGSTOP: never ignored, blocked or handled.
constexpr uint64_t kUnstoppable = bit(proc::kSigKill) | bit(proc::kSigStop);

enum class SignalAction { kTerminate, kIgnore, kStop };

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
  hal::Xptr<uint64_t> pending() const { return m_process.field(&proc::Process::m_signals_pending); }
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
hal::Xptr<uint64_t> pending_of(hal::Xptr<proc::UserThread> thread) {
  return thread.field(&proc::UserThread::m_signals_pending);
}
hal::Xptr<proc::UserThread> xptr_of(proc::UserThread* thread) { return {hal::local_cxy(), thread}; }

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
// sent to itself ends it before the call returns. A stop sent by another process (`from_other`:
// its parent, say, which can send the SIGCONT) stops it as SIGSTOP does; a stop it sends itself
// could only be undone by another process's SIGCONT, which no program of mkh's referee gives:
// the process ends, and `mkh exec` reports it as a shell reports a stopped job (128 + the signal).
void deliver(proc::Process* process, uint32_t signal, bool from_other = false) {
  switch (default_action(signal)) {
    case SignalAction::kIgnore: return;
    case SignalAction::kStop:
      if (from_other) {
        (void)proc::process_set_stopped_everywhere(process->m_pid, true);
        return;
      }
      [[fallthrough]];
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
    ready =
        (hal::remote_load(pending_of(self)) | hal::remote_load(state.pending())) & ~hal::remote_load(blocked_of(self));
    (void)hal::remote_atomic_and(pending_of(self), ~ready);
    (void)hal::remote_atomic_and(state.pending(), ~ready);
  }
  for (uint32_t signal = 1; ready != 0; ++signal, ready >>= 1)
    if ((ready & 1) != 0) deliver(process, signal);
}

// Linux's sig_ignored for a thread whose mask is `blocked`: a blocked signal is never
// ignored (it may be handled by the time it is unblocked); otherwise SIG_IGN, or SIG_DFL for
// a signal whose default is to be ignored.
bool ignored(const SignalState& state, uint64_t blocked, uint32_t signal) {
  if ((blocked & bit(signal)) != 0) return false;
  return (hal::remote_load(state.ignored()) & bit(signal)) != 0 || default_action(signal) == SignalAction::kIgnore;
}

// `signal` sent to the thread `tid` of `process`, or to the process itself (tid 0), as Linux's
// send_signal and complete_signal: ESRCH when there is no such thread (Linux checks the number
// only once a target is found); dropped when the target ignores it (the main thread judges for
// the process, or another when it is gone); pending on the thread when it blocks it, on the
// process when every thread blocks it; else it acts. SIGKILL and SIGSTOP always act. `sender`:
// the calling thread when it is one of the process's, null when another process sends it.
Answer send(proc::Process* process, proc::UserThread* sender, uint32_t tid, uint32_t signal) {
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
    if ((bit(signal) & kUnstoppable) != 0) {
      acts = true;
    } else if (target) {
      const uint64_t blocked = hal::remote_load(blocked_of(target));
      if (ignored(state, blocked, signal)) return 0;
      acts = (blocked & bit(signal)) == 0;
      // Pending on the thread; on the process for an execve's caller, which lives on as the
      // new image's thread.
      if (!acts)
        (void)hal::remote_atomic_or(tid == state.exec_caller() ? state.pending() : pending_of(target), bit(signal));
    } else if (const std::optional<uint64_t> blocked = state.exec_mask()) {
      if (ignored(state, *blocked, signal)) return 0;
      acts = (*blocked & bit(signal)) == 0;
      if (!acts) (void)hal::remote_atomic_or(state.pending(), bit(signal));
    } else {
      hal::Xptr<proc::UserThread> judge = threads.get(0);
      for (uint32_t slot = 1; slot < proc::kMaxThreads && !judge; ++slot) judge = threads.get(slot);
      if (!judge && sender != nullptr) judge = xptr_of(sender);
      if (!judge || ignored(state, hal::remote_load(blocked_of(judge)), signal)) return 0;  // none: it is ending
      for (uint32_t slot = 0; slot < proc::kMaxThreads; ++slot)
        if (const auto thread = threads.get(slot); thread && (hal::remote_load(blocked_of(thread)) & bit(signal)) == 0)
          acts = true;
      if (!acts) (void)hal::remote_atomic_or(state.pending(), bit(signal));
    }
  }
  if (acts) deliver(process, signal, sender == nullptr);
  return 0;
}

}  // namespace

void raise_on_caller(Call& call, uint32_t signal) { (void)send(call.process, call.thread, call.thread->m_tid, signal); }

Result<void> signal_from_other(proc::Process* process, uint32_t signal) {
  TRY(send(process, nullptr, 0, signal));
  return {};
}

// kill(pid, signal): pid > 0, that process (another than the caller's through its owner,
// PROCESS_MAKE_KILL: its children, say); 0 or -pid, the caller's group, where it is alone
// (its children are not in it, as they would be on Linux); -1, every process but init and
// the caller (none is reached: ESRCH); below -1, another group (ESRCH).
Answer sys_kill(Call& call) {
  const int32_t pid = int32_t(call.a[0]);
  const int32_t self = int32_t(call.process->m_pid);
  const uint32_t signal = call.a[1];
  if (pid == self || pid == 0 || pid == -self) return send(call.process, call.thread, 0, signal);
  if (pid <= 0 || !hal::cluster_present(proc::pid_cxy(uint32_t(pid)))) return error(Errno::kSrch);
  TRY(rpc::rpc_call<rpc::RPC_PROCESS_MAKE_KILL>(proc::pid_cxy(uint32_t(pid)), uint32_t(pid), signal));
  return 0;
}

Answer sys_tkill(Call& call) {
  const int32_t tid = int32_t(call.a[0]);
  if (tid <= 0) return error(Errno::kInval);
  return send(call.process, call.thread, uint32_t(tid), call.a[1]);
}

Answer sys_tgkill(Call& call) {
  const int32_t tgid = int32_t(call.a[0]), tid = int32_t(call.a[1]);
  if (tgid <= 0 || tid <= 0) return error(Errno::kInval);
  if (uint32_t(tgid) != call.process->m_pid) return error(Errno::kSrch);
  return send(call.process, call.thread, uint32_t(tid), call.a[2]);
}

// rt_sigaction(signal, act, oldact, sigsetsize), RV32's struct sigaction: the handler, the
// flags (32 bits each) and the mask (64 bits); no restorer on RISC-V. In Linux's order: the
// set's size, the new action read, the signal (SIGKILL and SIGSTOP keep theirs), then the old
// action written. A handler other than SIG_DFL (0) and SIG_IGN (1) is ENOSYS: none can run
// yet. Ignoring a pending signal drops it, as Linux does.
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
  if (call.a[1] != 0 && handler != kDefault && handler != kIgnore) return error(Errno::kNoSys);
  uint32_t old_handler = kDefault;
  proc::Process::SignalAction old;
  {
    SignalState state(call.process);
    old_handler = (hal::remote_load(state.ignored()) & bit(signal)) != 0 ? kIgnore : kDefault;
    old = hal::remote_read(state.action(signal));
    if (call.a[1] != 0) {
      hal::remote_write(state.action(signal), action);
      if (handler == kIgnore) {
        (void)hal::remote_atomic_or(state.ignored(), bit(signal));
        (void)hal::remote_atomic_and(state.pending(), ~bit(signal));
        for (uint32_t slot = 0; slot < proc::kMaxThreads; ++slot)
          if (const auto thread = state.threads().get(slot))
            (void)hal::remote_atomic_and(pending_of(thread), ~bit(signal));
      } else {
        (void)hal::remote_atomic_and(state.ignored(), ~bit(signal));
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
    pending =
        (hal::remote_load(pending_of(self)) | hal::remote_load(state.pending())) & hal::remote_load(blocked_of(self));
  }
  TRY(proc::copy_to_user(call.process, call.a[0], &pending, call.a[1]));
  return 0;
}

}  // namespace mkh::syscall
