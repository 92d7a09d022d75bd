// ctest-label: concurrency
// The soak of the RPC layer, in process: every invariant holds without faults and with
// allocation faults, the pool budget keeps chains away from a pool of one, a deterministic
// seed gives the same figures twice, and the checks can fail: a skewed expected count and
// a parked worker (the watchdog's hang) are both reported.
#include <algorithm>
#include <string>

#include <gtest/gtest.h>

#include "mkh/soak.hpp"

namespace mkh::test {
namespace {

using soak::OpKind;
using soak::SoakFigures;
using soak::SoakOptions;

SoakOptions options_for(Topology topology, uint64_t ops, uint64_t seed, std::string_view faults = "none") {
  SoakOptions options;
  options.config.topology = topology;
  options.config.bank_mib = 16;
  options.config.quiet = true;
  options.config.seed = seed;
  const auto applied = parse_fault_spec(faults, options.config);
  EXPECT_TRUE(applied) << faults << ": " << applied.error();
  options.ops = ops;
  return options;
}

SoakFigures run(const SoakOptions& options) {
  auto figures = soak::run_soak(options);
  EXPECT_TRUE(figures.has_value()) << figures.error();
  return figures ? *figures : SoakFigures{};
}

std::string violations_of(const SoakFigures& figures) {
  std::string text;
  for (const std::string& v : figures.violations) text += v + "\n";
  return text;
}

uint64_t errors_of(const SoakFigures& figures, Errno e) {
  for (const soak::SoakErrorCount& count : figures.counts.errors_returned)
    if (count.error == e) return count.count;
  return 0;
}

TEST(SoakTest, EveryInvariantHoldsWithoutFaults) {
  const SoakFigures figures = run(options_for({2, 2, 2}, 400, 1));
  EXPECT_TRUE(figures.ok()) << violations_of(figures);
  EXPECT_TRUE(figures.snapshot_taken);
  const soak::SoakCounts& c = figures.counts;
  EXPECT_EQ(c.workers, 8u);
  EXPECT_EQ(c.ops_total(), 400u);
  for (uint32_t kind = 0; kind < soak::kOpKinds; ++kind) EXPECT_GT(c.ops[kind], 0u) << soak::op_kind_name(OpKind(kind));
  EXPECT_GT(c.rpc_sent, 400u);
  EXPECT_EQ(c.rpc_sent, c.rpc_served);
  EXPECT_EQ(c.rpc_send_failures, 0u);
  EXPECT_EQ(c.faults.total(), 0u);
  EXPECT_EQ(errors_of(figures, Errno::kNoMem), 0u);
  EXPECT_GT(c.invariant_checks, 400u);
  EXPECT_GT(figures.invariant_checks, c.invariant_checks);  // the final ones come on top
}

TEST(SoakTest, EveryInvariantHoldsWithAllocationFaults) {
  const SoakFigures figures = run(options_for({2, 2, 2}, 400, 2, "ppm=0.1,kcm=0.1"));
  EXPECT_TRUE(figures.ok()) << violations_of(figures);
  const soak::SoakCounts& c = figures.counts;
  EXPECT_EQ(c.ops_total(), 400u);
  EXPECT_GT(c.faults.ppm, 0u);
  EXPECT_GT(c.faults.kcm, 0u);
  EXPECT_GT(errors_of(figures, Errno::kNoMem), 0u);  // returned to the soak, not a violation
}

TEST(SoakTest, StallsATinyFifoAndFailedRpcThreadsLoseNothing) {
  const SoakFigures figures = run(options_for({2, 1, 2}, 300, 3, "fifo=2,rpc-thread=0.2,points=0.05"));
  EXPECT_TRUE(figures.ok()) << violations_of(figures);
  EXPECT_GT(figures.counts.faults.points, 0u);
  EXPECT_GT(figures.counts.faults.rpc_thread, 0u);
  EXPECT_EQ(figures.counts.rpc_sent, figures.counts.rpc_served);
}

TEST(SoakTest, APoolOfOneRunsNoChain) {
  const SoakFigures figures = run(options_for({2, 1, 1}, 300, 4, "pool=1"));
  EXPECT_TRUE(figures.ok()) << violations_of(figures);
  EXPECT_EQ(figures.counts.ops[uint32_t(OpKind::kChain)], 0u);
  EXPECT_GT(figures.counts.chains_without_token, 0u);
}

TEST(SoakTest, OneSeedReplaysTheSameFiguresDeterministically) {
  SoakOptions options = options_for({2, 2, 2}, 600, 5, "ppm=0.05,kcm=1/7,points=0.02,fifo=2");
  options.config.deterministic = true;
  const SoakFigures first = run(options);
  const SoakFigures second = run(options);
  EXPECT_TRUE(first.ok()) << violations_of(first);
  EXPECT_TRUE(second.ok()) << violations_of(second);
  EXPECT_TRUE(first.counts == second.counts);
  EXPECT_EQ(first.invariant_checks, second.invariant_checks);
  options.config.seed = 6;
  const SoakFigures other = run(options);
  EXPECT_TRUE(other.ok()) << violations_of(other);
  EXPECT_FALSE(first.counts == other.counts);
}

TEST(SoakTest, ATimedRunStopsAndHolds) {
  SoakOptions options = options_for({1, 1, 1}, 0, 7);
  options.seconds = 1;
  const SoakFigures figures = run(options);
  EXPECT_TRUE(figures.ok()) << violations_of(figures);
  EXPECT_GT(figures.counts.ops_total(), 0u);
  EXPECT_GE(figures.seconds, 1.0);
}

TEST(SoakTest, AMiscountedRequestIsReported) {
  SoakOptions options = options_for({2, 1, 1}, 200, 8);
  options.test_ping_skew = 1;
  const SoakFigures figures = run(options);
  EXPECT_FALSE(figures.ok());
  EXPECT_EQ(figures.invariant_failures, 1u) << violations_of(figures);
  ASSERT_EQ(figures.violations.size(), 1u);
  EXPECT_NE(figures.violations[0].find("MKH_PING: the soak made"), std::string::npos) << figures.violations[0];
}

TEST(SoakTest, AHangIsReportedWithEveryCore) {
  SoakOptions options = options_for({2, 1, 1}, 200, 9);
  options.test_park_first_worker = true;
  options.hang_timeout = std::chrono::seconds(1);
  const SoakFigures figures = run(options);
  EXPECT_FALSE(figures.ok());
  EXPECT_FALSE(figures.snapshot_taken);
  ASSERT_FALSE(figures.violations.empty());
  EXPECT_NE(figures.violations[0].find("hang: no operation completed"), std::string::npos) << violations_of(figures);
  const std::string all = violations_of(figures);
  EXPECT_NE(all.find("1 of 2 workers finished"), std::string::npos) << all;
  EXPECT_NE(all.find("threads left at shutdown"), std::string::npos) << all;
  EXPECT_NE(figures.core_displays.find("core 0x00/0"), std::string::npos) << figures.core_displays;
  EXPECT_NE(figures.core_displays.find("core 0x10/0"), std::string::npos) << figures.core_displays;
}

TEST(SoakTest, OptionsThatCannotRunAreRefused) {
  SoakOptions neither = options_for({1, 1, 1}, 0, 1);
  EXPECT_FALSE(soak::run_soak(neither).has_value());
  SoakOptions both = options_for({1, 1, 1}, 10, 1);
  both.seconds = 1;
  EXPECT_FALSE(soak::run_soak(both).has_value());
  SoakOptions timed_deterministic = options_for({1, 1, 1}, 0, 1);
  timed_deterministic.seconds = 1;
  timed_deterministic.config.deterministic = true;
  auto refused = soak::run_soak(timed_deterministic);
  ASSERT_FALSE(refused.has_value());
  EXPECT_NE(refused.error().message.find("deterministic"), std::string::npos) << refused.error();
  EXPECT_EQ(refused.error().code, Errno::kInval);
  SoakOptions bad_topology = options_for({1, 1, 1}, 10, 1);
  bad_topology.config.topology.x_size = 0;
  EXPECT_FALSE(soak::run_soak(bad_topology).has_value());
}

}  // namespace
}  // namespace mkh::test
