// `mkh exec`'s work in the machine: the first process. Layer: boot. Calls proc.
#include "mkh/exec.hpp"

#include <cstring>
#include <deque>

#include <fmt/format.h>

#include "boot/files.hpp"
#include "hal/cpu.hpp"
#include "kern/thread.hpp"
#include "mm/kmem.hpp"
#include "proc/exec.hpp"
#include "proc/groups.hpp"
#include "proc/process.hpp"
#include "proc/services.hpp"

namespace mkh {

namespace {

constexpr uint32_t kInfoOrder = 2;
static_assert(sizeof(proc::ExecInfo) <= (hal::kPageSize << kInfoOrder));

Result<ExecOutcome, Error> exec_in_kernel(const ExecRequest& request) {
  auto block = TRY(mm::PageBlock::alloc(kInfoOrder));
  auto* info = new (block.base()) proc::ExecInfo();
  if (request.path.size() >= proc::kExecPathMax)
    return error(Errno::kNameTooLong, "{}: the path is longer than {} bytes", request.path, proc::kExecPathMax - 1);
  std::memcpy(info->path, request.path.c_str(), request.path.size() + 1);
  for (const std::string& arg : request.argv)
    if (!proc::exec_info_add(info, arg.c_str(), false))
      return error(Errno::k2Big, "{}: the arguments pass {} bytes or {} strings", request.path, proc::kExecStringsMax,
                   proc::kExecArgsMax);
  for (const std::string& variable : request.env)
    if (!proc::exec_info_add(info, variable.c_str(), true))
      return error(Errno::k2Big, "{}: the environment passes {} bytes or {} strings", request.path,
                   proc::kExecStringsMax, proc::kExecArgsMax);
  proc::Process* process = TRY(proc::process_create(0));
  proc::terminal_attach(process->m_pid);  // the terminal is its session's
  process->m_syscall_trace =
      (request.trace_syscalls ? proc::kTraceCalls : 0) | (request.trace_faults ? proc::kTraceFaults : 0);
  info->pid = process->m_pid;
  process->m_waiter = kern::thread_current_xptr();
  if (auto made =
          proc::rpc_process_make_exec_client(hal::local_cxy(), hal::Xptr<proc::ExecInfo>(hal::local_cxy(), info));
      !made) {
    proc::process_destroy(process);
    return error(made.error(), "{}: {} ({})", request.path, errno_name(made.error()), std::strerror(int(made.error())));
  }
  proc::process_wait_end(process);
  ExecOutcome outcome{.exit_code = process->m_exit_code,
                      .signal = process->m_exit_signal,
                      .instructions = process->m_instructions,
                      .syscalls = process->m_syscalls};
  proc::process_destroy(process);
  return outcome;
}

}  // namespace

Result<TerminalSignal> signal_terminal(Machine& machine, uint32_t linux_signal) {
  if (machine.config().deterministic) return error(Errno::kInval);
  Result<proc::TerminalSignal> sent = error(Errno::kCanceled);
  TRY(boot::run_in_kernel(machine.clusters().front(),
                          [&sent, linux_signal] { sent = proc::terminal_signal(linux_signal); }));
  switch (TRY(sent)) {
    case proc::TerminalSignal::kSent: return TerminalSignal::kSent;
    case proc::TerminalSignal::kNoForeground: return TerminalSignal::kNoForeground;
    case proc::TerminalSignal::kDropped: return TerminalSignal::kDropped;
    case proc::TerminalSignal::kNoJobControl: return TerminalSignal::kNoJobControl;
  }
  return error(Errno::kInval);
}

Result<ExecOutcome, Error> run_exec(Machine& machine, const ExecRequest& request) {
  return std::move(run_execs(machine, std::span(&request, 1)).front());
}

std::vector<Result<ExecOutcome, Error>> run_execs(Machine& machine, std::span<const ExecRequest> requests) {
  const std::vector<uint32_t>& clusters = machine.clusters();
  std::vector<Result<ExecOutcome, Error>> outcomes(requests.size(), error(Error(Errno::kCanceled, "not run")));
  std::deque<boot::KernelWork> works;
  for (std::size_t i = 0; i < requests.size(); ++i) {
    boot::KernelWork& work = works.emplace_back();
    work.work = [&outcomes, &requests, i] { outcomes[i] = exec_in_kernel(requests[i]); };
    const uint32_t cxy = clusters[clusters.size() - 1 - i % clusters.size()];
    if (auto started = boot::start_in_kernel(cxy, work); !started) {
      outcomes[i] = error(started.error(), "{}: no kernel thread for its exec", requests[i].path);
      work.done.store(true);
    }
  }
  for (const boot::KernelWork& work : works) boot::wait_for_kernel(work.done);
  return outcomes;
}

}  // namespace mkh
