// kill, tkill and tgkill (docs/decisions.md "Signals"): the default action of each signal, no
// handlers and no mask yet (USERMODE.md). A process has one thread and is alone in its
// process group, so the only target a call can find is the caller: its pid, its tid (the
// pid), its group (0, or the pid negated). Every other target is ESRCH, as Linux answers for
// a process that does not exist. Layer: syscall.
#include "syscall/call.hpp"

namespace mkh::syscall {

namespace {

constexpr uint32_t kSignalMax = 64;  // Linux's _NSIG: 1..64 are signals, 0 asks whether the target exists

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

// `signal` sent to the calling process, found as the target: Linux checks the number only
// once a target is found (a target that does not exist is ESRCH whatever the number).
Answer send_to_self(Call& call, uint32_t signal) {
  if (signal > kSignalMax) return error(Errno::kInval);
  if (signal == 0) return 0;
  // A terminating signal sent to itself ends the process before the call returns. A stop
  // could only be undone by a SIGCONT from another process, and there is none yet: the
  // process ends, and `mkh exec` reports it as a shell reports a stopped job (128 + the
  // signal).
  if (default_action(signal) != SignalAction::kIgnore) proc::process_make_exit(call.process, 0, signal);
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

Answer sys_tkill(Call& call) {
  const int32_t tid = int32_t(call.a[0]);
  if (tid <= 0) return error(Errno::kInval);
  if (uint32_t(tid) != call.process->m_pid) return error(Errno::kSrch);  // the main thread's tid is the pid
  return send_to_self(call, call.a[1]);
}

Answer sys_tgkill(Call& call) {
  const int32_t tgid = int32_t(call.a[0]), tid = int32_t(call.a[1]);
  if (tgid <= 0 || tid <= 0) return error(Errno::kInval);
  if (uint32_t(tgid) != call.process->m_pid || uint32_t(tid) != call.process->m_pid) return error(Errno::kSrch);
  return send_to_self(call, call.a[2]);
}

}  // namespace mkh::syscall
