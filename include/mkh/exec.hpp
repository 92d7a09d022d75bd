// Running user programs as an embedder sees it: the program of `mkh exec`, run as the first
// process of the machine. Public API (implemented in src/boot/).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "mkh/machine.hpp"
#include "mkh/result.hpp"

namespace mkh {

struct ExecRequest {
  std::string path;               // an absolute path on the machine's disk
  std::vector<std::string> argv;  // argv[0] included
  std::vector<std::string> env;   // "KEY=VALUE" strings
  // Its system calls traced from its first, and its children's (mkh's trace(1)): a line per
  // call on the kernel console; and its page faults (trace(2)): a line per fault.
  bool trace_syscalls = false;
  bool trace_faults = false;
};

struct ExecOutcome {
  uint32_t exit_code = 0;  // exit's status & 0xff
  uint32_t signal = 0;     // the signal that killed the process, or 0
  uint64_t instructions = 0;
  uint64_t syscalls = 0;
  // The status a shell reports: the exit code, or 128 + the signal.
  int status() const { return signal != 0 ? int(128 + signal) : int(exit_code); }
};

// Creates a process on the last cluster, execs the program into it through PROCESS_MAKE_EXEC,
// waits for its end, and frees it. Its stdin, stdout and stderr are the host's. The error
// names the path and the errno of a failed exec (ENOENT, ENOEXEC, EACCES, E2BIG...).
Result<ExecOutcome, Error> run_exec(Machine& machine, const ExecRequest& request);

// Runs the programs at the same time, each as above but in its own process of its own
// cluster (the i-th request on the i-th cluster from the last, wrapping), and waits for all.
std::vector<Result<ExecOutcome, Error>> run_execs(Machine& machine, std::span<const ExecRequest> requests);

// What the machine's terminal did with a signal (its interrupt, quit or suspend).
enum class TerminalSignal {
  kSent,          // to the terminal's foreground process group
  kNoForeground,  // no process is in the foreground (the group emptied meanwhile)
  kDropped,       // a stop to an orphaned group, which no process would continue
  kNoJobControl,  // a stop while no process does job control: mkh is to stop as a whole
};
// Sends the signal `linux_signal` (Linux's number) from a kernel thread to the foreground
// process group of the machine's terminal (proc/groups.hpp), as a terminal sends its
// interrupt (SIGINT), quit (SIGQUIT) and suspend (SIGTSTP): `mkh exec` relays the host's so.
// The group's members are those there were when it began (one that ends meanwhile is passed
// over). Not in a deterministic machine (kInval).
Result<TerminalSignal> signal_terminal(Machine& machine, uint32_t linux_signal);

}  // namespace mkh
