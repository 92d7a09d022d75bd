// Services 2 PROCESS_MAKE_EXEC, 4 PROCESS_MAKE_EXIT, 5 PROCESS_MAKE_KILL, 9 PROCESS_SIGACTION, 20 VMM_GET_VSEG, 21 VMM_GET_PTE and 26 VMM_CREATE_VSEG, served
// on a process's owner / reference cluster. Layer: proc. The servers look the process
// pointer up in their cluster's table (it came from another cluster: never trusted) and hold
// the process while they act on it (ProcessUse: its destroy waits).
#pragma once

#include <cstdint>
#include <tuple>

#include "mm/vmm/vmm.hpp"
#include "proc/exec.hpp"
#include "proc/user_thread.hpp"
#include "rpc/marshal.hpp"

namespace mkh::proc {

struct Process;

// 20: the vseg of the reference VMM of `process` holding `vaddr`; kFault when none.
Result<hal::Xptr<vmm::Vseg>> vmm_get_vseg_server(Process* process, uint32_t vaddr);
// 21: resolves the page `vpn` of `process` in its reference VMM (a write when `cow`): the
// attributes and the physical page number (the page's xptr >> 12). kFault, kAcces, kNoMem.
Result<std::tuple<uint32_t, uint64_t>> vmm_get_pte_server(Process* process, uint32_t vpn, bool cow);
// 26: a new vseg in the reference VMM (its protection follows from its type, as the
// reference's); kInval (a bad range, an overlap), kNoMem.
Result<hal::Xptr<vmm::Vseg>> vmm_create_vseg_server(Process* process, vmm::VsegType type, uint32_t base, uint32_t size,
                                                    uint32_t file_offset, uint32_t file_size,
                                                    hal::Xptr<mapper::Mapper> mapper, hal::cxy_t cxy);

// 4: the process `pid` of this cluster (its owner) exits with `status` (& 0xff), as by
// exit_group: its threads end at their next scheduling point. kSrch.
Result<void> process_make_exit_server(uint32_t pid, uint32_t status);
// 5: `signal` to the process `pid` of this cluster (its owner): SIGKILL ends it (killed);
// SIGSTOP stops the threads of each of its descriptors on their way back to user code and
// SIGCONT lets them go on (its own here, its copies by PROCESS_SIGACTION BLOCK or UNBLOCK);
// another signal (1 to 64) acts as the process's dispositions and masks say (the handler the
// syscall layer installed: kill(2) from another process; SIGSTOP and SIGCONT reach it too, after
// the threads stop or go on, for what they drop and, SIGCONT, its handler); 0 only asks whether
// it exists. After the reference's two arguments, mkh's three: the signal's origin (code,
// sender, status: a SignalOrigin), which a handler's siginfo gives. kSrch, then kInval for a
// signal above 64 (Linux's order).
Result<void> process_make_kill_server(uint32_t pid, uint32_t signal, int32_t code, uint32_t sender, int32_t status);
// The action of a signal other than SIGKILL sent to `process` (this cluster's descriptor of it,
// held) by another process: the syscall layer's, installed at boot.
using SignalHandler = Result<void> (*)(Process* process, uint32_t signal, SignalOrigin origin);
void set_signal_handler(SignalHandler handler);
// 9: `action` (a SigAction) on the threads of this cluster's descriptor of the process `pid`
// (its reference or a copy): a multicast to the clusters holding one shares its descriptor,
// so the process is named by its pid, not by a pointer local to each server. BLOCK and
// UNBLOCK stop and let go on its threads (a copy's take the reference's state, which the
// owner set before it sent them); DELETE at the reference ends the process (killed),
// elsewhere deletes the copy. kInval for another action, kSrch when this cluster holds no
// descriptor of the process.
Result<void> process_sigaction_server(uint32_t action, uint32_t pid);

// 66 MKH_PROCESS_INFO (mkh's own, what ps shows): the first process this cluster owns at
// local index `index` or after it: its pid, its parent's, its threads (in every cluster),
// the clusters holding a copy of it (where some of them run), its ProcessState, its name
// (Process::m_comm's two words) and its CPU time in nanoseconds (its threads' as each last
// counted it: proc::threads_cpu_time). kSrch when there is none.
enum class ProcessState : uint32_t { kRunning = 0, kStopped = 1, kEnding = 2, kExec = 3, kZombie = 4 };
Result<std::tuple<uint32_t, uint32_t, uint32_t, uint32_t, ProcessState, uint64_t, uint64_t, uint64_t>>
mkh_process_info_server(uint32_t index);

// The protection of a vseg made by VMM_CREATE_VSEG: CODE read and execute, the others read
// and write.
uint32_t vseg_type_prot(vmm::VsegType type);

}  // namespace mkh::proc

namespace mkh::rpc {
template <>
struct RpcService<RPC_PROCESS_MAKE_EXEC> {
  static constexpr auto kServer = &proc::process_make_exec_server;
};
template <>
struct RpcService<RPC_THREAD_USER_CREATE> {
  static constexpr auto kServer = &proc::thread_user_create_server;
};
template <>
struct RpcService<RPC_PROCESS_MAKE_EXIT> {
  static constexpr auto kServer = &proc::process_make_exit_server;
};
template <>
struct RpcService<RPC_PROCESS_MAKE_KILL> {
  static constexpr auto kServer = &proc::process_make_kill_server;
};
template <>
struct RpcService<RPC_PROCESS_SIGACTION> {
  static constexpr auto kServer = &proc::process_sigaction_server;
};
template <>
struct RpcService<RPC_VMM_GET_VSEG> {
  static constexpr auto kServer = &proc::vmm_get_vseg_server;
};
template <>
struct RpcService<RPC_VMM_GET_PTE> {
  static constexpr auto kServer = &proc::vmm_get_pte_server;
};
template <>
struct RpcService<RPC_VMM_CREATE_VSEG> {
  static constexpr auto kServer = &proc::vmm_create_vseg_server;
};
template <>
struct RpcService<RPC_MKH_PROCESS_INFO> {
  static constexpr auto kServer = &proc::mkh_process_info_server;
};
}  // namespace mkh::rpc
