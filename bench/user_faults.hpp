// The kernel's side of `mkh bench user`: a zero-fill page fault resolved by a process's
// reference VMM, from its own cluster, from another one through RPC 21 VMM_GET_PTE, and by a
// copy of the process in another cluster (proc/copy.hpp), and its floor (a page from the ppm,
// its 4 KiB zeroed), each measured by a kernel thread. Layer: bench. Calls boot
// (run_in_kernel), proc (process_create, process_destroy, copies and the services of
// proc/services.hpp), vmm (vseg creation, vmm_get_pte), mm (pages), rpc (MKH_PING).
#pragma once

#include <cstdint>

#include "mkh/machine.hpp"
#include "mkh/result.hpp"

namespace mkh::bench {

// Nanoseconds per page of one round's three measures.
struct FaultFigures {
  double fault_ns = 0;         // vmm_get_pte(write) on a fresh page of an ANON vseg, local
  double fault_remote_ns = 0;  // the same through RPC 21 from the last cluster
  double page_zero_ns = 0;     // kmem_alloc_pages(0) + memset of the page's 4 KiB
  double rpc_ping_ns = 0;      // RPC 64 MKH_PING (a null service) from the last cluster
  double fault_copy_ns = 0;    // a copy's first touch of a fresh page, in the last cluster
  double copy_hit_ns = 0;      // the same pages again: the entries the copy holds
};

// One round on the machine's first cluster (the reference) and its last (the remote side;
// kInval when it is the same cluster): a new process owned by the first; `pages` pages
// allocated and zeroed then freed; `pages` faults on a new ANON vseg of the process (pages in
// the first cluster) by a kernel thread of the first; `pages` null RPCs (MKH_PING) to the
// first, then `pages` faults on another ANON vseg, made by RPC 26 and resolved by RPC 21,
// from a kernel thread of the last; then `pages` faults on a third ANON vseg (made by RPC 26,
// its pages in the first cluster) by a copy of the process in the last cluster (its VMM asks
// RPC 21 for each page), and the same pages again (the copy's own entries, behind the
// reference's generation); the process destroyed (every page back). `zero_first`:
// the floor before the local faults, else after. Every entry answered is checked (mapped,
// writable, its page in the first cluster), and every ping's answer; the copy's second pass
// must answer the entries of its first.
Result<FaultFigures, Error> fault_round(Machine& machine, uint32_t pages, bool zero_first);

// Allocates `pages` pages in the first cluster, zeroes them and frees them (untimed): the
// first use of a bank page since the boot costs more than the next ones.
Result<void, Error> warm_pages(Machine& machine, uint32_t pages);

// Microseconds of one empty boot::run_in_kernel on the last cluster (a kernel thread made,
// run and ended, the host thread polling for its end every 200 us): the part of run_exec that
// is not exec, averaged over `count` calls.
Result<double, Error> empty_kernel_call_us(Machine& machine, uint32_t count);

}  // namespace mkh::bench
