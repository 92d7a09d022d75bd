// Processes: table, creation, end, wait, file descriptors. Layer: proc.
#include "proc/process.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <new>
#include <span>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "dev/txt.hpp"
#include "fs/vfs/vfs.hpp"
#include "hal/clock.hpp"
#include "hal/remote.hpp"
#include "kern/cluster.hpp"
#include "mm/kmem.hpp"
#include "proc/alarm.hpp"
#include "proc/copy.hpp"
#include "proc/fork.hpp"
#include "proc/futex.hpp"
#include "proc/user_thread.hpp"

namespace mkh::proc {

ProcCluster* proc_cluster_at(hal::cxy_t cxy) { return hal::kdata_at<ProcCluster, hal::kProcDataLpa>(cxy); }

void proc_cluster_init(hal::cxy_t cxy, uint32_t translate_after) {
  ProcCluster* table = new (proc_cluster_at(cxy)) ProcCluster();
  table->m_translate_after = translate_after;
  for (CopyList& copies : table->m_copies) hal::xlist_root_init(hal::Xptr<hal::XlistEntry>(cxy, &copies.root));
}

namespace {

// The file table of a process (its reference's), locked while this lives: its entries,
// working directory and mapped files by remote access, from any cluster.
class FdTable {
 public:
  explicit FdTable(const Process* process) : FdTable(process_reference(process)) {}
  explicit FdTable(hal::Xptr<Process> reference)
      : m_process(reference), m_guard(m_process.field(&Process::m_fd_lock)) {}

  UserFd get(uint32_t fd) const { return hal::remote_read(slot(fd)); }
  void set(uint32_t fd, const UserFd& entry) { hal::remote_write(slot(fd), entry); }
  bool is_free(uint32_t fd) const { return hal::remote_load(slot(fd).field(&UserFd::kind)) == UserFd::Kind::kNone; }
  void set_flags(uint32_t fd, uint32_t flags) { hal::remote_store(slot(fd).field(&UserFd::flags), flags); }

  hal::Xptr<fs::File> cwd() const { return hal::remote_load(m_process.field(&Process::m_cwd_dir)); }
  hal::Xptr<fs::File> exchange_cwd(hal::Xptr<fs::File> dir) {
    return hal::remote_exchange(m_process.field(&Process::m_cwd_dir), dir);
  }

  hal::Xptr<fs::File> mapped(uint32_t i) const { return hal::remote_load(mapped_slot(i)); }
  void set_mapped(uint32_t i, hal::Xptr<fs::File> file) { hal::remote_store(mapped_slot(i), file); }

 private:
  hal::Xptr<UserFd> slot(uint32_t fd) const { return m_process.field(&Process::m_fds).as<UserFd>() + fd; }
  hal::Xptr<hal::Xptr<fs::File>> mapped_slot(uint32_t i) const {
    return m_process.field(&Process::m_mapped_files).as<hal::Xptr<fs::File>>() + i;
  }

  hal::Xptr<Process> m_process;
  hal::RemoteBusylockGuard m_guard;
};

bool fd_in_range(int32_t fd) { return fd >= 0 && uint32_t(fd) < kMaxFds; }

// Drops one reference to an open file; closes it at the last.
void file_release(hal::Xptr<fs::File> file) {
  if (hal::remote_atomic_add(file.field(&fs::File::m_refcount), uint32_t(-1)) == 1) (void)fs::vfs_close(file);
}

// The references to each adopted host descriptor (host_stream_adopt), by its host number.
std::atomic<uint32_t> g_host_stream_refs[kMaxHostStreams];

bool host_stream_adopted(int32_t host_fd) { return host_fd > 2 && host_fd < kMaxHostStreams; }

void host_stream_release(int32_t host_fd) {
  if (host_stream_adopted(host_fd) && g_host_stream_refs[host_fd].fetch_sub(1, std::memory_order_acq_rel) == 1)
    ::close(host_fd);
}

// One more reference to what a descriptor names (an open file, a pipe's end, an adopted host
// descriptor), from one held.
void entry_take(const UserFd& entry) {
  if (entry.kind == UserFd::Kind::kFile) hal::remote_atomic_add(entry.file.field(&fs::File::m_refcount), 1u);
  else if (entry.is_pipe()) pipe_take(entry.pipe, entry.pipe_end());
  else if (entry.kind == UserFd::Kind::kHost && host_stream_adopted(entry.host_fd))
    g_host_stream_refs[entry.host_fd].fetch_add(1, std::memory_order_relaxed);
}

// Drops the reference a descriptor held (a file closed, a pipe's end or a host descriptor let
// go at the last).
void entry_release(const UserFd& entry) {
  if (entry.kind == UserFd::Kind::kFile) file_release(entry.file);
  else if (entry.is_pipe()) pipe_release(entry.pipe, entry.pipe_end());
  else if (entry.kind == UserFd::Kind::kHost) host_stream_release(entry.host_fd);
}

// The address space, then the files it mapped: the program's and its mmaps'. `keep_empty`: the
// address space stays valid, empty (the descriptor lives on until its waiter destroys it, and
// a service may be waiting on its VMM's lock meanwhile).
void release_memory(Process* process, bool keep_empty) {
  // An image VMM_SET_COW made for a fork that never took it: its references to the pages go.
  const hal::Xptr<Process> self(hal::local_cxy(), process);
  if (const auto image = hal::remote_exchange(self.field(&Process::m_fork_image), {}); image)
    vmm::vmm_fork_image_free(image);
  if (keep_empty) (void)vmm::vmm_reset(&process->m_vmm);
  else vmm::vmm_destroy(&process->m_vmm);
  if (process->m_exec_file) file_release(std::exchange(process->m_exec_file, {}));  // a fork's child shares it
  hal::Xptr<fs::File> mapped[kMaxMappedFiles];
  {
    FdTable table(process);
    for (uint32_t i = 0; i < kMaxMappedFiles; ++i) {
      mapped[i] = table.mapped(i);
      table.set_mapped(i, {});
    }
  }
  for (const auto& file : mapped)
    if (!file.is_null()) file_release(file);
}

// Clears `causes` of each of the process's threads that has started (its kernel thread
// recorded, sequentially consistent: see user_thread.cpp stop_while_stopped): of every cluster,
// or of this cluster's descriptor alone (`here_only`).
void unblock_threads(hal::Xptr<Process> reference, uint32_t causes, bool here_only) {
  ThreadTable table(reference);
  for (uint32_t slot = 0; slot < kMaxThreads; ++slot) {
    const auto thread = table.get(slot);
    if (!thread || (here_only && thread.cxy() != hal::local_cxy())) continue;
    if (kern::Thread* kernel_thread = hal::remote_load_sc(thread.field(&UserThread::m_thread)))
      (void)kern::thread_unblock(hal::Xptr<kern::Thread>(thread.cxy(), kernel_thread), causes);
  }
}

// After m_exiting is set: the threads waiting in futex(2) see it, and their thread ends; so do
// the threads asleep on a timer (clock_nanosleep, a wait for a host stream: blocked before they
// look at m_exiting) and those PROCESS_SIGACTION blocked.
void wake_threads_to_stop(hal::Xptr<Process> reference) {
  futex_wake_all(reference);
  unblock_threads(reference, kern::THREAD_BLOCKED_KILLABLE, false);
}

}  // namespace

Result<Process*> process_create(uint32_t ppid, GroupIds ids) {
  auto owner = TRY(mm::KmemOwner<Process>::make());
  Process* process = owner.get();
  TRY(vmm::vmm_init(&process->m_vmm));
  hal::xlist_root_init(hal::Xptr<hal::XlistEntry>(hal::local_cxy(), &process->m_futex_waiters));
  ProcCluster* table = local_proc();
  {
    hal::BusylockGuard guard(table->m_lock);
    uint32_t index = 0;
    for (uint32_t tries = 0; tries < kMaxProcesses - 1 && index == 0; ++tries) {
      const uint32_t candidate = table->m_next;
      table->m_next = candidate + 1 == kMaxProcesses ? 1 : candidate + 1;
      if (table->m_table[candidate] == nullptr && hal::local_load(table->m_pid_held[candidate]) == 0 &&
          pid_make(hal::local_cxy(), candidate) != kUnusedPid)
        index = candidate;
    }
    if (index == 0) {
      vmm::vmm_destroy(&process->m_vmm);
      return error(Errno::kAgain);
    }
    process->m_pid = pid_make(hal::local_cxy(), index);
    process->m_born_ns = uint64_t(hal::clock_ns(CLOCK_MONOTONIC));
    process->m_pgid = ids.pgid != 0 ? ids.pgid : process->m_pid;
    process->m_sid = ids.sid != 0 ? ids.sid : process->m_pid;
    table->m_table[index] = process;
  }
  process_copies_open(process);
  process->m_ppid = ppid;
  process->m_ref_cxy = hal::local_cxy();
  for (int32_t fd = 0; fd < 3; ++fd) {
    UserFd host;
    host.kind = UserFd::Kind::kHost;
    host.host_fd = fd;
    (void)fd_install(process, host, fd);
  }
  hal::stat_add(table->m_created, uint64_t(1));
  return owner.release();
}

void process_set_comm(Process* process, const char* path) {
  const char* slash = std::strrchr(path, '/');
  const char* name = slash != nullptr ? slash + 1 : path;
  uint64_t words[2] = {};
  std::memcpy(words, name, std::min(std::strlen(name), sizeof words - 1));
  for (uint32_t i = 0; i < 2; ++i) hal::local_store(process->m_comm[i], words[i], std::memory_order_relaxed);
}

Comm process_comm(hal::Xptr<Process> reference) {
  const auto words = reference.field(&Process::m_comm).as<uint64_t>();
  return Comm{.words = {hal::remote_load(words), hal::remote_load(words + 1)}};
}

Process* process_lookup(uint32_t pid) {
  if (pid_cxy(pid) != hal::local_cxy() || pid_index(pid) == 0 || pid_index(pid) >= kMaxProcesses) return nullptr;
  ProcCluster* table = local_proc();
  hal::BusylockGuard guard(table->m_lock);
  return table->m_table[pid_index(pid)];
}

Result<ProcessUse> ProcessUse::by_pid(uint32_t pid) {
  if (pid_cxy(pid) != hal::local_cxy() || pid_index(pid) == 0 || pid_index(pid) >= kMaxProcesses)
    return error(Errno::kSrch);
  ProcCluster* table = local_proc();
  hal::BusylockGuard guard(table->m_lock);
  Process* process = table->m_table[pid_index(pid)];
  if (process == nullptr) return error(Errno::kSrch);
  std::atomic_ref<uint32_t>(process->m_uses).fetch_add(1);
  return ProcessUse(process);
}

Result<ProcessUse> ProcessUse::by_pointer(const Process* process) {
  if (process == nullptr) return error(Errno::kInval);
  ProcCluster* table = local_proc();
  hal::BusylockGuard guard(table->m_lock);
  for (Process* known : table->m_table)
    if (known == process) {
      std::atomic_ref<uint32_t>(known->m_uses).fetch_add(1);
      return ProcessUse(known);
    }
  return error(Errno::kInval);
}

ProcessUse::~ProcessUse() {
  if (m_process != nullptr) std::atomic_ref<uint32_t>(m_process->m_uses).fetch_sub(1);
}

void process_destroy(Process* process) {
  alarm_end(process);                     // its sender ends: it holds the process only while it looks
  process_copies_delete(process, false);  // none left when its threads ended
  ProcCluster* table = local_proc();
  {
    hal::BusylockGuard guard(table->m_lock);
    table->m_table[pid_index(process->m_pid)] = nullptr;
  }
  // No new use can begin (the table no longer names it); those that began end first, and so do
  // its threads' last touches (a thread leaves the table before its count here).
  while (std::atomic_ref<uint32_t>(process->m_uses).load() != 0 ||
         std::atomic_ref<uint32_t>(process->m_local_threads).load() != 0)
    kern::sched_yield();
  // Nothing is left when its threads ended (process_threads_gone); a process that never ran
  // still has what exec gave it.
  fd_close_all(process);
  release_memory(process, false);
  process->m_magic = 0;
  mm::kmem_delete(process);
}

void process_make_exit(Process* process, uint32_t code, uint32_t signal) {
  process_make_exit_at(process_reference(process), code, signal);
}

void process_make_exit_at(hal::Xptr<Process> reference, uint32_t code, uint32_t signal) {
  // From 0 or from an execve's stop (the end wins over the execve), whichever the word holds
  // at the CAS: one CAS each way would lose to an execve ending between the two
  // (tests/model/exec.pml ONE_PASS_KILL).
  const auto exiting = reference.field(&Process::m_exiting);
  for (;;) {
    const uint32_t now = hal::remote_load_sc(exiting);
    if (now == kExiting) return;
    if (hal::remote_cas(exiting, now, kExiting)) break;
  }
  hal::remote_store(reference.field(&Process::m_exit_code), code & 0xff);
  hal::remote_store(reference.field(&Process::m_exit_signal), signal);
  hal::remote_store(reference.field(&Process::m_exit_decided), 1u);
  if (signal != 0)
    (void)hal::remote_atomic_add(hal::Xptr<uint64_t>(reference.cxy(), &proc_cluster_at(reference.cxy())->m_killed),
                                 uint64_t(1));
  wake_threads_to_stop(reference);
}

bool process_stop_for_exec(Process* process, hal::Xptr<PendingExec> pending, uint32_t caller_tid,
                           uint64_t signals_blocked) {
  const hal::Xptr<Process> reference = process_reference(process);
  {
    // Under the signal lock, which a signal's judge holds: it sees the word and the caller's
    // mask together (another thread's execve that loses the CAS changes neither).
    const hal::RemoteBusylockGuard guard(reference.field(&Process::m_signal_lock));
    if (!hal::remote_cas(reference.field(&Process::m_exiting), 0u, kExitingForExec)) return false;
    hal::remote_store(reference.field(&Process::m_exec_window), 1u);
    hal::remote_store(reference.field(&Process::m_exec_caller_tid), caller_tid);
    hal::remote_store(reference.field(&Process::m_exec_signals_blocked), signals_blocked);
  }
  // The last thread out reads the request once it sees kExitingForExec: the caller, a thread
  // of the process, leaves after this store.
  hal::remote_store(reference.field(&Process::m_exec_pending), pending);
  wake_threads_to_stop(reference);
  return true;
}

void process_exec_window_close(Process* process) {
  const hal::Xptr<Process> reference = process_reference(process);
  const hal::RemoteBusylockGuard guard(reference.field(&Process::m_signal_lock));
  hal::remote_store(reference.field(&Process::m_exec_window), 0u);
}

void process_set_stopped(Process* process, bool stopped) {
  // BLOCK: each thread stops itself on its way back to user code (user_thread.cpp
  // stop_while_stopped). UNBLOCK: the flag first, so a thread that blocks itself after the look
  // at its kernel thread finds it clear.
  hal::local_store(process->m_stopped, uint32_t(stopped), std::memory_order_seq_cst);
  if (!stopped) unblock_threads(process_reference(process), kern::THREAD_BLOCKED_GLOBAL, true);
}

std::string_view signal_name(uint32_t signal) {
  static constexpr std::string_view kNames[] = {
      "",          "SIGHUP",  "SIGINT",    "SIGQUIT", "SIGILL",   "SIGTRAP", "SIGABRT", "SIGBUS",
      "SIGFPE",    "SIGKILL", "SIGUSR1",   "SIGSEGV", "SIGUSR2",  "SIGPIPE", "SIGALRM", "SIGTERM",
      "SIGSTKFLT", "SIGCHLD", "SIGCONT",   "SIGSTOP", "SIGTSTP",  "SIGTTIN", "SIGTTOU", "SIGURG",
      "SIGXCPU",   "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH", "SIGIO",   "SIGPWR",  "SIGSYS"};
  return signal < std::size(kNames) ? kNames[signal] : std::string_view();
}

void process_threads_gone(Process* process) {
  // The end was decided (process_make_exit) by whoever set m_exiting first, maybe a service
  // still writing its status: the waiter reads it once m_ended is posted.
  while (hal::local_load(process->m_exit_decided) == 0) kern::sched_yield();
  // A traced process's end, in its trace (syscall/trace.hpp), as strace ends one.
  if (hal::local_load(process->m_syscall_trace, std::memory_order_relaxed) != 0) {
    const uint32_t signal = process->m_exit_signal;
    const std::string line =
        signal == 0 ? fmt::format("[pid {}] +++ exited with {} +++\n", process->m_pid, process->m_exit_code)
        : signal_name(signal).empty()
            ? fmt::format("[pid {}] +++ killed by signal {} +++\n", process->m_pid, signal)
            : fmt::format("[pid {}] +++ killed by {} +++\n", process->m_pid, signal_name(signal));
    (void)dev::txt_print(0, line);
  }
  process_copies_delete(process, false);  // before the VMM they read from goes
  children_end(process);
  fd_close_all(process);
  release_memory(process, true);
  hal::stat_add(local_proc()->m_ended, uint64_t(1));
  if (hal::local_load(process->m_forked) != 0) {
    // No one waits for a fork's child: its parent learns its end from its record, and it goes.
    close_stop_reports(process);
    report_end_to_parent(process);
    process_destroy(process);
    return;
  }
  kern::thread_post_flag(hal::Xptr<uint32_t>(hal::local_cxy(), &process->m_ended), process->m_waiter,
                         kern::THREAD_BLOCKED_WAIT);
}

void process_wait_end(Process* process) {
  kern::thread_wait_flag(hal::Xptr<uint32_t>(hal::local_cxy(), &process->m_ended), kern::THREAD_BLOCKED_WAIT);
}

// ---- file descriptors

Result<int32_t> fd_install(Process* process, const UserFd& fd, int32_t lowest) {
  if (!fd_in_range(lowest)) return error(Errno::kInval);
  FdTable table(process);
  for (uint32_t i = uint32_t(lowest); i < kMaxFds; ++i)
    if (table.is_free(i)) {
      table.set(i, fd);
      return int32_t(i);
    }
  return error(Errno::kMFile);
}

void FileRef::reset() {
  if (!m_file.is_null()) file_release(std::exchange(m_file, {}));
}

Result<HeldFd> fd_lookup(Process* process, int32_t fd) {
  if (!fd_in_range(fd)) return error(Errno::kBadF);
  FdTable table(process);
  const UserFd entry = table.get(uint32_t(fd));
  if (entry.kind == UserFd::Kind::kNone) return error(Errno::kBadF);
  // The table's reference keeps the file or the pipe while the lock is held: one more for the caller.
  entry_take(entry);
  if (entry.is_pipe()) return HeldFd{entry, FileRef(), PipeRef(entry.pipe, entry.pipe_end()), HostStreamRef()};
  if (entry.kind == UserFd::Kind::kHost) return HeldFd{entry, FileRef(), PipeRef(), HostStreamRef(entry.host_fd)};
  return HeldFd{entry, FileRef(entry.file), PipeRef(), HostStreamRef()};
}

Result<UserFd> host_stream_adopt(int32_t host_fd) {
  if (!host_stream_adopted(host_fd)) {
    ::close(host_fd);
    return error(Errno::kNFile);
  }
  g_host_stream_refs[host_fd].store(1, std::memory_order_relaxed);
  UserFd entry;
  entry.kind = UserFd::Kind::kHost;
  entry.host_fd = host_fd;
  return entry;
}

HostStreamRef::~HostStreamRef() {
  if (m_host_fd >= 0) host_stream_release(m_host_fd);
}

FileRef cwd_hold(Process* process) {
  FdTable table(process);
  const hal::Xptr<fs::File> dir = table.cwd();
  if (dir.is_null()) return FileRef();
  hal::remote_atomic_add(dir.field(&fs::File::m_refcount), 1u);
  return FileRef(dir);
}

void cwd_set(Process* process, FileRef dir) {
  FileRef old;
  FdTable table(process);
  old = FileRef(table.exchange_cwd(dir.release()));
}

namespace {

// Empties `fd` (when `expected` is given, only while it still names what `expected` names) and
// lets go of what it named.
Result<void> release_entry(Process* process, int32_t fd, const UserFd* expected) {
  if (!fd_in_range(fd)) return error(Errno::kBadF);
  UserFd old;
  {
    FdTable table(process);
    old = table.get(uint32_t(fd));
    if (expected != nullptr && (old.kind != expected->kind || old.file != expected->file || old.pipe != expected->pipe))
      return error(Errno::kBadF);
    table.set(uint32_t(fd), UserFd{});
  }
  if (old.kind == UserFd::Kind::kNone) return error(Errno::kBadF);
  entry_release(old);
  return {};
}

}  // namespace

Result<void> fd_release(Process* process, int32_t fd) { return release_entry(process, fd, nullptr); }

void fd_entry_drop(const UserFd& entry) { entry_release(entry); }

Result<void> fd_release_if(Process* process, int32_t fd, const UserFd& expected) {
  return release_entry(process, fd, &expected);
}

// Closes every descriptor, or those marked FD_CLOEXEC. The table emptied under its lock a few
// files at a time, each file closed after (a close may block): one lock per descriptor made an
// exit cost a thousand of them.
void close_fds(Process* process, bool on_exec_only) {
  constexpr uint32_t kChunk = 32;
  for (uint32_t fd = 0; fd < kMaxFds;) {
    UserFd entries[kChunk];
    uint32_t count = 0;
    {
      FdTable table(process);
      for (; fd < kMaxFds && count < kChunk; ++fd) {
        if (table.is_free(fd)) continue;
        const UserFd entry = table.get(fd);
        if (on_exec_only && (entry.flags & kFdCloexec) == 0) continue;
        entries[count++] = entry;
        table.set(fd, UserFd{});
      }
    }
    for (uint32_t i = 0; i < count; ++i) entry_release(entries[i]);
  }
}

void fd_close_all(Process* process) {
  close_fds(process, false);
  cwd_set(process, FileRef());
}

void fd_close_on_exec(Process* process) { close_fds(process, true); }

void process_release_image(Process* process) { release_memory(process, true); }

Result<int32_t> fd_dup(Process* process, int32_t old, int32_t target, bool exact, uint32_t fd_flags) {
  if (!fd_in_range(old) || !fd_in_range(target)) return error(Errno::kBadF);
  UserFd replaced;
  int32_t fd = -1;
  {
    FdTable table(process);
    UserFd copy = table.get(uint32_t(old));
    if (exact) {
      fd = target;
    } else {
      for (uint32_t i = uint32_t(target); i < kMaxFds && fd < 0; ++i)
        if (table.is_free(i)) fd = int32_t(i);
    }
    if (copy.kind == UserFd::Kind::kNone || fd < 0)
      return error(copy.kind == UserFd::Kind::kNone ? Errno::kBadF : Errno::kMFile);
    copy.flags = fd_flags;
    entry_take(copy);
    replaced = table.get(uint32_t(fd));
    table.set(uint32_t(fd), copy);
  }
  entry_release(replaced);
  return fd;
}

Result<void> fd_set_flags(Process* process, int32_t fd, uint32_t fd_flags) {
  if (!fd_in_range(fd)) return error(Errno::kBadF);
  FdTable table(process);
  if (table.is_free(uint32_t(fd))) return error(Errno::kBadF);
  table.set_flags(uint32_t(fd), fd_flags);
  return {};
}

Result<void> pin_mapped_file(Process* process, hal::Xptr<fs::File> file) {
  FdTable table(process);
  uint32_t free_slot = kMaxMappedFiles;
  for (uint32_t i = 0; i < kMaxMappedFiles; ++i) {
    const hal::Xptr<fs::File> slot = table.mapped(i);
    if (slot == file) return {};
    if (slot.is_null() && free_slot == kMaxMappedFiles) free_slot = i;
  }
  if (free_slot == kMaxMappedFiles) return error(Errno::kNoMem);
  hal::remote_atomic_add(file.field(&fs::File::m_refcount), 1u);
  table.set_mapped(free_slot, file);
  return {};
}

void files_fork(Process* child, hal::Xptr<Process> parent) {
  auto take = [](hal::Xptr<fs::File> file) {
    if (!file.is_null()) hal::remote_atomic_add(file.field(&fs::File::m_refcount), 1u);
    return file;
  };
  FdTable from(parent);
  FdTable to(child);
  for (uint32_t fd = 0; fd < kMaxFds; ++fd) {
    if (from.is_free(fd) && to.is_free(fd)) continue;
    const UserFd entry = from.get(fd);
    entry_take(entry);
    to.set(fd, entry);
  }
  (void)to.exchange_cwd(take(from.cwd()));
  for (uint32_t i = 0; i < kMaxMappedFiles; ++i) to.set_mapped(i, take(from.mapped(i)));
  child->m_exec_file = take(hal::remote_load(parent.field(&Process::m_exec_file)));
  child->m_umask = hal::remote_load(parent.field(&Process::m_umask));
}

void release_unmapped_files(Process* process) {
  struct Mapped {
    hal::Xptr<fs::File> file;
    hal::Xptr<mapper::Mapper> mapper;
    bool used = false;
  } mapped[kMaxMappedFiles];
  {
    FdTable table(process);
    for (uint32_t i = 0; i < kMaxMappedFiles; ++i) mapped[i].file = table.mapped(i);
  }
  for (Mapped& m : mapped)
    if (!m.file.is_null()) m.mapper = fs::rload(fs::rload(m.file, &fs::File::m_inode), &fs::Inode::m_mapper);
  vmm::vmm_for_each_vseg(
      &process->m_vmm,
      [](const vmm::Vseg& vseg, void* context) {
        for (Mapped& m : std::span(static_cast<Mapped*>(context), kMaxMappedFiles))
          if (!m.file.is_null() && m.mapper == vseg.m_mapper) m.used = true;
      },
      mapped);
  for (uint32_t i = 0; i < kMaxMappedFiles; ++i) {
    if (mapped[i].file.is_null() || mapped[i].used) continue;
    {
      // Not while the process forks (looked at after the vsegs, under the table's lock): its
      // child gets the files the image's vsegs map from the table (files_fork), read after the
      // image was made. The next call, or the process's end, lets them go.
      FdTable table(process);
      if (table.mapped(i) != mapped[i].file ||
          hal::remote_load(process_reference(process).field(&Process::m_forking)) != 0)
        continue;
      table.set_mapped(i, {});
    }
    file_release(mapped[i].file);
  }
}

}  // namespace mkh::proc
