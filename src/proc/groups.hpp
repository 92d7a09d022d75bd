// Process groups and sessions (docs/decisions.md "Process groups and sessions"), as POSIX
// and Linux have them: setpgid, getpgid, setsid, getsid, and kill to a group. Layer: proc.
//
// A process's group and session are two words of its reference (Process::m_pgid, m_sid). No
// cluster keeps a list of a group's members: each owner knows its own processes, so a kill
// to a group asks every cluster for its members (67 MKH_SIGNAL_GROUP), as
// signal_every_process does, and another process's ids are asked of its owner (68
// MKH_PROCESS_IDS).
#pragma once

#include <cstdint>
#include <tuple>

#include "proc/process.hpp"
#include "rpc/marshal.hpp"

namespace mkh::proc {

// MKH_SIGNAL_GROUP's group for kill(-1): every process but the sender.
inline constexpr uint32_t kEveryProcess = 0;

// 67 MKH_SIGNAL_GROUP (mkh's own): the processes this cluster owns in group `pgid` (every one
// with kEveryProcess) made before `born_before` (the host's monotonic clock, in ns) and not
// ended (their end reported: see close_stop_reports), the sender's own excepted, each sent
// `signal` as PROCESS_MAKE_KILL sends it (0: none, a count only): how many, the session of one
// of them (0 with none), how many have no parent; and the group's zombies here (ended children
// not yet waited for, which take no signal but are in their group, as on Linux), the session
// being one of theirs when no live member answers it.
Result<std::tuple<uint32_t, uint32_t, uint32_t, uint32_t>> mkh_signal_group_server(uint32_t pgid, uint32_t signal,
                                                                                   int32_t code, uint32_t sender,
                                                                                   int32_t status,
                                                                                   uint64_t born_before);
// 68 MKH_PROCESS_IDS (mkh's own): the group and the session of this cluster's process `pid`.
// kSrch when there is none.
Result<std::tuple<uint32_t, uint32_t>> mkh_process_ids_server(uint32_t pid);

// Members of a group, by every cluster's count.
struct GroupMembers {
  uint32_t count = 0;
  uint32_t sid = 0;         // a member's session (all of a group's are one), 0 with none
  uint32_t parentless = 0;  // members no fork made (the first process of mkh exec)
  uint32_t zombies = 0;     // ended, not yet waited for: no members, but the group is theirs
};
// From any cluster: MKH_SIGNAL_GROUP on every cluster of the machine, the sender's process
// (`origin.pid`) excepted: the members there were when it began, as a terminal signals its
// group at one instant (a process made meanwhile, a shell's next command say, is not one).
[[nodiscard]] Result<GroupMembers> signal_group(uint32_t pgid, uint32_t signal, SignalOrigin origin);

// getpgid and getsid: the group and the session of process `pid`, any cluster's; `self` is
// the caller's own process (this cluster's descriptor of it), answered without a call.
struct ProcessIds {
  uint32_t pgid;
  uint32_t sid;
};
[[nodiscard]] Result<ProcessIds> process_ids(const Process* self, uint32_t pid);

// setpgid(pid, pgid) by `self` (pid and pgid already made non-zero): `pid` is `self` or one
// of its children not past an execve, in its session and not leading one; `pgid` is `pid`
// or a group of that session. kSrch, kPerm, kAcces, as Linux answers.
[[nodiscard]] Result<void> process_set_group(Process* self, uint32_t pid, uint32_t pgid);

// setsid by `self`: a new session and group, both its pid, unless a group has its pid as its
// id (it leads one): kPerm.
[[nodiscard]] Result<uint32_t> process_new_session(Process* self);

// The host's terminal (mkh exec's standard streams, when they are one) is the controlling
// terminal of the first process's session, kept on the I/O cluster (dev::DevDirectory): the
// session it belongs to and the foreground group a process gave it (tcsetpgrp), as Linux's
// tty keeps them. Until a process gives it one (a shell with job control does at once), the
// session's own group is in the foreground and no process does job control.
// Boot: the terminal belongs to session `sid` (the first process's pid: it leads its group).
void terminal_attach(uint32_t sid);
// tcgetpgrp (TIOCGPGRP) and TIOCGSID by `self`: kNotTy unless its session is the terminal's.
[[nodiscard]] Result<uint32_t> terminal_foreground(const Process* self);
[[nodiscard]] Result<uint32_t> terminal_session(const Process* self);
// tcsetpgrp (TIOCSPGRP) by `self`: kNotTy as above; kInval for a negative group; kPerm for a
// group with no member in the terminal's session.
[[nodiscard]] Result<void> terminal_set_foreground(Process* self, int32_t pgid);
// What a signal of the terminal (its interrupt, quit or suspend: mkh exec relays the host's)
// did.
enum class TerminalSignal {
  kSent,          // to the foreground group
  kNoForeground,  // no terminal, or no member left in its foreground group
  kDropped,       // a stop to an orphaned group (below)
  kNoJobControl,  // a stop while no process does job control: the machine's to take as a whole
};
// A read of the terminal by `self`: whether it is in a background group of the terminal's
// session while a process does job control (Linux's __tty_check_change), and then its group
// and whether that group is orphaned (as terminal_signal counts it).
struct TerminalReader {
  bool background = false;
  uint32_t pgid = 0;
  bool orphaned = false;
};
[[nodiscard]] Result<TerminalReader> terminal_reader(const Process* self);
// From a kernel thread: `signal` to the terminal's foreground group. A stop (SIGTSTP, SIGTTIN,
// SIGTTOU) to an orphaned group is dropped, as Linux drops it: no process would continue it.
// Linux's orphaned group has no member whose parent is in another group of its session; mkh
// counts a group with a member no fork made (the first process: it has no parent) as
// orphaned. In the groups a shell makes the two agree: the first process's group is
// orphaned, a job's (its members' parent is the shell) is not.
[[nodiscard]] Result<TerminalSignal> terminal_signal(uint32_t signal);

}  // namespace mkh::proc

namespace mkh::rpc {
template <>
struct RpcService<RPC_MKH_SIGNAL_GROUP> {
  static constexpr auto kServer = &proc::mkh_signal_group_server;
};
template <>
struct RpcService<RPC_MKH_PROCESS_IDS> {
  static constexpr auto kServer = &proc::mkh_process_ids_server;
};
}  // namespace mkh::rpc
