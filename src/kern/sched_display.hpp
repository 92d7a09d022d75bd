// A core's scheduler state as text. Layer: kern.
#pragma once

#include <string>

namespace mkh::kern {

struct Core;

// One header line for the core, then one line per thread (name, trdid, type, blocked causes).
std::string sched_display(Core* core);

}  // namespace mkh::kern
