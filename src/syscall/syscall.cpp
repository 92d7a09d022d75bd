// The system-call table and the calls of processes, memory and time. Layer: syscall.
#include "syscall/syscall.hpp"

#include <sys/random.h>
#include <time.h>

#include <algorithm>
#include <array>
#include <cstring>

#include <string>
#include <utility>

#include <fmt/format.h>

#include "dev/txt.hpp"
#include "hal/clock.hpp"
#include "hal/remote.hpp"
#include "kern/cluster.hpp"
#include "kern/sched.hpp"
#include "kern/timer.hpp"
#include "proc/services.hpp"
#include "rpc/services/pmem.hpp"
#include "rpc/services/sched.hpp"
#include "rpc/services/thread.hpp"
#include "syscall/call.hpp"
#include "syscall/numbers.hpp"
#include "syscall/trace.hpp"

namespace mkh::syscall {

Result<int64_t> timespec_ns_from_user(Call& call, uint32_t address) {
  uint8_t in[16];
  TRY(proc::copy_from_user(call.process, in, address, sizeof in));
  int64_t seconds = 0;
  int32_t nanoseconds = 0;
  std::memcpy(&seconds, in, 8);
  std::memcpy(&nanoseconds, in + 8, 4);
  if (seconds < 0 || nanoseconds < 0 || nanoseconds >= 1'000'000'000) return error(Errno::kInval);
  if (seconds > (INT64_MAX - nanoseconds) / 1'000'000'000) return INT64_MAX;
  return seconds * 1'000'000'000 + nanoseconds;
}

// A 64-bit tv_sec, a 32-bit tv_nsec and 4 bytes of padding.
Result<void> timespec_to_user(Call& call, uint32_t address, const timespec& time) {
  uint8_t out[16] = {};
  const int64_t seconds = time.tv_sec;
  const int32_t nanoseconds = int32_t(time.tv_nsec);
  std::memcpy(out, &seconds, 8);
  std::memcpy(out + 8, &nanoseconds, 4);
  return proc::copy_to_user(call.process, address, out, sizeof out);
}

int64_t deadline_after(clockid_t clock, int64_t ns) {
  const int64_t now_ns = hal::clock_ns(clock);
  return ns > INT64_MAX - now_ns ? INT64_MAX : now_ns + ns;
}

Answer rusage_to_user(Call& call, uint32_t address, const proc::CpuTime& time) {
  const uint64_t user_ns = time.user_ns();
  uint32_t fields[18] = {uint32_t(user_ns / 1'000'000'000), uint32_t(user_ns % 1'000'000'000 / 1000),
                         uint32_t(time.sys_ns / 1'000'000'000), uint32_t(time.sys_ns % 1'000'000'000 / 1000)};
  static_assert(sizeof fields == 72);
  TRY(proc::copy_to_user(call.process, address, fields, sizeof fields));
  return 0;
}

bool sleep_for(Call& call, uint64_t ns) {
  const auto self = kern::thread_current_xptr();
  kern::Timer timer;
  kern::thread_block(self, kern::THREAD_BLOCKED_SLEEP);
  timer.arm(kern::ticks_from_now(ns), kern::THREAD_BLOCKED_SLEEP);
  // Blocked before the look: process_make_exit's wake-up, or a signal's, after it is not lost.
  const bool interrupted = proc::wait_interrupted(call.process);
  if (interrupted) (void)kern::thread_unblock(self, kern::THREAD_BLOCKED_SLEEP);
  else kern::sched_yield();
  return !interrupted;
}

namespace {

using Handler = Answer (*)(Call& call);

Answer sys_getpid(Call& call) { return call.process->m_pid; }
Answer sys_getppid(Call& call) { return call.process->m_ppid; }

// getrandom(2): the host's random bytes, 256 at a time; at most 33,554,431 a call, as
// Linux. A fault after some bytes answers the bytes copied; before any, EFAULT.
Answer sys_getrandom(Call& call) {
  constexpr uint32_t kNonBlock = 1, kRandom = 2, kInsecure = 4, kMax = (1u << 25) - 1;
  const uint32_t flags = call.a[2];
  if ((flags & ~(kNonBlock | kRandom | kInsecure)) != 0 || (flags & (kRandom | kInsecure)) == (kRandom | kInsecure))
    return error(Errno::kInval);
  const uint32_t wanted = std::min(call.a[1], kMax);
  uint8_t bytes[256];
  uint32_t done = 0;
  while (done < wanted) {
    const uint32_t chunk = std::min<uint32_t>(wanted - done, sizeof bytes);
    if (::getrandom(bytes, chunk, 0) != ssize_t(chunk)) return done > 0 ? Answer(done) : error(Errno::kIo);
    if (!proc::copy_to_user(call.process, call.a[0] + done, bytes, chunk)) {
      if (done > 0) return done;
      return error(Errno::kFault);
    }
    done += chunk;
  }
  return done;
}

// A process of mkh is root: user and group 0, real and effective.
Answer sys_user_or_group_id(Call&) { return 0; }

// The process's (its threads share it): one atomic exchange.
Answer sys_umask(Call& call) {
  return hal::remote_exchange(proc::process_reference(call.process).field(&proc::Process::m_umask), call.a[0] & 0777);
}

Answer sys_sched_yield(Call&) {
  kern::sched_yield();
  return 0;
}

// The instruction stream sees the caller's earlier stores (fence.i's work for a range): the
// calling thread's decoded code is dropped, and with flags 0 every other thread's too, before
// it runs user code again after a scheduling point. Flags as Linux: 0 or
// SYS_RISCV_FLUSH_ICACHE_LOCAL (1); others EINVAL.
Answer sys_riscv_flush_icache(Call& call) {
  constexpr uint32_t kLocal = 1;
  if ((call.a[2] & ~kLocal) != 0) return error(Errno::kInval);
  call.thread->m_code.drop_all();
  if ((call.a[2] & kLocal) == 0) proc::user_shootdown(call.process, call.thread);
  return 0;
}

Answer sys_uname(Call& call) {
  // struct utsname: six fields of 65 bytes.
  char fields[6][65] = {"Linux", "mkh", "6.1.0-mkh", ("mkh " MKH_VERSION), "riscv32", "(none)"};
  TRY(proc::copy_to_user(call.process, call.a[0], fields, sizeof fields));
  return 0;
}

constexpr uint32_t kProtSem = 0x8;  // PROT_SEM: atomics work on every mapping here

Answer sys_brk(Call& call) {
  proc::TlbShootdown shootdown{call.process, call.thread};
  return vmm::vmm_brk(&call.process->m_vmm, call.a[0], proc::user_flush_page, &shootdown);
}

Answer sys_mmap2(Call& call) {
  enum : uint32_t { MAP_SHARED = 0x01, MAP_PRIVATE = 0x02, MAP_FIXED = 0x10, MAP_ANONYMOUS = 0x20 };
  const uint32_t flags = call.a[3];
  if (call.a[1] == 0 || (flags & (MAP_SHARED | MAP_PRIVATE)) == 0 || (call.a[2] & ~(7u | kProtSem)) != 0)
    return error(Errno::kInval);
  const MapRequest request{call.a[0], call.a[1], call.a[2] & 7u,
                           (flags & MAP_FIXED) != 0 ? vmm::Placement::kFixed : vmm::Placement::kHint,
                           (flags & MAP_SHARED) != 0};
  // MAP_SHARED of anonymous memory: its pages shared with the children forked from now on.
  if ((flags & MAP_ANONYMOUS) == 0) return map_file(call, request, int32_t(call.a[4]), call.a[5]);
  return map_request(call, request, {}, 0, 0);
}

Answer sys_munmap(Call& call) {
  proc::TlbShootdown shootdown{call.process, call.thread};
  TRY(vmm::vmm_munmap(&call.process->m_vmm, call.a[0], call.a[1], proc::user_flush_page, &shootdown));
  proc::release_unmapped_files(call.process);
  return 0;
}

Answer sys_mprotect(Call& call) {
  if ((call.a[2] & ~(7u | kProtSem)) != 0) return error(Errno::kInval);
  proc::TlbShootdown shootdown{call.process, call.thread};
  TRY(vmm::vmm_mprotect(&call.process->m_vmm, call.a[0], call.a[1], call.a[2] & 7u, proc::user_flush_page, &shootdown));
  return 0;
}

// Linux's clock ids as the host clocks that give them. Process and thread CPU time are read
// from the threads (proc::process_cpu_time, proc::user_cpu_time); a sleep on the process's CPU
// clock waits on the machine's time. CLOCK_BOOTTIME is the machine's: the host's monotonic
// clock less its value when the machine booted (machine_origin_ns), so that it counts the
// machine's uptime, as sysinfo does, and not the host's.
constexpr uint32_t kBootClock = 7;
Result<clockid_t> host_clock(uint32_t id) {
  switch (id) {
    case 0: return CLOCK_REALTIME;
    case 1: return CLOCK_MONOTONIC;
    case 2:
    case 3: return CLOCK_MONOTONIC;
    case 4: return CLOCK_MONOTONIC_RAW;
    case 5: return CLOCK_REALTIME_COARSE;
    case 6: return CLOCK_MONOTONIC_COARSE;
    case kBootClock: return CLOCK_MONOTONIC;
    case 11: return CLOCK_TAI;
    default: return error(Errno::kInval);
  }
}
// What the clock `id` reads less than the host clock that gives it.
int64_t machine_origin_ns(uint32_t id) { return id == kBootClock ? kern::local_cluster()->m_boot_ns : 0; }

// The process's and the thread's CPU-time clocks.
constexpr uint32_t kProcessCpuClock = 2;  // CLOCK_PROCESS_CPUTIME_ID; 3 is the thread's
bool is_cpu_clock(uint32_t id) { return id == kProcessCpuClock || id == 3; }

// times(2): the process's user and system time, and its waited children's, in Linux's
// USER_HZ (100 a second) as 32-bit clock_t; answers the monotonic clock in the same unit
// (wrapping, as Linux's clock_t).
Answer sys_times(Call& call) {
  constexpr uint64_t kNsPerTick = 10'000'000;
  if (call.a[0] != 0) {
    const proc::CpuTime self = proc::process_cpu_time(call.thread);
    const proc::CpuTime children = proc::children_cpu_time(call.thread);
    const uint32_t fields[4] = {uint32_t(self.user_ns() / kNsPerTick), uint32_t(self.sys_ns / kNsPerTick),
                                uint32_t(children.user_ns() / kNsPerTick), uint32_t(children.sys_ns / kNsPerTick)};
    TRY(proc::copy_to_user(call.process, call.a[0], fields, sizeof fields));
  }
  return uint32_t(uint64_t(hal::clock_ns(CLOCK_MONOTONIC)) / kNsPerTick);
}

// getrusage(2): RUSAGE_SELF (0), RUSAGE_CHILDREN (-1, those waited for) or RUSAGE_THREAD (1);
// the two times alone, the other fields 0 (rusage_to_user).
Answer sys_getrusage(Call& call) {
  enum : int32_t { kSelf = 0, kChildren = -1, kThread = 1 };
  switch (int32_t(call.a[0])) {
    case kSelf: return rusage_to_user(call, call.a[1], proc::process_cpu_time(call.thread));
    case kChildren: return rusage_to_user(call, call.a[1], proc::children_cpu_time(call.thread));
    case kThread: return rusage_to_user(call, call.a[1], proc::user_cpu_time(call.thread));
    default: return error(Errno::kInval);
  }
}

Answer sys_clock_gettime64(Call& call) {
  const clockid_t clock = TRY(host_clock(call.a[0]));
  int64_t ns = 0;
  if (!is_cpu_clock(call.a[0])) ns = hal::clock_ns(clock) - machine_origin_ns(call.a[0]);
  else if (call.a[0] == kProcessCpuClock) ns = int64_t(proc::process_cpu_time(call.thread).ns);
  else ns = int64_t(proc::user_cpu_time(call.thread).ns);
  const timespec now{.tv_sec = time_t(ns / 1'000'000'000), .tv_nsec = long(ns % 1'000'000'000)};
  TRY(timespec_to_user(call, call.a[1], now));
  return 0;
}

// The host's resolution of the clock that gives the id; the CPU-time clocks count host
// nanoseconds, 1 ns, as Linux's high-resolution clocks answer. No place to write it is fine.
Answer sys_clock_getres_time64(Call& call) {
  const clockid_t clock = TRY(host_clock(call.a[0]));
  timespec resolution{0, 1};
  if (!is_cpu_clock(call.a[0])) clock_getres(clock, &resolution);
  if (call.a[1] != 0) TRY(timespec_to_user(call, call.a[1], resolution));
  return 0;
}

Answer sys_clock_nanosleep_time64(Call& call) {
  constexpr uint32_t kTimerAbsolute = 1;  // TIMER_ABSTIME
  // Linux sleeps on these; the thread's CPU time and the raw and coarse clocks cannot
  // (EOPNOTSUPP), other ids are no clock (EINVAL).
  const uint32_t id = call.a[0];
  if (id == 3 || id == 4 || id == 5 || id == 6) return error(Errno::kNotSup);
  if (id != 0 && id != 1 && id != 2 && id != 7 && id != 11) return error(Errno::kInval);
  const clockid_t clock = TRY(host_clock(id));
  int64_t deadline = TRY(timespec_ns_from_user(call, call.a[2]));
  if ((call.a[1] & kTimerAbsolute) == 0) deadline = deadline_after(clock, deadline);
  else deadline += machine_origin_ns(id);
  for (;;) {
    const int64_t left = deadline - hal::clock_ns(clock);
    if (left <= 0) return 0;
    if (!sleep_for(call, uint64_t(left))) {
      // Interrupted: a relative sleep tells what was left of it (Linux's rem), then EINTR.
      if ((call.a[1] & kTimerAbsolute) == 0 && call.a[3] != 0) {
        const int64_t rest = std::max<int64_t>(0, deadline - hal::clock_ns(clock));
        TRY(timespec_to_user(call, call.a[3],
                             timespec{.tv_sec = rest / 1'000'000'000, .tv_nsec = rest % 1'000'000'000}));
      }
      return error(Errno::kIntr);
    }
  }
}

// mkh's own calls.
// display(kind, arg0, arg1): kind 0, the scheduler of core arg1 of cluster arg0 (SCHED_DISPLAY
// on that cluster); kind 1, the calling process's vsegs. Both print on the kernel console
// (TXT0: the host's stderr under mkh exec).
Answer sys_mkh_display(Call& call) {
  enum : uint32_t { kDisplaySched = 0, kDisplayVsegs = 1 };
  switch (call.a[0]) {
    case kDisplaySched: {
      const uint32_t cxy = call.a[1];
      if (!hal::cluster_present(cxy)) return error(Errno::kInval);
      TRY(rpc::rpc_sched_display_client(hal::cxy_t(cxy), hal::lid_t(call.a[2])));
      return 0;
    }
    case kDisplayVsegs: {
      std::string text = fmt::format("process {:#x}: vsegs\n", call.process->m_pid);
      vmm::vmm_for_each_vseg(
          &call.process->m_vmm,
          [](const vmm::Vseg& vseg, void* out) {
            *static_cast<std::string*>(out) +=
                fmt::format("  {:#010x}-{:#010x} {:<6} {}{}{} cluster {:#x}\n", vseg.m_base, vseg.end(),
                            vmm::vseg_type_name(vseg.m_type), (vseg.m_prot & vmm::VSEG_READ) != 0 ? 'r' : '-',
                            (vseg.m_prot & vmm::VSEG_WRITE) != 0 ? 'w' : '-',
                            (vseg.m_prot & vmm::VSEG_EXEC) != 0 ? 'x' : '-', vseg.m_cxy);
          },
          &text);
      (void)dev::txt_print(0, text);
      return 0;
    }
    default: return error(Errno::kInval);
  }
}

Answer sys_mkh_get_config(Call& call) {
  const Topology& topology = kern::local_cluster()->m_topology;
  const uint32_t values[3] = {topology.x_size, topology.y_size, topology.cores_per_cluster};
  for (uint32_t i = 0; i < 3; ++i) TRY(proc::copy_to_user(call.process, call.a[i], &values[i], 4));
  return 0;
}
Answer sys_mkh_get_core(Call& call) {
  const uint32_t cxy = hal::local_cxy();
  const uint32_t lid = call.thread->m_thread->m_lid;
  TRY(proc::copy_to_user(call.process, call.a[0], &cxy, 4));
  TRY(proc::copy_to_user(call.process, call.a[1], &lid, 4));
  return 0;
}
Answer sys_mkh_get_cycle(Call& call) {
  const uint64_t cycles = uint64_t(hal::clock_ns(CLOCK_MONOTONIC));  // a 1 GHz clock
  TRY(proc::copy_to_user(call.process, call.a[0], &cycles, 8));
  return 0;
}

// process_info(cxy, index, info): the first process cluster `cxy` owns at local index `index`
// or after it (MKH_PROCESS_INFO), into the user's struct mkh_process (user/include/mkh.h):
// pid, ppid, threads, copies, state, CPU time in milliseconds (six words), then the name (16
// bytes). EINVAL for a cluster the machine has not, ESRCH when it owns no process there.
Answer sys_mkh_process_info(Call& call) {
  const uint32_t cxy = call.a[0];
  if (!hal::cluster_present(cxy)) return error(Errno::kInval);
  const auto [pid, ppid, threads, copies, state, comm0, comm1, cpu_ns] =
      TRY(rpc::rpc_call<rpc::RPC_MKH_PROCESS_INFO>(hal::cxy_t(cxy), call.a[1]));
  struct {
    uint32_t words[6];
    char name[16];
  } info{{pid, ppid, threads, copies, uint32_t(state), uint32_t(std::min<uint64_t>(cpu_ns / 1'000'000, UINT32_MAX))},
         {}};
  static_assert(sizeof info == 40);
  std::memcpy(info.name, &comm0, 8);
  std::memcpy(info.name + 8, &comm1, 8);
  TRY(proc::copy_to_user(call.process, call.a[2], &info, sizeof info));
  return 0;
}

// memory_info(cxy, info): cluster `cxy`'s memory bank (MKH_MEMORY_INFO there) into the user's
// struct mkh_memory (user/include/mkh.h): the page size, the bank's pages, those the kernel's
// data reserves, those free. EINVAL for a cluster the machine has not.
Answer sys_mkh_memory_info(Call& call) {
  const uint32_t cxy = call.a[0];
  if (!hal::cluster_present(cxy)) return error(Errno::kInval);
  const auto [total, reserved, free] = TRY(rpc::rpc_call<rpc::RPC_MKH_MEMORY_INFO>(hal::cxy_t(cxy)));
  const uint32_t info[4] = {uint32_t(hal::kPageSize), uint32_t(total), uint32_t(reserved), uint32_t(free)};
  TRY(proc::copy_to_user(call.process, call.a[1], info, sizeof info));
  return 0;
}

// sysinfo(2), Linux's struct sysinfo of RV32: the machine's uptime (since its clusters
// booted, CLOCK_BOOTTIME's seconds), its load averages (the sum of every core's,
// kern/loadavg.hpp, x 2^16), its memory (every bank's pages and free pages, by MKH_MEMORY_INFO
// on each cluster, in bytes; in pages of mem_unit bytes past 4 GiB; no shared, buffer, swap
// or high memory counted) and its threads (every core's, the kernel's included, as Linux
// counts its tasks).
Answer sys_sysinfo(Call& call) {
  const Topology& topology = kern::local_cluster()->m_topology;
  const uint64_t now = hal::ticks();
  uint64_t loads[3] = {}, total_pages = 0, free_pages = 0, threads = 0;
  for (uint32_t x = 0; x < topology.x_size; ++x)
    for (uint32_t y = 0; y < topology.y_size; ++y) {
      const hal::cxy_t cxy = hal::make_cxy(x, y);
      const auto [total, reserved, free] = TRY(rpc::rpc_call<rpc::RPC_MKH_MEMORY_INFO>(cxy));
      (void)reserved;
      total_pages += total;
      free_pages += free;
      for (hal::lid_t lid = 0; lid < topology.cores_per_cluster; ++lid) {
        const auto core = kern::core_xptr(cxy, lid);
        uint32_t averages[3];
        kern::load_read(core.field(&kern::Core::m_load), now, averages);
        for (uint32_t i = 0; i < 3; ++i) loads[i] += averages[i];
        threads += hal::remote_load(core.field(&kern::Core::m_sched).field(&kern::Sched::m_threads_nr));
      }
    }
  uint32_t unit = 1;
  if (total_pages * hal::kPageSize > UINT32_MAX) unit = uint32_t(hal::kPageSize);
  const auto in_units = [unit](uint64_t pages) { return uint32_t(pages * (hal::kPageSize / unit)); };
  struct {
    int32_t uptime;
    uint32_t loads[3];
    uint32_t totalram, freeram, sharedram, bufferram, totalswap, freeswap;
    uint16_t procs, pad;
    uint32_t totalhigh, freehigh, mem_unit;
    char reserved[8];
  } info{};
  static_assert(sizeof info == 64);
  info.uptime = int32_t((hal::clock_ns(CLOCK_MONOTONIC) - machine_origin_ns(kBootClock)) / 1'000'000'000);
  for (uint32_t i = 0; i < 3; ++i)
    info.loads[i] = uint32_t(std::min<uint64_t>(loads[i] << (16 - kern::kLoadShift), UINT32_MAX));
  info.totalram = in_units(total_pages);
  info.freeram = in_units(free_pages);
  info.procs = uint16_t(std::min<uint64_t>(threads, UINT16_MAX));
  info.mem_unit = unit;
  TRY(proc::copy_to_user(call.process, call.a[0], &info, sizeof info));
  return 0;
}

Answer sys_exit_group(Call& call) {
  proc::process_make_exit(call.process, call.a[0], 0);
  return 0;
}

struct Entry {
  uint32_t number;
  Handler handler;
  TraceSpec trace;  // how the trace shows a call
};
constexpr Entry kTable[] = {
    {NR_getcwd, sys_getcwd, {"getcwd", "Su"}},
    {NR_sysinfo, sys_sysinfo, {"sysinfo", "p"}},
    {NR_dup, sys_dup, {"dup", "d"}},
    {NR_dup3, sys_dup3, {"dup3", "ddx"}},
    {NR_pipe2, sys_pipe2, {"pipe2", "px"}},
    {NR_fcntl64, sys_fcntl64, {"fcntl64", "ddx"}},
    {NR_ioctl, sys_ioctl, {"ioctl", "dxx"}},
    {NR_mkdirat, sys_mkdirat, {"mkdirat", "fso"}},
    {NR_unlinkat, sys_unlinkat, {"unlinkat", "fsx"}},
    {NR_truncate64, sys_truncate64, {"truncate64", "sxxx"}},
    {NR_ftruncate64, sys_ftruncate64, {"ftruncate64", "dxxx"}},
    {NR_faccessat, sys_faccessat, {"faccessat", "fso"}},
    {NR_chdir, sys_chdir, {"chdir", "s"}},
    {NR_fchdir, sys_fchdir, {"fchdir", "d"}},
    {NR_openat, sys_openat, {"openat", "fsOo"}},
    {NR_close, sys_close, {"close", "d"}},
    {NR_getdents64, sys_getdents64, {"getdents64", "dpu"}},
    {NR_llseek, sys_llseek, {"llseek", "duupd"}},
    {NR_read, sys_read, {"read", "dru"}},
    {NR_write, sys_write, {"write", "dwu"}},
    {NR_readv, sys_readv, {"readv", "dpd"}},
    {NR_writev, sys_writev, {"writev", "dpd"}},
    {NR_pread64, sys_pread64, {"pread64", "druxx"}},
    {NR_pwrite64, sys_pwrite64, {"pwrite64", "dwuxx"}},
    {NR_sync, sys_sync, {"sync", ""}},
    {NR_fsync, sys_fsync, {"fsync", "d"}},
    {NR_fdatasync, sys_fsync, {"fdatasync", "d"}},
    {NR_exit, sys_exit, {"exit", "!d"}},
    {NR_exit_group, sys_exit_group, {"exit_group", "!d"}},
    {NR_waitid, sys_waitid, {"waitid", "dupxp"}},
    {NR_set_tid_address, sys_set_tid_address, {"set_tid_address", "p"}},
    {NR_getitimer, sys_getitimer, {"getitimer", "dp"}},
    {NR_setitimer, sys_setitimer, {"setitimer", "dpp"}},
    {NR_futex_time64, sys_futex_time64, {"futex_time64", "pdupxx"}},
    {NR_clone, sys_clone, {"clone", "xpppp"}},
    {NR_execve, sys_execve, {"execve", "sve"}},
    {NR_sched_yield, sys_sched_yield, {"sched_yield", ""}},
    {NR_kill, sys_kill, {"kill", "dg"}},
    {NR_tkill, sys_tkill, {"tkill", "dg"}},
    {NR_tgkill, sys_tgkill, {"tgkill", "ddg"}},
    {NR_rt_sigaction, sys_rt_sigaction, {"rt_sigaction", "gppu"}},
    {NR_rt_sigprocmask, sys_rt_sigprocmask, {"rt_sigprocmask", "dppu"}},
    {NR_sigaltstack, sys_sigaltstack, {"sigaltstack", "pp"}},
    {NR_rt_sigsuspend, sys_rt_sigsuspend, {"rt_sigsuspend", "pu"}},
    {NR_rt_sigtimedwait_time64, sys_rt_sigtimedwait_time64, {"rt_sigtimedwait_time64", "pppu"}},
    {NR_rt_sigreturn, sys_rt_sigreturn, {"rt_sigreturn", "!"}},
    {NR_rt_sigpending, sys_rt_sigpending, {"rt_sigpending", "pu"}},
    {NR_uname, sys_uname, {"uname", "p"}},
    {NR_times, sys_times, {"times", "p"}},
    {NR_getrusage, sys_getrusage, {"getrusage", "dp"}},
    {NR_umask, sys_umask, {"umask", "o"}},
    {NR_getpid, sys_getpid, {"getpid", ""}},
    {NR_getppid, sys_getppid, {"getppid", ""}},
    {NR_setpgid, sys_setpgid, {"setpgid", "dd"}},
    {NR_getpgid, sys_getpgid, {"getpgid", "d"}},
    {NR_getsid, sys_getsid, {"getsid", "d"}},
    {NR_setsid, sys_setsid, {"setsid", ""}},
    {NR_getuid, sys_user_or_group_id, {"getuid", ""}},
    {NR_geteuid, sys_user_or_group_id, {"geteuid", ""}},
    {NR_getgid, sys_user_or_group_id, {"getgid", ""}},
    {NR_getegid, sys_user_or_group_id, {"getegid", ""}},
    {NR_gettid, sys_gettid, {"gettid", ""}},
    {NR_brk, sys_brk, {"brk", "p>p"}},
    {NR_munmap, sys_munmap, {"munmap", "pu"}},
    {NR_mmap2, sys_mmap2, {"mmap2", "puxxdx>p"}},
    {NR_mprotect, sys_mprotect, {"mprotect", "pux"}},
    {NR_riscv_flush_icache, sys_riscv_flush_icache, {"riscv_flush_icache", "ppx"}},
    {NR_renameat2, sys_renameat2, {"renameat2", "fsfsx"}},
    {NR_getrandom, sys_getrandom, {"getrandom", "pux"}},
    {NR_statx, sys_statx, {"statx", "fsxxp"}},
    {NR_statfs64, sys_statfs64, {"statfs64", "sup"}},
    {NR_fstatfs64, sys_fstatfs64, {"fstatfs64", "dup"}},
    {NR_clock_gettime64, sys_clock_gettime64, {"clock_gettime64", "dp"}},
    {NR_clock_getres_time64, sys_clock_getres_time64, {"clock_getres_time64", "dp"}},
    {NR_clock_nanosleep_time64, sys_clock_nanosleep_time64, {"clock_nanosleep_time64", "dxpp"}},
    {NR_pselect6_time64, sys_pselect6_time64, {"pselect6_time64", "dppppp"}},
    {NR_ppoll_time64, sys_ppoll_time64, {"ppoll_time64", "puppu"}},
    {NR_utimensat_time64, sys_utimensat_time64, {"utimensat_time64", "fspx"}},
    {NR_faccessat2, sys_faccessat2, {"faccessat2", "fsox"}},
    {NR_mkh_display, sys_mkh_display, {"mkh_display", "ddd"}},
    {NR_mkh_get_config, sys_mkh_get_config, {"mkh_get_config", "ppp"}},
    {NR_mkh_get_core, sys_mkh_get_core, {"mkh_get_core", "pp"}},
    {NR_mkh_get_cycle, sys_mkh_get_cycle, {"mkh_get_cycle", "p"}},
    {NR_mkh_place_thread, sys_mkh_place_thread, {"mkh_place_thread", "xd"}},
    {NR_mkh_place_fork, sys_mkh_place_fork, {"mkh_place_fork", "x"}},
    {NR_mkh_process_info, sys_mkh_process_info, {"mkh_process_info", "xup"}},
    {NR_mkh_memory_info, sys_mkh_memory_info, {"mkh_memory_info", "xp"}},
    {NR_mkh_trace, sys_mkh_trace, {"mkh_trace", "d"}},
};

// The calls by number: Linux's numbers below kLinuxLimit, mkh's from 1024.
constexpr uint32_t kLinuxLimit = 512;
constexpr uint32_t kPrivateBase = 1024, kPrivateLimit = 1040;
constexpr auto kByNumber = [] {
  std::array<const Entry*, kLinuxLimit + (kPrivateLimit - kPrivateBase)> table{};
  for (const Entry& entry : kTable)
    table[entry.number < kLinuxLimit ? entry.number : kLinuxLimit + entry.number - kPrivateBase] = &entry;
  return table;
}();

const Entry* entry_of(uint32_t number) {
  if (number < kLinuxLimit) return kByNumber[number];
  if (number >= kPrivateBase && number < kPrivateLimit) return kByNumber[kLinuxLimit + number - kPrivateBase];
  return nullptr;
}

// The calls that change the process's memory map, or show it, act on its reference's VMM; the
// interval timers are the reference's too, sent from its cluster.
bool acts_at_reference(uint32_t number) {
  return number == NR_brk || number == NR_mmap2 || number == NR_munmap || number == NR_mprotect ||
         number == NR_mkh_display || number == NR_setitimer || number == NR_getitimer;
}

// One of those calls made by a thread of a copy, run at the reference by a kernel thread of its
// cluster: the request, on the calling thread's stack, read and answered by remote access.
struct ReferenceCall {
  uint32_t pid = 0;
  uint32_t number = 0;
  uint32_t a[6] = {};
  uint32_t value = 0;          // the answer's a0,
  Errno failure = Errno::kOk;  // or its error
  uint32_t done = 0;           // a kern flag, posted by the kernel thread once the answer is written
  hal::Xptr<kern::Thread> waiter;
};

void reference_call_entry(void* raw) {
  const hal::Xptr<ReferenceCall> request(hal::xptr_t(reinterpret_cast<uintptr_t>(raw)));
  const ReferenceCall asked = hal::remote_read(request);
  // The process lives: the thread that asks is one of its threads, and waits.
  Call call{.thread = nullptr, .process = proc::process_lookup(asked.pid), .a = {}};
  std::copy(std::begin(asked.a), std::end(asked.a), call.a);
  const Answer answer = entry_of(asked.number)->handler(call);
  if (answer) hal::remote_store(request.field(&ReferenceCall::value), *answer);
  else hal::remote_store(request.field(&ReferenceCall::failure), answer.error());
  kern::thread_post_flag(request.field(&ReferenceCall::done), asked.waiter, kern::THREAD_BLOCKED_WAIT);
}

// Runs `call` (one acts_at_reference names, of a thread of a copy) at the reference and waits
// for its answer; the thread's TLB and decoded code are flushed before it runs user code again, as the
// reference's shootdown moved the epoch. A full FIFO or a lack of memory there is waited out
// (Linux's brk has no error to give), unless the process is ending (ENOMEM, never seen).
Answer at_reference(Call& call, uint32_t number) {
  ReferenceCall request;
  request.pid = call.process->m_pid;
  request.number = number;
  std::copy(std::begin(call.a), std::end(call.a), request.a);
  request.waiter = kern::thread_current_xptr();
  const hal::Xptr<ReferenceCall> xptr(hal::local_cxy(), &request);
  hal::publish_local(request);  // answered through `xptr`
  for (;;) {
    const auto made =
        rpc::rpc_thread_kernel_create_client(call.process->m_ref_cxy, kern::ThreadType::DEV, reference_call_entry,
                                             reinterpret_cast<void*>(uintptr_t(xptr.raw())));
    if (made) break;
    if ((made.error() != Errno::kAgain && made.error() != Errno::kNoMem) || proc::process_ending(call.process))
      return error(Errno::kNoMem);
    kern::sched_yield();
  }
  kern::thread_wait_flag(xptr.field(&ReferenceCall::done), kern::THREAD_BLOCKED_WAIT);
  if (const Errno failure = hal::remote_load(xptr.field(&ReferenceCall::failure)); failure != Errno::kOk)
    return error(failure);
  return hal::remote_load(xptr.field(&ReferenceCall::value));
}

}  // namespace

void syscall_dispatch(proc::UserThread* thread) {
  user::Context& context = thread->m_context;
  Call call{.thread = thread, .process = thread->m_process, .a = {}};
  for (uint32_t i = 0; i < 6; ++i) call.a[i] = context.x[10 + i];
  const uint32_t number = context.x[17];
  const Entry* entry = entry_of(number);
  const bool trace = traced(thread);
  const TraceSpec* spec = entry != nullptr ? &entry->trace : nullptr;
  std::string line = trace ? trace_begin(call, number, spec) : std::string();
  const int64_t start_ns = trace ? hal::clock_ns(CLOCK_MONOTONIC) : 0;
  Answer answer = error(Errno::kNoSys);
  if (entry == nullptr) hal::stat_add(proc::local_proc()->m_unknown_syscalls, uint64_t(1));
  else if (!call.process->m_reference.is_null() && acts_at_reference(number)) answer = at_reference(call, number);
  else answer = entry->handler(call);
  if (trace) trace_end(call, spec, std::move(line), answer, hal::clock_ns(CLOCK_MONOTONIC) - start_ns);
  if (call.context_set) return;
  // A wait a signal interrupted (EINTR, the process not ending): the signal's delivery decides
  // whether the call starts again (signals_deliver). A sleep, a futex wait with a timeout,
  // sigsuspend, ppoll, pselect6 and rt_sigtimedwait answer EINTR whenever a handler ran (Linux's
  // -ERESTART_RESTARTBLOCK and -ERESTARTNOHAND), the others start again under SA_RESTART
  // (-ERESTARTSYS).
  if (!answer && answer.error() == Errno::kIntr && !proc::process_ending(call.process) &&
      hal::local_load(thread->m_signal_kick, std::memory_order_seq_cst) != 0) {
    const bool sleep = number == NR_clock_nanosleep_time64 || number == NR_rt_sigsuspend || number == NR_ppoll_time64 ||
                       number == NR_pselect6_time64 || number == NR_rt_sigtimedwait_time64 ||
                       (number == NR_futex_time64 && call.a[3] != 0);
    thread->m_restart = sleep ? proc::SyscallRestart::kEintr : proc::SyscallRestart::kRestartable;
    thread->m_restart_a0 = call.a[0];
  }
  context.x[10] = answer ? *answer : uint32_t(-int32_t(answer.error()));
  context.pc += 4;
}

void syscall_init() {
  proc::set_syscall_handler(syscall_dispatch);
  proc::set_signal_handler(signal_from_other);
  proc::set_signal_hooks(
      {.deliver = signals_deliver, .signal_return = signals_return, .fault = signals_fault, .leave = signals_leave});
}

}  // namespace mkh::syscall
