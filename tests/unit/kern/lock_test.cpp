// ctest-label: concurrency
// Locks under contention from many cores of different clusters: busylock,
// remote_busylock, queuelock, remote_queuelock, rwlock. Each protects a non-atomic
// counter whose final value proves mutual exclusion.
#include <atomic>
#include <cstdio>

#include <gtest/gtest.h>

#include "kcheck.hpp"
#include "kern/queuelock.hpp"
#include "kern/rwlock.hpp"
#include "machine_fixture.hpp"
#include "mm/memory.hpp"

namespace mkh::test {
namespace {

constexpr int kIterations = 400;

// A lock and the counter it protects, in cluster 0's bank.
template <typename Lock>
struct Guarded {
  Lock lock;
  uint64_t counter = 0;
  uint64_t inside = 0;  // threads inside the critical section (must stay ≤ 1 for writers)
  uint64_t violations = 0;
};

template <typename Lock>
Guarded<Lock>* place_in_cluster0(Machine& machine, mm::Page** page) {
  hal::ClusterScope scope(machine.clusters()[0]);
  *page = *mm::local_memory()->m_ppm.alloc_pages(0);
  return new (mm::local_memory()->m_ppm.page_to_base(*page)) Guarded<Lock>();
}

void release_page(Machine& machine, mm::Page* page) {
  hal::ClusterScope scope(machine.clusters()[0]);
  mm::local_memory()->m_ppm.free_pages(page);
}

// Enters the critical section: checks exclusion, bumps the counter, maybe yields inside.
template <typename G>
void critical_section(G* g, bool yield_inside) {
  if (g->inside++ != 0) ++g->violations;
  const uint64_t value = g->counter;
  if (yield_inside) kern::sched_yield();
  g->counter = value + 1;
  --g->inside;
}

class LockTest : public MachineTest {};

TEST_F(LockTest, BusylockExcludesCoresOfOneCluster) {
  boot({1, 1, 4});
  mm::Page* page;
  auto* g = place_in_cluster0<hal::Busylock>(machine(), &page);
  StartLine start(4);
  {
    ThreadRunner runner(machine());
    runner.start_on_every_core([&](uint32_t, uint32_t, uint32_t) {
      start.arrive_and_wait();
      for (int i = 0; i < kIterations * 10; ++i) {
        g->lock.acquire();
        critical_section(g, false);
        g->lock.release();
      }
    });
  }
  EXPECT_EQ(g->counter, uint64_t(4 * kIterations * 10));
  EXPECT_EQ(g->violations, 0u);
  release_page(machine(), page);
}

TEST_F(LockTest, RemoteBusylockExcludesEveryCluster) {
  boot({2, 2, 2});
  mm::Page* page;
  auto* g = place_in_cluster0<hal::RemoteBusylock>(machine(), &page);
  const auto lock = hal::Xptr<hal::RemoteBusylock>(machine().clusters()[0], &g->lock);
  const auto counter = hal::Xptr<uint64_t>(machine().clusters()[0], &g->counter);
  StartLine start(8);
  {
    ThreadRunner runner(machine());
    runner.start_on_every_core([&](uint32_t, uint32_t, uint32_t) {
      start.arrive_and_wait();
      for (int i = 0; i < kIterations * 10; ++i) {
        hal::remote_busylock_acquire(lock);
        // A non-atomic read-modify-write through remote access, made exclusive by the lock.
        const uint64_t value = hal::remote_load(counter);
        hal::remote_store(counter, value + 1);
        hal::remote_busylock_release(lock);
      }
    });
  }
  EXPECT_EQ(g->counter, uint64_t(8 * kIterations * 10));
  release_page(machine(), page);
}

TEST_F(LockTest, RemoteQueuelockExcludesEveryCore) {
  boot({2, 2, 2});
  mm::Page* page;
  auto* g = place_in_cluster0<kern::RemoteQueuelock>(machine(), &page);
  const auto lock = hal::Xptr<kern::RemoteQueuelock>(machine().clusters()[0], &g->lock);
  {
    hal::ClusterScope scope(machine().clusters()[0]);
    kern::remote_queuelock_init(lock);
  }
  StartLine start(8);
  {
    ThreadRunner runner(machine());
    runner.start_on_every_core([&](uint32_t, uint32_t, uint32_t) {
      start.arrive_and_wait();
      for (int i = 0; i < kIterations; ++i) {
        kern::remote_queuelock_acquire(lock);
        critical_section(g, true);  // the holder deschedules while holding it
        kern::remote_queuelock_release(lock);
      }
    });
  }
  EXPECT_EQ(g->counter, uint64_t(8 * kIterations));
  EXPECT_EQ(g->violations, 0u);
  EXPECT_FALSE(kern::remote_queuelock_is_taken(lock));
  release_page(machine(), page);
}

// A waiter of another cluster really blocks (cause LOCK) and leaves its core to the idle
// thread; the release hands it the lock.
TEST_F(LockTest, QueuelockWaiterBlocksAndGetsTheLockHandedOver) {
  boot({2, 1, 1});
  mm::Page* page;
  auto* g = place_in_cluster0<kern::RemoteQueuelock>(machine(), &page);
  const auto lock = hal::Xptr<kern::RemoteQueuelock>(machine().clusters()[0], &g->lock);
  {
    hal::ClusterScope scope(machine().clusters()[0]);
    kern::remote_queuelock_init(lock);
  }
  std::atomic<bool> holder_in{false}, waiter_in{false}, saw_waiter_blocked{false}, measured{false};
  std::atomic<uint64_t> waiter{0};
  std::atomic<uint64_t> waiter_switches{0};
  {
    ThreadRunner runner(machine());
    runner.start(machine().clusters()[0], 0, [&] {
      kern::remote_queuelock_acquire(lock);
      holder_in.store(true);
      while (waiter.load() == 0) kern::sched_yield();
      const hal::Xptr<kern::Thread> other(waiter.load());
      for (int i = 0; i < 1'000'000 && !saw_waiter_blocked.load(); ++i) {
        if ((hal::remote_load(other.field(&kern::Thread::m_blocked)) & kern::THREAD_BLOCKED_LOCK) != 0)
          saw_waiter_blocked.store(true);
        kern::sched_yield();
      }
      // The waiter's own count of times it was switched in (not its core's, which the idle
      // thread's runs also raise).
      const auto switches = other.field(&kern::Thread::m_switches);
      const uint64_t before = hal::remote_load(switches);
      EXPECT_FALSE(waiter_in.load());
      kern::remote_queuelock_release(lock);
      while (!waiter_in.load()) kern::sched_yield();
      waiter_switches.store(hal::remote_load(switches) - before);
      measured.store(true);  // the waiter may end now
    });
    runner.start(machine().clusters()[1], 0, [&] {
      waiter.store(kern::thread_current_xptr().raw());
      while (!holder_in.load()) kern::sched_yield();
      kern::remote_queuelock_acquire(lock);
      waiter_in.store(true);
      kern::remote_queuelock_release(lock);
      while (!measured.load()) kern::sched_yield();
    });
  }
  EXPECT_TRUE(saw_waiter_blocked.load());
  EXPECT_TRUE(waiter_in.load());
  EXPECT_GE(waiter_switches.load(), 1u);  // it was switched back in after the hand-over
  release_page(machine(), page);
}

TEST_F(LockTest, LocalQueuelockWithManyThreadsPerCore) {
  boot({1, 1, 2});
  mm::Page* page;
  auto* g = place_in_cluster0<kern::Queuelock>(machine(), &page);
  {
    hal::ClusterScope scope(0);
    g->lock.init();
  }
  StartLine start(8);
  {
    ThreadRunner runner(machine());
    for (int t = 0; t < 8; ++t)
      runner.start(0, uint32_t(t % 2), [&] {
        start.arrive_and_wait();
        for (int i = 0; i < kIterations; ++i) {
          kern::QueuelockGuard guard(g->lock);
          critical_section(g, true);
        }
      });
  }
  EXPECT_EQ(g->counter, uint64_t(8 * kIterations));
  EXPECT_EQ(g->violations, 0u);
  release_page(machine(), page);
}

TEST_F(LockTest, RwlockReadersShareWritersExclude) {
  boot({2, 2, 2});
  mm::Page* page;
  auto* g = place_in_cluster0<kern::RemoteRwlock>(machine(), &page);
  const auto lock = hal::Xptr<kern::RemoteRwlock>(machine().clusters()[0], &g->lock);
  {
    hal::ClusterScope scope(machine().clusters()[0]);
    kern::remote_rwlock_init(lock);
  }
  std::atomic<int> readers_inside{0};
  StartLine start(8);
  {
    ThreadRunner runner(machine());
    runner.start_on_every_core([&](uint32_t, uint32_t, uint32_t index) {
      start.arrive_and_wait();
      for (int i = 0; i < kIterations; ++i) {
        if ((i + index) % 4 == 0) {
          kern::remote_rwlock_wr_acquire(lock);
          KCHECK_EQ(readers_inside.load(), 0);
          critical_section(g, true);
          kern::remote_rwlock_wr_release(lock);
        } else {
          kern::remote_rwlock_rd_acquire(lock);
          readers_inside.fetch_add(1);
          KCHECK_EQ(g->inside, 0u);
          kern::sched_yield();
          readers_inside.fetch_sub(1);
          kern::remote_rwlock_rd_release(lock);
        }
      }
    });
  }
  EXPECT_EQ(g->counter, uint64_t(8 * kIterations / 4));
  EXPECT_EQ(g->violations, 0u);
  release_page(machine(), page);
}

TEST_F(LockTest, TwoReadersHoldTheRwlockTogether) {
  boot({2, 1, 1});
  mm::Page* page;
  auto* g = place_in_cluster0<kern::RemoteRwlock>(machine(), &page);
  const auto lock = hal::Xptr<kern::RemoteRwlock>(machine().clusters()[0], &g->lock);
  {
    hal::ClusterScope scope(machine().clusters()[0]);
    kern::remote_rwlock_init(lock);
  }
  std::atomic<bool> first_in{false}, second_in{false}, shared{false};
  {
    ThreadRunner runner(machine());
    runner.start(machine().clusters()[0], 0, [&] {
      kern::remote_rwlock_rd_acquire(lock);
      first_in.store(true);
      for (int i = 0; i < 1'000'000 && !second_in.load(); ++i) kern::sched_yield();
      shared.store(second_in.load());
      kern::remote_rwlock_rd_release(lock);
    });
    runner.start(machine().clusters()[1], 0, [&] {
      while (!first_in.load()) kern::sched_yield();
      kern::remote_rwlock_rd_acquire(lock);  // enters while the first reader holds it
      second_in.store(true);
      kern::remote_rwlock_rd_release(lock);
    });
  }
  EXPECT_TRUE(shared.load());
  release_page(machine(), page);
}

// A release must match an acquire of the same thread, and scopes that only hold off a
// deletion (NoDeleteScope) must not hide a release without one.
TEST(LockAccountingDeathTest, ReleasingASleepingLockNotTakenIsCaughtEvenInsideANoDeleteScope) {
  kern::Thread thread;
  std::snprintf(thread.m_name, sizeof thread.m_name, "t");
  EXPECT_DEATH(kern::thread_release_lock(&thread), "releases a lock it did not take");
  const kern::NoDeleteScope scope(&thread);
  EXPECT_DEATH(kern::thread_release_lock(&thread), "releases a lock it did not take");
  kern::thread_hold_lock(&thread);
  kern::thread_release_lock(&thread);
  EXPECT_EQ(thread.m_locks_held, 0u);
  EXPECT_EQ(thread.m_no_delete, 1u);
}

}  // namespace
}  // namespace mkh::test
