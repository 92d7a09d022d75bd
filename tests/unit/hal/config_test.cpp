// The machine's shape as an embedder gives it: parse_topology ("XxY:C"), validate_config and
// its parts validate_topology and validate_bank_mib, parse_fault_spec. Every rejection must
// name the part or the value that is wrong.
#include <string>
#include <utility>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "mkh/config.hpp"

namespace mkh::test {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

// The message of a rejection, "" when accepted: EXPECT_EQ(problem(...), "") shows it.
std::string problem(const Result<void, Error>& checked) { return checked ? std::string() : checked.error().message; }

// ---- parse_topology

struct Accepted {
  const char* text;
  Topology expected;
};

class ParseTopologyAccepts : public ::testing::TestWithParam<Accepted> {};

TEST_P(ParseTopologyAccepts, GivesTheSizes) {
  const auto topology = parse_topology(GetParam().text);
  ASSERT_TRUE(topology) << topology.error().message;
  EXPECT_EQ(*topology, GetParam().expected);
}

INSTANTIATE_TEST_SUITE_P(Shapes, ParseTopologyAccepts,
                         ::testing::Values(Accepted{"1x1:1", {1, 1, 1}}, Accepted{"2x2:2", {2, 2, 2}},
                                           Accepted{"4x4:4", {4, 4, 4}}, Accepted{"16x16:4", {16, 16, 4}},
                                           Accepted{"3x1:7", {3, 1, 7}}));

struct Rejected {
  const char* text;
  // Substrings the message must hold: which part is wrong, and its value.
  const char* part;
  const char* value;
};

void PrintTo(const Rejected& r, std::ostream* os) { *os << '"' << r.text << '"'; }

class ParseTopologyRejects : public ::testing::TestWithParam<Rejected> {};

TEST_P(ParseTopologyRejects, NamingTheBadPart) {
  const auto topology = parse_topology(GetParam().text);
  ASSERT_FALSE(topology) << "accepted as " << topology->x_size << "x" << topology->y_size << ":"
                         << topology->cores_per_cluster;
  EXPECT_THAT(topology.error().message, AllOf(HasSubstr(GetParam().part), HasSubstr(GetParam().value)));
  EXPECT_EQ(topology.error().code, Errno::kInval);
}

INSTANTIATE_TEST_SUITE_P(
    BadText, ParseTopologyRejects,
    ::testing::Values(
        Rejected{"", "not of the form XxY:C", "topology ''"}, Rejected{"2x2", "not of the form XxY:C", "'2x2'"},
        Rejected{"2:2x2", "not of the form XxY:C", "'2:2x2'"}, Rejected{"x2:2", "X (clusters per row)", "''"},
        Rejected{"2x:2", "Y (clusters per column)", "''"}, Rejected{"2x2:", "C (cores per cluster)", "''"},
        Rejected{"0x2:2", "X (clusters per row)", "at least 1"},
        Rejected{"2x0:2", "Y (clusters per column)", "at least 1"},
        Rejected{"2x2:0", "C (cores per cluster)", "at least 1"}, Rejected{"axb:c", "X (clusters per row)", "'a'"},
        Rejected{"2xb:2", "Y (clusters per column)", "'b'"}, Rejected{"2x2:c", "C (cores per cluster)", "'c'"},
        Rejected{"2x2:2x", "C (cores per cluster)", "'2x'"}, Rejected{"2x2x2:2", "Y (clusters per column)", "'2x2'"},
        Rejected{"-1x2:2", "X (clusters per row)", "'-1'"}, Rejected{" 2x2:2", "X (clusters per row)", "' 2'"},
        Rejected{"2x2:2 ", "C (cores per cluster)", "'2 '"},
        Rejected{"99999999999x1:1", "X (clusters per row)", "'99999999999'"},
        Rejected{"1x4294967296:1", "Y (clusters per column)", "'4294967296'"}));

// ---- validate_config

MachineConfig with_topology(uint32_t x, uint32_t y, uint32_t c) {
  MachineConfig config;
  config.topology = Topology{x, y, c};
  return config;
}

MachineConfig with_bank(uint64_t mib) {
  MachineConfig config;
  config.bank_mib = mib;
  return config;
}

TEST(ValidateConfig, AcceptsTheDefaultAndTheLimitsThemselves) {
  EXPECT_EQ(problem(validate_config(MachineConfig{})), "");
  EXPECT_EQ(problem(validate_config(with_topology(16, 16, 4))), "");  // 1024 cores
  EXPECT_EQ(problem(validate_config(with_topology(1, 1, 64))), "");
  EXPECT_EQ(problem(validate_config(with_topology(16, 1, 64))), "");  // 1024 cores
  EXPECT_EQ(problem(validate_config(with_bank(4))), "");
  EXPECT_EQ(problem(validate_config(with_bank(16384))), "");
  MachineConfig spin;
  spin.idle_spin_us = 1'000'000;
  EXPECT_EQ(problem(validate_config(spin)), "");
  spin.idle_spin_us = 0;
  EXPECT_EQ(problem(validate_config(spin)), "");
}

TEST(ValidateConfig, RejectsTooManyClustersPerRowOrColumn) {
  const auto x = validate_config(with_topology(17, 1, 1));
  ASSERT_FALSE(x);
  EXPECT_THAT(x.error().message, AllOf(HasSubstr("X = 17"), HasSubstr("16")));
  const auto y = validate_config(with_topology(1, 17, 1));
  ASSERT_FALSE(y);
  EXPECT_THAT(y.error().message, AllOf(HasSubstr("Y = 17"), HasSubstr("16")));
}

TEST(ValidateConfig, RejectsTooManyCoresPerCluster) {
  const auto c = validate_config(with_topology(1, 1, 65));
  ASSERT_FALSE(c);
  EXPECT_THAT(c.error().message, AllOf(HasSubstr("C = 65"), HasSubstr("64")));
}

TEST(ValidateConfig, RejectsTooManyCoresInAll) {
  const auto total = validate_config(with_topology(16, 16, 5));
  ASSERT_FALSE(total);
  EXPECT_THAT(total.error().message, AllOf(HasSubstr("16x16:5"), HasSubstr("1280"), HasSubstr("1024")));
  const auto just_over = validate_config(with_topology(16, 2, 33));
  ASSERT_FALSE(just_over);
  EXPECT_THAT(just_over.error().message, HasSubstr("1056"));
}

TEST(ValidateConfig, RejectsZeroSizes) {
  for (const auto& config : {with_topology(0, 1, 1), with_topology(1, 0, 1), with_topology(1, 1, 0)}) {
    const auto error = validate_config(config);
    ASSERT_FALSE(error);
    EXPECT_THAT(error.error().message, HasSubstr("at least 1"));
  }
}

TEST(ValidateConfig, RejectsBadBankSizes) {
  for (const uint64_t mib : {uint64_t(0), uint64_t(3), uint64_t(20000), uint64_t(32768)}) {
    const auto error = validate_config(with_bank(mib));
    ASSERT_FALSE(error) << mib << " MiB accepted";
    EXPECT_THAT(error.error().message,
                AllOf(HasSubstr("bank size " + std::to_string(mib) + " MiB"), HasSubstr("out of range")));
  }
  for (const uint64_t mib : {uint64_t(6), uint64_t(12), uint64_t(16383)}) {
    const auto error = validate_config(with_bank(mib));
    ASSERT_FALSE(error) << mib << " MiB accepted";
    EXPECT_THAT(error.error().message,
                AllOf(HasSubstr("bank size " + std::to_string(mib) + " MiB"), HasSubstr("power-of-two")));
  }
  for (const uint64_t mib : {uint64_t(8), uint64_t(64), uint64_t(1024)})
    EXPECT_EQ(problem(validate_config(with_bank(mib))), "");
}

TEST(ValidateConfig, RejectsAnIdleSpinOverOneSecond) {
  MachineConfig config;
  config.idle_spin_us = 1'000'001;
  const auto error = validate_config(config);
  ASSERT_FALSE(error);
  EXPECT_THAT(error.error().message, AllOf(HasSubstr("idle spin 1000001 us"), HasSubstr("one second")));
}

// ---- validate_topology and validate_bank_mib: what one setting decides alone (a command
// line checks each option with them, so that its message names the option)

TEST(ValidateTopology, AcceptsTheLimitsThemselves) {
  for (const Topology& topology :
       {Topology{1, 1, 1}, Topology{16, 16, 4}, Topology{1, 1, 64}, Topology{16, 1, 64}, Topology{1, 16, 64}})
    EXPECT_EQ(problem(validate_topology(topology)), "")
        << topology.x_size << "x" << topology.y_size << ":" << topology.cores_per_cluster;
}

TEST(ValidateTopology, RejectsEachLimitWithTheMessageOfValidateConfig) {
  const std::pair<Topology, const char*> cases[] = {
      {{0, 1, 1}, "at least 1"},
      {{17, 1, 1}, "X = 17 exceeds 16"},
      {{1, 17, 1}, "Y = 17 exceeds 16"},
      {{1, 1, 65}, "C = 65 exceeds 64"},
      {{16, 16, 5}, "1280 virtual cores; at most 1024"},
  };
  for (const auto& [topology, message] : cases) {
    const auto alone = validate_topology(topology);
    ASSERT_FALSE(alone) << message;
    EXPECT_THAT(alone.error().message, HasSubstr(message));
    MachineConfig config;
    config.topology = topology;
    config.bank_mib = 48;  // also wrong: the topology is reported first, as before
    EXPECT_EQ(problem(validate_config(config)), alone.error().message);
  }
}

TEST(ValidateBankMib, AcceptsPowersOfTwoInRange) {
  for (const uint64_t mib : {kMinBankMib, uint64_t(8), uint64_t(64), uint64_t(1024), kMaxBankMib})
    EXPECT_EQ(problem(validate_bank_mib(mib)), "") << mib;
}

TEST(ValidateBankMib, RejectsWithTheMessageOfValidateConfig) {
  const std::pair<uint64_t, const char*> cases[] = {
      {0, "bank size 0 MiB is out of range [4, 16384] MiB"}, {2, "bank size 2 MiB is out of range"},
      {32768, "bank size 32768 MiB is out of range"},        {48, "bank size 48 MiB is not a power-of-two"},
      {16383, "bank size 16383 MiB is not a power-of-two"},
  };
  for (const auto& [mib, message] : cases) {
    const auto alone = validate_bank_mib(mib);
    ASSERT_FALSE(alone) << mib;
    EXPECT_THAT(alone.error().message, HasSubstr(message));
    EXPECT_EQ(problem(validate_config(with_bank(mib))), alone.error().message);
  }
}

TEST(ValidateConfig, AcceptsTheIdleSpinLimitItself) {
  MachineConfig config;
  config.idle_spin_us = kMaxIdleSpinUs;
  EXPECT_EQ(problem(validate_config(config)), "");
  config.idle_spin_us = kMaxIdleSpinUs + 1;
  EXPECT_FALSE(validate_config(config));
}

TEST(ValidateConfig, TakesATranslationThresholdItsCounterHolds) {
  MachineConfig config;
  config.translate_after = kMaxTranslateAfter;
  EXPECT_EQ(problem(validate_config(config)), "");
  config.translate_after = 0;
  EXPECT_EQ(problem(validate_config(config)), "");
  config.translate_after = kMaxTranslateAfter + 1;
  const auto error = validate_config(config);
  ASSERT_FALSE(error);
  EXPECT_THAT(error.error().message, HasSubstr("translate after 65536 entries: at most 65535"));
}

TEST(FaultSpec, ReadsEveryKeyAndBothRateForms) {
  MachineConfig config;
  ASSERT_EQ(problem(parse_fault_spec("ppm=0.01,kcm=1/50,rpc-thread=0.5,points=1/3,delay-us=20,fifo=2,pool=1", config)),
            "");
  EXPECT_EQ(config.faults.ppm.probability, 0.01);
  EXPECT_EQ(config.faults.ppm.every, 0u);
  EXPECT_EQ(config.faults.kcm.every, 50u);
  EXPECT_EQ(config.faults.rpc_thread.probability, 0.5);
  EXPECT_EQ(config.faults.points.every, 3u);
  EXPECT_EQ(config.faults.delay_us, 20u);
  EXPECT_EQ(config.rpc_fifo_slots, 2u);
  EXPECT_EQ(config.rpc_pool_bound, 1u);
  EXPECT_TRUE(config.faults.any());
  MachineConfig none;
  EXPECT_EQ(problem(parse_fault_spec("none", none)), "");
  EXPECT_FALSE(none.faults.any());
}

TEST(FaultSpec, NamesTheBadItemAndChangesNothing) {
  const std::pair<const char*, const char*> cases[] = {
      {"ppm=2", "probability 2 is not in [0, 1]"},
      {"ppm=-0.1", "not in [0, 1]"},
      {"kcm=1/0", "'1/0' is not 1/N"},
      {"kcm=1/x", "'1/x' is not 1/N"},
      {"points=often", "'often' is neither a probability"},
      {"bogus=1", "unknown fault 'bogus'"},
      {"ppm", "'ppm' is not KEY=VALUE"},
      {"ppm=0.1,", "ends with a comma"},
      {"ppm=0.1,,kcm=0.1", "'' is not KEY=VALUE"},
      {"", "empty fault specification"},
      {"fifo=3", "RPC FIFO of 3 slots"},
      {"fifo=1", "RPC FIFO of 1 slots"},
      {"pool=0", "RPC pool bound 0"},
      {"pool=65", "fault 'pool': '65' is not a whole number in [0, 64]"},
      {"delay-us=1000000", "fault 'delay-us'"},
  };
  for (const auto& [spec, message] : cases) {
    MachineConfig config;
    const auto error = parse_fault_spec(spec, config);
    ASSERT_FALSE(error) << spec;
    EXPECT_THAT(error.error().message, HasSubstr(message)) << spec;
    EXPECT_EQ(error.error().code, Errno::kInval) << spec;
    EXPECT_FALSE(config.faults.any()) << spec;
    EXPECT_EQ(config.rpc_fifo_slots, MachineConfig{}.rpc_fifo_slots) << spec;
  }
}

}  // namespace
}  // namespace mkh::test
