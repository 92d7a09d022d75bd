// kill, tkill, tgkill, rt_sigaction, rt_sigprocmask and rt_sigpending (docs/decisions.md
// "Signals"): each signal's default action, or ignored (SIG_IGN), blocked and pending; no
// handlers yet (USERMODE.md: a handler is ENOSYS). A process is alone in its process group,
// so the only targets a call can find are the caller's process: its pid, its group (0, or the
// pid negated), one of its threads' tids. Every other target is ESRCH, as Linux answers for a
// process that does not exist. The dispositions, the mask and the pending set are the
// process's, under its m_signal_lock (Linux keeps the mask per thread). Layer: syscall.
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

// The pending signals that are no longer blocked act, the lowest first.
void deliver_unblocked(proc::Process* process) {
  uint64_t ready = 0;
  {
    hal::BusylockGuard guard(process->m_signal_lock);
    ready = process->m_signals_pending & ~process->m_signals_blocked;
    process->m_signals_pending &= ~ready;
  }
  for (uint32_t signal = 1; ready != 0; ++signal, ready >>= 1)
    if ((ready & 1) != 0) deliver(process, signal);
}

// `signal` sent to the calling process, found as the target: Linux checks the number only
// once a target is found (a target that does not exist is ESRCH whatever the number). An
// ignored signal is dropped; a blocked one waits, pending, even if its default is to be
// ignored (Linux's sig_ignored does not drop a blocked signal).
Answer send_to_self(Call& call, uint32_t signal) {
  if (signal > kSignalMax) return error(Errno::kInval);
  if (signal == 0) return 0;
  proc::Process* process = call.process;
  if ((bit(signal) & kUnstoppable) == 0) {
    hal::BusylockGuard guard(process->m_signal_lock);
    if ((process->m_signals_ignored & bit(signal)) != 0) return 0;
    if ((process->m_signals_blocked & bit(signal)) != 0) {
      process->m_signals_pending |= bit(signal);
      return 0;
    }
  }
  deliver(process, signal);
  return 0;
}

}  // namespace

Answer sys_kill(Call& call) {
  const int32_t pid = int32_t(call.a[0]);
  const int32_t self = int32_t(call.process->m_pid);
  // pid > 0: that process; 0: the caller's group; -1: every process but init and the
  // caller (there is none); below -1: the group -pid.
  if (pid == self || pid == 0 || pid == -self) return send_to_self(call, call.a[1]);
  return error(Errno::kSrch);
}

// A signal sent to one thread acts on its whole process (no handler can run in the thread).
Answer sys_tkill(Call& call) {
  const int32_t tid = int32_t(call.a[0]);
  if (tid <= 0) return error(Errno::kInval);
  if (!proc::thread_of(call.process, uint32_t(tid))) return error(Errno::kSrch);
  return send_to_self(call, call.a[1]);
}

Answer sys_tgkill(Call& call) {
  const int32_t tgid = int32_t(call.a[0]), tid = int32_t(call.a[1]);
  if (tgid <= 0 || tid <= 0) return error(Errno::kInval);
  if (uint32_t(tgid) != call.process->m_pid || !proc::thread_of(call.process, uint32_t(tid)))
    return error(Errno::kSrch);
  return send_to_self(call, call.a[2]);
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

// rt_sigprocmask(how, set, oldset, sigsetsize): SIG_BLOCK 0, SIG_UNBLOCK 1, SIG_SETMASK 2;
// SIGKILL and SIGSTOP are never blocked (silently, as Linux). A pending signal unblocked
// acts before the call returns.
Answer sys_rt_sigprocmask(Call& call) {
  enum : uint32_t { kBlock = 0, kUnblock = 1, kSetMask = 2 };
  if (call.a[3] != kSigsetSize) return error(Errno::kInval);
  proc::Process* process = call.process;
  uint64_t set = 0;
  if (call.a[1] != 0) TRY(proc::copy_from_user(call.process, &set, call.a[1], sizeof set));
  set &= ~kUnstoppable;
  uint64_t old = 0;
  {
    hal::BusylockGuard guard(process->m_signal_lock);
    old = process->m_signals_blocked;
    if (call.a[1] != 0) {
      switch (call.a[0]) {
        case kBlock: process->m_signals_blocked |= set; break;
        case kUnblock: process->m_signals_blocked &= ~set; break;
        case kSetMask: process->m_signals_blocked = set; break;
        default: return error(Errno::kInval);
      }
    }
  }
  if (call.a[2] != 0) TRY(proc::copy_to_user(call.process, call.a[2], &old, sizeof old));
  deliver_unblocked(process);
  return 0;
}

// rt_sigpending(set, sigsetsize): the blocked signals waiting; a size above 8 bytes is
// EINVAL, a smaller one gets the first bytes, as Linux.
Answer sys_rt_sigpending(Call& call) {
  if (call.a[1] > kSigsetSize) return error(Errno::kInval);
  uint64_t pending = 0;
  {
    hal::BusylockGuard guard(call.process->m_signal_lock);
    pending = call.process->m_signals_pending & call.process->m_signals_blocked;
  }
  TRY(proc::copy_to_user(call.process, call.a[0], &pending, call.a[1]));
  return 0;
}

}  // namespace mkh::syscall
