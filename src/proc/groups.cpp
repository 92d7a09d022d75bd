// Process groups and sessions (proc/groups.hpp). Layer: proc.
#include "proc/groups.hpp"

#include "dev/dev.hpp"
#include "hal/clock.hpp"
#include "proc/fork.hpp"
#include "proc/services.hpp"

namespace mkh::proc {

namespace {

hal::Xptr<uint32_t> pgid_of(const Process* process) { return process_reference(process).field(&Process::m_pgid); }
hal::Xptr<uint32_t> sid_of(const Process* process) { return process_reference(process).field(&Process::m_sid); }

}  // namespace

namespace {
// setpgid's and tcsetpgrp's rule: group `pgid` is `self`'s own, or has a member in session
// `sid`; kPerm otherwise.
Result<void> check_group_in_session(const Process* self, uint32_t pgid, uint32_t sid) {
  if (pgid == hal::remote_load(pgid_of(self))) return {};
  const GroupMembers group = TRY(signal_group(pgid, 0, SignalOrigin{.pid = self->m_pid}));
  if ((group.count == 0 && group.zombies == 0) || group.sid != sid) return error(Errno::kPerm);
  return {};
}
}  // namespace

Result<std::tuple<uint32_t, uint32_t, uint32_t, uint32_t>> mkh_signal_group_server(uint32_t pgid, uint32_t signal,
                                                                                   int32_t code, uint32_t sender,
                                                                                   int32_t status,
                                                                                   uint64_t born_before) {
  if (signal > kSignalMax) return error(Errno::kInval);
  // The members first, under the table's lock; then the signals, each to a process held anew
  // (one may end meanwhile: it is no longer sent one).
  uint32_t members[kMaxProcesses];
  uint32_t count = 0, sid = 0, parentless = 0;
  {
    ProcCluster* table = local_proc();
    hal::BusylockGuard guard(table->m_lock);
    for (const Process* process : table->m_table) {
      if (process == nullptr || process->m_pid == sender || process->m_born_ns > born_before) continue;
      if (pgid != kEveryProcess && hal::remote_load(pgid_of(process)) != pgid) continue;
      // Its threads are gone and its end reported (a wait may have taken it): no member.
      if ((hal::remote_load(process_reference(process).field(&Process::m_stop_reports)) &
           Process::kStopReportsClosed) != 0)
        continue;
      members[count++] = process->m_pid;
      sid = hal::remote_load(sid_of(process));
      if (hal::remote_load(process_reference(process).field(&Process::m_parent)).is_null()) ++parentless;
    }
  }
  if (signal != 0)
    for (uint32_t i = 0; i < count; ++i) (void)process_make_kill_server(members[i], signal, code, sender, status);
  uint32_t zombies = 0;
  for (uint32_t i = 1; i < kMaxProcesses; ++i)
    if (const std::optional<Zombie> zombie = zombie_of(pid_make(hal::local_cxy(), i));
        zombie && (pgid == kEveryProcess || zombie->pgid == pgid)) {
      ++zombies;
      if (count == 0) sid = zombie->sid;
    }
  return std::tuple(count, sid, parentless, zombies);
}

Result<std::tuple<uint32_t, uint32_t>> mkh_process_ids_server(uint32_t pid) {
  auto found = ProcessUse::by_pid(pid);
  if (!found) {
    // A zombie keeps its group and session until the wait, as on Linux.
    if (const std::optional<Zombie> zombie = zombie_of(pid)) return std::tuple(zombie->pgid, zombie->sid);
  }
  const ProcessUse use = TRY(std::move(found));
  return std::tuple(hal::remote_load(pgid_of(use.get())), hal::remote_load(sid_of(use.get())));
}

Result<GroupMembers> signal_group(uint32_t pgid, uint32_t signal, SignalOrigin origin) {
  GroupMembers members;
  const auto now = uint64_t(hal::clock_ns(CLOCK_MONOTONIC));
  for (hal::cxy_t cxy = 0; cxy < hal::g_address_space.cxy_limit; ++cxy) {
    if (!hal::cluster_present(cxy)) continue;
    const auto [count, sid, parentless, zombies] =
        TRY(rpc::rpc_call<rpc::RPC_MKH_SIGNAL_GROUP>(cxy, pgid, signal, origin.code, origin.pid, origin.status, now));
    members.count += count;
    members.parentless += parentless;
    members.zombies += zombies;
    if (count != 0 || (zombies != 0 && members.count == 0)) members.sid = sid;
  }
  return members;
}

Result<ProcessIds> process_ids(const Process* self, uint32_t pid) {
  if (pid == self->m_pid) return ProcessIds{hal::remote_load(pgid_of(self)), hal::remote_load(sid_of(self))};
  if (!hal::cluster_present(pid_cxy(pid))) return error(Errno::kSrch);
  const auto [pgid, sid] = TRY(rpc::rpc_call<rpc::RPC_MKH_PROCESS_IDS>(pid_cxy(pid), pid));
  return ProcessIds{pgid, sid};
}

Result<void> process_set_group(Process* self, uint32_t pid, uint32_t pgid) {
  const hal::Xptr<Process> reference = process_reference(self);
  const uint32_t sid = hal::remote_load(sid_of(self));
  if (pid == self->m_pid) {
    if (sid == pid) return error(Errno::kPerm);  // a session's leader stays in its group
  } else {
    TRY(child_set_group(reference, pid, sid, pgid, false));
  }
  if (pgid != pid) TRY(check_group_in_session(self, pgid, sid));                    // another group than its own id
  if (pid != self->m_pid) return child_set_group(reference, pid, sid, pgid, true);  // again: it may have changed
  hal::remote_store(pgid_of(self), pgid);
  return {};
}

Result<uint32_t> process_new_session(Process* self) {
  const uint32_t pid = self->m_pid;
  if (hal::remote_load(pgid_of(self)) == pid) return error(Errno::kPerm);
  const GroupMembers group = TRY(signal_group(pid, 0, SignalOrigin{.pid = pid}));
  if (group.count != 0) return error(Errno::kPerm);
  hal::remote_store(sid_of(self), pid);
  hal::remote_store(pgid_of(self), pid);
  return pid;
}

namespace {
// The terminal's words, on the I/O cluster.
hal::Xptr<uint32_t> terminal_session_word() {
  return hal::Xptr<uint32_t>(dev::kIoCxy, &dev::dev_directory_at(dev::kIoCxy)->m_terminal_session);
}
hal::Xptr<uint32_t> terminal_foreground_word() {
  return hal::Xptr<uint32_t>(dev::kIoCxy, &dev::dev_directory_at(dev::kIoCxy)->m_terminal_foreground);
}
// The terminal's session, when it is the controlling terminal of `self`'s.
Result<uint32_t> controlling_session(const Process* self) {
  const uint32_t session = hal::remote_load(terminal_session_word());
  if (session == 0 || session != hal::remote_load(sid_of(self))) return error(Errno::kNotTy);
  return session;
}
}  // namespace

void terminal_attach(uint32_t sid) {
  hal::remote_store(terminal_session_word(), sid);
  hal::remote_store(terminal_foreground_word(), 0u);
}

Result<uint32_t> terminal_foreground(const Process* self) {
  const uint32_t session = TRY(controlling_session(self));
  const uint32_t foreground = hal::remote_load(terminal_foreground_word());
  return foreground != 0 ? foreground : session;  // the leader's group: its pid
}

Result<uint32_t> terminal_session(const Process* self) { return controlling_session(self); }

Result<void> terminal_set_foreground(Process* self, int32_t pgid) {
  const uint32_t session = TRY(controlling_session(self));
  if (pgid < 0) return error(Errno::kInval);
  TRY(check_group_in_session(self, uint32_t(pgid), session));
  hal::remote_store(terminal_foreground_word(), uint32_t(pgid));
  return {};
}

Result<TerminalReader> terminal_reader(const Process* self) {
  const uint32_t foreground = hal::remote_load(terminal_foreground_word());
  if (foreground == 0 || !controlling_session(self)) return TerminalReader{};
  const uint32_t pgid = hal::remote_load(pgid_of(self));
  if (pgid == foreground) return TerminalReader{};
  const GroupMembers group = TRY(signal_group(pgid, 0, kFromKernel));  // the caller's own too: no sender
  return TerminalReader{.background = true, .pgid = pgid, .orphaned = group.parentless != 0};
}

Result<TerminalSignal> terminal_signal(uint32_t signal) {
  const uint32_t session = hal::remote_load(terminal_session_word());
  const uint32_t foreground = hal::remote_load(terminal_foreground_word());
  if (session == 0) return TerminalSignal::kNoForeground;
  const bool stop = signal == kSigTstp || signal == kSigTtin || signal == kSigTtou;
  if (stop && foreground == 0) return TerminalSignal::kNoJobControl;
  const uint32_t group = foreground != 0 ? foreground : session;
  if (stop && TRY(signal_group(group, 0, kFromKernel)).parentless != 0) return TerminalSignal::kDropped;
  return TRY(signal_group(group, signal, kFromKernel)).count != 0 ? TerminalSignal::kSent
                                                                  : TerminalSignal::kNoForeground;
}

}  // namespace mkh::proc
