// Processes: the descriptor, the per-cluster process table, creation, the end of a process
// and the wait for it. Layer: proc. Calls vmm (the address space), fs (open files), kern
// (threads, flags), the interpreter (user threads: proc/user_thread.hpp).
//
// PID = owner cluster << 16 | local index (DESIGN.md §6); a thread's TID is the pid with its
// slot in the process's thread table in bits 8-15 (the main thread's, slot 0, is the pid).
// The owner keeps the process in its table, and the list of its copies. Its reference (the
// owner too, today) holds its VMM and what its threads share: the file table, the thread
// table, the signal state, the futex waiters, its end. Its threads run on any core of any
// cluster: in another cluster than the reference's, in the process's copy there
// (proc/copy.hpp), whose VMM fills from the reference's; every shared structure is reached by
// the reference's xptr (process_reference).
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>
#include <utility>

#include "fs/vfs/objects.hpp"
#include "hal/busylock.hpp"
#include "hal/kdata.hpp"
#include "hal/remote.hpp"
#include "hal/xlist.hpp"
#include "hal/xptr.hpp"
#include "kern/thread.hpp"
#include "libk/list.hpp"
#include "libk/result.hpp"
#include "mm/kcm_types.hpp"
#include "mm/vmm/vmm.hpp"
#include "proc/pipe.hpp"

namespace mkh::proc {

struct UserThread;

inline constexpr uint32_t kMaxProcesses = 256;   // per owner cluster
inline constexpr uint32_t kMaxFds = 1024;        // Linux's default RLIMIT_NOFILE
inline constexpr uint32_t kMaxMappedFiles = 64;  // distinct files a process's mmaps read from
inline constexpr uint32_t kPathMax = 4096;       // a path a process names, its NUL included (Linux's PATH_MAX)
inline constexpr uint32_t kMaxThreads = 64;      // per process
inline constexpr uint32_t kMaxChildren = 256;    // a process's children not yet waited for

inline constexpr uint32_t pid_make(hal::cxy_t cxy, uint32_t index) { return (uint32_t(cxy) << 16) | index; }
// Pid 1 (cluster 0's first index) is given to no process: kill(-1) names every process, so a
// group 1 could not be named (Linux keeps 1 for init).
inline constexpr uint32_t kUnusedPid = 1;
inline constexpr hal::cxy_t pid_cxy(uint32_t pid) { return hal::cxy_t(pid >> 16); }
inline constexpr uint32_t pid_index(uint32_t pid) { return pid & 0xffff; }
static_assert(kMaxProcesses <= 256 && kMaxThreads <= 256, "a tid keeps the pid's index in 8 bits, the slot in 8");
inline constexpr uint32_t tid_make(uint32_t pid, uint32_t slot) { return pid | slot << 8; }

// Linux's signal numbers that mkh sends or treats apart (syscall/signals.cpp).
enum Signal : uint32_t {
  kSigIll = 4,
  kSigTrap = 5,
  kSigBus = 7,
  kSigKill = 9,
  kSigSegv = 11,
  kSigPipe = 13,
  kSigAlrm = 14,
  kSigChld = 17,
  kSigCont = 18,
  kSigStop = 19,
  kSigTstp = 20,
  kSigTtin = 21,
  kSigTtou = 22,
  kSigUrg = 23,
  kSigVtalrm = 26,
  kSigProf = 27,
  kSigWinch = 28,
};
inline constexpr uint32_t kSignalMax = 64;  // Linux's _NSIG: 1..64 are signals, 0 asks whether the target exists
// Linux's name of its signal `signal` (1-31, as signal(7) names them: "SIGSEGV"); empty for
// another number.
std::string_view signal_name(uint32_t signal);

// Who sent a signal and why, as a handler's siginfo tells it (Linux's si_code, si_pid and, for
// SIGCHLD, si_status): kill (SI_USER) and tkill (SI_TKILL) name the sender's pid; a child's
// end names the child (CLD_EXITED with its exit status, CLD_KILLED with its signal); the host
// (a terminal's Ctrl-C relayed) is the kernel (SI_KERNEL, no pid).
struct SignalOrigin {
  int32_t code = 0;
  uint32_t pid = 0;
  int32_t status = 0;
};
inline constexpr int32_t kSiUser = 0, kSiKernel = 0x80, kSiTkill = -6;
// SIGCHLD's codes (si_code), and waitid's.
inline constexpr int32_t kCldExited = 1, kCldKilled = 2, kCldStopped = 5, kCldContinued = 6;
inline constexpr SignalOrigin kFromKernel{kSiKernel, 0, 0};

// Linux's clone flags, read by clone (syscall/threads.cpp) and by a fork's child (proc/fork.cpp);
// the host headers define the same names as macros.
namespace clone_flags {
enum CloneFlag : uint32_t {
  kCloneVm = 0x100,
  kCloneFs = 0x200,
  kCloneFiles = 0x400,
  kCloneSighand = 0x800,
  kCloneVfork = 0x4000,
  kCloneThread = 0x10000,
  kCloneSysvsem = 0x40000,
  kCloneSettls = 0x80000,
  kCloneParentSettid = 0x100000,
  kCloneChildCleartid = 0x200000,
  kCloneDetached = 0x400000,
  kCloneChildSettid = 0x1000000,
  kCloneIo = 0x80000000,
};
}  // namespace clone_flags

inline constexpr uint32_t kFdCloexec = 1;  // a descriptor's flag: Linux's FD_CLOEXEC

// A file descriptor: a host stream (the first process's stdin, stdout, stderr are the
// host's; a host descriptor opened for /dev/tty or /dev/stdout: host_stream_adopt), an open
// file of the VFS, or an end of a pipe (proc/pipe.hpp).
struct UserFd {
  enum class Kind : uint32_t { kNone = 0, kHost = 1, kFile = 2, kPipeRead = 3, kPipeWrite = 4 };
  Kind kind = Kind::kNone;
  int32_t host_fd = -1;      // past 2: adopted, counted by the entries that name it
  uint32_t flags = 0;        // kFdCloexec
  hal::Xptr<fs::File> file;  // a folder's is where the *at calls start
  hal::Xptr<Pipe> pipe;
  bool is_pipe() const { return kind == Kind::kPipeRead || kind == Kind::kPipeWrite; }
  PipeEnd pipe_end() const { return kind == Kind::kPipeRead ? PipeEnd::kRead : PipeEnd::kWrite; }
};

// One reference to an open file of the VFS (File::m_refcount), dropped when it goes: the
// file is closed with its last reference.
class FileRef {
 public:
  FileRef() = default;
  // Adopts a reference the caller holds.
  explicit FileRef(hal::Xptr<fs::File> file) : m_file(file) {}
  FileRef(FileRef&& other) noexcept : m_file(std::exchange(other.m_file, {})) {}
  FileRef& operator=(FileRef&& other) noexcept {
    if (this != &other) {
      reset();
      m_file = std::exchange(other.m_file, {});
    }
    return *this;
  }
  FileRef(const FileRef&) = delete;
  FileRef& operator=(const FileRef&) = delete;
  ~FileRef() { reset(); }

  hal::Xptr<fs::File> get() const { return m_file; }
  // Gives the reference up to the caller.
  hal::Xptr<fs::File> release() { return std::exchange(m_file, {}); }
  void reset();

 private:
  hal::Xptr<fs::File> m_file;
};

// One reference to an end of a pipe (Pipe::m_refs), dropped when it goes.
class PipeRef {
 public:
  PipeRef() = default;
  // Adopts a reference the caller holds.
  PipeRef(hal::Xptr<Pipe> pipe, PipeEnd end) : m_pipe(pipe), m_end(end) {}
  PipeRef(PipeRef&& other) noexcept : m_pipe(std::exchange(other.m_pipe, {})), m_end(other.m_end) {}
  PipeRef& operator=(PipeRef&&) = delete;
  PipeRef(const PipeRef&) = delete;
  PipeRef& operator=(const PipeRef&) = delete;
  ~PipeRef() {
    if (!m_pipe.is_null()) pipe_release(m_pipe, m_end);
  }
  // Gives the reference up (to a descriptor's entry that now holds it).
  void release() { m_pipe = {}; }

 private:
  hal::Xptr<Pipe> m_pipe;
  PipeEnd m_end = PipeEnd::kRead;
};

// The host descriptors the kernel opened for processes (/dev/tty, /dev/stdout naming a host
// file: syscall/files.cpp), each counted by the entries and held lookups that name it and
// closed with the last, as the host counts its own. 0, 1 and 2 are mkh's and never closed.
inline constexpr int32_t kMaxHostStreams = 4096;  // the host numbers counted
// An entry for `host_fd`, just opened by the caller, whose reference the entry takes; kNFile
// (the descriptor closed) when its number is past kMaxHostStreams.
[[nodiscard]] Result<UserFd> host_stream_adopt(int32_t host_fd);

// One reference to an adopted host descriptor, dropped when it goes.
class HostStreamRef {
 public:
  HostStreamRef() = default;
  // Adopts a reference the caller holds (none for mkh's own 0, 1, 2).
  explicit HostStreamRef(int32_t host_fd) : m_host_fd(host_fd) {}
  HostStreamRef(HostStreamRef&& other) noexcept : m_host_fd(std::exchange(other.m_host_fd, -1)) {}
  HostStreamRef& operator=(HostStreamRef&&) = delete;
  HostStreamRef(const HostStreamRef&) = delete;
  HostStreamRef& operator=(const HostStreamRef&) = delete;
  ~HostStreamRef();

 private:
  int32_t m_host_fd = -1;
};

// A descriptor's entry held while a system call uses it: with a reference to its file, its
// pipe's end or its host descriptor, so a close by another thread of the process meanwhile
// frees none (Linux's fdget).
struct HeldFd {
  UserFd fd;
  FileRef ref;             // fd.file's, for a file of the VFS
  PipeRef pipe_ref;        // fd.pipe's end's, for a pipe
  HostStreamRef host_ref;  // fd.host_fd's, for an adopted host descriptor
};

struct Process;
struct PendingExec;

// Process::m_exiting: a process ends (its threads stop at their next scheduling point), or its
// threads stop so that the last of them makes the image an execve asked for (proc/exec.hpp).
inline constexpr uint32_t kExiting = 1;
inline constexpr uint32_t kExitingForExec = 2;

// A child of a process (proc/fork.hpp), in its parent's reference, until the parent waits for it.
struct ChildRecord {
  enum class State : uint32_t { kFree = 0, kRunning = 1, kEnded = 2 };
  State state = State::kFree;
  uint32_t pid = 0;
  uint32_t exit_code = 0;
  uint32_t exit_signal = 0;
  hal::Xptr<Process> process;  // while it runs: its descriptor (it reports its end before it goes)
  // While it runs: a stop (the signal) or a continue not yet reported by a waitid that asks for
  // them (WSTOPPED, WCONTINUED); each undoes the other.
  uint32_t stop_signal = 0;
  uint32_t continued = 0;
  uint32_t pgid = 0;  // once it ended: its group then (a running child's is its descriptor's)
  // Once it ended: 1 when its SIGCHLD was sent. A wait reports the end from then on only, as on
  // Linux, where the signal is queued before the end can be seen (report_end_to_parent).
  uint32_t announced = 0;
  // Once it ended: its CPU time and its waited children's, and of that time in system calls.
  uint64_t cpu_ticks = 0;
  uint64_t sys_ticks = 0;
};

// What of a process is traced (Process::m_syscall_trace, mkh's trace(mode)): its system calls
// and the signals its threads take (syscall/trace.hpp), its page faults (a user thread's
// translate shows what the VMM did). Its end shows when either is traced.
constexpr uint32_t kTraceCalls = 1, kTraceFaults = 2;

struct Process {
  static constexpr mm::KcmType kKcmType = mm::KcmType::PROCESS;
  static constexpr uint32_t kMagic = 0x70726f63;  // "proc"

  uint32_t m_magic = kMagic;
  // immutable after process_create
  uint32_t m_pid = 0;
  uint32_t m_ppid = 0;
  hal::cxy_t m_ref_cxy = 0;        // the reference cluster (VMM, file table)
  uint64_t m_born_ns = 0;          // when process_create made it (the host's monotonic clock)
  hal::Xptr<Process> m_reference;  // a copy's (proc/copy.hpp): its reference; null in the reference
  // A copy's links: in its owner's list of copies (ProcCluster::m_copies, under that list's
  // lock) and in its own cluster's (ProcCluster::m_local_copies, under that table's lock).
  hal::XlistEntry m_copy_entry;
  libk::ListEntry m_local_entry;

  vmm::Vmm m_vmm;
  hal::Xptr<fs::File> m_exec_file;  // the program's file, open while its vsegs map it
  uint32_t m_umask = 0022;          // umask(2)'s, Linux's default; FAT keeps no modes to apply it to
  // The program's name, as Linux's comm (TASK_COMM_LEN): the last component of the path each
  // exec ran, at most 15 bytes then NULs; a fork's child takes its parent's. Two words, each
  // stored and read whole (process_set_comm, MKH_PROCESS_INFO's reader): an execve may
  // change it while another cluster reads it.
  uint64_t m_comm[2] = {};
  // Its process group and session (proc/groups.hpp): the reference's, each word stored and
  // read whole from any cluster (setpgid and setsid change them). A process no fork made leads
  // a group and a session of its own; a fork's child is in its parent's.
  uint32_t m_pgid = 0;
  uint32_t m_sid = 0;
  uint32_t m_execed = 0;  // 1 once an execve gave it a program: its parent's setpgid is refused
  // What of it is traced, a set of kTraceCalls and kTraceFaults: the reference's, read by its
  // threads in any cluster at each call and fault; a fork's child takes its parent's.
  uint32_t m_syscall_trace = 0;

  // The file table: the reference's, reached by its xptr from any cluster (a copy's threads
  // use their reference's: process_reference), under m_fd_lock.
  hal::RemoteBusylock m_fd_lock;
  hal::Xptr<fs::File> m_cwd_dir;  // the working directory, open (null: the root)
  UserFd m_fds[kMaxFds];
  // Per host stream (0, 1, 2: the host's stdin, stdout, stderr), 1 while a thread of the
  // process has its turn to move bytes there (syscall/files.cpp), from its look to its transfer.
  uint32_t m_host_turns[3] = {};
  // The files its file mappings read from, a reference each until the process's memory goes:
  // a mapping outlives the descriptor it was made with (closed, its file unlinked), as on Linux.
  // The reference's, under m_fd_lock too.
  hal::Xptr<fs::File> m_mapped_files[kMaxMappedFiles];

  // The process's threads in every cluster, by slot (the main thread's is 0), and its end: the
  // reference's table, reached by its xptr from any cluster (ThreadTable), under m_thread_lock.
  // A thread enters the table before it runs and leaves it as it ends; the last to leave ends
  // the process.
  hal::RemoteBusylock m_thread_lock;
  hal::Xptr<UserThread> m_threads[kMaxThreads] = {};
  uint32_t m_thread_count = 0;
  uint32_t m_next_lid = 0;       // this descriptor's: the core of its cluster clone places a thread on next (atomic)
  uint32_t m_local_threads = 0;  // this descriptor's threads, until each is gone (a copy goes after its last)
  uint32_t m_uses = 0;           // ProcessUse: services acting on it (process_destroy waits for none)
  // setitimer's ITIMER_REAL (proc/alarm.hpp), the reference's, under m_alarm_lock: the next
  // SIGALRM's time (the monotonic clock's nanoseconds; 0: disarmed), the interval after it, and
  // the kernel thread of this cluster that sends it, while it lives.
  hal::Busylock m_alarm_lock;
  int64_t m_alarm_deadline = 0;
  int64_t m_alarm_interval = 0;
  kern::Thread* m_alarm_thread = nullptr;
  // setitimer's ITIMER_VIRTUAL and ITIMER_PROF (proc/alarm.hpp), the reference's: the CPU time
  // left to each one's next signal in nanoseconds (0: disarmed), counted down by the threads by
  // compare-and-swap, and its interval; both set under m_alarm_lock. The charges in progress
  // (from before their first look at a time left to after their signal is sent).
  int64_t m_cpu_timer_left[2] = {};
  int64_t m_cpu_timer_interval[2] = {};
  uint32_t m_cpu_timer_charging = 0;
  uint32_t m_main_exit_code = 0;   // the main thread's exit(2): the process's status if it is not decided otherwise
  uint64_t m_ended_cpu_ticks = 0;  // the CPU time of its threads that ended (relaxed)
  uint64_t m_ended_sys_ticks = 0;  // of that time, in system calls (relaxed)
  // The CPU time of its children it waited for, theirs included, and of that time in system
  // calls (relaxed): times(2)'s cutime and cstime, getrusage's RUSAGE_CHILDREN.
  uint64_t m_children_cpu_ticks = 0;
  uint64_t m_children_sys_ticks = 0;
  // kExiting set by exit_group and a fatal signal, kExitingForExec by execve: threads stop.
  uint32_t m_exiting = 0;
  hal::Xptr<PendingExec> m_exec_pending;  // execve's request while m_exiting is kExitingForExec
  // From an execve's stop until its new thread is in the table (under m_signal_lock): its
  // caller's tid and mask, which judge the signals sent meanwhile (syscall/signals.cpp).
  uint32_t m_exec_window = 0;
  uint32_t m_exec_caller_tid = 0;
  uint64_t m_exec_signals_blocked = 0;
  // 1 from a PROCESS_SIGACTION BLOCK to its UNBLOCK: this descriptor's threads stop on their
  // way back to user code (user_thread.cpp stop_while_stopped).
  uint32_t m_stopped = 0;
  uint32_t m_exit_code = 0;          // exit's status & 0xff
  uint32_t m_exit_signal = 0;        // the signal that killed it, or 0
  uint32_t m_exit_decided = 0;       // 1 once the call that set m_exiting has written the two above
  uint32_t m_ended = 0;              // a kern flag: posted once the last thread is gone
  hal::Xptr<kern::Thread> m_waiter;  // who waits for the end (the parent, or mkh exec's thread)

  // The shootdown (user_thread.cpp): whoever changes or removes an entry of the GPT while other
  // threads of the process run bumps the epoch; a thread that sees it changed flushes its TLB
  // and its decoded code before it runs user code again.
  uint32_t m_tlb_epoch = 0;

  // Threads waiting in futex(2) (proc/futex.cpp): FutexWaiter records on their stacks, in any
  // cluster; the reference's, reached by its xptr.
  hal::RemoteBusylock m_futex_lock;
  hal::XlistEntry m_futex_waiters;

  // Signals (syscall/signals.cpp): bit n - 1 is signal n. A disposition is SIG_DFL, SIG_IGN
  // (its bit in m_signals_ignored) or a handler (a user address), with the flags and mask
  // rt_sigaction gave. Each thread has its mask and its own pending set (UserThread), under
  // this lock too. The reference's, reached by its xptr from any cluster.
  struct SignalAction {
    uint32_t handler = 0;  // 0: none (SIG_DFL, or SIG_IGN by m_signals_ignored)
    uint32_t flags = 0;
    uint64_t mask = 0;
  };
  hal::RemoteBusylock m_signal_lock;
  uint64_t m_signals_ignored = 0;
  uint64_t m_signals_pending = 0;     // sent to the process while every thread blocked them
  SignalOrigin m_signal_origins[64];  // each pending signal's: its first sending (Linux queues no second)
  SignalAction m_signal_actions[64];

  // fork (proc/fork.hpp). The reference's children, until it waits for them, and the threads
  // waiting for one in waitid (by thread slot), under m_children_lock; m_children_closed once
  // the process ended (it kills those that run, and makes no more). A forked child's parent
  // (its reference, set before the child runs, there until the child reported its end); null
  // for a process no fork made.
  hal::RemoteBusylock m_children_lock;
  ChildRecord m_children[kMaxChildren];
  hal::Xptr<kern::Thread> m_child_waiters[kMaxThreads];
  uint32_t m_children_closed = 0;
  uint32_t m_child_reports = 0;  // ended children whose SIGCHLD is on its way here: the end waits for them
  hal::Xptr<Process> m_parent;
  // A forked child's reports of a stop or a continue under way to its parent (proc/fork.cpp
  // report_stop_to_parent), and kStopReportsClosed once its end is to be reported: none starts
  // after, and the end's report waits for those under way, so the parent they reach lives.
  static constexpr uint32_t kStopReportsClosed = 1u << 31;
  uint32_t m_stop_reports = 0;
  uint32_t m_forked = 0;  // made by fork: it reports its end to its parent, then frees itself
  // The reference's: 1 while one of its threads forks (a process forks one child at a time),
  // and that fork's image of the address space (VMM_SET_COW's, kept only for a fork).
  uint32_t m_forking = 0;
  hal::Xptr<vmm::ForkImage> m_fork_image;

  // counters (relaxed)
  uint64_t m_syscalls = 0;
  uint64_t m_instructions = 0;
};

// The copies of one process (proc/copy.hpp), kept by its owner: their descriptors in other
// clusters, linked through Process::m_copy_entry. Open while `reference` is not null: from
// the process's creation to its end, when its copies are deleted (PROCESS_SIGACTION) and no
// new one may join. Reached by any cluster through its xptr, under `lock`.
struct CopyList {
  hal::RemoteBusylock lock;
  hal::xptr_t reference = hal::XPTR_NULL;  // the process's reference descriptor
  hal::XlistEntry root;
};

// A program's name as a process keeps it (Process::m_comm): up to 15 bytes, then NULs.
struct Comm {
  uint64_t words[2] = {};
  [[nodiscard]] std::string_view text() const {
    const auto* bytes = reinterpret_cast<const char*>(words);
    return {bytes, strnlen(bytes, sizeof words)};
  }
};

// What remains of an ended process until its parent waits for it: each word stored and read
// whole, from any cluster (ProcCluster::m_zombies).
struct Zombie {
  uint32_t ppid = 0;
  uint32_t pgid = 0;
  uint32_t sid = 0;
  uint32_t cpu_ms = 0;  // its threads' CPU time
  Comm comm;
};

// The per-cluster process table (replicated kernel data).
struct ProcCluster {
  ProcCluster() { libk::list_root_init(&m_local_copies); }

  hal::Busylock m_lock;
  Process* m_table[kMaxProcesses] GUARDED_BY(m_lock) = {};
  uint32_t m_next GUARDED_BY(m_lock) = 1;  // index 0 is never used: pid 0 means none
  // The copies of this cluster's processes, by local index (the owner's side), and the copies
  // this cluster holds of other clusters' processes (Process::m_local_entry).
  CopyList m_copies[kMaxProcesses];
  // The pids of this cluster's ended children whose parents have not waited for them yet: not
  // given again until the wait (proc/fork.cpp), as Linux keeps a zombie's pid. Any cluster
  // sets and clears them (release stores, acquire loads); process_create skips them under
  // m_lock. Each held pid's zombie, written before the pid is held, is what ps, getpgid and
  // getsid see of it (Linux's zombie keeps its ids and name until the wait).
  uint8_t m_pid_held[kMaxProcesses] = {};
  Zombie m_zombies[kMaxProcesses];
  libk::ListEntry m_local_copies GUARDED_BY(m_lock);
  // counters (relaxed), read by anyone
  uint64_t m_created = 0;
  uint64_t m_ended = 0;
  uint64_t m_syscalls = 0;
  uint64_t m_unknown_syscalls = 0;   // answered ENOSYS
  uint64_t m_killed = 0;             // ended by a signal
  uint64_t m_execs = 0;              // images an execve replaced
  uint64_t m_user_threads = 0;       // threads made for its processes (main threads and clones)
  uint64_t m_blocks_translated = 0;  // by the interpreters of the user threads that ended here
  uint32_t m_translate_after = 0;    // MachineConfig::translate_after, for its user threads' code
};
static_assert(sizeof(ProcCluster) <= hal::kProcDataSpan, "proc's kernel data outgrew its span in hal/kdata.hpp");

ProcCluster* proc_cluster_at(hal::cxy_t cxy);
inline ProcCluster* local_proc() { return proc_cluster_at(hal::local_cxy()); }
void proc_cluster_init(hal::cxy_t cxy, uint32_t translate_after);

// A process's group and session as it is made: 0 for its own pid (it leads them).
struct GroupIds {
  uint32_t pgid = 0;
  uint32_t sid = 0;
};
// Local: a new process owned (and referenced) by this cluster, with an empty address space
// and fds 0, 1, 2 on the host's stdin, stdout, stderr, in the group and session `ids` from
// the moment it is in the table. kAgain when the table is full, kNoMem.
[[nodiscard]] Result<Process*> process_create(uint32_t ppid, GroupIds ids = {});
// The program's name of `process` (Process::m_comm) set from `path`: its last component.
void process_set_comm(Process* process, const char* path);
// The program's name of the process whose reference is `reference`, from any cluster: its
// two words, each read whole (an execve may change them meanwhile).
[[nodiscard]] Comm process_comm(hal::Xptr<Process> reference);
// Local: the process of this cluster named by `pid`, if any. For a caller that knows it lives
// (a thread of the process waits on it); others hold it (ProcessUse).
Process* process_lookup(uint32_t pid);

// A process of this cluster held while a service for another cluster acts on it (a pid, or a
// pointer local to this cluster, looked up under the table's lock, then used without it): its
// process_destroy waits until every use is released.
class ProcessUse {
 public:
  // The process `pid`; kSrch when this cluster has none.
  [[nodiscard]] static Result<ProcessUse> by_pid(uint32_t pid);
  // The process `process` names (a pointer from another cluster: compared, not followed);
  // kInval when it is none of this cluster's.
  [[nodiscard]] static Result<ProcessUse> by_pointer(const Process* process);
  ProcessUse(ProcessUse&& other) noexcept : m_process(std::exchange(other.m_process, nullptr)) {}
  ProcessUse(const ProcessUse&) = delete;
  ProcessUse& operator=(const ProcessUse&) = delete;
  ProcessUse& operator=(ProcessUse&&) = delete;
  ~ProcessUse();

  Process* get() const { return m_process; }
  Process* operator->() const { return m_process; }

 private:
  explicit ProcessUse(Process* process) : m_process(process) {}
  Process* m_process;
};
// Local: frees a process whose threads are gone: its address space, files and pid (once the
// services that hold it are done).
void process_destroy(Process* process);

// Marks the process as ending with `code` (exit_group) or `signal` (killed): its threads, in
// every cluster, stop at their next scheduling point, those waiting in futex(2) woken. The
// first call decides. `process` is this cluster's descriptor of it: the reference is marked,
// by remote access from a copy.
void process_make_exit(Process* process, uint32_t code, uint32_t signal);
// The same for the process whose reference is `reference`, from any cluster (the caller knows
// it lives). An end decided while an execve stops the threads wins over the execve.
void process_make_exit_at(hal::Xptr<Process> reference, uint32_t code, uint32_t signal);
// execve's point of no return: every thread of the process stops as process_make_exit makes
// them, and `pending` waits for the last (proc/exec.hpp). False, with nothing changed, when
// the process is ending or another thread's execve came first.
[[nodiscard]] bool process_stop_for_exec(Process* process, hal::Xptr<PendingExec> pending, uint32_t caller_tid,
                                         uint64_t signals_blocked);
// The new image's thread is in the table: the signals sent from now on are judged by it.
void process_exec_window_close(Process* process);
// PROCESS_SIGACTION's actions (the reference's values), on the threads of one descriptor of a
// process: its reference or a copy (proc/services.cpp).
enum class SigAction : uint32_t { kBlockAll = 0x11, kUnblockAll = 0x22, kDeleteAll = 0x33 };
// Local: stops (BLOCK) or lets go on (UNBLOCK) the threads of `process`, this cluster's
// descriptor of its process: each blocks itself (cause GLOBAL) on its way back to user code,
// unless the process is ending. Under the cluster's table lock (process_with_descriptor).
void process_set_stopped(Process* process, bool stopped);
// Called by the last thread as it ends: frees the address space (every page back to its
// cluster) and the files, then posts m_ended to the waiter.
void process_threads_gone(Process* process);
// Blocks the calling kernel thread until the process has ended (it must be m_waiter).
void process_wait_end(Process* process);

// The reference descriptor of the process that `process` (this cluster's descriptor of it, the
// reference or a copy) belongs to: where its file table, working directory, umask and host
// streams' turns are.
inline hal::Xptr<Process> process_reference(const Process* process) {
  return process->m_reference.is_null() ? hal::Xptr<Process>(hal::local_cxy(), const_cast<Process*>(process))
                                        : process->m_reference;
}

// The thread table of a process (its reference's), locked while this lives: its slots by
// remote access, from any cluster. `process` is this cluster's descriptor of the process.
class ThreadTable {
 public:
  explicit ThreadTable(const Process* process) : ThreadTable(process_reference(process)) {}
  explicit ThreadTable(hal::Xptr<Process> reference)
      : m_process(reference), m_guard(m_process.field(&Process::m_thread_lock)) {}

  hal::Xptr<UserThread> get(uint32_t slot) const { return hal::remote_load(slot_at(slot)); }
  void set(uint32_t slot, hal::Xptr<UserThread> thread) { hal::remote_store(slot_at(slot), thread); }
  uint32_t count() const { return hal::remote_load(m_process.field(&Process::m_thread_count)); }
  void set_count(uint32_t count) { hal::remote_store(m_process.field(&Process::m_thread_count), count); }

 private:
  hal::Xptr<hal::Xptr<UserThread>> slot_at(uint32_t slot) const {
    return m_process.field(&Process::m_threads).as<hal::Xptr<UserThread>>() + slot;
  }

  hal::Xptr<Process> m_process;
  hal::RemoteBusylockGuard m_guard;
};

// Whether the process's threads stop: it is ending (exit_group, a fatal signal:
// process_make_exit) or an execve replaces its image (process_stop_for_exec). From this
// cluster's descriptor of it: the reference's mark, sequentially consistent (a sleeper's and a
// stopped thread's handshakes with process_make_exit's unblock need it).
inline bool process_ending(const Process* process) {
  return hal::remote_load_sc(process_reference(process).field(&Process::m_exiting)) != 0;
}

// The file table: `process` is this cluster's descriptor of the process (the reference or a
// copy), the table is the reference's (remote accesses from a copy).
[[nodiscard]] Result<int32_t> fd_install(Process* process, const UserFd& fd, int32_t lowest = 0);
[[nodiscard]] Result<HeldFd> fd_lookup(Process* process, int32_t fd);
// The working directory, held while a path is walked from it (null: the root).
[[nodiscard]] FileRef cwd_hold(Process* process);
// `dir` (a reference the caller gives) becomes the working directory; the old one's is dropped.
void cwd_set(Process* process, FileRef dir);
[[nodiscard]] Result<void> fd_release(Process* process, int32_t fd);  // closes the file when it was the last
// Drops the reference an entry that no table took holds (fd_install failed).
void fd_entry_drop(const UserFd& entry);
// fd_release while `fd` still names what `expected` names (kBadF otherwise): a call taking back
// a descriptor it installed, which another thread may have closed and reused meanwhile.
[[nodiscard]] Result<void> fd_release_if(Process* process, int32_t fd, const UserFd& expected);
void fd_close_all(Process* process);
// execve: closes the descriptors marked FD_CLOEXEC.
void fd_close_on_exec(Process* process);
// execve, with no thread left: the process's address space is emptied and the files it mapped
// (its program's, its mmaps') let go.
void process_release_image(Process* process);
// dup, dup3 and F_DUPFD: a new descriptor for the file of `old`, the lowest free from `target`
// on, or exactly `target` (whose file is closed first) when `exact`; fd_flags its FD_CLOEXEC.
[[nodiscard]] Result<int32_t> fd_dup(Process* process, int32_t old, int32_t target, bool exact, uint32_t fd_flags);
[[nodiscard]] Result<void> fd_set_flags(Process* process, int32_t fd, uint32_t fd_flags);
// Keeps `file` open while the process's memory may map it (once per file); kNoMem when the
// process already maps kMaxMappedFiles files.
[[nodiscard]] Result<void> pin_mapped_file(Process* process, hal::Xptr<fs::File> file);
// fork: the new process `child` (local, fresh from process_create) gets what its parent (a
// reference, any cluster) has open: its descriptors (FD_CLOEXEC kept), working directory, the
// files its memory maps and its program, its umask.
void files_fork(Process* child, hal::Xptr<Process> parent);
// Closes the files kept by pin_mapped_file that no vseg maps any more (after a munmap, or a
// MAP_FIXED mapping over one): an unlinked file's clusters are free again, as on Linux.
void release_unmapped_files(Process* process);

}  // namespace mkh::proc
