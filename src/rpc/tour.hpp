// The RPC tour of `mkh boot`: from one kernel thread per cluster, every served service of
// the catalogue is called on every other cluster, then a multicast reaches every cluster. Layer: rpc (runs on the machine through the public Machine API).
#pragma once

#include <cstdint>
#include <string>

#include "mkh/machine.hpp"

namespace mkh::rpc {

struct TourFigures {
  uint64_t calls = 0;            // RPCs issued by the tour
  uint64_t wrong_answers = 0;    // results or errors other than expected
  uint64_t displays = 0;         // SCHED_DISPLAY outputs (captured, one kept)
  std::string sample_display;    // one of them
};

// Runs the tour to completion; the error says why it could not run (a touring thread's
// creation) or finish (kTimedOut after 2 minutes).
Result<TourFigures, Error> run_rpc_tour(Machine& machine);

}  // namespace mkh::rpc
