// Process copies (DESIGN.md §6): the descriptor of a process in a cluster other than its
// reference's, for what the process runs there. Its VMM is a cache of the reference's (the
// copy side of mm/vmm/vmm.hpp), filled on faults through services 20 VMM_GET_VSEG and 21
// VMM_GET_PTE: a CODE page is replicated in the copy's cluster, any other page is the
// reference's, and a change at the reference (munmap, mprotect, a brk that shrinks, a fixed
// mmap) makes the copy drop what it held at its next fault. Layer: proc. Calls vmm and rpc.
//
// A cluster holds at most one copy of a process, found again by the pid. The process's owner
// keeps the list of its copies (ProcCluster::m_copies): a copy joins it as it is made, and
// leaves it as it is destroyed; the process's end and its exec delete every copy by one
// PROCESS_SIGACTION multicast (DELETE) to the clusters in the list, and the end closes the
// list, so no copy outlives its reference. A copy lives until then: whoever uses one must
// know the process has not ended (a kernel thread that made it so, or a thread of the
// process). A copy's threads (proc/user_thread.hpp) are in the reference's thread table and
// shootdown, and each copy counts its own: it is deleted only once they are gone.
#pragma once

#include <cstdint>

#include "hal/xptr.hpp"
#include "libk/result.hpp"
#include "proc/process.hpp"

namespace mkh::proc {

// Local: the copy of the process `pid` (of another cluster) that this cluster holds, made
// and joined to its owner's list if there is none. kSrch when the process does not exist, is
// ending, or is between its old image and its new one (exec), kInval when it is a process of
// this cluster, kNoMem.
[[nodiscard]] Result<Process*> process_copy_get(uint32_t pid);
// Local: process_copy_get, the copy held for a thread about to be made in it: counted among its
// threads (its deletion waits) until process_copy_release.
[[nodiscard]] Result<Process*> process_copy_hold(uint32_t pid);
void process_copy_release(Process* copy);
// Local: the copy of `pid` this cluster holds, or null.
Process* process_copy_find(uint32_t pid);
// Local: the copy of `pid` this cluster holds leaves its owner's list and is freed: its
// replicated pages and its tables (the pages of the reference it names stay the
// reference's). Its threads go first: it waits for those that are ending with their
// process. kSrch when there is none, kBusy when it has threads of a process that goes on.
[[nodiscard]] Result<void> process_copy_delete(uint32_t pid);

// The owner's side, for its process `process`: its list of copies opens (process_create).
void process_copies_open(Process* process);
// Deletes every copy of `process` (PROCESS_SIGACTION DELETE to the clusters holding one) and
// returns once they are gone; a copy cannot be made meanwhile. `reopen`: copies may be made
// again after (exec), else the list stays closed (the process's end). Called by a kernel
// thread of the owner's cluster.
void process_copies_delete(Process* process, bool reopen);
// Stops (`signal`: a stop signal) or lets go on (SIGCONT) every descriptor of the process `pid`
// of this cluster (its owner): its own here, then its copies by one PROCESS_SIGACTION BLOCK or
// UNBLOCK multicast to the clusters in its list; a change of state is reported to its parent
// (report_stop_to_parent). kSrch when this cluster owns no such process. Called by a kernel
// thread.
[[nodiscard]] Result<void> process_set_stopped_everywhere(uint32_t pid, uint32_t signal);
// The clusters holding a copy of the process `pid` (its owner's list), at most `capacity`;
// their number.
uint32_t process_copies_clusters(uint32_t pid, hal::cxy_t* cxys, uint32_t capacity);
// Runs `act(descriptor, arg)` on this cluster's descriptor of the process `pid` (the reference
// when this cluster owns it, else its copy) under the cluster's table lock, so that it is not
// freed meanwhile; `act` must not sleep. kSrch when the cluster holds none.
[[nodiscard]] Result<void> process_with_descriptor(uint32_t pid, void (*act)(Process*, uint32_t), uint32_t arg);

// The entry of the page holding `address` for `access` (vmm::VSEG_READ, VSEG_WRITE or
// VSEG_EXEC) in the copy's VMM, made if needed (vmm::vmm_copy_get_pte): the reference's
// refusals, kFault, kAcces, kIo, kNoMem. `kind`, when not null, says what was done.
[[nodiscard]] Result<uint64_t> process_copy_get_pte(Process* copy, uint32_t address, uint32_t access,
                                                    vmm::FaultKind* kind = nullptr);

}  // namespace mkh::proc
