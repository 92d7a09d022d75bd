// fork and the children of a process: PROCESS_MAKE_FORK (3), VMM_SET_COW (28), the wait for
// a child (waitid). Layer: proc. Calls vmm (the copy-on-write image), rpc, the thread layer.
//
// A fork (docs/decisions.md "fork") makes the child on the cluster its parent's thread named
// with place_fork, else on the thread's own: the child's owner and reference are there. The
// parent's reference sets copy-on-write on every entry of its address space and makes an image
// of it (VMM_SET_COW); the child's cluster makes the process from its parent's reference and
// the forking thread, both named by xptr (PROCESS_MAKE_FORK): its address space from the image,
// its files, its signal dispositions, its one thread with the forking thread's registers (a0 =
// 0). A process forks one child at a time (m_forking). The parent's reference keeps a record
// of each child until it waits for it; a child that ends writes its status there, wakes the
// parent's threads waiting in waitid, and frees itself (its parent ignoring SIGCHLD, its record
// goes too, as Linux reaps such a child); its pid is not given again until the wait, as Linux
// keeps a zombie's, nor are its ids and name lost (ProcCluster::m_pid_held, m_zombies). A
// process that ends kills its children that still run and ends after them: no process outlives
// its parent (mkh has no init to adopt orphans).
#pragma once

#include <cstdint>
#include <optional>
#include <tuple>

#include "hal/xptr.hpp"
#include "libk/result.hpp"
#include "proc/process.hpp"
#include "proc/user_thread.hpp"
#include "rpc/marshal.hpp"

namespace mkh::proc {

// fork(2) of the calling thread: the child made on cluster `cxy`, its pid. kAgain (the
// parent's table of children is full, or the parent is ending), kNoMem, the child cluster's
// process table full (kAgain).
[[nodiscard]] Result<uint32_t> process_fork(UserThread* thread, hal::cxy_t cxy);

// 28 VMM_SET_COW's server, at the reference of `process`: every entry of its address space
// copy-on-write and write-protected (its threads' TLBs shot down), and the image a fork takes
// of it kept in the process (m_fork_image) for PROCESS_MAKE_FORK. kInval, kNoMem.
[[nodiscard]] Result<void> vmm_set_cow_server(Process* process);
// 3 PROCESS_MAKE_FORK's server: the child of the process whose reference is `parent`, made
// by its thread `parent_thread` in a fork (both read by remote access: the image, the files,
// the registers of the clone), owned by this cluster, its one thread started here. The child's
// pid and thread. kAgain, kNoMem, kInval (no image).
[[nodiscard]] Result<std::tuple<uint32_t, hal::Xptr<UserThread>>> process_make_fork_server(
    hal::Xptr<Process> parent, hal::Xptr<UserThread> parent_thread);

// A child's change as its parent learns it: its end, a stop or a continue.
struct ChildReport {
  uint32_t pid = 0;
  int32_t code = 0;     // kCldExited, kCldKilled, kCldStopped or kCldContinued (SIGCHLD's si_code)
  uint32_t status = 0;  // its exit status, or the signal that killed or stopped it, or SIGCONT
  CpuTime cpu;          // of an end: the child's CPU time, its waited children's included
};
// The changes a wait asks for: waitid's WSTOPPED, WEXITED and WCONTINUED.
enum WaitFor : uint32_t { kWaitStops = 2, kWaitEnds = 4, kWaitContinues = 8 };
// The children a wait is for: one (`pid`), those of one group (`pgid`), or any (neither).
struct WaitTarget {
  uint32_t pid = 0;
  uint32_t pgid = 0;
};
// waitid's core, for the calling thread: the first change of `wanted` (WaitFor) of a child of
// its process named by `target` not yet reported. `block`: waits until one comes (woken early
// by its own process's end: kIntr); `keep`: the change stays to be reported again (WNOWAIT).
// nullopt: none yet (without `block`). kChild: no such child.
[[nodiscard]] Result<std::optional<ChildReport>> process_wait_child(UserThread* thread, WaitTarget target,
                                                                    uint32_t wanted, bool block, bool keep);

// At a process's end (process_threads_gone), at its reference: its children that still run
// are killed and it waits for them (each reports its end first); then, for a forked child, its
// own end written to its parent's record and the parent's waiters woken.
void children_end(Process* process);
void report_end_to_parent(Process* process);
// After a stop (`signal`: the stop signal) or a continue (SIGCONT) of `process`, at its
// reference: the change written to its parent's record, the parent sent SIGCHLD (CLD_STOPPED
// or CLD_CONTINUED, unless it ignores SIGCHLD or asked SA_NOCLDSTOP) and its waiters woken. The
// record says what the process is when it is written: of a stop and a continue racing, the last.
void report_stop_to_parent(Process* process, uint32_t signal);
// Before `process` reports its end: no stop report starts any more, and those under way end.
void close_stop_reports(Process* process);
// Local, at the owner of `pid`: its zombie while its pid is held (an ended child its parent has
// not waited for yet), nullopt otherwise. A snapshot: the wait may free it meanwhile.
[[nodiscard]] std::optional<Zombie> zombie_of(uint32_t pid);
// setpgid on a child (proc/groups.cpp): `pid`, a child of the process whose reference is
// `parent`, not ended, in session `sid`, neither its leader nor past an execve, moved to
// group `pgid` (`move`), or only checked. kSrch: no such child; kPerm: another session, or
// its leader; kAcces: it ran an execve.
[[nodiscard]] Result<void> child_set_group(hal::Xptr<Process> parent, uint32_t pid, uint32_t sid, uint32_t pgid,
                                           bool move);

}  // namespace mkh::proc

namespace mkh::rpc {
template <>
struct RpcService<RPC_PROCESS_MAKE_FORK> {
  static constexpr auto kServer = &proc::process_make_fork_server;
};
template <>
struct RpcService<RPC_VMM_SET_COW> {
  static constexpr auto kServer = &proc::vmm_set_cow_server;
};
}  // namespace mkh::rpc
