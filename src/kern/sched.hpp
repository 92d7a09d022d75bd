// The per-core scheduler: round-robin over the core's threads, kernel threads before user
// threads, the idle thread when nothing else can run. Layer: kern.
// The scheduler runs in the core's own context (the driving host thread's stack); a thread
// yields by switching back to it. core_step() makes one scheduling decision, so the same
// scheduler can be driven by one host thread per core or by a single deterministic driver.
#pragma once

#include <cstdint>

#include "hal/busylock.hpp"
#include "hal/remote.hpp"
#include "libk/list.hpp"

namespace mkh::kern {

struct Core;
struct Thread;

class Sched {
 public:
  void init();

  // Adds a new thread to this core's lists (any core of the cluster may call it).
  void register_thread(Thread* thread) EXCLUDES(m_lock);
  // Removes a thread that will never run again.
  void unregister_thread(Thread* thread) EXCLUDES(m_lock);

  // The next thread to run: a runnable kernel thread, else a runnable user thread, each
  // list served round-robin; nullptr when none (the idle thread is not in the lists).
  // With rpc_only, RPC threads only (a stopping core lets only its pool leave).
  Thread* select(bool rpc_only = false) EXCLUDES(m_lock);
  // A runnable thread other than `except`, from a scan of the lists under the lock (the
  // idle thread's look before it sleeps, which the no-lost-wake-up argument relies on).
  bool has_runnable(const Thread* except = nullptr) EXCLUDES(m_lock);

  // Whether a thread besides the running one is ready: a hint, without the lock, for a
  // thread deciding whether to spin (a wrong answer costs time, never a wake-up).
  bool others_ready_hint() const { return hal::local_load(m_ready_nr, std::memory_order_relaxed) > 1; }
  // Counts a thread of this core whose blocked word went to zero (+1) or from zero (-1).
  static void count_ready(hal::Xptr<Core> core, int32_t delta);

  // Calls visit(thread, context) for every thread of the core, the idle thread included,
  // under the lock (so visit must not block).
  void for_each_thread(void (*visit)(Thread* thread, void* context), void* context) EXCLUDES(m_lock);
  // When `candidate` is one of the core's threads (idle included), calls visit(thread,
  // context) under the lock — so the thread cannot be destroyed meanwhile — and returns
  // true; false otherwise. `candidate` may be any pointer: it is compared, not followed.
  bool visit_thread(const Thread* candidate, void (*visit)(Thread* thread, void* context), void* context)
      EXCLUDES(m_lock);

  // written by the owner core, read by others (displays) through local_load
  Thread* m_current = nullptr;  // running thread; nullptr while the scheduler itself runs
  Thread* m_idle = nullptr;     // nullptr once the idle thread has exited (shutdown)

  // any core of the cluster reads it
  uint32_t m_threads_nr = 0;  // threads in the lists (idle excluded); guarded by m_lock for writes
  // any cluster, by remote atomics right after each change of a blocked word (so it may
  // lag): threads in the lists that are not blocked, the running one included
  uint32_t m_ready_nr = 0;

 private:
  Thread* select_in(libk::ListEntry* root, libk::ListEntry*& cursor, bool rpc_only) REQUIRES(m_lock);

  hal::Busylock m_lock;
  libk::ListEntry m_kernel_root GUARDED_BY(m_lock);
  libk::ListEntry m_user_root GUARDED_BY(m_lock);
  libk::ListEntry* m_kernel_cursor GUARDED_BY(m_lock) = nullptr;  // last kernel thread selected
  libk::ListEntry* m_user_cursor GUARDED_BY(m_lock) = nullptr;
};

// A hook run at every scheduling point of every core (the RPC layer's rpc_check()).
using SchedulingPointHook = void (*)(Core* core);
void set_scheduling_point_hook(SchedulingPointHook hook);

// A hook run when an RPC thread deschedules blocked (the RPC layer gives FIFO ownership up).
using RpcBlockingHook = void (*)(Thread* thread);
void set_rpc_blocking_hook(RpcBlockingHook hook);

// What one scheduling decision did.
enum class Step {
  kRanThread,  // a thread ran (or a thread was destroyed)
  kRanIdle,    // only the idle thread could run
  kStopped,    // nothing left to run: the core has stopped (idle thread gone)
};

// Runs one scheduling decision on `core`: the scheduling-point hook, then the selected
// thread until it yields. Must run on the host thread that currently drives this core.
// Once the core is stopping (Core::m_stop) it runs only the RPC threads, which leave, and
// the idle thread, which ends; kernel threads still there are left to the machine's count
// (a thread that never blocks cannot hold the shutdown forever). kStopped when nothing of
// the core is left to run.
Step core_step(Core* core);

// From a thread: give the core back to its scheduler. The thread runs again when it is
// selected (immediately if nothing else is runnable and it is not blocked).
void sched_yield();

}  // namespace mkh::kern
