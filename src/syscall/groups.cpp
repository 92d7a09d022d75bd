// setpgid, getpgid, setsid and getsid (proc/groups.hpp; docs/decisions.md "Process groups
// and sessions"), with Linux's answers. Layer: syscall.
#include "proc/groups.hpp"
#include "syscall/call.hpp"

namespace mkh::syscall {

namespace {
// A pid argument: 0 names the caller; a negative one names no process.
Result<uint32_t> pid_named(const Call& call, uint32_t argument) {
  if (int32_t(argument) < 0) return error(Errno::kSrch);
  return argument == 0 ? call.process->m_pid : argument;
}
}  // namespace

Answer sys_setpgid(Call& call) {
  if (int32_t(call.a[1]) < 0) return error(Errno::kInval);
  const uint32_t pid = TRY(pid_named(call, call.a[0]));
  TRY(proc::process_set_group(call.process, pid, call.a[1] == 0 ? pid : call.a[1]));
  return 0;
}

Answer sys_getpgid(Call& call) {
  const uint32_t pid = TRY(pid_named(call, call.a[0]));
  return TRY(proc::process_ids(call.process, pid)).pgid;
}

Answer sys_getsid(Call& call) {
  const uint32_t pid = TRY(pid_named(call, call.a[0]));
  return TRY(proc::process_ids(call.process, pid)).sid;
}

Answer sys_setsid(Call& call) { return proc::process_new_session(call.process); }

}  // namespace mkh::syscall
