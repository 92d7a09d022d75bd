// The built-in kernel workload of `mkh boot`: on every core a kernel thread that allocates
// and frees pages and objects of its cluster, then all of them pass a token round a ring
// that crosses every cluster, blocking and unblocking each other by xptr.
// Layer: kern (runs on the machine through the public Machine API).
#pragma once

#include <cstdint>
#include "mkh/machine.hpp"

namespace mkh::kern {

struct WorkloadOptions {
  uint32_t memory_rounds = 200;  // alloc/free rounds per worker
  uint32_t ring_laps = 20;       // times the token goes round the ring
  uint64_t seed = 1;
};

struct WorkloadFigures {
  uint32_t workers = 0;
  uint64_t pages_allocated = 0;
  uint64_t objects_allocated = 0;
  uint64_t token_hops = 0;
  uint64_t pattern_errors = 0;   // memory that did not read back what was written
  uint64_t alloc_errors = 0;     // allocations refused (not expected with the default banks)
  double seconds = 0;
};

// Runs the workload to completion; the error says what went wrong when it could not run
// (kNoMem, a worker's creation) or finish (kTimedOut after 2 minutes).
Result<WorkloadFigures, Error> run_boot_workload(Machine& machine, const WorkloadOptions& options);

}  // namespace mkh::kern
