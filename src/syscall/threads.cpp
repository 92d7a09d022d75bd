// The calls of threads: clone (a thread of the caller's process), exit, gettid,
// set_tid_address and futex_time64 (docs/decisions.md "Threads"); clone's other half, fork,
// waitid (docs/decisions.md "fork") and execve (docs/decisions.md "execve"). Layer: syscall.
#include <time.h>

#include <algorithm>
#include <string_view>

#include "hal/remote.hpp"
#include "kern/cluster.hpp"
#include "proc/exec.hpp"
#include "proc/fork.hpp"
#include "proc/futex.hpp"
#include "proc/groups.hpp"
#include "syscall/call.hpp"

namespace mkh::syscall {

namespace {

using namespace proc::clone_flags;          // Linux's clone flags
constexpr uint32_t kExitSignalMask = 0xff;  // CSIGNAL: ignored for a thread, as Linux
// What a thread shares with its creator: everything (pthread_create's set, and qemu-user's).
constexpr uint32_t kThreadShares = kCloneVm | kCloneFs | kCloneFiles | kCloneSighand | kCloneThread;
constexpr uint32_t kThreadOptions =
    kCloneSysvsem | kCloneSettls | kCloneParentSettid | kCloneChildCleartid | kCloneDetached | kCloneChildSettid;

// A word the kernel writes for the user where Linux ignores a failure (put_user's result).
void tid_to_user(proc::Process* process, uint32_t address, uint32_t tid) {
  (void)proc::copy_to_user(process, address, &tid, sizeof tid);
}

// Linux's futex operations (the host headers define the same names as macros).
enum FutexOp : uint32_t {
  kFutexWait = 0,
  kFutexWake = 1,
  kFutexWaitBitset = 9,
  kFutexWakeBitset = 10,
  kFutexPrivate = 128,
  kFutexClockRealtime = 256,
};

// Appends the strings of the user's NULL-terminated array at `address` (argv, or envp once
// argv is in) to `info`. EFAULT, E2BIG past mkh's room (proc::kExecStringsMax bytes,
// proc::kExecArgsMax strings).
Result<void> exec_strings_from_user(Call& call, proc::ExecInfo* info, uint32_t address, bool env) {
  if (address == 0) return {};  // as Linux, none
  for (uint64_t at = address;; at += 4) {
    uint32_t string = 0;
    if (at + 4 > vmm::kUserEnd) return error(Errno::kFault);
    TRY(proc::copy_from_user(call.process, &string, uint32_t(at), 4));
    if (string == 0) return {};
    const uint32_t room = proc::kExecStringsMax - info->strings_size;
    if (info->argc + info->envc == proc::kExecArgsMax || room == 0) return error(Errno::k2Big);
    const auto length = proc::string_from_user(call.process, info->strings + info->strings_size, string, room);
    if (!length) return error(length.error() == Errno::kNameTooLong ? Errno::k2Big : length.error());
    info->strings_size += *length + 1;
    ++(env ? info->envc : info->argc);
  }
}

}  // namespace

// clone(flags, stack, parent_tid, tls, child_tid): a thread — the flags of kThreadShares all
// set, options among kThreadOptions — with the caller's registers but a0 = 0, the new stack
// (if not 0), tls in tp (CLONE_SETTLS) and the caller's signal mask, on the cluster and core
// the caller named with place_thread, else the next core of the caller's cluster. In another
// cluster, THREAD_USER_CREATE makes it in the process's copy there; it writes its tid words
// itself before it runs, and clone returns once it has. Linux's checks
// first (THREAD needs SIGHAND, SIGHAND needs VM: EINVAL). Without CLONE_VM, a fork: a new
// process, the child of the caller's, on the cluster the caller named with place_fork, else
// its own (proc/fork.hpp); options among kForkOptions, CLONE_DETACHED and CLONE_IO ignored,
// the exit signal SIGCHLD only (qemu-user's rule: Linux would make a child with another one,
// or none, that only a __WALL or __WCLONE wait sees); CLONE_PARENT_SETTID's word gets the
// child's pid in the parent's memory, as Linux (qemu-user writes it in the child's).
// vfork's CLONE_VM|CLONE_VFORK is a fork, as qemu-user makes it (the child runs on a copy of
// the memory, and the parent does not wait for it: a child that only exits, as vfork allows
// without exec, cannot tell). Any other flag EINVAL, as qemu-user answers for a thread.
Answer sys_clone(Call& call) {
  const uint32_t flags = call.a[0], stack = call.a[1], parent_tid = call.a[2], tls = call.a[3], child_tid = call.a[4];
  if (((flags & kCloneThread) != 0 && (flags & kCloneSighand) == 0) ||
      ((flags & kCloneSighand) != 0 && (flags & kCloneVm) == 0))
    return error(Errno::kInval);
  if ((flags & kCloneVm) == 0 || (flags & (kCloneVfork | kCloneSighand)) == kCloneVfork) {
    constexpr uint32_t kForkOptions =
        kCloneVm | kCloneVfork | kCloneSettls | kCloneParentSettid | kCloneChildCleartid | kCloneChildSettid;
    constexpr uint32_t kForkIgnored = kCloneDetached | kCloneIo;  // as qemu-user
    if ((flags & ~(kForkOptions | kForkIgnored | kExitSignalMask)) != 0 || (flags & kExitSignalMask) != proc::kSigChld)
      return error(Errno::kInval);
    const uint32_t cxy = std::exchange(call.thread->m_place_fork_cxy, proc::kNoPlacement);
    const uint32_t pid =
        TRY(proc::process_fork(call.thread, cxy == proc::kNoPlacement ? hal::local_cxy() : hal::cxy_t(cxy)));
    if ((flags & kCloneParentSettid) != 0) tid_to_user(call.process, parent_tid, pid);
    return pid;
  }
  if ((flags & kThreadShares) != kThreadShares || (flags & ~(kThreadShares | kThreadOptions | kExitSignalMask)) != 0)
    return error(Errno::kInval);
  user::Context context = call.thread->m_context;
  context.pc += 4;  // past the ecall, as the caller
  context.x[10] = 0;
  if (stack != 0) context.x[2] = stack;
  if ((flags & kCloneSettls) != 0) context.x[4] = tls;
  const proc::Placement place = proc::user_thread_place(call.thread);
  if (place.cxy != hal::local_cxy()) {
    proc::ThreadAttributes attributes;
    attributes.context = context;
    attributes.signals_blocked = call.thread->m_signals_blocked;
    attributes.lid = place.lid;
    if ((flags & kCloneChildCleartid) != 0) attributes.clear_child_tid = child_tid;
    if ((flags & kCloneParentSettid) != 0) attributes.parent_tid = parent_tid;
    if ((flags & kCloneChildSettid) != 0) attributes.child_tid = child_tid;
    return proc::user_thread_create_in(call.process->m_pid, place.cxy, attributes);
  }
  proc::UserThread* thread = TRY(proc::user_thread_make(call.process, context, call.thread->m_signals_blocked));
  const uint32_t tid = thread->m_tid;
  if ((flags & kCloneChildCleartid) != 0) thread->m_clear_child_tid = child_tid;
  // Both words are written before the thread runs, as Linux does.
  if ((flags & kCloneParentSettid) != 0) tid_to_user(call.process, parent_tid, tid);
  if ((flags & kCloneChildSettid) != 0) tid_to_user(call.process, child_tid, tid);
  TRY(proc::user_thread_start(thread, place.lid));
  return tid;
}

// execve(2): the program opened, the strings copied, the program checked (each error answered
// with the process unchanged, in Linux's order), then the process's threads stop and the last
// makes the new image (proc/exec.hpp); this thread ends at its return. An empty argv gets "" as
// argv[0], as Linux has since 5.18.
Answer sys_execve(Call& call) {
  const UserPath path = TRY(user_path(call, uint32_t(AT_FDCWD), call.a[0]));
  // Linux's order: the program opened (ENOENT, EACCES) before the strings are read (EFAULT,
  // E2BIG), checked after (ENOEXEC).
  proc::FileRef program(TRY(proc::exec_open(path.at, path.c_str())));
  auto block = TRY(mm::PageBlock::alloc(2));
  static_assert(sizeof(proc::ExecInfo) <= (hal::kPageSize << 2));
  auto* info = new (block.base()) proc::ExecInfo();
  // The path's end, for the process's name (a longer path keeps its last component).
  const std::string_view name = path.c_str();
  const std::string_view tail = name.substr(name.size() - std::min<size_t>(name.size(), proc::kExecPathMax - 1));
  tail.copy(info->path, tail.size());
  TRY(exec_strings_from_user(call, info, call.a[1], false));
  if (info->argc == 0 && info->envc == 0) TRY(proc::exec_info_add(info, "", false));
  TRY(exec_strings_from_user(call, info, call.a[2], true));
  TRY(proc::exec_from_thread(call.thread, program.release(), *info));
  return 0;
}

// exit(2) ends the calling thread; the process ends with its last thread, with the main
// thread's status (Linux reports the group leader's).
Answer sys_exit(Call& call) {
  if (call.thread->m_slot == 0) call.process->m_main_exit_code = call.a[0] & 0xff;
  call.thread->m_exit = 1;
  return 0;
}

Answer sys_gettid(Call& call) { return call.thread->m_tid; }

// mkh's place_thread(cxy, lid): the cluster and core of the next thread the caller clones, in
// any cluster of the machine (in another than the process's reference, the thread runs in the
// process's copy there). A cluster the machine has not, or a core a cluster has not, is EINVAL.
Answer sys_mkh_place_thread(Call& call) {
  const uint32_t cxy = call.a[0], lid = call.a[1];
  if (!hal::cluster_present(cxy) || lid >= kern::local_cluster()->m_cores_nr) return error(Errno::kInval);
  call.thread->m_place_cxy = cxy;
  call.thread->m_place_lid = lid;
  return 0;
}

// mkh's place_fork(cxy): the cluster of the next child the caller forks (its owner and
// reference). A cluster the machine has not is EINVAL.
Answer sys_mkh_place_fork(Call& call) {
  if (!hal::cluster_present(call.a[0])) return error(Errno::kInval);
  call.thread->m_place_fork_cxy = call.a[0];
  return 0;
}

// waitid(idtype, id, infop, options, rusage): a change of a child of the caller's process —
// P_ALL any, P_PID the child `id`, P_PGID those in group `id` (0: the caller's group) — of
// those `options` asks for: its end
// (WEXITED), a stop (WSTOPPED) or a continue (WCONTINUED) not yet reported. WNOHANG answers at
// once (the info zeroed when there is none), WNOWAIT leaves the change to be reported again.
// Linux's answers: EINVAL (none of the three, an unknown option or idtype), ECHILD (no such
// child), EINTR (the caller's process ends meanwhile). The info: si_signo SIGCHLD, si_code
// CLD_EXITED (1) with the exit status, CLD_KILLED (2) with the signal, CLD_STOPPED (5) with the
// stop signal or CLD_CONTINUED (6) with SIGCONT, si_pid, si_uid 0, si_status; the resource
// usage, when asked and a child is reported, is zeros.
Answer sys_waitid(Call& call) {
  enum : uint32_t { kPAll = 0, kPPid = 1, kPPgid = 2 };
  enum : uint32_t { kWNoHang = 1, kWNoWait = 0x01000000 };
  constexpr uint32_t kWanted = proc::kWaitStops | proc::kWaitEnds | proc::kWaitContinues;
  constexpr uint32_t kWaitKinds = 0x20000000 | 0x40000000 | 0x80000000;  // __WNOTHREAD __WALL __WCLONE
  const uint32_t idtype = call.a[0], id = call.a[1], info = call.a[2], options = call.a[3], usage = call.a[4];
  if ((options & ~(kWNoHang | kWanted | kWNoWait | kWaitKinds)) != 0 || (options & kWanted) == 0)
    return error(Errno::kInval);
  proc::WaitTarget target;  // any
  if (idtype == kPPid) {
    if (int32_t(id) <= 0) return error(Errno::kInval);
    target.pid = id;
  } else if (idtype == kPPgid) {
    if (int32_t(id) < 0) return error(Errno::kInval);
    target.pgid = id != 0 ? id : TRY(proc::process_ids(call.process, call.process->m_pid)).pgid;
  } else if (idtype != kPAll) {
    return error(Errno::kInval);
  }
  const auto report = TRY(proc::process_wait_child(call.thread, target, options & kWanted, (options & kWNoHang) == 0,
                                                   (options & kWNoWait) != 0));
  if (info != 0) {
    uint32_t fields[6] = {};  // si_signo, si_errno, si_code, si_pid, si_uid, si_status
    if (report) {
      fields[0] = proc::kSigChld;
      fields[2] = uint32_t(report->code);
      fields[3] = report->pid;
      fields[5] = report->status;
    }
    TRY(proc::copy_to_user(call.process, info, fields, sizeof fields));
  }
  if (usage != 0 && report) TRY(rusage_to_user(call, usage, report->cpu));  // as Linux, only for a child reported
  return 0;
}

Answer sys_set_tid_address(Call& call) {
  call.thread->m_clear_child_tid = call.a[0];
  return call.thread->m_tid;
}

// futex_time64(address, op, value, timeout, address2, value3): FUTEX_WAIT (a relative
// timeout), FUTEX_WAIT_BITSET (an absolute one, on CLOCK_REALTIME with FUTEX_CLOCK_REALTIME,
// else CLOCK_MONOTONIC), FUTEX_WAKE and FUTEX_WAKE_BITSET (value waiters at most, at least
// one, as Linux); FUTEX_PRIVATE_FLAG or not, the same here; FUTEX_CLOCK_REALTIME with any
// operation but FUTEX_WAIT_BITSET is ENOSYS, as Linux. The requeue, wake-op and
// priority-inheritance operations are ENOSYS.
Answer sys_futex_time64(Call& call) {
  const uint32_t address = call.a[0], op = call.a[1] & ~(kFutexPrivate | kFutexClockRealtime);
  const uint32_t value = call.a[2], timeout = call.a[3], value3 = call.a[5];
  const bool realtime = (call.a[1] & kFutexClockRealtime) != 0;
  if (realtime && op != kFutexWaitBitset) return error(Errno::kNoSys);  // Linux's answer (do_futex)
  switch (op) {
    case kFutexWait:
    case kFutexWaitBitset: {
      const uint32_t bitset = op == kFutexWait ? proc::kFutexBitsetAny : value3;
      const int clock = realtime ? CLOCK_REALTIME : CLOCK_MONOTONIC;
      int64_t deadline = -1;
      if (timeout != 0) {
        deadline = TRY(timespec_ns_from_user(call, timeout));
        if (op == kFutexWait) deadline = deadline_after(clock, deadline);
      }
      TRY(proc::futex_wait(call.thread, address, value, bitset, clock, deadline));
      return 0;
    }
    case kFutexWake:
    case kFutexWakeBitset: {
      const uint32_t bitset = op == kFutexWake ? proc::kFutexBitsetAny : value3;
      if (bitset == 0 || (address & 3) != 0) return error(Errno::kInval);
      return proc::futex_wake(call.process, address, int32_t(value) <= 0 ? 1 : value, bitset);
    }
    default: return error(Errno::kNoSys);
  }
}

}  // namespace mkh::syscall
