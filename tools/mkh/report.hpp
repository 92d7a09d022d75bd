// Printing a machine report as a text table. Part of the `mkh` tool.
#pragma once

#include <cstdio>

#include "mkh/machine.hpp"

namespace mkh::tool {

void print_report(std::FILE* out, const MachineReport& report);

// Total of the errors the report shows: kernel errors, leaked pages and objects, left threads.
uint64_t report_error_count(const MachineReport& report);

}  // namespace mkh::tool
