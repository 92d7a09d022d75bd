// Kernel threads: creation from the local kcm and ppm, exit, destroy, block and unblock.
// Layer: kern. Calls mm (ppm, kcm), hal (fiber, remote access, IPI), the scheduler.
#include "kern/thread.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <new>

#include "kern/cluster.hpp"
#include "kern/sched.hpp"
#include "kern/timer.hpp"
#include "libk/scope_guard.hpp"
#include "mm/kmem.hpp"

namespace mkh::kern {

namespace {

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr uint32_t kStackOrder = 6;  // 256 KiB: sanitizers grow frames
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
constexpr uint32_t kStackOrder = 6;
#else
constexpr uint32_t kStackOrder = 4;  // 64 KiB
#endif
#else
constexpr uint32_t kStackOrder = 4;  // 64 KiB
#endif

// A thread leaves holding nothing that others wait for or that refers to its stack.
void mark_exited(Thread* thread) {
  KASSERT(thread->m_locks_held == 0, "thread {} exits holding {} sleeping lock(s)", thread->m_name,
          thread->m_locks_held);
  KASSERT(thread->m_no_delete == 0, "thread {} exits inside a no-delete scope", thread->m_name);
  thread->m_state = ThreadState::kExited;
}

void thread_entry(void* arg) {
  auto* thread = static_cast<Thread*>(arg);
  thread->m_entry(thread->m_arg);
  // The fiber returns to the scheduler, which sees it finished and destroys the thread.
  mark_exited(thread);
}

}  // namespace

std::string_view thread_type_name(ThreadType type) {
  switch (type) {
#define MKH_X(name, label) \
  case ThreadType::name: return label;
    MKH_THREAD_TYPES(MKH_X)
#undef MKH_X
  }
  return "?";
}

std::size_t format_blocked(uint32_t blocked, char* buffer, std::size_t capacity) {
  static constexpr const char* kNames[] = {
#define MKH_X(name, label) label,
      MKH_THREAD_BLOCKING_CAUSES(MKH_X)
#undef MKH_X
  };
  std::size_t length = 0;
  auto put = [&](const char* text) {
    for (; *text != '\0' && length + 1 < capacity; ++text) buffer[length++] = *text;
  };
  if (blocked == 0) put("-");
  for (uint32_t bit = 0; bit < blocked_bit::kCount; ++bit) {
    if ((blocked & (1u << bit)) == 0) continue;
    if (length != 0) put("|");
    put(kNames[bit]);
  }
  if (capacity != 0) buffer[length] = '\0';
  return length;
}

namespace {

Result<Thread*> thread_make(ThreadType type, ThreadEntry entry, void* arg, hal::lid_t lid, std::string_view name) {
  Cluster* cluster = LOCAL_CLUSTER;
  // Every allocation is held by its owner until the thread is complete: a failure half-way
  // frees what was taken and counts the error.
  libk::ScopeGuard count_failure([] { cluster_count_error(); });
  mm::PageBlock stack = TRY(mm::PageBlock::alloc(kStackOrder));
  mm::KmemOwner<Thread> made = TRY(mm::KmemOwner<Thread>::make());
  count_failure.dismiss();

  // Nothing can fail from here on.
  Thread* thread = made.release();
  thread->m_type = type;
  thread->m_cxy = cluster->m_cxy;
  thread->m_lid = lid;
  const uint32_t index = std::atomic_ref<uint32_t>(cluster->m_next_thread_index).fetch_add(1);
  thread->m_trdid = (cluster->m_cxy << 16) | (index & 0xffff);
  thread->m_entry = entry;
  thread->m_arg = arg;
  void* stack_base = stack.base();
  thread->m_stack_page = stack.release();
  const std::size_t name_length = std::min(name.size(), kThreadNameSize - 1);
  std::memcpy(thread->m_name, name.data(), name_length);
  thread->m_name[name_length] = '\0';
  thread->m_fiber.init(stack_base, hal::kPageSize << kStackOrder, thread_entry, thread);

  Core* core = &cluster->m_cores[lid];
  hal::stat_add(core->m_stats.threads_created, uint64_t(1));
  if (type == ThreadType::IDLE) {
    hal::local_store(core->m_sched.m_idle, thread);
  } else {
    core->m_sched.register_thread(thread);
  }
  // The thread is runnable now: a core that went idle must look at its lists again.
  if (hal::local_load(core->m_idle, std::memory_order_seq_cst) != 0) send_ipi(cluster->m_cxy, lid);
  return thread;
}

}  // namespace

Result<Thread*> thread_create(ThreadType type, ThreadEntry entry, void* arg, hal::lid_t lid, std::string_view name) {
  if (lid >= LOCAL_CLUSTER->m_cores_nr || entry == nullptr || type == ThreadType::IDLE) {
    cluster_count_error();
    return error(Errno::kInval);
  }
  return thread_make(type, entry, arg, lid, name);
}

Result<Thread*> thread_idle_create(hal::lid_t lid, ThreadEntry entry, void* arg) {
  char name[kThreadNameSize];
  const int length = std::snprintf(name, sizeof name, "idle%u", lid);
  return thread_make(ThreadType::IDLE, entry, arg, lid, std::string_view(name, std::size_t(length)));
}

Thread* thread_current() {
  Core* core = core_current();
  return core == nullptr ? nullptr : hal::local_load(core->m_sched.m_current, std::memory_order_relaxed);
}

void thread_block(hal::Xptr<Thread> thread, uint32_t cause) {
  const hal::lid_t lid = hal::remote_load(thread.field(&Thread::m_lid));
  if (hal::remote_atomic_or(thread.field(&Thread::m_blocked), cause) == 0)
    Sched::count_ready(core_xptr(thread.cxy(), lid), -1);
}

bool thread_unblock(hal::Xptr<Thread> thread, uint32_t cause) {
  // The core first: once the word is clear the thread may run, exit and be freed.
  const hal::lid_t lid = hal::remote_load(thread.field(&Thread::m_lid));
  const uint32_t before = hal::remote_atomic_and(thread.field(&Thread::m_blocked), ~cause);
  if ((before & cause) == 0 || (before & ~cause) != 0) return false;
  Sched::count_ready(core_xptr(thread.cxy(), lid), +1);
  // Runnable now. Its core sets m_idle before it last scans its lists, and we cleared the
  // word before reading m_idle (both sequentially consistent): either the core's scan sees
  // the thread runnable, or we see the core idle and send the IPI.
  const auto core = core_xptr(thread.cxy(), lid);
  if (hal::remote_load_sc(core.field(&Core::m_idle)) != 0) send_ipi(thread.cxy(), lid);
  return true;
}

void thread_wait_flag(hal::Xptr<uint32_t> flag, uint32_t cause) {
  KASSERT((cause & THREAD_BLOCKED_KILLABLE) == 0, "a flag wait on a killable cause {:#x}", cause);
  const auto self = thread_current_xptr();
  for (;;) {
    if (hal::remote_cas(flag, kFlagPosted, 0u)) return;
    // Blocked before the CAS that announces the sleep: the poster's unblock can come
    // between the CAS and the yield and is not lost.
    thread_block(self, cause);
    // Asleep (again, after a wake-up that was not the poster's): yield until it posts.
    if (hal::remote_cas(flag, 0u, kFlagWaiter) || hal::remote_load(flag) == kFlagWaiter) {
      sched_yield();
    } else {
      thread_unblock(self, cause);  // posted meanwhile
    }
  }
}

void thread_post_flag(hal::Xptr<uint32_t> flag, hal::Xptr<Thread> waiter, uint32_t cause) {
  const uint32_t before = hal::remote_exchange(flag, kFlagPosted);
  KASSERT(before != kFlagPosted, "a flag posted twice before its waiter took it");
  if (before == kFlagWaiter) thread_unblock(waiter, cause);
}

void thread_post_flag_to(hal::Xptr<uint32_t> flag, hal::Xptr<hal::xptr_t> waiter_word, uint32_t cause) {
  const uint32_t before = hal::remote_exchange(flag, kFlagPosted);
  KASSERT(before != kFlagPosted, "a flag posted twice before its waiter took it");
  if (before == kFlagWaiter) thread_unblock(hal::Xptr<Thread>(hal::remote_load(waiter_word)), cause);
}

Result<void> thread_request_delete(Thread* thread) {
  // Under the lock of the core whose lists hold it: the check, the mark, and the clearing
  // of the killable causes; after it, only the core is touched.
  struct Request {
    Errno result = Errno::kOk;
    bool runnable_now = false;
  } request;
  Cluster* cluster = LOCAL_CLUSTER;
  for (hal::lid_t lid = 0; lid < cluster->m_cores_nr; ++lid) {
    Core* core = &cluster->m_cores[lid];
    const bool found = core->m_sched.visit_thread(
        thread,
        [](Thread* t, void* context) {
          auto* r = static_cast<Request*>(context);
          // A user thread ends through its process (exit, a fatal signal), which frees what it holds.
          if (t->m_type == ThreadType::IDLE || t->m_type == ThreadType::RPC || t->m_type == ThreadType::USER) {
            r->result = Errno::kInval;
            return;
          }
          const auto self = hal::Xptr<Thread>(t->m_cxy, t);
          if ((hal::remote_atomic_or(self.field(&Thread::m_flags), uint32_t(THREAD_FLAG_REQ_DELETE)) &
               THREAD_FLAG_REQ_DELETE) != 0) {
            r->result = Errno::kSrch;  // being deleted already
            return;
          }
          const uint32_t blocked = hal::remote_atomic_and(self.field(&Thread::m_blocked), ~THREAD_BLOCKED_KILLABLE);
          r->runnable_now = blocked != 0 && (blocked & ~THREAD_BLOCKED_KILLABLE) == 0;
          if (r->runnable_now) Sched::count_ready(core_xptr(t->m_cxy, t->m_lid), +1);
        },
        &request);
    if (!found) continue;
    if (request.result != Errno::kOk) return error(request.result);
    // Runnable now: wake its core if idle (the same argument as thread_unblock's).
    if (request.runnable_now && hal::local_load(core->m_idle, std::memory_order_seq_cst) != 0)
      send_ipi(hal::local_cxy(), lid);
    return {};
  }
  return error(Errno::kSrch);
}

void thread_deletion_point(Thread* self) {
  if (thread_deletable(self)) {
    sched_yield();  // core_step destroys it
    kpanic("thread {} was resumed after its deletion", self->m_name);
  }
}

bool thread_deletable(const Thread* thread) {
  return (hal::local_load(thread->m_flags) & THREAD_FLAG_REQ_DELETE) != 0 && thread->m_no_delete == 0 &&
         thread->m_locks_held == 0 && (hal::local_load(thread->m_blocked) & ~THREAD_BLOCKED_KILLABLE) == 0;
}

void thread_exit() {
  Thread* self = thread_current();
  KASSERT(self != nullptr, "thread_exit outside a thread");
  mark_exited(self);
  hal::Fiber& fiber = self->m_fiber;
  fiber.suspend();
  kpanic("exited thread {} was resumed", self->m_name);
}

void thread_destroy(Thread* thread) {
  Cluster* cluster = LOCAL_CLUSTER;
  Core* core = &cluster->m_cores[thread->m_lid];
  KASSERT(thread != hal::local_load(core->m_sched.m_current, std::memory_order_relaxed), "thread {} destroys itself",
          thread->m_name);
  if (thread->m_type == ThreadType::IDLE) {
    hal::local_store(core->m_sched.m_idle, static_cast<Thread*>(nullptr));
  } else {
    core->m_sched.unregister_thread(thread);
  }
  if (!thread->m_fiber.finished()) thread->m_fiber.abandon();
  timers_forget(core, thread);
  mm::Page* stack = thread->m_stack_page;
  mm::kmem_delete(thread);
  mm::kmem_free_pages(stack);
  hal::stat_add(core->m_stats.threads_destroyed, uint64_t(1));
}

}  // namespace mkh::kern
