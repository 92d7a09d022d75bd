// ctest-label: concurrency
// Boot and shutdown: every topology from 1x1:1 to 4x4:4, 20 times in a row, with the
// built-in workload (its token ring checked slot by slot), without leak or hang; boot
// errors; kernel-data replication.
#include <sched.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "hal/cpu.hpp"
#include "machine_fixture.hpp"
#include "mkh/workload.hpp"

namespace mkh::test {
namespace {

void expect_clean(const MachineReport& report) {
  EXPECT_TRUE(report.shut_down);
  EXPECT_EQ(report.threads_left, 0u);
  for (const ClusterReport& c : report.clusters) {
    EXPECT_EQ(c.pages_leaked, 0) << "cluster " << c.cxy;
    EXPECT_EQ(c.errors, 0u) << "cluster " << c.cxy;
    EXPECT_EQ(c.threads_alive, 0u) << "cluster " << c.cxy;
    for (const KcmReport& k : c.kcm) EXPECT_EQ(k.in_use, 0u) << k.type;
  }
}

class BootLoop : public ::testing::TestWithParam<Topology> {};

std::string topology_name(const ::testing::TestParamInfo<Topology>& param) {
  const Topology& t = param.param;
  return std::to_string(t.x_size) + "x" + std::to_string(t.y_size) + "_" + std::to_string(t.cores_per_cluster);
}

TEST_P(BootLoop, TwentyBootsWithWorkloadLeaveNothingBehind) {
  const Topology topology = GetParam();
  for (int boot = 0; boot < 20; ++boot) {
    auto machine = Machine::boot(quiet_config(topology, 8));
    ASSERT_TRUE(machine.has_value()) << machine.error();
    WorkloadOptions options;
    options.memory_rounds = 20;
    options.ring_laps = 2;
    options.seed = uint64_t(boot);
    auto figures = run_boot_workload(**machine, options);
    ASSERT_TRUE(figures.has_value()) << figures.error();
    EXPECT_EQ(figures->workers, topology.cores());
    EXPECT_EQ(figures->token_hops, uint64_t(topology.cores()) * options.ring_laps);
    // What each slot took, counted where the token arrived: every position the laps, and
    // position 0 its initial token too; each token carried the hop count of its place.
    ASSERT_EQ(figures->received.size(), topology.cores());
    for (uint32_t position = 0; position < topology.cores(); ++position)
      EXPECT_EQ(figures->received[position], options.ring_laps + (position == 0 ? 1 : 0)) << "position " << position;
    EXPECT_EQ(figures->ring_errors, 0u);
    // Every hop crosses clusters when there are several; none can with one.
    EXPECT_EQ(figures->cross_cluster_hops, topology.clusters() > 1 ? figures->token_hops : 0u);
    EXPECT_EQ(figures->pattern_errors, 0u);
    EXPECT_EQ(figures->alloc_errors, 0u);
    expect_clean((*machine)->shutdown());
  }
}

INSTANTIATE_TEST_SUITE_P(Topologies, BootLoop,
                         ::testing::Values(Topology{1, 1, 1}, Topology{1, 2, 1}, Topology{2, 2, 2}, Topology{3, 2, 2},
                                           Topology{4, 4, 4}),
                         topology_name);

TEST(MachineBoot, RejectsBadConfigurationsWithAMessage) {
  MachineConfig config = quiet_config({17, 1, 1});
  auto machine = Machine::boot(config);
  ASSERT_FALSE(machine.has_value());
  EXPECT_THAT(machine.error().message, ::testing::HasSubstr("17"));
  EXPECT_EQ(machine.error().code, Errno::kInval);

  config = quiet_config({1, 1, 1}, 3);
  machine = Machine::boot(config);
  ASSERT_FALSE(machine.has_value());
  EXPECT_THAT(machine.error().message, ::testing::HasSubstr("3 MiB"));
}

TEST(MachineBoot, BankTooSmallForTheIdleThreadsIsAnErrorNotACrash) {
  auto machine = Machine::boot(quiet_config({1, 1, 64}, 4));
  ASSERT_FALSE(machine.has_value());
  EXPECT_THAT(machine.error().message, ::testing::HasSubstr("too small"));
  EXPECT_EQ(machine.error().code, Errno::kNoMem);
  // The region was released: a normal machine boots afterwards.
  auto next = Machine::boot(quiet_config({1, 1, 1}, 4));
  ASSERT_TRUE(next.has_value()) << next.error();
  expect_clean((*next)->shutdown());
}

TEST(MachineBoot, OnlyOneMachinePerProcess) {
  auto first = Machine::boot(quiet_config({1, 1, 1}));
  ASSERT_TRUE(first.has_value());
  auto second = Machine::boot(quiet_config({1, 1, 1}));
  ASSERT_FALSE(second.has_value());
  EXPECT_THAT(second.error().message, ::testing::HasSubstr("another machine"));
  EXPECT_EQ(second.error().code, Errno::kBusy);
  expect_clean((*first)->shutdown());
}

// Spin loops yield the host CPU every 64 pauses while core threads may share host CPUs
// (more cores than the process's CPUs, or all pinned on one), and less often on a machine
// where each has one; a shut-down machine leaves the default behind.
TEST(MachineBoot, SpinLoopsYieldOftenWhenCoreThreadsShareHostCpus) {
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  ASSERT_EQ(sched_getaffinity(0, sizeof allowed, &allowed), 0);
  const Topology crowded{4, 4, 4};
  if (CPU_COUNT(&allowed) >= 64) GTEST_SKIP() << "as many host CPUs as 4x4:4 has cores";
  auto yield_mask = [] { return hal::g_spin_yield_mask.load(); };

  auto machine = Machine::boot(quiet_config(crowded, 8));
  ASSERT_TRUE(machine.has_value()) << machine.error();
  EXPECT_EQ(yield_mask(), hal::kSpinYieldMaskShared);
  expect_clean((*machine)->shutdown());

  MachineConfig pinned = quiet_config({2, 1, 1});
  pinned.pin_cpu = 0;
  machine = Machine::boot(pinned);
  ASSERT_TRUE(machine.has_value()) << machine.error();
  EXPECT_EQ(yield_mask(), hal::kSpinYieldMaskShared);
  expect_clean((*machine)->shutdown());

  machine = Machine::boot(quiet_config({1, 1, 1}));
  ASSERT_TRUE(machine.has_value()) << machine.error();
  const uint32_t alone = yield_mask();
  EXPECT_GE(alone, hal::kSpinYieldMaskShared);
  EXPECT_EQ(alone & (alone + 1), 0u) << alone << " is not a power of two less one";
  expect_clean((*machine)->shutdown());
  EXPECT_EQ(yield_mask(), hal::kSpinYieldMaskShared);
}

TEST(MachineBoot, ClusterDescriptorsAreReplicatedAtTheSameLpa) {
  auto machine = Machine::boot(quiet_config({2, 2, 1}));
  ASSERT_TRUE(machine.has_value());
  for (uint32_t cxy : (*machine)->clusters()) {
    hal::ClusterScope scope((*machine)->clusters()[0]);
    // The local descriptor's field, reached in another cluster by replication.
    const auto remote_cxy = hal::cluster_field(cxy, &LOCAL_CLUSTER->m_cxy);
    EXPECT_EQ(remote_cxy.lpa(), hal::lpa_of(&LOCAL_CLUSTER->m_cxy));
    EXPECT_EQ(hal::remote_load(remote_cxy), cxy);
  }
  expect_clean((*machine)->shutdown());
}

TEST(MachineBoot, ShutdownCountsThreadsThatNeverFinish) {
  auto machine = Machine::boot(quiet_config({1, 1, 1}));
  ASSERT_TRUE(machine.has_value());
  ASSERT_TRUE((*machine)
                  ->spawn(
                      0, 0,
                      [](void*) {
                        kern::thread_block(kern::thread_current_xptr(), kern::THREAD_BLOCKED_GLOBAL);
                        kern::sched_yield();
                      },
                      nullptr, "stuck")
                  .has_value());
  const MachineReport report = (*machine)->shutdown(std::chrono::milliseconds(50));
  EXPECT_EQ(report.threads_left, 1u);
  EXPECT_GT(report.clusters[0].pages_leaked, 0);  // its stack, reported rather than hidden
}

// A thread that never blocks keeps its core busy, not the shutdown: once the grace has
// passed the core runs only what must leave, and the thread is counted as left.
TEST(MachineBoot, ShutdownEndsWithAThreadThatNeverBlocks) {
  for (const bool deterministic : {false, true}) {
    MachineConfig config = quiet_config({2, 1, 1});
    config.deterministic = deterministic;
    auto machine = Machine::boot(config);
    ASSERT_TRUE(machine.has_value());
    ASSERT_TRUE((*machine)
                    ->spawn((*machine)->clusters()[1], 0,
                            [](void*) {
                              for (;;) kern::sched_yield();
                            },
                            nullptr, "spinner")
                    .has_value());
    const MachineReport report = (*machine)->shutdown(std::chrono::milliseconds(50));
    EXPECT_EQ(report.threads_left, 1u) << "deterministic " << deterministic;
  }
}

}  // namespace
}  // namespace mkh::test
