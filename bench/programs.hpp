// Host programs the benchmarks run as peers and referees (mtools, dosfstools): found on the
// PATH or in the system folders, run as child processes and timed by the wall clock.
// Layer: bench (host only). Calls posix_spawn and waitpid; nothing of src/.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "mkh/result.hpp"

namespace mkh::bench {

// The path of `name`: on the PATH, else in /usr/sbin or /sbin (where Debian puts mkfs.fat);
// kNoEnt naming the program and `package` when it is nowhere.
Result<std::string, Error> find_program(std::string_view name, std::string_view package);

// What a child's standard output goes to, and where its standard error is kept. When the
// child fails, the first line of its standard error (else of its output, when that is a
// file) goes into the error.
struct ChildFiles {
  std::string out = "/dev/null";
  std::string err = "/dev/null";
};

// Runs argv (argv[0] a path) with the environment of this process plus MTOOLS_SKIP_CHECK=1
// and waits for it; returns the wall-clock seconds from the spawn to the end of the wait.
// An error (kIo) names the command and says how it failed (its exit status or signal and the
// first line of its standard error).
Result<double, Error> run_program(const std::vector<std::string>& argv, const ChildFiles& files = {});

}  // namespace mkh::bench
