// Process copies (DESIGN.md §6): the descriptor of a process in a cluster other than its
// reference's, for what the process runs there. Its VMM is a cache of the reference's (the
// copy side of mm/vmm/vmm.hpp), filled on faults through services 20 VMM_GET_VSEG and 21
// VMM_GET_PTE: a CODE page is replicated in the copy's cluster, any other page is the
// reference's, and a change at the reference (munmap, mprotect, a brk that shrinks, a fixed
// mmap) makes the copy drop what it held at its next fault. Layer: proc. Calls vmm and rpc.
//
// What does not come yet: threads on copies (their TLBs in the reference's shootdown), the
// reference's list of its copies (the process's end, PROCESS_SIGACTION), a copy found again
// by the cluster that made it.
#pragma once

#include <cstdint>

#include "hal/xptr.hpp"
#include "libk/result.hpp"
#include "proc/process.hpp"

namespace mkh::proc {

// Local: a copy in this cluster of `reference`, a process of another cluster, with an empty
// VMM. kInval when the reference is in this cluster or is a copy itself; kNoMem.
[[nodiscard]] Result<Process*> process_copy_create(hal::Xptr<Process> reference);
// Local: frees a copy made here with process_copy_create: its replicated pages and its tables
// (the pages of the reference it names stay the reference's). Before its reference ends.
void process_copy_destroy(Process* copy);
// The entry of the page holding `address` for `access` (vmm::VSEG_READ, VSEG_WRITE or
// VSEG_EXEC) in the copy's VMM, made if needed (vmm::vmm_copy_get_pte): the reference's
// refusals, kFault, kAcces, kIo, kNoMem. The reference must outlive its copies: nothing
// tells a copy that its reference ended until the copies end with their process.
[[nodiscard]] Result<uint64_t> process_copy_get_pte(Process* copy, uint32_t address, uint32_t access);

}  // namespace mkh::proc
