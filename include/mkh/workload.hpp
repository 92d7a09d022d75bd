// The built-in kernel workload of `mkh boot`: on every core a kernel thread that allocates
// and frees pages and objects of its cluster, then all of them pass a token round a ring
// through every core, ordered so that every hop goes to another cluster (when there are
// several), blocking and unblocking each other by xptr.
// Public API (implemented in src/boot/, running on the machine through the Machine API).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "mkh/machine.hpp"

namespace mkh {

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
  uint64_t ring_errors = 0;         // tokens that did not carry the hop count of their place in the ring
  std::vector<uint32_t> received;   // tokens taken, by ring position (position 0 also takes the final pass)
  uint64_t pattern_errors = 0;      // memory that did not read back what was written
  uint64_t alloc_errors = 0;        // allocations refused (not expected with the default banks)
  double seconds = 0;
};

// Runs the workload to completion; the error says what went wrong when it could not run
// (kNoMem, a worker's creation) or finish (kTimedOut after 2 minutes).
Result<WorkloadFigures, Error> run_boot_workload(Machine& machine, const WorkloadOptions& options);

// The RPC tour of `mkh boot`: from one kernel thread per cluster, every served service of
// the catalogue is called on every other cluster, a nested chain runs along a ring of the
// clusters, then a multicast reaches every cluster.
struct TourFigures {
  uint64_t calls = 0;          // RPCs issued by the tour
  uint64_t wrong_answers = 0;  // results or errors other than expected
  uint64_t displays = 0;       // SCHED_DISPLAY outputs (captured, one kept)
  std::string sample_display;  // one of them
};

Result<TourFigures, Error> run_rpc_tour(Machine& machine);

}  // namespace mkh
