// kill, tkill, tgkill, rt_sigaction, rt_sigprocmask and rt_sigpending (docs/decisions.md
// "Signals"): each signal's default action, or ignored (SIG_IGN), blocked and pending; no
// handlers yet (USERMODE.md: a handler is ENOSYS). A process is alone in its process group,
// so the only targets a call can find are the caller's process: its pid, its group (0, or the
// pid negated), one of its threads' tids. Every other target is ESRCH, as Linux answers for a
// process that does not exist. The dispositions and the signals pending for the whole
// process are the process's; each thread has its mask and the signals pending for it alone
// (sent by tkill or tgkill while it blocked them), all under the process's m_signal_lock, as
// Linux keeps them. Layer: syscall.
#include <cstring>

#include "syscall/call.hpp"

namespace mkh::syscall {

namespace {

constexpr uint32_t kSignalMax = 64;  // Linux's _NSIG: 1..64 are signals, 0 asks whether the target exists
constexpr uint32_t kSigsetSize = 8;  // Linux's sigset_t: 64 bits

constexpr uint64_t bit(uint32_t signal) { return uint64_t(1) << (signal - 1); }
// SIGKILL and SIGSTOP: never ignored, blocked or handled.
constexpr uint64_t kUnstoppable = bit(proc::kSigKill) | bit(proc::kSigStop);

enum class SignalAction { kTerminate, kIgnore, kStop };

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
// sent to itself ends it before the call returns. A stop could only be undone by a SIGCONT
// from another process, and there is none yet: the process ends, and `mkh exec` reports it
// as a shell reports a stopped job (128 + the signal).
void deliver(proc::Process* process, uint32_t signal) {
  if (default_action(signal) != SignalAction::kIgnore) proc::process_make_exit(process, 0, signal);
}

// The signals pending for the calling thread (its own, and its process's) that it no longer
// blocks act, the lowest first.
void deliver_unblocked(proc::UserThread* thread) {
  proc::Process* process = thread->m_process;
  uint64_t ready = 0;
  {
    hal::BusylockGuard guard(process->m_signal_lock);
    ready = (thread->m_signals_pending | process->m_signals_pending) & ~thread->m_signals_blocked;
    thread->m_signals_pending &= ~ready;
    process->m_signals_pending &= ~ready;
  }
  for (uint32_t signal = 1; ready != 0; ++signal, ready >>= 1)
    if ((ready & 1) != 0) deliver(process, signal);
}

// Linux's sig_ignored for a thread whose mask is `blocked`: a blocked signal is never
// ignored (it may be handled by the time it is unblocked); otherwise SIG_IGN, or SIG_DFL for
// a signal whose default is to be ignored. Under m_signal_lock.
bool ignored(const proc::Process* process, uint64_t blocked, uint32_t signal) REQUIRES(process->m_signal_lock) {
  if ((blocked & bit(signal)) != 0) return false;
  return (process->m_signals_ignored & bit(signal)) != 0 || default_action(signal) == SignalAction::kIgnore;
}

// `signal` sent to the thread `tid` of the calling process, or to the process itself (tid 0),
// as Linux's send_signal and complete_signal: ESRCH when there is no such thread (Linux
// checks the number only once a target is found); dropped when the target ignores it (the
// main thread judges for the process); pending on the thread when it blocks it, on the
// process when every thread blocks it; else it acts. SIGKILL and SIGSTOP always act.
Answer send(Call& call, uint32_t tid, uint32_t signal) {
  proc::Process* process = call.process;
  bool acts = false;
  {
    hal::BusylockGuard signals(process->m_signal_lock);
    hal::BusylockGuard threads(process->m_thread_lock);
    proc::UserThread* target = nullptr;
    if (tid != 0) {
      for (proc::UserThread* thread : process->m_threads)
        if (thread != nullptr && thread->m_tid == tid) target = thread;
      if (target == nullptr) return error(Errno::kSrch);
    }
    if (signal > kSignalMax) return error(Errno::kInval);
    if (signal == 0) return 0;
    if ((bit(signal) & kUnstoppable) != 0) {
      acts = true;
    } else if (target != nullptr) {
      if (ignored(process, target->m_signals_blocked, signal)) return 0;
      acts = (target->m_signals_blocked & bit(signal)) == 0;
      if (!acts) target->m_signals_pending |= bit(signal);
    } else {
      const proc::UserThread* judge = process->m_threads[0] != nullptr ? process->m_threads[0] : call.thread;
      if (ignored(process, judge->m_signals_blocked, signal)) return 0;
      for (const proc::UserThread* thread : process->m_threads)
        if (thread != nullptr && (thread->m_signals_blocked & bit(signal)) == 0) acts = true;
      if (!acts) process->m_signals_pending |= bit(signal);
    }
  }
  if (acts) deliver(process, signal);
  return 0;
}

}  // namespace

Answer sys_kill(Call& call) {
  const int32_t pid = int32_t(call.a[0]);
  const int32_t self = int32_t(call.process->m_pid);
  // pid > 0: that process; 0: the caller's group; -1: every process but init and the
  // caller (there is none); below -1: the group -pid.
  if (pid == self || pid == 0 || pid == -self) return send(call, 0, call.a[1]);
  return error(Errno::kSrch);
}

Answer sys_tkill(Call& call) {
  const int32_t tid = int32_t(call.a[0]);
  if (tid <= 0) return error(Errno::kInval);
  return send(call, uint32_t(tid), call.a[1]);
}

Answer sys_tgkill(Call& call) {
  const int32_t tgid = int32_t(call.a[0]), tid = int32_t(call.a[1]);
  if (tgid <= 0 || tid <= 0) return error(Errno::kInval);
  if (uint32_t(tgid) != call.process->m_pid) return error(Errno::kSrch);
  return send(call, uint32_t(tid), call.a[2]);
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
  proc::Process* process = call.process;
  uint32_t old_handler = kDefault;
  proc::Process::SignalAction old;
  {
    hal::BusylockGuard guard(process->m_signal_lock);
    old_handler = (process->m_signals_ignored & bit(signal)) != 0 ? kIgnore : kDefault;
    old = process->m_signal_actions[signal - 1];
    if (call.a[1] != 0) {
      process->m_signal_actions[signal - 1] = action;
      if (handler == kIgnore) {
        process->m_signals_ignored |= bit(signal);
        process->m_signals_pending &= ~bit(signal);
        hal::BusylockGuard threads(process->m_thread_lock);
        for (proc::UserThread* thread : process->m_threads)
          if (thread != nullptr) thread->m_signals_pending &= ~bit(signal);
      } else {
        process->m_signals_ignored &= ~bit(signal);
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
  proc::Process* process = call.process;
  uint64_t set = 0;
  if (call.a[1] != 0) TRY(proc::copy_from_user(call.process, &set, call.a[1], sizeof set));
  set &= ~kUnstoppable;
  proc::UserThread* thread = call.thread;
  uint64_t old = 0;
  {
    hal::BusylockGuard guard(process->m_signal_lock);
    old = thread->m_signals_blocked;
    if (call.a[1] != 0) {
      switch (call.a[0]) {
        case kBlock: thread->m_signals_blocked |= set; break;
        case kUnblock: thread->m_signals_blocked &= ~set; break;
        case kSetMask: thread->m_signals_blocked = set; break;
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
  uint64_t pending = 0;
  {
    hal::BusylockGuard guard(call.process->m_signal_lock);
    pending = (call.thread->m_signals_pending | call.process->m_signals_pending) & call.thread->m_signals_blocked;
  }
  TRY(proc::copy_to_user(call.process, call.a[0], &pending, call.a[1]));
  return 0;
}

}  // namespace mkh::syscall
