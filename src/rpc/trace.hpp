// The RPC trace: an optional record of RPCs in per-core ring buffers, exported as Chrome
// trace-event JSON (Perfetto, chrome://tracing): one slice per RPC on the client core, one on
// the server core, and a flow arrow from the client slice to the server slice.
// Layer: rpc (observability). Host-heap memory, written only by the owning core's host thread;
// calls only libk (KASSERT), fmt and the C library. The disabled path is one relaxed load.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "mkh/result.hpp"

namespace mkh::rpc {

inline constexpr uint32_t kTraceMaxCxy = 256;  // cores are addressed by (cxy, lid)
inline constexpr uint32_t kTraceMaxLid = 64;

enum class TraceKind : uint8_t { kClientBegin, kClientEnd, kServerBegin, kServerEnd };

struct TraceEvent {
  uint64_t ts_ns;    // CLOCK_MONOTONIC (steady_clock), ns
  uint64_t flow_id;  // the RPC: same id on the client and the server side
  uint32_t cxy;      // the recording core
  uint32_t lid;
  uint16_t index;  // RPC index, named by the exporter's name_of
  TraceKind kind;
};

namespace trace_detail {
extern std::atomic<bool> g_enabled;
void record(uint32_t cxy, uint32_t lid, TraceKind kind, uint16_t index, uint64_t flow_id);
}  // namespace trace_detail

// Enables tracing: a ring of capacity_per_core events (at least 1) for each core, allocated
// on the core's first event. Enabling an enabled trace discards what it holds.
// Call enable and disable only while no core records (e.g. before boot, after shutdown).
void trace_enable(uint32_t capacity_per_core);
// Stops recording and frees the rings (and with them the events and the dropped count).
void trace_disable();

inline bool trace_enabled() { return trace_detail::g_enabled.load(std::memory_order_relaxed); }

// Appends an event to the ring of (cxy, lid), cxy < kTraceMaxCxy, lid < kTraceMaxLid; the
// timestamp is taken here. Only the host thread of core (cxy, lid) may record on its ring.
// A full ring overwrites its oldest event (counted by trace_dropped). No-op when disabled.
inline void trace_record(uint32_t cxy, uint32_t lid, TraceKind kind, uint16_t index, uint64_t flow_id) {
  if (trace_enabled()) trace_detail::record(cxy, lid, kind, index, flow_id);
}

// Events overwritten because their ring was full, over all rings.
uint64_t trace_dropped();

// A fresh flow id, never 0, unique over the process.
uint64_t trace_new_flow_id();

// Every event still held, ring by ring (cxy then lid), oldest first within a ring.
// Meant for a stopped machine; while cores record it is race-free but may miss the events
// written during the copy (an event overwritten meanwhile is skipped, never torn).
std::vector<TraceEvent> trace_snapshot();

// Writes every held event to path as Chrome trace JSON ({"traceEvents":[...]}):
//  * a begin/end pair of one flow and side on one core is a complete slice ("ph":"X", name
//    name_of(index), cat "rpc.client" or "rpc.server", pid = cxy, tid = lid, args.flow);
//  * a begin without its end (RPC still running) is an instant event with args.unfinished;
//    an end without its begin (overwritten in a full ring) is dropped;
//  * a flow arrow ("s" at the client begin, "f" with "bp":"e" at the server begin) for each
//    flow whose client and server begins are both held;
//  * process_name "cluster 0xCC (x,y)" and thread_name "core N" metadata.
// Timestamps are µs relative to the earliest event. Same concurrency caveat as trace_snapshot.
// On I/O failure, the error (the host's errno, else kIo) says which step failed.
Result<void, Error> trace_write_chrome_json(const std::string& path, std::string (*name_of)(uint16_t index));

}  // namespace mkh::rpc
