// Process copies: creation, destruction and the faults of their VMM. Layer: proc.
#include "proc/copy.hpp"

#include <algorithm>
#include <iterator>

#include "hal/kdata.hpp"
#include "hal/remote.hpp"
#include "hal/sanitizers.hpp"
#include "kern/sched.hpp"
#include "libk/assert.hpp"
#include "mm/kmem.hpp"
#include "proc/fork.hpp"
#include "proc/services.hpp"

namespace mkh::proc {

namespace {

#if defined(MKH_TSAN)
extern "C" void AnnotateIgnoreReadsBegin(const char* file, int line);
extern "C" void AnnotateIgnoreReadsEnd(const char* file, int line);
#endif

// A seqlock reader's reads: the fields of a vseg the reference may free and use again for
// another object meanwhile, trusted only when its generation did not move around them.
// ThreadSanitizer is told not to check them (they race with the writer by design: a new
// object's construction is no atomic store).
struct SpeculativeReads {
#if defined(MKH_TSAN)
  SpeculativeReads() { AnnotateIgnoreReadsBegin(__FILE__, __LINE__); }
  ~SpeculativeReads() { AnnotateIgnoreReadsEnd(__FILE__, __LINE__); }
  SpeculativeReads(const SpeculativeReads&) = delete;
  SpeculativeReads& operator=(const SpeculativeReads&) = delete;
#endif
};

// The copy's reference as its VMM sees it: the generation by remote load, vsegs and entries
// by RPC to the reference's cluster.
class Reference final : public vmm::VmmReference {
 public:
  explicit Reference(hal::Xptr<Process> process) : m_process(process) {}

  uint64_t generation() override {
    return hal::remote_load(m_process.field(&Process::m_vmm).field(&vmm::Vmm::m_generation));
  }

  Result<vmm::Vseg> get_vseg(uint32_t address) override {
    const hal::Xptr<vmm::Vseg> found = TRY(rpc::rpc_call<rpc::RPC_VMM_GET_VSEG>(server(), process(), address));
    // Read after the answer, while the reference may change it: the caller checks the
    // generation before it trusts what it read.
    [[maybe_unused]] SpeculativeReads speculative;
    vmm::Vseg vseg;
    vseg.m_type = hal::remote_load(found.field(&vmm::Vseg::m_type));
    vseg.m_base = hal::remote_load(found.field(&vmm::Vseg::m_base));
    vseg.m_size = hal::remote_load(found.field(&vmm::Vseg::m_size));
    vseg.m_prot = hal::remote_load(found.field(&vmm::Vseg::m_prot));
    vseg.m_file_offset = hal::remote_load(found.field(&vmm::Vseg::m_file_offset));
    vseg.m_file_size = hal::remote_load(found.field(&vmm::Vseg::m_file_size));
    vseg.m_mapper = hal::remote_load(found.field(&vmm::Vseg::m_mapper));
    vseg.m_cxy = hal::remote_load(found.field(&vmm::Vseg::m_cxy));
    return vseg;
  }

  Result<uint64_t> get_pte(uint32_t vpn, bool write) override {
    const auto [attr, ppn] = TRY(rpc::rpc_call<rpc::RPC_VMM_GET_PTE>(server(), process(), vpn, write));
    return vmm::gpt_entry(ppn << hal::kPageShift, attr);
  }

 private:
  hal::cxy_t server() const { return m_process.cxy(); }
  Process* process() const { return m_process.host_ptr(); }  // a pointer local to the server, not followed here

  hal::Xptr<Process> m_process;
};

// The owner's list of the copies of `pid`, in the owner's bank.
hal::Xptr<CopyList> copy_list(uint32_t pid) {
  return hal::cluster_field(pid_cxy(pid), &local_proc()->m_copies[pid_index(pid)]);
}

// The copy of `pid` among the local copies.
Process* find_locked(ProcCluster* here, uint32_t pid) REQUIRES(here->m_lock) {
  for (libk::ListEntry* entry = here->m_local_copies.next; entry != &here->m_local_copies; entry = entry->next)
    if (Process* copy = libk::list_element(entry, &Process::m_local_entry); copy->m_pid == pid) return copy;
  return nullptr;
}

// One PROCESS_SIGACTION `action` multicast to the clusters holding a copy of `pid`. A round
// whose posts did not all go (a full FIFO), or a DELETE that found a copy held for a thread
// being made in it (kBusy), is sent again to the clusters then in the list: a DELETE's served
// copies have left it, BLOCK and UNBLOCK may be applied twice. The first error a server recorded.
Result<void> sigaction_copies(uint32_t pid, SigAction action) {
  hal::cxy_t cxys[kMaxXSize * kMaxYSize];
  for (;;) {
    const uint32_t n = process_copies_clusters(pid, cxys, std::size(cxys));
    if (n == 0) return {};
    auto done = rpc::rpc_multicast_call<rpc::RPC_PROCESS_SIGACTION>(cxys, n, uint32_t(action), pid);
    if (done || (done.error() != Errno::kAgain && !(action == SigAction::kDeleteAll && done.error() == Errno::kBusy)))
      return done;
    kern::sched_yield();
  }
}

}  // namespace

Result<Process*> process_copy_get(uint32_t pid) {
  const hal::cxy_t owner = pid_cxy(pid);
  if (owner == hal::local_cxy()) return error(Errno::kInval);
  if (!hal::cluster_present(owner) || pid_index(pid) == 0 || pid_index(pid) >= kMaxProcesses)
    return error(Errno::kSrch);
  if (Process* found = process_copy_find(pid)) return found;
  // Made before the locks (the VMM's tables come from the ppm), joined under them.
  auto made = TRY(mm::KmemOwner<Process>::make());
  Process* copy = made.get();
  TRY(vmm::vmm_init(&copy->m_vmm));
  const hal::Xptr<CopyList> list = copy_list(pid);
  const auto lock = list.field(&CopyList::lock);
  ProcCluster* here = local_proc();
  Process* found = nullptr;
  bool joined = false;
  {
    hal::BusylockGuard guard(here->m_lock);
    found = find_locked(here, pid);
    if (found == nullptr) {
      hal::remote_busylock_acquire(lock);
      const hal::Xptr<Process> reference(hal::remote_load(list.field(&CopyList::reference)));
      if (!reference.is_null()) {  // read while the list is open: the reference is there
        copy->m_pid = pid;
        copy->m_ppid = hal::remote_load(reference.field(&Process::m_ppid));
        copy->m_ref_cxy = reference.cxy();
        copy->m_reference = reference;
        // A stop (SIGSTOP) reaches the copies listed after the owner's flag is set: one that
        // joins later finds the flag (the list's lock orders the two).
        copy->m_stopped = hal::remote_load(reference.field(&Process::m_stopped));
        hal::xlist_add_last(list.field(&CopyList::root),
                            hal::Xptr<hal::XlistEntry>(hal::local_cxy(), &copy->m_copy_entry));
        libk::list_add_last(&here->m_local_copies, &copy->m_local_entry);
        joined = true;
      }
      hal::remote_busylock_release(lock);
    }
  }
  if (joined) return made.release();
  vmm::vmm_destroy(&copy->m_vmm);  // another thread made one first, or the list is closed
  if (found != nullptr) return found;
  return error(Errno::kSrch);
}

Result<Process*> process_copy_hold(uint32_t pid) {
  ProcCluster* here = local_proc();
  for (;;) {
    Process* copy = TRY(process_copy_get(pid));
    hal::BusylockGuard guard(here->m_lock);
    if (find_locked(here, pid) == copy) {  // not deleted since
      std::atomic_ref<uint32_t>(copy->m_local_threads).fetch_add(1);
      return copy;
    }
  }
}

void process_copy_release(Process* copy) { std::atomic_ref<uint32_t>(copy->m_local_threads).fetch_sub(1); }

Process* process_copy_find(uint32_t pid) {
  ProcCluster* here = local_proc();
  hal::BusylockGuard guard(here->m_lock);
  return find_locked(here, pid);
}

Result<void> process_copy_delete(uint32_t pid) {
  ProcCluster* here = local_proc();
  Process* copy = nullptr;
  for (;;) {
    {
      hal::BusylockGuard guard(here->m_lock);
      copy = find_locked(here, pid);
      if (copy == nullptr) return error(Errno::kSrch);
      if (hal::local_load(copy->m_local_threads, std::memory_order_seq_cst) == 0) {
        const auto lock = copy_list(pid).field(&CopyList::lock);
        hal::remote_busylock_acquire(lock);
        hal::xlist_unlink(hal::Xptr<hal::XlistEntry>(hal::local_cxy(), &copy->m_copy_entry));
        hal::remote_busylock_release(lock);
        libk::list_unlink(&copy->m_local_entry);
        break;
      }
      // Its threads end with their process, each soon after it left the thread table; a copy
      // whose process goes on keeps them.
      if (!process_ending(copy)) return error(Errno::kBusy);
    }
    kern::sched_yield();
  }
  vmm::vmm_destroy(&copy->m_vmm);
  copy->m_magic = 0;
  mm::kmem_delete(copy);
  return {};
}

void process_copies_open(Process* process) {
  const hal::Xptr<CopyList> list = copy_list(process->m_pid);
  hal::remote_busylock_acquire(list.field(&CopyList::lock));
  KASSERT(hal::xlist_is_empty(list.field(&CopyList::root)), "process {:#x} has copies before it exists",
          process->m_pid);
  hal::remote_store(list.field(&CopyList::reference), hal::XPTR(hal::local_cxy(), process));
  hal::remote_busylock_release(list.field(&CopyList::lock));
}

uint32_t process_copies_clusters(uint32_t pid, hal::cxy_t* cxys, uint32_t capacity) {
  const hal::Xptr<CopyList> list = copy_list(pid);
  uint32_t n = 0;
  hal::remote_busylock_acquire(list.field(&CopyList::lock));
  XLIST_FOREACH(list.field(&CopyList::root), entry) {
    if (n < capacity) cxys[n] = entry.cxy();
    ++n;
  }
  hal::remote_busylock_release(list.field(&CopyList::lock));
  return std::min(n, capacity);
}

Result<void> process_with_descriptor(uint32_t pid, void (*act)(Process*, uint32_t), uint32_t arg) {
  ProcCluster* here = local_proc();
  hal::BusylockGuard guard(here->m_lock);
  Process* process = nullptr;
  if (pid_cxy(pid) != hal::local_cxy()) process = find_locked(here, pid);
  else if (pid_index(pid) != 0 && pid_index(pid) < kMaxProcesses) process = here->m_table[pid_index(pid)];
  if (process == nullptr) return error(Errno::kSrch);
  act(process, arg);
  return {};
}

void process_copies_delete(Process* process, bool reopen) {
  const hal::Xptr<CopyList> list = copy_list(process->m_pid);
  hal::remote_busylock_acquire(list.field(&CopyList::lock));
  hal::remote_store(list.field(&CopyList::reference), hal::XPTR_NULL);  // no copy joins now
  hal::remote_busylock_release(list.field(&CopyList::lock));
  // A copy deleted meanwhile by its own cluster (process_copy_delete) answers kSrch: gone too.
  auto deleted = sigaction_copies(process->m_pid, SigAction::kDeleteAll);
  KASSERT(deleted || deleted.error() == Errno::kSrch, "deleting the copies of process {:#x}: {}", process->m_pid,
          errno_name(deleted.error()));
  if (reopen) process_copies_open(process);
}

Result<void> process_set_stopped_everywhere(uint32_t pid, uint32_t signal) {
  if (pid_cxy(pid) != hal::local_cxy()) return error(Errno::kSrch);
  const ProcessUse use = TRY(ProcessUse::by_pid(pid));
  const bool stopped = signal != kSigCont;
  const auto flag = hal::Xptr<uint32_t>(hal::local_cxy(), &use->m_stopped);
  const bool changed = hal::remote_exchange(flag, uint32_t(stopped)) != uint32_t(stopped);
  process_set_stopped(use.get(), stopped);
  (void)sigaction_copies(pid, stopped ? SigAction::kBlockAll : SigAction::kUnblockAll);
  if (changed) report_stop_to_parent(use.get(), signal);
  return {};
}

Result<uint64_t> process_copy_get_pte(Process* copy, uint32_t address, uint32_t access, vmm::FaultKind* kind) {
  if (copy->m_reference.is_null()) return error(Errno::kInval);
  Reference reference(copy->m_reference);
  return vmm::vmm_copy_get_pte(&copy->m_vmm, reference, address, access, kind);
}

}  // namespace mkh::proc
