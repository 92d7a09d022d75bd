// The RPC trace, as an embedder uses it: record every RPC's client and server slices per
// core, then export them as Chrome trace-event JSON that Perfetto opens, named by the
// catalogue. Public API, implemented in src/boot/trace.cpp over rpc/trace.hpp.
#pragma once

#include <cstdint>
#include <string>

#include "mkh/result.hpp"

namespace mkh {

// Starts recording, keeping the last `events_per_core` events of each core.
void rpc_trace_start(uint32_t events_per_core);
// Stops recording and drops what was recorded.
void rpc_trace_stop();
// Writes every recorded event to `path`; the error names the I/O failure.
Result<void, Error> rpc_trace_write(const std::string& path);

}  // namespace mkh
