// Services 4 and 5 (a process's exit and kill, at its owner), 9 (a process's threads, in each
// cluster holding it), 20, 21 and 26 (the reference VMM for a client of another cluster).
// Layer: proc.
#include "proc/services.hpp"

#include <algorithm>
#include <iterator>

#include "proc/copy.hpp"
#include "proc/fork.hpp"
#include "proc/process.hpp"

namespace mkh::proc {

namespace {
// SIGKILL: the process ends (unless its end was decided already).
void kill(Process* process, uint32_t) { process_make_exit(process, 0, kSigKill); }

SignalHandler g_signal_handler = nullptr;

}  // namespace

void set_signal_handler(SignalHandler handler) { g_signal_handler = handler; }

Result<void> process_make_exit_server(uint32_t pid, uint32_t status) {
  if (pid_cxy(pid) != hal::local_cxy()) return error(Errno::kSrch);
  return process_with_descriptor(
      pid, [](Process* process, uint32_t code) { process_make_exit(process, code, 0); }, status);
}

Result<void> process_make_kill_server(uint32_t pid, uint32_t signal, int32_t code, uint32_t sender, int32_t status) {
  if (pid_cxy(pid) != hal::local_cxy()) return error(Errno::kSrch);
  auto use = ProcessUse::by_pid(pid);
  // A zombie takes any signal and does nothing with it, as on Linux; no such process first.
  if (!use && zombie_of(pid)) return signal > kSignalMax ? error(Errno::kInval) : Result<void>{};
  if (!use) return error(use.error());
  if (signal > kSignalMax) return error(Errno::kInval);
  if (signal == kSigKill) return process_with_descriptor(pid, kill, 0);
  if (signal == kSigStop || signal == kSigCont) TRY(process_set_stopped_everywhere(pid, signal));
  if (signal == 0 || g_signal_handler == nullptr) return {};
  return g_signal_handler(use->get(), signal, SignalOrigin{code, sender, status});
}

Result<void> process_sigaction_server(uint32_t action, uint32_t pid) {
  switch (SigAction(action)) {
    case SigAction::kBlockAll:
    case SigAction::kUnblockAll:
      // The reference takes the action. A copy takes its reference's state, which the owner
      // set before it sent the action: a stop and a continue in flight at once, or a stop
      // sent again after a full FIFO, leave every copy as its process is, in any order.
      return process_with_descriptor(
          pid,
          [](Process* process, uint32_t block) {
            const hal::Xptr<Process> reference = process->m_reference;
            process_set_stopped(process, reference.is_null()
                                             ? block != 0
                                             : hal::remote_load_sc(reference.field(&Process::m_stopped)) != 0);
          },
          SigAction(action) == SigAction::kBlockAll);
    case SigAction::kDeleteAll:
      // The reference: the process ends. A copy goes once its threads are gone.
      if (pid_cxy(pid) == hal::local_cxy()) return process_with_descriptor(pid, kill, 0);
      return process_copy_delete(pid);
  }
  return error(Errno::kInval);
}

Result<std::tuple<uint32_t, uint32_t, uint32_t, uint32_t, ProcessState, uint64_t, uint64_t, uint64_t>>
mkh_process_info_server(uint32_t index) {
  for (uint32_t i = std::max(index, 1u); i < kMaxProcesses; ++i) {
    const uint32_t pid = pid_make(hal::local_cxy(), i);
    auto use = ProcessUse::by_pid(pid);
    if (!use) {
      const std::optional<Zombie> zombie = zombie_of(pid);
      if (!zombie) continue;
      return std::tuple(pid, zombie->ppid, 0u, 0u, ProcessState::kZombie, zombie->comm.words[0], zombie->comm.words[1],
                        uint64_t(zombie->cpu_ms) * 1'000'000);
    }
    const hal::Xptr<Process> reference = process_reference(use->get());
    const uint32_t exiting = hal::remote_load(reference.field(&Process::m_exiting));
    const ProcessState state = exiting == kExiting                                           ? ProcessState::kEnding
                               : exiting == kExitingForExec                                  ? ProcessState::kExec
                               : hal::remote_load(reference.field(&Process::m_stopped)) != 0 ? ProcessState::kStopped
                                                                                             : ProcessState::kRunning;
    hal::cxy_t copies[kMaxXSize * kMaxYSize];
    const Comm comm = process_comm(reference);
    return std::tuple(pid, (*use)->m_ppid, hal::remote_load(reference.field(&Process::m_thread_count)),
                      process_copies_clusters(pid, copies, std::size(copies)), state, comm.words[0], comm.words[1],
                      threads_cpu_time(use->get()).ns);
  }
  return error(Errno::kSrch);
}

uint32_t vseg_type_prot(vmm::VsegType type) {
  return type == vmm::VsegType::kCode ? vmm::VSEG_READ | vmm::VSEG_EXEC : vmm::VSEG_READ | vmm::VSEG_WRITE;
}

Result<hal::Xptr<vmm::Vseg>> vmm_get_vseg_server(Process* process, uint32_t vaddr) {
  const ProcessUse use = TRY(ProcessUse::by_pointer(process));
  return vmm::vmm_find_vseg_xptr(&use->m_vmm, vaddr);
}

Result<std::tuple<uint32_t, uint64_t>> vmm_get_pte_server(Process* process, uint32_t vpn, bool cow) {
  const ProcessUse use = TRY(ProcessUse::by_pointer(process));
  if (vpn >= (vmm::kUserEnd >> 12)) return error(Errno::kFault);
  // Without a vseg for it the VMM refuses: the client reads the vseg first (VMM_GET_VSEG).
  const vmm::Vseg vseg = TRY(vmm::vmm_find_vseg(&use->m_vmm, vpn << 12));
  const uint32_t access = cow ? vmm::VSEG_WRITE : (vseg.m_prot & vmm::VSEG_EXEC) != 0 ? vmm::VSEG_EXEC : vmm::VSEG_READ;
  // A write that breaks a copy-on-write: the threads of the process (the client's too) flush.
  TlbShootdown shootdown{.process = use.get(), .thread = nullptr};
  const uint64_t entry = TRY(vmm::vmm_get_pte(&use->m_vmm, vpn << 12, access, user_flush_page, &shootdown));
  return std::tuple<uint32_t, uint64_t>(vmm::gpt_attr(entry), vmm::gpt_page(entry) >> 12);
}

Result<hal::Xptr<vmm::Vseg>> vmm_create_vseg_server(Process* process, vmm::VsegType type, uint32_t base, uint32_t size,
                                                    uint32_t file_offset, uint32_t file_size,
                                                    hal::Xptr<mapper::Mapper> mapper, hal::cxy_t cxy) {
  const ProcessUse use = TRY(ProcessUse::by_pointer(process));
  if (uint32_t(type) < uint32_t(vmm::VsegType::kCode) || uint32_t(type) > uint32_t(vmm::VsegType::kRemote) ||
      !hal::cluster_present(cxy))
    return error(Errno::kInval);
  vmm::Vseg* vseg = TRY(
      vmm::vmm_create_vseg(&use->m_vmm, type, base, size, vseg_type_prot(type), file_offset, file_size, mapper, cxy));
  return hal::Xptr<vmm::Vseg>(hal::local_cxy(), vseg);
}

}  // namespace mkh::proc
