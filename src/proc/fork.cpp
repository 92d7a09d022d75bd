// fork, the children of a process and the wait for them (proc/fork.hpp). Layer: proc.
#include "proc/fork.hpp"

#include <utility>

#include "hal/remote.hpp"
#include "kern/sched.hpp"
#include "proc/services.hpp"

namespace mkh::proc {

namespace {

using namespace clone_flags;

// The children of a process (its reference's records and waiters), locked while this lives,
// from any cluster.
class Children {
 public:
  explicit Children(hal::Xptr<Process> reference)
      : m_process(reference), m_guard(reference.field(&Process::m_children_lock)) {}

  ChildRecord get(uint32_t i) const { return hal::remote_read(record(i)); }
  void set(uint32_t i, const ChildRecord& child) { hal::remote_write(record(i), child); }
  bool closed() const { return hal::remote_load(m_process.field(&Process::m_children_closed)) != 0; }
  void close() { hal::remote_store(m_process.field(&Process::m_children_closed), 1u); }
  hal::Xptr<uint32_t> reports() const { return m_process.field(&Process::m_child_reports); }
  hal::Xptr<hal::Xptr<kern::Thread>> waiter(uint32_t slot) const {
    return m_process.field(&Process::m_child_waiters).as<hal::Xptr<kern::Thread>>() + slot;
  }

 private:
  hal::Xptr<ChildRecord> record(uint32_t i) const {
    return m_process.field(&Process::m_children).as<ChildRecord>() + i;
  }

  hal::Xptr<Process> m_process;
  hal::RemoteBusylockGuard m_guard;
};

// Every entry of `process` (a reference, local) copy-on-write; `thread`: the forking thread,
// when it runs here. The image made with it is kept for a fork in progress that has none yet
// (the first VMM_SET_COW of the fork: the fork's own, or another's that came meanwhile, taken
// just as well), else freed at once: only the fork frees the image it uses.
Result<void> set_cow(Process* process, UserThread* thread) {
  TlbShootdown shootdown{.process = process, .thread = thread};
  const auto image = TRY(vmm::vmm_fork_image(&process->m_vmm, user_flush_page, &shootdown));
  const hal::Xptr<Process> self(hal::local_cxy(), process);
  if (hal::remote_load(self.field(&Process::m_forking)) == 0 ||
      !hal::remote_cas(self.field(&Process::m_fork_image), hal::Xptr<vmm::ForkImage>(), image))
    vmm::vmm_fork_image_free(image);
  return {};
}

// The child's thread: the forking thread's registers past its ecall, a0 = 0 (the child's
// answer), and the clone's new stack and tls; its signal mask; the clone's tid words.
Result<UserThread*> child_thread(Process* child, hal::Xptr<UserThread> parent_thread) {
  user::Context context = hal::remote_read(parent_thread.field(&UserThread::m_context));
  const uint32_t flags = context.x[10], stack = context.x[11], tls = context.x[13], child_tid = context.x[14];
  context.pc += 4;
  context.x[10] = 0;
  if (stack != 0) context.x[2] = stack;
  if ((flags & kCloneSettls) != 0) context.x[4] = tls;
  UserThread* thread = TRY(
      user_thread_make(child, context, hal::remote_load(parent_thread.field(&UserThread::m_signals_blocked)), true));
  thread->m_alt_stack = hal::remote_read(parent_thread.field(&UserThread::m_alt_stack));
  if ((flags & kCloneChildCleartid) != 0) thread->m_clear_child_tid = child_tid;
  if ((flags & kCloneChildSettid) != 0) (void)copy_to_user(child, child_tid, &thread->m_tid, sizeof thread->m_tid);
  return thread;
}

// The child `child` in a free record of its parent's reference `parent` (the parent's threads
// may wait for it from now on). kAgain when the parent has kMaxChildren children not waited
// for, or is ending (it kills its children: this one would outlive it).
Result<void> add_child(hal::Xptr<Process> parent, Process* child) {
  Children children(parent);
  if (children.closed()) return error(Errno::kAgain);
  for (uint32_t i = 0; i < kMaxChildren; ++i)
    if (children.get(i).state == ChildRecord::State::kFree) {
      children.set(i, ChildRecord{.state = ChildRecord::State::kRunning,
                                  .pid = child->m_pid,
                                  .process = hal::Xptr<Process>(hal::local_cxy(), child)});
      child->m_parent = parent;
      return {};
    }
  return error(Errno::kAgain);
}

// The pid of an ended child held until its parent waits for it (or ends), with what remains
// of it, from any cluster; and let go.
hal::Xptr<uint8_t> pid_held(uint32_t pid) {
  const hal::cxy_t owner = pid_cxy(pid);
  return hal::Xptr<uint8_t>(owner, &proc_cluster_at(owner)->m_pid_held[pid_index(pid)]);
}
hal::Xptr<Zombie> zombie_at(uint32_t pid) {
  const hal::cxy_t owner = pid_cxy(pid);
  return hal::Xptr<Zombie>(owner, &proc_cluster_at(owner)->m_zombies[pid_index(pid)]);
}
void hold_pid(uint32_t pid, const Zombie& zombie) {
  const hal::Xptr<Zombie> at = zombie_at(pid);
  hal::remote_store(at.field(&Zombie::ppid), zombie.ppid);
  hal::remote_store(at.field(&Zombie::pgid), zombie.pgid);
  hal::remote_store(at.field(&Zombie::sid), zombie.sid);
  hal::remote_store(at.field(&Zombie::cpu_ms), zombie.cpu_ms);
  const auto comm = at.field(&Zombie::comm).as<uint64_t>();
  hal::remote_store(comm, zombie.comm.words[0]);
  hal::remote_store(comm + 1, zombie.comm.words[1]);
  hal::remote_store(pid_held(pid), uint8_t(1));  // a release: the zombie is written before
}
void release_pid(uint32_t pid) { hal::remote_store(pid_held(pid), uint8_t(0)); }

// A parent's SIGCHLD disposition: ignored (SIG_IGN), and its action's flags. Read without the
// signal lock: a change racing with a child's report decides either way, as on Linux.
struct ChildSignal {
  bool ignored;
  uint32_t flags;
};
ChildSignal child_signal_of(hal::Xptr<Process> parent) {
  const auto action = parent.field(&Process::m_signal_actions).as<Process::SignalAction>() + (kSigChld - 1);
  return {(hal::remote_load(parent.field(&Process::m_signals_ignored)) & (uint64_t(1) << (kSigChld - 1))) != 0,
          hal::remote_load(action.field(&Process::SignalAction::flags))};
}

// Wakes the threads of the parent waiting in waitid (each looks at the records again).
void wake_waiters(const Children& children) {
  for (uint32_t slot = 0; slot < kMaxThreads; ++slot)
    if (const auto waiter = hal::remote_load(children.waiter(slot)))
      (void)kern::thread_unblock(waiter, kern::THREAD_BLOCKED_SLEEP);
}

// A child that never ran (its fork failed): its record goes, and a waitid waiting for it looks
// again (it may find no child left: ECHILD).
void remove_child(hal::Xptr<Process> parent, uint32_t pid) {
  Children children(parent);
  for (uint32_t i = 0; i < kMaxChildren; ++i)
    if (children.get(i).pid == pid) children.set(i, ChildRecord{});
  wake_waiters(children);
}

}  // namespace

Result<void> child_set_group(hal::Xptr<Process> parent, uint32_t pid, uint32_t sid, uint32_t pgid, bool move) {
  Children children(parent);
  for (uint32_t i = 0; i < kMaxChildren; ++i) {
    const ChildRecord child = children.get(i);
    if (child.pid != pid || child.state != ChildRecord::State::kRunning) continue;
    // The child lives while its record says it runs: it reports its end under this lock.
    const uint32_t child_sid = hal::remote_load(child.process.field(&Process::m_sid));
    if (child_sid != sid) return error(Errno::kPerm);
    if (hal::remote_load(child.process.field(&Process::m_execed)) != 0) return error(Errno::kAcces);
    if (child_sid == pid) return error(Errno::kPerm);
    if (move) hal::remote_store(child.process.field(&Process::m_pgid), pgid);
    return {};
  }
  return error(Errno::kSrch);
}

namespace {

Result<uint32_t> fork_turn(UserThread* thread, hal::Xptr<Process> reference, hal::cxy_t cxy) {
  if (reference.cxy() == hal::local_cxy()) TRY(set_cow(reference.host_ptr(), thread));
  else TRY(rpc::rpc_call<rpc::RPC_VMM_SET_COW>(reference.cxy(), reference.host_ptr()));
  const hal::Xptr<UserThread> self(hal::local_cxy(), thread);
  hal::publish_local(*thread);  // its registers are read by the child's cluster
  const auto [pid, child] = cxy == hal::local_cxy()
                                ? TRY(process_make_fork_server(reference, self))
                                : TRY(rpc::rpc_call<rpc::RPC_PROCESS_MAKE_FORK>(cxy, reference, self));
  return pid;
}

}  // namespace

Result<uint32_t> process_fork(UserThread* thread, hal::cxy_t cxy) {
  const hal::Xptr<Process> reference = process_reference(thread->m_process);
  while (!hal::remote_cas(reference.field(&Process::m_forking), 0u, 1u)) {
    if (process_ending(thread->m_process)) return error(Errno::kAgain);  // the thread ends at its return
    kern::sched_yield();
  }
  const Result<uint32_t> forked = fork_turn(thread, reference, cxy);
  if (const auto image = hal::remote_exchange(reference.field(&Process::m_fork_image), {}); image)
    vmm::vmm_fork_image_free(image);
  hal::remote_store(reference.field(&Process::m_forking), 0u);
  return forked;
}

Result<void> vmm_set_cow_server(Process* process) {
  const ProcessUse use = TRY(ProcessUse::by_pointer(process));
  if (!use->m_reference.is_null()) return error(Errno::kInval);  // a copy (of another cluster's process)
  return set_cow(use.get(), nullptr);
}

Result<std::tuple<uint32_t, hal::Xptr<UserThread>>> process_make_fork_server(hal::Xptr<Process> parent,
                                                                             hal::Xptr<UserThread> parent_thread) {
  // The parent lives: its forking thread waits for this answer.
  const auto image = hal::remote_load(parent.field(&Process::m_fork_image));
  if (!image) return error(Errno::kInval);
  Process* child = TRY(process_create(hal::remote_load(parent.field(&Process::m_pid)),
                                      GroupIds{.pgid = hal::remote_load(parent.field(&Process::m_pgid)),
                                               .sid = hal::remote_load(parent.field(&Process::m_sid))}));
  // Until its thread starts, the child is destroyed on a failure.
  auto fail = [child](Errno failure) {
    process_destroy(child);
    return error(failure);
  };
  files_fork(child, parent);
  child->m_syscall_trace = hal::remote_load(parent.field(&Process::m_syscall_trace));
  const Comm comm = process_comm(parent);
  for (uint32_t i = 0; i < 2; ++i) hal::local_store(child->m_comm[i], comm.words[i], std::memory_order_relaxed);
  {
    // SIG_IGN is kept across a fork (and the flags and masks given); nothing is pending.
    hal::RemoteBusylockGuard guard(parent.field(&Process::m_signal_lock));
    child->m_signals_ignored = hal::remote_load(parent.field(&Process::m_signals_ignored));
    hal::remote_memcpy(hal::Xptr<void>(hal::local_cxy(), child->m_signal_actions),
                       parent.field(&Process::m_signal_actions).as<void>(), sizeof child->m_signal_actions);
  }
  if (auto adopted = vmm::vmm_fork_adopt(&child->m_vmm, image); !adopted) return fail(adopted.error());
  if (auto added = add_child(parent, child); !added) return fail(added.error());
  const uint32_t pid = child->m_pid;
  auto made = child_thread(child, parent_thread);
  if (!made) {
    remove_child(parent, pid);
    return fail(made.error());
  }
  UserThread* thread = *made;
  const auto xptr = hal::Xptr<UserThread>(hal::local_cxy(), thread);
  child->m_forked = 1;  // before its thread can end it
  if (auto started = user_thread_start(thread, next_core(child)); !started) {
    remove_child(parent, pid);
    return fail(started.error());
  }
  return std::tuple(pid, xptr);
}

namespace {
// Whether the child a record stands for (read under its parent's children lock) is one of `target`'s.
bool wait_targets(const WaitTarget& target, const ChildRecord& child) {
  if (target.pid != 0) return child.pid == target.pid;
  if (target.pgid == 0) return true;
  // A running child lives while the lock is held (it reports its end under it).
  const bool running = child.state == ChildRecord::State::kRunning;
  return (running ? hal::remote_load(child.process.field(&Process::m_pgid)) : child.pgid) == target.pgid;
}
}  // namespace

Result<std::optional<ChildReport>> process_wait_child(UserThread* thread, WaitTarget target, uint32_t wanted,
                                                      bool block, bool keep) {
  const hal::Xptr<Process> reference = process_reference(thread->m_process);
  const auto self = kern::thread_current_xptr();
  bool interrupted = false;
  for (;;) {
    {
      Children children(reference);
      hal::remote_store(children.waiter(thread->m_slot), hal::Xptr<kern::Thread>());
      bool found = false, announcing = false;
      for (uint32_t i = 0; i < kMaxChildren; ++i) {
        ChildRecord child = children.get(i);
        if (child.state == ChildRecord::State::kFree || !wait_targets(target, child)) continue;
        found = true;
        if (child.state == ChildRecord::State::kEnded && (wanted & kWaitEnds) != 0) {
          // An end whose SIGCHLD is on its way is waited for, even by a wait that does not
          // block: it comes at once, and a handler's wait must not miss the end it announces.
          if (child.announced == 0) {
            announcing = true;
            continue;
          }
          if (!keep) {
            children.set(i, ChildRecord{});
            release_pid(child.pid);
            (void)hal::remote_atomic_add(reference.field(&Process::m_children_cpu_ticks), child.cpu_ticks);
            (void)hal::remote_atomic_add(reference.field(&Process::m_children_sys_ticks), child.sys_ticks);
          }
          const bool killed = child.exit_signal != 0;
          return ChildReport{
              .pid = child.pid,
              .code = killed ? kCldKilled : kCldExited,
              .status = killed ? child.exit_signal : child.exit_code,
              .cpu = {.ns = hal::ticks_to_ns(child.cpu_ticks), .sys_ns = hal::ticks_to_ns(child.sys_ticks)}};
        }
        if (child.state != ChildRecord::State::kRunning) continue;
        std::optional<ChildReport> report;
        if (child.stop_signal != 0 && (wanted & kWaitStops) != 0) {
          report = ChildReport{.pid = child.pid, .code = kCldStopped, .status = child.stop_signal, .cpu = {}};
          child.stop_signal = 0;
        } else if (child.continued != 0 && (wanted & kWaitContinues) != 0) {
          report = ChildReport{.pid = child.pid, .code = kCldContinued, .status = kSigCont, .cpu = {}};
          child.continued = 0;
        }
        if (!report) continue;
        if (!keep) children.set(i, child);
        return report;
      }
      if (!found) return error(Errno::kChild);
      if (!block && !announcing) return std::optional<ChildReport>();
      // The records first, then the interruption (Linux's do_wait): a child that ended as the
      // signal came is reported.
      if (interrupted) return error(Errno::kIntr);
      // Blocked before the lock goes: a child's report after it unblocks this thread, and the
      // yield below returns at once.
      kern::thread_block(self, kern::THREAD_BLOCKED_SLEEP);
      hal::remote_store(children.waiter(thread->m_slot), self);
    }
    // Blocked before the look: process_make_exit's wake-up, or a signal's, after it is not lost.
    if (wait_interrupted(thread->m_process)) {
      (void)kern::thread_unblock(self, kern::THREAD_BLOCKED_SLEEP);
      interrupted = true;
      continue;
    }
    kern::sched_yield();
  }
}

void children_end(Process* process) {
  const hal::Xptr<Process> reference(hal::local_cxy(), process);
  for (bool first = true;; first = false) {
    {
      // Under the lock a running child has not reported, so its descriptor is there to kill.
      Children children(reference);
      children.close();  // no new child
      bool running = false;
      for (uint32_t i = 0; i < kMaxChildren; ++i) {
        const ChildRecord child = children.get(i);
        if (child.state != ChildRecord::State::kRunning) continue;
        running = true;
        if (first) process_make_exit_at(child.process, 0, kSigKill);
      }
      if (!running && hal::remote_load(children.reports()) == 0) {
        // Those it will never wait for now let their pids go.
        for (uint32_t i = 0; i < kMaxChildren; ++i)
          if (const ChildRecord child = children.get(i); child.state == ChildRecord::State::kEnded) {
            release_pid(child.pid);
            children.set(i, ChildRecord{});
          }
        return;
      }
    }
    kern::sched_yield();  // each child ends at its next scheduling point, and reports
  }
}

void report_end_to_parent(Process* process) {
  const hal::Xptr<Process> parent = process->m_parent;
  if (!parent) return;
  // A parent that ignores SIGCHLD (SIG_IGN, or SA_NOCLDWAIT) has its children reaped at their
  // end, as on Linux: a wait then finds none (ECHILD once none runs).
  constexpr uint32_t kNoChildWait = 2;  // SA_NOCLDWAIT
  const ChildSignal disposition = child_signal_of(parent);
  const bool ignored = disposition.ignored;
  const bool reaped = ignored || (disposition.flags & kNoChildWait) != 0;
  const uint32_t parent_pid = hal::remote_load(parent.field(&Process::m_pid));
  const hal::Xptr<Process> reference = process_reference(process);
  // The parent lives: it ends only once its running children have reported, and their SIGCHLD
  // came (m_child_reports).
  {
    Children children(parent);
    for (uint32_t i = 0; i < kMaxChildren; ++i) {
      ChildRecord child = children.get(i);
      if (child.state != ChildRecord::State::kRunning || child.pid != process->m_pid) continue;
      if (reaped) {
        child = ChildRecord{};
      } else {
        child.state = ChildRecord::State::kEnded;
        child.exit_code = process->m_exit_code;
        child.exit_signal = process->m_exit_signal;
        child.pgid = hal::remote_load(reference.field(&Process::m_pgid));
        // Its threads are gone (their times added), and so are its children (children_end).
        child.cpu_ticks = hal::stat_read(process->m_ended_cpu_ticks) + hal::stat_read(process->m_children_cpu_ticks);
        child.sys_ticks = hal::stat_read(process->m_ended_sys_ticks) + hal::stat_read(process->m_children_sys_ticks);
        child.process = {};
        // Before the parent can see the record: it lets the pid go.
        hold_pid(child.pid,
                 Zombie{.ppid = process->m_ppid,
                        .pgid = child.pgid,
                        .sid = hal::remote_load(reference.field(&Process::m_sid)),
                        .cpu_ms = uint32_t(hal::ticks_to_ns(hal::stat_read(process->m_ended_cpu_ticks)) / 1'000'000),
                        .comm = process_comm(reference)});
      }
      children.set(i, child);
    }
    if (ignored) {
      wake_waiters(children);
      return;
    }
    (void)hal::remote_atomic_add(children.reports(), 1u);
  }
  // SIGCHLD (unless ignored) once the child can be waited for, before the waiters are woken
  // (Linux's do_notify_parent, then __wake_up_parent): a parent woken in waitid has its handler
  // run before the call returns. The parent, which waits for this report before it ends, is
  // still the one its pid names.
  const bool killed = process->m_exit_signal != 0;
  (void)rpc::rpc_call<rpc::RPC_PROCESS_MAKE_KILL>(pid_cxy(parent_pid), parent_pid, uint32_t(kSigChld),
                                                  killed ? kCldKilled : kCldExited, process->m_pid,
                                                  int32_t(killed ? process->m_exit_signal : process->m_exit_code));
  Children children(parent);
  // The end may be reported now (no wait frees an end before: the record is still there).
  for (uint32_t i = 0; i < kMaxChildren; ++i) {
    ChildRecord child = children.get(i);
    if (child.state != ChildRecord::State::kEnded || child.pid != process->m_pid) continue;
    child.announced = 1;
    children.set(i, child);
  }
  (void)hal::remote_atomic_add(children.reports(), uint32_t(-1));
  wake_waiters(children);
}

namespace {
// report_stop_to_parent's work. The parent lives: this process has not reported its end (which
// waits for this report), and the parent's end waits for its running children.
void report_stop(Process* process, uint32_t signal) {
  const hal::Xptr<Process> parent = process->m_parent;
  constexpr uint32_t kNoChildStop = 1;  // SA_NOCLDSTOP
  const ChildSignal disposition = child_signal_of(parent);
  const bool notify = !disposition.ignored && (disposition.flags & kNoChildStop) == 0;
  const bool stopped = signal != kSigCont;
  const hal::Xptr<uint32_t> now_stopped(hal::local_cxy(), &process->m_stopped);
  {
    Children children(parent);
    bool written = false;
    for (uint32_t i = 0; i < kMaxChildren && !written; ++i) {
      ChildRecord child = children.get(i);
      if (child.state != ChildRecord::State::kRunning || child.pid != process->m_pid) continue;
      // A change undone meanwhile is not reported: the one that undid it reports after this.
      if ((hal::remote_load_sc(now_stopped) != 0) != stopped) return;
      child.stop_signal = stopped ? signal : 0;
      child.continued = stopped ? 0 : 1;
      children.set(i, child);
      written = true;
    }
    if (!written) return;
  }
  // SIGCHLD before the waiters are woken, as for an end (report_end_to_parent).
  if (notify) {
    const uint32_t parent_pid = hal::remote_load(parent.field(&Process::m_pid));
    (void)rpc::rpc_call<rpc::RPC_PROCESS_MAKE_KILL>(pid_cxy(parent_pid), parent_pid, uint32_t(kSigChld),
                                                    stopped ? kCldStopped : kCldContinued, process->m_pid,
                                                    int32_t(signal));
  }
  Children children(parent);
  wake_waiters(children);
}
}  // namespace

void report_stop_to_parent(Process* process, uint32_t signal) {
  if (!process->m_parent) return;
  const hal::Xptr<uint32_t> reports(hal::local_cxy(), &process->m_stop_reports);
  for (uint32_t now = hal::remote_load(reports);; now = hal::remote_load(reports)) {
    if ((now & Process::kStopReportsClosed) != 0) return;  // ending: its end is what the parent learns
    if (hal::remote_cas(reports, now, now + 1)) break;
  }
  report_stop(process, signal);
  (void)hal::remote_atomic_add(reports, uint32_t(-1));
}

std::optional<Zombie> zombie_of(uint32_t pid) {
  if (pid_cxy(pid) != hal::local_cxy() || pid_index(pid) >= kMaxProcesses || hal::remote_load(pid_held(pid)) == 0)
    return std::nullopt;
  const hal::Xptr<Zombie> at = zombie_at(pid);
  const auto comm = at.field(&Zombie::comm).as<uint64_t>();
  return Zombie{.ppid = hal::remote_load(at.field(&Zombie::ppid)),
                .pgid = hal::remote_load(at.field(&Zombie::pgid)),
                .sid = hal::remote_load(at.field(&Zombie::sid)),
                .cpu_ms = hal::remote_load(at.field(&Zombie::cpu_ms)),
                .comm = Comm{.words = {hal::remote_load(comm), hal::remote_load(comm + 1)}}};
}

void close_stop_reports(Process* process) {
  const hal::Xptr<uint32_t> reports(hal::local_cxy(), &process->m_stop_reports);
  (void)hal::remote_atomic_or(reports, Process::kStopReportsClosed);
  while ((hal::remote_load(reports) & ~Process::kStopReportsClosed) != 0) kern::sched_yield();
}

}  // namespace mkh::proc
