// The built-in kernel workload of `mkh boot`: on every core a kernel thread that allocates
// and frees pages and objects of its cluster, then all of them pass a token round a ring
// through every core, ordered so that every hop goes to another cluster (when there are
// several), blocking and unblocking each other by xptr.
// Layer: kern (runs on the machine through the public Machine API).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <tl/expected.hpp>

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
  uint64_t cross_cluster_hops = 0;  // hops whose sender was on another cluster than the receiver
  uint64_t ring_errors = 0;      // tokens that did not carry the hop count of their place in the ring
  std::vector<uint32_t> received;  // tokens taken, by ring position (position 0 also takes the final pass)
  uint64_t pattern_errors = 0;   // memory that did not read back what was written
  uint64_t alloc_errors = 0;     // allocations refused (not expected with the default banks)
  double seconds = 0;
};

// Runs the workload to completion; the message says what went wrong when it could not run.
tl::expected<WorkloadFigures, std::string> run_boot_workload(Machine& machine, const WorkloadOptions& options);

}  // namespace mkh::kern
