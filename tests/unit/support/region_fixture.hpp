// Test support: map the machine's banks without booting a machine, for the tests of the
// layers below the kernel (xptr and remote access, xlist, the RPC FIFO).
#pragma once

#include <optional>

#include <gtest/gtest.h>

#include "hal/region.hpp"
#include "hal/xptr.hpp"

namespace mkh::test {

// Maps `topology` with banks of `bank_bytes` around each test.
class RegionTest : public ::testing::Test {
 protected:
  RegionTest(Topology topology, uint64_t bank_bytes) : m_topology(topology), m_bank_bytes(bank_bytes) {}

  void SetUp() override {
    auto region = hal::Region::map(m_topology, m_bank_bytes, /*populate=*/false, /*quiet=*/true);
    ASSERT_TRUE(region) << "Region::map: " << errno_name(region.error());
    m_region.emplace(std::move(*region));
  }
  void TearDown() override { m_region.reset(); }

  std::optional<hal::Region> m_region;

 private:
  Topology m_topology;
  uint64_t m_bank_bytes;
};

// The object at `lpa` of cxy's bank: kernel-data replication, the lpa of a pointer into
// cluster 0's bank names the same offset in every bank.
template <typename T>
hal::Xptr<T> place(hal::cxy_t cxy, hal::lpa_t lpa) {
  return hal::Xptr<T>(hal::XPTR(cxy, hal::bank_base(0) + lpa));
}

}  // namespace mkh::test
