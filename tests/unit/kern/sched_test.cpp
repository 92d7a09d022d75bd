// ctest-label: concurrency
// Threads and the scheduler: create, run, block and unblock from remote clusters,
// thousands of switches, deletion of a parked thread, errors, IPIs to idle cores, timers.
#include <atomic>
#include <cmath>
#include <memory>
#include <vector>

#include <gtest/gtest.h>

#include "hal/clock.hpp"
#include "kcheck.hpp"
#include "kern/core.hpp"
#include "kern/loadavg.hpp"
#include "kern/sched_display.hpp"
#include "kern/timer.hpp"
#include "machine_fixture.hpp"
#include "mm/memory.hpp"
#include "rpc/marshal.hpp"
#include "rpc/services/mkh.hpp"

namespace mkh::test {
namespace {

using kern::thread_block;
using kern::thread_current_xptr;
using kern::thread_unblock;

class SchedTest : public MachineTest {};

TEST_F(SchedTest, EveryCoreRunsItsThreads) {
  boot({2, 2, 2});
  std::atomic<int> ran{0};
  {
    ThreadRunner runner(machine());
    runner.start_on_every_core([&](uint32_t cxy, uint32_t lid, uint32_t) {
      KCHECK_EQ(hal::local_cxy(), cxy);
      KCHECK_EQ(kern::thread_current()->m_lid, lid);
      ran.fetch_add(1);
    });
  }
  EXPECT_EQ(ran.load(), 8);
}

TEST_F(SchedTest, ThousandsOfSwitchesBetweenThreadsOfOneCore) {
  boot({1, 1, 1});
  constexpr int kYields = 5000;
  std::atomic<int> turns{0};
  {
    ThreadRunner runner(machine());
    for (int t = 0; t < 3; ++t)
      runner.start(0, 0, [&] {
        for (int i = 0; i < kYields; ++i) {
          turns.fetch_add(1);
          kern::sched_yield();
        }
      });
  }
  EXPECT_EQ(turns.load(), 3 * kYields);
  const auto report = machine().report();
  EXPECT_GE(report.clusters[0].switches, uint64_t(3 * kYields));
}

// More thread lifetimes from one creator than a sanitizer's shadow stack has frames
// (65536 under TSan): creating, running and ending a fiber leaves nothing behind on the
// creator's side, whatever the sanitizer's bookkeeping of the switches. Under TSan on a
// loaded machine this takes minutes: the wait fails only when the count stops moving.
TEST_F(SchedTest, SeventyThousandThreadLifetimesFromOneCreator) {
  boot({1, 1, 1});
  constexpr int kThreads = 70000;
  std::atomic<int> ran{0};
  {
    ThreadRunner runner(machine());
    runner.start(0, 0, [&] {
      for (int i = 0; i < kThreads; ++i) {
        auto thread = kern::thread_create(
            kern::ThreadType::DEV, [](void* count) { static_cast<std::atomic<int>*>(count)->fetch_add(1); }, &ran, 0,
            "short");
        ASSERT_TRUE(thread.has_value());
        kern::sched_yield();  // it runs, ends and is destroyed before this thread runs again
      }
    });
    EXPECT_TRUE(runner.wait_while_progressing([&] { return uint64_t(ran.load()); }));
  }
  EXPECT_EQ(ran.load(), kThreads);
}

TEST_F(SchedTest, RoundRobinInterleavesRunnableThreads) {
  boot({1, 1, 1});
  std::vector<int> order;  // only touched by threads of the one core, one at a time
  StartLine start(2);
  {
    ThreadRunner runner(machine());
    for (int t = 0; t < 2; ++t)
      runner.start(0, 0, [&order, &start, t] {
        start.arrive_and_wait();
        for (int i = 0; i < 3; ++i) {
          order.push_back(t);
          kern::sched_yield();
        }
      });
  }
  ASSERT_EQ(order.size(), 6u);
  for (std::size_t i = 1; i < order.size(); ++i) EXPECT_NE(order[i], order[i - 1]) << "turn " << i;
}

// A thread blocks itself; a thread of another cluster unblocks it. Repeated, across every
// pair of clusters. In even rounds the poster waits until the waiter sleeps (its word says
// kFlagWaiter), so only the poster's unblock can wake it; in odd rounds it posts at once,
// racing the block (no lost wake-up). The waiter counts the rounds in which it was switched
// out and back in: the block/unblock path, not only a post found already there.
TEST_F(SchedTest, RemoteUnblockWakesABlockedThread) {
  boot({2, 2, 1});
  constexpr int kRounds = 300;
  const auto& clusters = machine().clusters();
  std::atomic<int> wakeups{0};
  std::vector<std::shared_ptr<std::atomic<int>>> slept;
  {
    ThreadRunner runner(machine());
    for (std::size_t i = 0; i < clusters.size(); ++i) {
      const uint32_t sleeper_cxy = clusters[i], waker_cxy = clusters[(i + 1) % clusters.size()];
      auto sleeper_xp = std::make_shared<std::atomic<uint64_t>>(0);
      auto flag = std::make_shared<std::atomic<uint64_t>>(0);  // xptr of the flag word
      auto switched_out = slept.emplace_back(std::make_shared<std::atomic<int>>(0));
      runner.start(sleeper_cxy, 0, [=, &wakeups] {
        auto* word =
            static_cast<uint32_t*>(*mm::local_memory()->m_kcm[uint32_t(mm::KcmType::GENERIC_64)].alloc_zeroed());
        flag->store(hal::XPTR(hal::local_cxy(), word));
        sleeper_xp->store(thread_current_xptr().raw());
        const kern::Thread* self = kern::thread_current();
        for (int r = 0; r < kRounds; ++r) {
          const uint64_t switches = hal::local_load(self->m_switches, std::memory_order_relaxed);
          kern::thread_wait_flag(hal::Xptr<uint32_t>(flag->load()), kern::THREAD_BLOCKED_WAIT);
          if (hal::local_load(self->m_switches, std::memory_order_relaxed) != switches) switched_out->fetch_add(1);
          wakeups.fetch_add(1);
        }
        mm::local_memory()->m_kcm[uint32_t(mm::KcmType::GENERIC_64)].free(word);
      });
      runner.start(waker_cxy, 0, [=] {
        while (sleeper_xp->load() == 0 || flag->load() == 0) kern::sched_yield();
        const hal::Xptr<kern::Thread> sleeper(sleeper_xp->load());
        const hal::Xptr<uint32_t> word(flag->load());
        for (int r = 0; r < kRounds; ++r) {
          // Wait until the previous post was taken (in even rounds, until the waiter
          // sleeps), then post again.
          if (r % 2 == 0)
            while (hal::remote_load(word) != kern::kFlagWaiter) kern::sched_yield();
          while (hal::remote_load(word) == kern::kFlagPosted) kern::sched_yield();
          kern::thread_post_flag(word, sleeper, kern::THREAD_BLOCKED_WAIT);
        }
      });
    }
  }
  EXPECT_EQ(wakeups.load(), kRounds * int(clusters.size()));
  // A waiter woken by the unblock of an even round's post was switched out, unless that
  // unblock came between its announcing the sleep and its yield: most even rounds (and
  // many odd ones: 190 to 300 rounds of 300 seen, under TSan too).
  for (std::size_t i = 0; i < slept.size(); ++i)
    EXPECT_GE(slept[i]->load(), kRounds / 4) << "waiter on cluster " << clusters[i];
}

TEST_F(SchedTest, BlockedThreadDoesNotRunUntilEveryCauseIsCleared) {
  boot({2, 1, 1});
  std::atomic<uint64_t> sleeper{0};
  std::atomic<int> stage{0};
  {
    ThreadRunner runner(machine());
    runner.start(0, 0, [&] {
      const auto self = thread_current_xptr();
      thread_block(self, kern::THREAD_BLOCKED_IO | kern::THREAD_BLOCKED_JOIN);
      sleeper.store(self.raw());
      kern::sched_yield();
      stage.store(2);
    });
    runner.start(machine().clusters()[1], 0, [&] {
      while (sleeper.load() == 0) kern::sched_yield();
      const hal::Xptr<kern::Thread> thread(sleeper.load());
      EXPECT_FALSE(thread_unblock(thread, kern::THREAD_BLOCKED_IO));  // JOIN still set
      for (int i = 0; i < 200; ++i) kern::sched_yield();
      EXPECT_EQ(stage.load(), 0);
      EXPECT_TRUE(thread_unblock(thread, kern::THREAD_BLOCKED_JOIN));
    });
  }
  EXPECT_EQ(stage.load(), 2);
}

TEST_F(SchedTest, UnblockingAThreadOfASleepingCoreSendsAnIpi) {
  boot({2, 1, 1});
  machine().set_idle_spin_us(0);  // idle cores sleep at once
  std::atomic<uint64_t> sleeper{0};
  {
    ThreadRunner runner(machine());
    runner.start(0, 0, [&] {
      const auto self = thread_current_xptr();
      thread_block(self, kern::THREAD_BLOCKED_WAIT);
      sleeper.store(self.raw());
      kern::sched_yield();
    });
    while (sleeper.load() == 0) std::this_thread::yield();
    // Let core 0 go idle and sleep.
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    runner.start(machine().clusters()[1], 0,
                 [&] { thread_unblock(hal::Xptr<kern::Thread>(sleeper.load()), kern::THREAD_BLOCKED_WAIT); });
  }
  const auto report = machine().report();
  EXPECT_GE(report.clusters[0].sleeps, 1u);
  EXPECT_GE(report.clusters[0].ipis_received, 1u);
  EXPECT_GE(report.clusters[1].ipis_sent, 1u);
}

TEST_F(SchedTest, DeleteRequestDestroysAParkedThread) {
  boot({2, 1, 1});
  const uint64_t at_boot = machine().report().clusters[0].threads_alive;  // idle, parked RPC thread
  std::atomic<uint64_t> parked{0};
  std::atomic<bool> returned{false};
  ThreadRunner runner(machine());
  runner.start(0, 0, [&] {
    const auto self = thread_current_xptr();
    kern::Timer timer;  // on the stack that goes with the thread: its core forgets it
    timer.arm(kern::ticks_from_now(3'600'000'000'000), kern::THREAD_BLOCKED_SLEEP);
    thread_block(self, kern::THREAD_BLOCKED_GLOBAL);
    parked.store(self.raw());
    kern::sched_yield();
    returned.store(true);  // never reached: the thread is destroyed while parked
  });
  while (parked.load() == 0) std::this_thread::yield();
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  {
    hal::ClusterScope scope(machine().clusters()[0]);
    EXPECT_TRUE(kern::thread_request_delete(hal::GET_PTR<kern::Thread>(parked.load())).has_value());
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (machine().report().clusters[0].threads_alive != at_boot && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  EXPECT_EQ(machine().report().clusters[0].threads_alive, at_boot);
  EXPECT_FALSE(returned.load());
  runner.abandon(1);  // its closure never returns
  ThreadRunner checker(machine());
  checker.start(0, 0, [&] { KCHECK_EQ(kern::timers_first(kern::core_current()), UINT64_MAX); });
}

TEST_F(SchedTest, CreateRejectsABadCoreAndCountsIt) {
  boot({1, 1, 2});
  hal::ClusterScope scope(0);
  auto thread = kern::thread_create(
      kern::ThreadType::DEV, [](void*) {}, nullptr, 2, "bad");
  ASSERT_FALSE(thread.has_value());
  EXPECT_EQ(thread.error(), Errno::kInval);
  EXPECT_FALSE(kern::thread_create(
                   kern::ThreadType::IDLE, [](void*) {}, nullptr, 0, "bad")
                   .has_value());
  EXPECT_FALSE(machine()
                   .spawn(
                       0x77, 0, [](void*) {}, nullptr, "bad")
                   .has_value());
  EXPECT_EQ(machine().report().clusters[0].errors, 2u);
}

TEST_F(SchedTest, DisplayListsTheThreadsOfACore) {
  boot({1, 1, 1});
  std::atomic<bool> release{false};
  ThreadRunner runner(machine());
  runner.start(0, 0, [&] {
    while (!release.load()) kern::sched_yield();
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(2));
  const std::string text = machine().display_core(0, 0);
  EXPECT_NE(text.find("idle0"), std::string::npos) << text;
  EXPECT_NE(text.find("test"), std::string::npos) << text;
  release.store(true);
}

// The ready count (the spinners' hint) follows every block, unblock, kill, creation and
// destruction: at rest it equals the threads of the lists that are not blocked.
TEST_F(SchedTest, ReadyCountMatchesTheUnblockedThreadsAtRest) {
  boot({2, 2, 2});
  {
    ThreadRunner runner(machine());
    runner.start_on_every_core([&](uint32_t, uint32_t, uint32_t index) {
      for (int i = 0; i < 50; ++i) {
        const uint32_t server = machine().clusters()[(index + uint32_t(i)) % machine().clusters().size()];
        (void)rpc::rpc_call<rpc::RPC_MKH_PING>(server, uint64_t(i));  // blocks, is unblocked
        kern::sched_yield();
      }
    });
  }
  auto mismatches = [&] {
    int bad = 0;
    for (uint32_t cxy : machine().clusters())
      for (uint32_t lid = 0; lid < 2; ++lid) {
        kern::Sched& sched = kern::cluster_at(cxy)->m_cores[lid].m_sched;
        uint32_t unblocked = 0;
        sched.for_each_thread(
            [](kern::Thread* t, void* count) {
              if (t->m_type != kern::ThreadType::IDLE && hal::local_load(t->m_blocked) == 0)
                ++*static_cast<uint32_t*>(count);
            },
            &unblocked);
        if (hal::local_load(sched.m_ready_nr) != unblocked) ++bad;
      }
    return bad;
  };
  // The runner's threads are destroyed at their cores' next scheduling points.
  for (int i = 0; i < 2000 && mismatches() != 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  EXPECT_EQ(mismatches(), 0);
}

// Bug: thread_post_flag stored the flag and then unblocked the waiter, which might have
// seen the flag, returned and exited in between: the unblock touched a freed thread. Now
// the poster touches the waiter only when the word says it sleeps for this post.
TEST_F(SchedTest, PostingAFlagTouchesTheWaiterOnlyWhileItSleeps) {
  boot({2, 1, 1});
  {
    ThreadRunner runner(machine());
    runner.start(machine().clusters()[0], 0, [&] {
      uint32_t word = 0;
      const hal::Xptr<uint32_t> flag(hal::local_cxy(), &word);
      // Nobody waits: the post must not touch the waiter (a null xptr would fault).
      kern::thread_post_flag(flag, hal::Xptr<kern::Thread>(), kern::THREAD_BLOCKED_WAIT);
      KCHECK_EQ(word, kern::kFlagPosted);
      kern::thread_wait_flag(flag, kern::THREAD_BLOCKED_WAIT);  // takes it without sleeping
      KCHECK_EQ(word, 0u);
    });
  }
}

// A thread that waits for its timer is not run until it fires (its core sleeps meanwhile),
// and wakes no earlier than its deadline; timers stay sorted and a cancelled one is gone.
TEST_F(SchedTest, ATimerWakesItsThreadWhichDoesNotRunMeanwhile) {
  boot({1, 1, 1});
  ASSERT_FALSE(HasFatalFailure());
  ThreadRunner runner(machine());
  runner.start(machine().clusters()[0], 0, [&] {
    kern::Core* core = kern::core_current();
    {
      kern::Timer later, sooner;
      later.arm(hal::ticks() + hal::ns_to_ticks(2'000'000'000), kern::THREAD_BLOCKED_SLEEP);
      sooner.arm(hal::ticks() + hal::ns_to_ticks(1'000'000'000), kern::THREAD_BLOCKED_SLEEP);
      KCHECK_EQ(kern::timers_first(core), sooner.m_deadline);
      sooner.cancel();
      KCHECK(!sooner.armed());
      KCHECK_EQ(kern::timers_first(core), later.m_deadline);
    }  // gone with its scope
    KCHECK_EQ(kern::timers_first(core), UINT64_MAX);

    kern::Thread* self = kern::thread_current();
    const uint64_t switches = hal::stat_read(self->m_switches);
    const uint64_t sleeps = hal::stat_read(core->m_stats.sleeps);
    const uint64_t fired = hal::stat_read(core->m_stats.timers_fired);
    kern::Timer timer;
    const uint64_t deadline = kern::ticks_from_now(30'000'000);
    thread_block(thread_current_xptr(), kern::THREAD_BLOCKED_SLEEP);
    timer.arm(deadline, kern::THREAD_BLOCKED_SLEEP);
    kern::sched_yield();
    KCHECK(hal::ticks() >= deadline);
    KCHECK(!timer.armed());
    KCHECK_EQ(hal::stat_read(self->m_switches), switches + 1);  // switched in once: when it fired
    KCHECK_EQ(hal::stat_read(core->m_stats.timers_fired), fired + 1);
    KCHECK_LE(sleeps + 1, hal::stat_read(core->m_stats.sleeps));  // the core slept while it waited
  });
}

// The load averages' arithmetic (Linux's): a steady count of ready threads approaches the
// count as 1 - e^(-t / 1, 5, 15 min), and a load with nothing ready decays as e^(-t / ...),
// within the fixed point's error (its factors are rounded, and it rounds up while rising).
TEST(LoadAverageTest, AveragesFollowTheExponentialOfTheirPeriods) {
  const double minutes[3] = {1, 5, 15};
  for (uint32_t i = 0; i < 3; ++i) {
    uint32_t rising = 0, falling = 3u << kern::kLoadShift;
    for (uint32_t period = 1; period <= 720; ++period) {  // an hour of 5-second periods
      rising = kern::load_fold(rising, kern::kLoadFactors[i], 2u << kern::kLoadShift, 1);
      falling = kern::load_fold(falling, kern::kLoadFactors[i], 0, 1);
      const double t = period * 5.0 / 60.0 / minutes[i];
      EXPECT_NEAR(rising / 2048.0, 2 * (1 - std::exp(-t)), 0.05) << "average " << i << ", period " << period;
      EXPECT_NEAR(falling / 2048.0, 3 * std::exp(-t), 0.05) << "average " << i << ", period " << period;
    }
  }
}

// A core that slept through periods samples when it wakes: the periods it missed count 0, the
// last one what is ready then — as if it had sampled each on time.
TEST(LoadAverageTest, ASampleAfterSleepingFoldsTheMissedPeriodsAsZero) {
  kern::LoadAverage late, on_time;
  late.m_period = on_time.m_period = 1000;
  for (kern::LoadAverage* load : {&late, &on_time}) {
    kern::load_sample(load, 4, 500);  // the first call starts the clock: the next sample at 1500
    EXPECT_EQ(load->m_next, 1500u);
    EXPECT_EQ(load->m_avg[0], 0u);
    kern::load_sample(load, 2, 1500);
  }
  // Asleep for four periods, then three threads ready: sampled on time, and late, at once.
  for (uint64_t now = 2500; now <= 5500; now += 1000) kern::load_sample(&on_time, 0, now);
  kern::load_sample(&on_time, 3, 6500);
  kern::load_sample(&late, 3, 6999);
  EXPECT_EQ(late.m_next, 7500u);
  for (uint32_t i = 0; i < 3; ++i) {
    // The late one folds the four as one power (Linux's calc_load_n), the on-time one each in
    // turn (calc_load): the same within rounding.
    EXPECT_NEAR(double(late.m_avg[i]), double(on_time.m_avg[i]), 4.0) << "average " << i;
    EXPECT_GT(late.m_avg[i], 0u);
  }
  kern::LoadAverage unset;  // no period: never samples
  kern::load_sample(&unset, 5, 100);
  EXPECT_EQ(unset.m_next, 0u);
}

}  // namespace
}  // namespace mkh::test
