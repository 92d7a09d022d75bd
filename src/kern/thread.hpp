// Kernel threads: descriptor, types, blocking causes, create / exit / block / unblock.
// Layer: kern. A thread lives in its owner cluster's bank (descriptor from kcm, stack from
// ppm) and runs on one core of that cluster as a fiber. Any cluster may block or unblock
// any thread through its xptr; unblocking a thread of an idle core sends that core an IPI.
#pragma once

#include <cstdint>
#include <string_view>

#include "hal/clock.hpp"
#include "hal/cpu.hpp"
#include "hal/fiber.hpp"
#include "hal/xlist.hpp"
#include "hal/xptr.hpp"
#include "libk/assert.hpp"
#include "libk/list.hpp"
#include "libk/result.hpp"
#include "mm/kcm_types.hpp"

namespace mkh::mm {
struct Page;
}

namespace mkh::kern {

struct Core;

// Thread types (the reference's THREAD_USER, THREAD_RPC, THREAD_DEV, THREAD_IDLE).
#define MKH_THREAD_TYPES(X) \
  X(USER, "user")           \
  X(RPC, "rpc")             \
  X(DEV, "dev")             \
  X(IDLE, "idle")

enum class ThreadType : uint8_t {
#define MKH_X(name, label) name,
  MKH_THREAD_TYPES(MKH_X)
#undef MKH_X
};
std::string_view thread_type_name(ThreadType type);

// Blocking causes: one bit each; a thread runs only while its `blocked` word is zero.
#define MKH_THREAD_BLOCKING_CAUSES(X) \
  X(GLOBAL, "global")                 \
  X(IDLE, "idle")                     \
  X(USERSYNC, "usersync")             \
  X(RPC, "rpc")                       \
  X(IO, "io")                         \
  X(WAIT, "wait")                     \
  X(JOIN, "join")                     \
  X(EXIT, "exit")                     \
  X(LOCK, "lock")                     \
  X(SLEEP, "sleep")

namespace blocked_bit {
enum : uint32_t {
#define MKH_X(name, label) name##_INDEX,
  MKH_THREAD_BLOCKING_CAUSES(MKH_X)
#undef MKH_X
      kCount
};
}  // namespace blocked_bit

enum ThreadBlocked : uint32_t {
#define MKH_X(name, label) THREAD_BLOCKED_##name = 1u << blocked_bit::name##_INDEX,
  MKH_THREAD_BLOCKING_CAUSES(MKH_X)
#undef MKH_X
};
// Causes a deletion request clears: parks in which no other party holds a reference to
// the thread to unblock it later (a waker uses another cause, e.g. WAIT). The others (an
// RPC server will unblock it, a lock's wait list links it, ...) stay, and the thread is
// destroyed only once their holder has cleared them.
inline constexpr uint32_t THREAD_BLOCKED_KILLABLE = THREAD_BLOCKED_GLOBAL | THREAD_BLOCKED_SLEEP;

// "rpc|lock" for a blocked word, "-" when zero. Returns the length written.
std::size_t format_blocked(uint32_t blocked, char* buffer, std::size_t capacity);

// Flags set by other threads (any cluster) and acted on by the owner core.
enum ThreadFlag : uint32_t {
  THREAD_FLAG_REQ_DELETE = 1u << 0,  // destroy at the core's next scheduling point
};

enum class ThreadState : uint8_t { kReady, kRunning, kExited };

using ThreadEntry = void (*)(void* arg);

inline constexpr std::size_t kThreadNameSize = 24;

// A device command, put by a client thread in its own descriptor before it queues itself on
// a device (the reference's thread->ioc_cmd / txt_cmd). Words only: the device layer gives
// them their meaning (kern knows no device). Written by the client before it links itself
// in the device's queue (under the queue's lock); read, and `error` written, by the device's
// server thread while the client waits blocked on cause IO.
struct DevCommand {
  uint32_t op = 0;                       // device-specific operation
  uint32_t count = 0;                    // sectors, bytes or buffers
  uint64_t offset = 0;                   // first sector, or byte offset
  hal::xptr_t buffer = hal::XPTR_NULL;   // one buffer (any cluster)
  hal::xptr_t buffers = hal::XPTR_NULL;  // vectored: an array of `count` buffer xptrs
  uint32_t bytes_each = 0;               // vectored: the size of each buffer
  int32_t error = 0;                     // an Errno, written by the server
};

struct Thread {
  static constexpr mm::KcmType kKcmType = mm::KcmType::THREAD;

  // immutable after thread_create()
  ThreadType m_type = ThreadType::DEV;
  hal::cxy_t m_cxy = 0;
  hal::lid_t m_lid = 0;
  uint32_t m_trdid = 0;  // (cxy << 16) | local index
  ThreadEntry m_entry = nullptr;
  void* m_arg = nullptr;
  mm::Page* m_stack_page = nullptr;
  char m_name[kThreadNameSize] = {};

  // owner core only
  hal::Fiber m_fiber;
  ThreadState m_state = ThreadState::kReady;
  uint64_t m_switches = 0;  // times this thread was switched in
  // A USER thread's running time, in hal::ticks(): the sum of its turns on the core (from the
  // switch to it to its suspend) that ended, and when the current one began. What the CPU-time
  // clocks of user threads count (proc/user_thread.hpp): a thread blocked, whatever for, is
  // not running.
  uint64_t m_run_ticks = 0;
  uint64_t m_turn_start = 0;
  uint32_t m_no_delete = 0;   // > 0 inside a NoDeleteScope: a deletion request waits
  uint32_t m_locks_held = 0;  // queuelocks and rwlocks waited for or held: a deletion request waits

  // guarded by the owner core's Sched::m_lock
  libk::ListEntry m_sched_entry;

  // any cluster, through remote atomics
  uint32_t m_blocked = 0;  // ThreadBlocked bits
  uint32_t m_flags = 0;    // ThreadFlag bits

  // guarded by the lock of the waiting list the thread is in (queuelock, rwlock, ...)
  hal::XlistEntry m_wait_entry;

  // the client's, until it queues on a device; then the device server's until it unblocks it
  DevCommand m_dev_command;
};

// Creates a thread of the local cluster on core `lid` and makes it runnable.
// kInval for a bad lid or type, kNoMem when the descriptor or the stack cannot be had.
[[nodiscard]] Result<Thread*> thread_create(ThreadType type, ThreadEntry entry, void* arg, hal::lid_t lid,
                                            std::string_view name);

// Creates the idle thread of core `lid` of the local cluster (boot only).
[[nodiscard]] Result<Thread*> thread_idle_create(hal::lid_t lid, ThreadEntry entry, void* arg);

// The running thread, or nullptr on a host thread that is not running a core's fiber.
Thread* thread_current();
// The running time of the current turn of `thread`, running now (none when the time-stamp
// counters of two host CPUs disagree and now reads earlier than the turn's start).
inline uint64_t turn_ticks(const Thread* thread) {
  const uint64_t now = hal::ticks();
  return now > thread->m_turn_start ? now - thread->m_turn_start : 0;
}
// A running USER thread's running time since it was made.
inline uint64_t thread_run_ticks(const Thread* thread) { return thread->m_run_ticks + turn_ticks(thread); }
inline hal::Xptr<Thread> thread_current_xptr() { return hal::Xptr<Thread>(hal::local_cxy(), thread_current()); }

// Sets cause bits in the thread's blocked word. A thread that blocks itself must then
// call sched_yield(); a wake-up between the two is not lost (the scheduler reads the word).
void thread_block(hal::Xptr<Thread> thread, uint32_t cause);
// Clears cause bits; when the word becomes zero and the thread's core is idle, IPIs it.
// Returns true when the thread became runnable.
bool thread_unblock(hal::Xptr<Thread> thread, uint32_t cause);

// A one-word event between threads of any clusters, one post at a time (the next post
// comes after the waiter took this one). The word: 0, kFlagPosted, or kFlagWaiter while
// the waiter sleeps. The waiter takes a post (back to 0) or, blocked on `cause` first,
// sets kFlagWaiter by CAS and sleeps; the poster exchanges kFlagPosted in and unblocks
// the waiter only if it replaced kFlagWaiter. So no post is lost, and the poster touches
// the waiter only while it sleeps for this post (it cannot have returned and exited).
// `cause` must not be a killable one (only the poster may wake the waiter).
inline constexpr uint32_t kFlagPosted = 1;
inline constexpr uint32_t kFlagWaiter = 2;
void thread_wait_flag(hal::Xptr<uint32_t> flag, uint32_t cause);
void thread_post_flag(hal::Xptr<uint32_t> flag, hal::Xptr<Thread> waiter, uint32_t cause);
// The same for a waiter the poster does not know in advance: the waiter writes its xptr in
// `waiter_word` before it waits, and the poster reads the word only after its exchange found
// the waiter asleep (blocked until this post, so the word and its holder stay as they are).
void thread_post_flag_to(hal::Xptr<uint32_t> flag, hal::Xptr<hal::xptr_t> waiter_word, uint32_t cause);

// Requests deletion of `thread`, a pointer naming a thread of the local cluster (not
// trusted: it is looked up in the cores' lists, and checked and marked under that core's
// scheduler lock, so it cannot be destroyed meanwhile). kSrch when it is no thread of the
// cluster or is being deleted already; kInval for idle and RPC threads (the kernel's) and
// user threads (they end through their process: exit, a fatal signal).
// The thread is destroyed at its core's next scheduling point at which it is neither in a
// NoDeleteScope nor blocked on a cause other than the killable ones (which the request
// clears). So a client waiting for a blocking RPC is destroyed once the last response
// came, never while a server may still write its descriptor, and a thread holding a
// queuelock or rwlock once it released it.
[[nodiscard]] Result<void> thread_request_delete(Thread* thread);

// True when the core may destroy `thread` (of its own) now: deletion was requested, and
// nothing else still refers to it (see thread_request_delete).
bool thread_deletable(const Thread* thread);

// A deletion point: when deletion of the running thread was requested and it may be
// destroyed now, it yields and never returns. Blocking calls that would hand out a
// reference to the thread (rpc_send) pass one first, so a killed thread cannot go on
// making calls forever.
void thread_deletion_point(Thread* self);

// Sections in which the running thread must not be destroyed: it has handed out a
// reference to its stack (a blocking RPC's descriptor: rpc_send opens one; a thread that
// sends non-blocking from its stack opens its own until the response count is 0), or it
// holds a sleeping lock that others wait for. They nest. thread_hold_lock/thread_release_lock
// bracket a queuelock or rwlock waited for and held by a kernel thread (nothing for a host
// thread outside the machine); they count apart from the scopes, so a release without its
// acquire is caught, and so is a thread that exits holding a lock.
inline void thread_hold_lock(Thread* self) {
  if (self != nullptr) ++self->m_locks_held;
}
inline void thread_release_lock(Thread* self) {
  if (self == nullptr) return;
  KASSERT(self->m_locks_held > 0, "thread {} releases a lock it did not take", self->m_name);
  --self->m_locks_held;
}
class NoDeleteScope {
 public:
  explicit NoDeleteScope(Thread* self) : m_thread(self) { ++m_thread->m_no_delete; }
  ~NoDeleteScope() { --m_thread->m_no_delete; }
  NoDeleteScope(const NoDeleteScope&) = delete;
  NoDeleteScope& operator=(const NoDeleteScope&) = delete;

 private:
  Thread* m_thread;
};

// Called by a thread's entry wrapper when its function returns; never returns.
[[noreturn]] void thread_exit();

// Destroys an exited (or deletion-requested) thread of the local cluster: frees its stack
// and descriptor. Called by the owner core's scheduler, never by the thread itself.
void thread_destroy(Thread* thread);

}  // namespace mkh::kern
