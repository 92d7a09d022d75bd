// Printing a machine report as a text table, and the figures of a soak. Part of the `mkh`
// tool.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

#include "mkh/machine.hpp"
#include "mkh/soak.hpp"

namespace mkh::tool {

void print_report(std::FILE* out, const MachineReport& report);

// The devices' lines of the report (none when the machine has no disk and TXT0 did nothing).
void print_devices(std::FILE* out, const MachineReport& report);

// The RPC statistics: one row per cluster and index with activity, then the pools.
void print_rpc_stats(std::FILE* out, const MachineReport& report);

// The whole report as one JSON object; `extra` (already JSON members, may be empty) is
// added at the top level.
void print_json(std::FILE* out, const MachineReport& report, const std::string& extra);

// The latency below which `fraction` of the round trips fell, from a log2 histogram.
uint64_t latency_percentile_ns(const std::vector<uint64_t>& buckets, double fraction);

// Total of the errors the report shows: kernel errors, leaked pages and objects, left threads.
uint64_t report_error_count(const MachineReport& report);

// A JSON string literal: quotes, backslashes and control characters escaped.
std::string json_string(const std::string& text);

// The figures of a soak as text, one figure per line; the timing alone on the last line,
// which starts with "time:" (the other lines are equal between two deterministic runs).
void print_soak(std::FILE* out, const soak::SoakFigures& figures);

// The same as one JSON object; `extra` (already JSON members, may be empty) is added first.
void print_soak_json(std::FILE* out, const soak::SoakFigures& figures, const std::string& extra);

}  // namespace mkh::tool
