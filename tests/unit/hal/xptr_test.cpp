// ctest-label: concurrency
// hal/xptr and hal/remote on a mapped region (no machine boot): XPTR / GET_CXY / GET_PTR
// round trips, kernel-data replication, Xptr::field, every remote primitive on every word
// size, remote_read / remote_write / remote_memcpy / remote_strcpy, concurrent atomic adds, the debug xptr checks, and
// the one-region-per-process rule of hal::Region.
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <latch>
#include <limits>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include "region_fixture.hpp"

#include "hal/cpu.hpp"
#include "hal/region.hpp"
#include "hal/remote.hpp"

namespace mkh::test {
namespace {

using hal::cxy_t;
using hal::lpa_t;
using hal::Xptr;
using hal::xptr_t;

constexpr uint64_t kBankBytes = uint64_t(4) << 20;
constexpr lpa_t kObjectsLpa = uint64_t(1) << 20;
// 2x2 clusters: cxy 0x00 0x01 0x10 0x11. 0x02 is below cxy_limit (0x12) but absent; 0x20 is past it.
constexpr cxy_t kClusters[] = {0x00, 0x01, 0x10, 0x11};
constexpr cxy_t kAbsentInside = 0x02;
constexpr cxy_t kAbsentOutside = 0x20;

xptr_t raw_xptr(cxy_t cxy, lpa_t lpa) { return (xptr_t(cxy) << hal::kCxyShift) | lpa; }

class XptrTest : public RegionTest {
 protected:
  XptrTest() : RegionTest(Topology{2, 2, 1}, kBankBytes) {}
};

TEST_F(XptrTest, RoundTripsInEveryCluster) {
  for (const cxy_t cxy : kClusters) {
    for (const lpa_t lpa : {lpa_t(8), hal::kPageSize, kObjectsLpa + 3, kBankBytes - 1}) {
      uint8_t* host = hal::bank_base(cxy) + lpa;
      const xptr_t xp = hal::XPTR(cxy, host);
      EXPECT_EQ(xp, raw_xptr(cxy, lpa));
      EXPECT_EQ(hal::GET_CXY(xp), cxy);
      EXPECT_EQ(hal::GET_LPA(xp), lpa);
      EXPECT_EQ(hal::GET_PTR<uint8_t>(xp), host);
      const Xptr<uint8_t> typed(cxy, host);
      EXPECT_EQ(typed.raw(), xp);
      EXPECT_EQ(typed.cxy(), cxy);
      EXPECT_EQ(typed.lpa(), lpa);
      EXPECT_EQ(typed.host_ptr(), host);
      EXPECT_EQ(hal::lpa_of(host), lpa);
    }
  }
  EXPECT_EQ(hal::XPTR(0x11, nullptr), hal::XPTR_NULL);
  EXPECT_EQ(hal::GET_PTR(hal::XPTR_NULL), nullptr);
  EXPECT_TRUE(Xptr<uint64_t>().is_null());
  EXPECT_EQ(Xptr<uint64_t>().host_ptr(), nullptr);
  // lpa 0 of cluster 0 is XPTR_NULL: no kernel object may sit there (cluster.hpp keeps
  // page 0 of every bank unused).
  EXPECT_EQ(hal::XPTR(0x00, hal::bank_base(0x00)), hal::XPTR_NULL);
}

TEST_F(XptrTest, SameLpaNamesTheSameOffsetInEveryBank) {
  hal::ClusterScope scope(0x00);
  auto* local = reinterpret_cast<uint64_t*>(hal::bank_base(hal::local_cxy()) + kObjectsLpa);
  for (const cxy_t cxy : kClusters) {
    const Xptr<uint64_t> there(cxy, local);
    EXPECT_EQ(there.cxy(), cxy);
    EXPECT_EQ(there.lpa(), kObjectsLpa);
    EXPECT_EQ(reinterpret_cast<uint8_t*>(there.host_ptr()), hal::bank_base(cxy) + kObjectsLpa);
    hal::remote_store(there, 0x1000 + uint64_t(cxy));
  }
  // Four different words: each bank kept its own value.
  for (const cxy_t cxy : kClusters) EXPECT_EQ(hal::remote_load(Xptr<uint64_t>(cxy, local)), 0x1000 + uint64_t(cxy));
  EXPECT_EQ(*local, 0x1000u);  // the local one, read directly
}

struct Record {
  uint8_t a;
  uint16_t b;
  uint32_t c;
  uint64_t d;
  char name[13];
  uint32_t tail;
};

TEST_F(XptrTest, FieldAddressesTheMemberInTheSameCluster) {
  const auto record = place<Record>(0x10, kObjectsLpa + 8);
  EXPECT_EQ(record.field(&Record::a).raw(), record.raw() + offsetof(Record, a));
  EXPECT_EQ(record.field(&Record::b).raw(), record.raw() + offsetof(Record, b));
  EXPECT_EQ(record.field(&Record::c).raw(), record.raw() + offsetof(Record, c));
  EXPECT_EQ(record.field(&Record::d).raw(), record.raw() + offsetof(Record, d));
  EXPECT_EQ(record.field(&Record::name).raw(), record.raw() + offsetof(Record, name));
  EXPECT_EQ(record.field(&Record::tail).raw(), record.raw() + offsetof(Record, tail));
  EXPECT_EQ(record.field(&Record::d).cxy(), cxy_t(0x10));

  hal::remote_store(record.field(&Record::a), uint8_t(0x11));
  hal::remote_store(record.field(&Record::b), uint16_t(0x2222));
  hal::remote_store(record.field(&Record::c), 0x33333333u);
  hal::remote_store(record.field(&Record::d), uint64_t(0x4444444444444444));
  hal::remote_store(record.field(&Record::tail), 0x55555555u);
  hal::ClusterScope scope(0x10);  // now the record is local: read it as a plain object
  const Record* local = record.host_ptr();
  EXPECT_EQ(local->a, 0x11);
  EXPECT_EQ(local->b, 0x2222);
  EXPECT_EQ(local->c, 0x33333333u);
  EXPECT_EQ(local->d, 0x4444444444444444u);
  EXPECT_EQ(local->tail, 0x55555555u);
  // as<U>() keeps the address; operator+ steps by whole objects.
  EXPECT_EQ(record.as<uint8_t>().raw(), record.raw());
  EXPECT_EQ((record + 2).raw(), record.raw() + 2 * sizeof(Record));
  EXPECT_EQ((record.as<uint8_t>() + 3).raw(), record.raw() + 3);
}

// ---- every primitive on every word size, across clusters, with guard bytes around.

template <typename T>
class RemoteWordTest : public XptrTest {};

// Aligned on its size: an under-aligned 8-byte struct is not lock-free under Clang
// (std::atomic_ref falls back to libatomic calls).
struct alignas(8) Pair32 {
  uint32_t low;
  uint32_t high;
  friend bool operator==(const Pair32&, const Pair32&) = default;
};

using IntegerWords = ::testing::Types<uint8_t, uint16_t, uint32_t, uint64_t, int8_t, int16_t, int32_t, int64_t>;
TYPED_TEST_SUITE(RemoteWordTest, IntegerWords);

constexpr uint8_t kGuard = 0xA5;

// A word of type T in cluster 0x11 surrounded by 16 guard bytes on each side, reached from
// a host thread acting as cluster 0x00.
template <typename T>
Xptr<T> guarded_word() {
  const auto area = place<uint8_t>(0x11, kObjectsLpa);
  for (std::ptrdiff_t i = 0; i < 16 + std::ptrdiff_t(sizeof(T)) + 16; ++i) hal::remote_store(area + i, kGuard);
  const auto word = (area + 16).template as<T>();
  hal::remote_store(word, T{});
  return word;
}

template <typename T>
::testing::AssertionResult guards_intact() {
  const auto area = place<uint8_t>(0x11, kObjectsLpa);
  for (std::ptrdiff_t i = 0; i < 16; ++i) {
    if (hal::remote_load(area + i) != kGuard) return ::testing::AssertionFailure() << "guard byte " << i << " changed";
    const std::ptrdiff_t after = 16 + std::ptrdiff_t(sizeof(T)) + i;
    if (hal::remote_load(area + after) != kGuard)
      return ::testing::AssertionFailure() << "guard byte " << after << " changed";
  }
  return ::testing::AssertionSuccess();
}

TYPED_TEST(RemoteWordTest, EveryPrimitive) {
  using T = TypeParam;
  hal::ClusterScope scope(0x00);
  const auto word = guarded_word<T>();
  const T max = std::numeric_limits<T>::max();
  const T min = std::numeric_limits<T>::min();

  hal::remote_store(word, max);
  EXPECT_EQ(hal::remote_load(word), max);
  hal::remote_store(word, min);
  EXPECT_EQ(hal::remote_load(word), min);

  hal::remote_store(word, T(5));
  EXPECT_FALSE(hal::remote_cas(word, T(6), T(7)));  // wrong expectation: unchanged
  EXPECT_EQ(hal::remote_load(word), T(5));
  EXPECT_TRUE(hal::remote_cas(word, T(5), max));
  EXPECT_EQ(hal::remote_load(word), max);

  EXPECT_EQ(hal::remote_exchange(word, T(9)), max);
  EXPECT_EQ(hal::remote_load(word), T(9));

  EXPECT_EQ(hal::remote_atomic_add(word, T(3)), T(9));
  EXPECT_EQ(hal::remote_load(word), T(12));
  hal::remote_store(word, max);
  EXPECT_EQ(hal::remote_atomic_add(word, T(1)), max);  // wraps (two's complement)
  EXPECT_EQ(hal::remote_load(word), min);

  hal::remote_store(word, T(0x0C));
  EXPECT_EQ(hal::remote_atomic_or(word, T(0x21)), T(0x0C));
  EXPECT_EQ(hal::remote_load(word), T(0x2D));
  EXPECT_EQ(hal::remote_atomic_and(word, T(0x66)), T(0x2D));
  EXPECT_EQ(hal::remote_load(word), T(0x24));
  hal::remote_store(word, T(-1));
  EXPECT_EQ(hal::remote_atomic_and(word, T(0)), T(-1));
  EXPECT_EQ(hal::remote_load(word), T(0));
  EXPECT_EQ(hal::remote_atomic_or(word, T(-1)), T(0));
  EXPECT_EQ(hal::remote_load(word), T(-1));  // every byte of the word written...

  EXPECT_TRUE(guards_intact<T>());  // ...and not one byte more
}

TEST_F(XptrTest, TriviallyCopyableStructWord) {
  hal::ClusterScope scope(0x01);
  const auto word = guarded_word<Pair32>();
  hal::remote_store(word, Pair32{1, 2});
  EXPECT_EQ(hal::remote_load(word), (Pair32{1, 2}));
  EXPECT_FALSE(hal::remote_cas(word, Pair32{1, 3}, Pair32{7, 7}));
  EXPECT_TRUE(hal::remote_cas(word, Pair32{1, 2}, Pair32{3, 4}));
  EXPECT_EQ(hal::remote_exchange(word, Pair32{5, 6}), (Pair32{3, 4}));
  EXPECT_EQ(hal::remote_load(word), (Pair32{5, 6}));
  EXPECT_TRUE(guards_intact<Pair32>());
}

TEST_F(XptrTest, MemcpyAcrossClusters) {
  constexpr std::size_t kSize = 10'001;  // odd size, odd addresses, more than two pages
  const auto source = place<uint8_t>(0x01, kObjectsLpa + 3);
  const auto destination = place<uint8_t>(0x10, kObjectsLpa + 4097);
  for (std::size_t i = 0; i < kSize; ++i) hal::remote_store(source + std::ptrdiff_t(i), uint8_t(i * 7 + 1));
  hal::remote_store(destination + (-1), uint8_t(0xEE));
  hal::remote_store(destination + std::ptrdiff_t(kSize), uint8_t(0xEE));

  hal::ClusterScope scope(0x11);  // a third cluster does the copy
  hal::remote_memcpy(destination.as<void>(), source.as<void>(), kSize);
  for (std::size_t i = 0; i < kSize; ++i)
    ASSERT_EQ(hal::remote_load(destination + std::ptrdiff_t(i)), uint8_t(i * 7 + 1)) << "byte " << i;
  EXPECT_EQ(hal::remote_load(destination + (-1)), 0xEE);
  EXPECT_EQ(hal::remote_load(destination + std::ptrdiff_t(kSize)), 0xEE);
  hal::remote_memcpy(destination.as<void>(), source.as<void>(), 0);  // nothing, no fault
}

// A record of several words, as a file descriptor or a device command is.
struct Entry {
  uint32_t kind = 0;
  int32_t handle = -1;
  uint64_t where = 0;
  uint16_t flags = 0;
};

// An entry of another cluster returned by value: the shape in which a remote_memcpy into a
// local returned the local as constructed (docs/decisions.md, "A copy's file table").
Entry read_entry(hal::Xptr<Entry> at) { return hal::remote_read(at); }

TEST_F(XptrTest, WholeObjectsReadAndWrittenAcrossClusters) {
  const auto entry = place<Entry>(0x10, kObjectsLpa + 64);
  hal::ClusterScope scope(0x01);
  Entry written;
  written.kind = 2;
  written.handle = 7;
  written.where = 0x1234'5678'9abcULL;
  written.flags = 3;
  hal::remote_write(entry, written);
  const Entry read = read_entry(entry);
  EXPECT_EQ(read.kind, 2u);
  EXPECT_EQ(read.handle, 7);
  EXPECT_EQ(read.where, 0x1234'5678'9abcULL);
  EXPECT_EQ(read.flags, 3u);
  EXPECT_EQ(hal::remote_load(entry.field(&Entry::handle)), 7);  // in the other cluster's bank
}

class StrcpyTest : public XptrTest {
 protected:
  static constexpr std::size_t kArea = 64;
  void fill(const char* text) {
    for (std::size_t i = 0; i <= std::strlen(text); ++i) hal::remote_store(m_source + std::ptrdiff_t(i), text[i]);
    for (std::size_t i = 0; i < kArea; ++i) hal::remote_store(m_destination + std::ptrdiff_t(i), 'x');
  }
  std::string destination_bytes(std::size_t count) {
    std::string bytes;
    for (std::size_t i = 0; i < count; ++i) bytes.push_back(hal::remote_load(m_destination + std::ptrdiff_t(i)));
    return bytes;
  }
  // Set once the fixture has mapped the banks.
  Xptr<char> m_source;
  Xptr<char> m_destination;
  void SetUp() override {
    XptrTest::SetUp();
    m_source = place<char>(0x11, kObjectsLpa + 100);
    m_destination = place<char>(0x01, kObjectsLpa + 200);
  }
};

TEST_F(StrcpyTest, TruncatesAndAlwaysTerminates) {
  const auto src = Xptr<const char>(m_source.raw());
  fill("hello, cluster");                                    // 14 characters
  EXPECT_EQ(hal::remote_strcpy(m_destination, src, 0), 0u);  // capacity 0: nothing written
  EXPECT_EQ(destination_bytes(2), "xx");
  EXPECT_EQ(hal::remote_strcpy(m_destination, src, 1), 0u);  // room for the NUL only
  EXPECT_EQ(destination_bytes(2), std::string("\0x", 2));
  fill("hello, cluster");
  EXPECT_EQ(hal::remote_strcpy(m_destination, src, 6), 5u);  // truncated to 5 + NUL
  EXPECT_EQ(destination_bytes(7), std::string("hello\0x", 7));
  fill("hello, cluster");
  EXPECT_EQ(hal::remote_strcpy(m_destination, src, 15), 14u);  // exact fit
  EXPECT_EQ(destination_bytes(16), std::string("hello, cluster\0x", 16));
  fill("hello, cluster");
  EXPECT_EQ(hal::remote_strcpy(m_destination, src, kArea), 14u);  // roomy: stops at the NUL
  EXPECT_EQ(destination_bytes(16), std::string("hello, cluster\0x", 16));
  fill("");
  EXPECT_EQ(hal::remote_strcpy(m_destination, src, kArea), 0u);
  EXPECT_EQ(destination_bytes(2), std::string("\0x", 2));
}

TEST_F(XptrTest, ConcurrentAtomicAddsGiveTheExactTotal) {
  constexpr uint64_t kAdds = 50'000;
  const auto total64 = place<uint64_t>(0x11, kObjectsLpa);
  const auto total32 = place<uint32_t>(0x11, kObjectsLpa + 8);
  const auto total8 = place<uint8_t>(0x11, kObjectsLpa + 12);  // wraps: 4 * kAdds mod 256
  const auto bits = place<uint64_t>(0x11, kObjectsLpa + 16);
  std::latch start(4);
  std::vector<std::thread> threads;
  for (uint32_t t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      hal::ClusterScope scope(kClusters[t]);
      start.arrive_and_wait();
      for (uint64_t i = 0; i < kAdds; ++i) {
        hal::remote_atomic_add(total64, uint64_t(1));
        hal::remote_atomic_add(total32, 3u);
        hal::remote_atomic_add(total8, uint8_t(1));
        hal::remote_atomic_or(bits, uint64_t(1) << (t * 16 + i % 16));
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(hal::remote_load(total64), 4 * kAdds);
  EXPECT_EQ(hal::remote_load(total32), uint32_t(3 * 4 * kAdds));
  EXPECT_EQ(hal::remote_load(total8), uint8_t(4 * kAdds));
  EXPECT_EQ(hal::remote_load(bits), ~uint64_t(0));
}

// ---- the debug checks: an xptr outside every bank aborts with a message that says why.

#if defined(MKH_DEBUG_CHECKS)
TEST_F(XptrTest, XptrPastTheEndOfABankAborts) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(hal::remote_load(Xptr<uint64_t>(raw_xptr(0x01, kBankBytes))), "past the end of bank 0x1");
  EXPECT_DEATH(hal::remote_load(Xptr<uint64_t>(raw_xptr(0x10, kBankBytes - 4))), "past the end of bank 0x10");
  EXPECT_DEATH(hal::remote_memcpy(place<void>(0x11, kBankBytes - 8), place<void>(0x00, kObjectsLpa), 9),
               "remote_memcpy destination.*past the end");
  hal::remote_store(Xptr<uint64_t>(raw_xptr(0x10, kBankBytes - 8)), uint64_t(1));  // the last word is fine
}

TEST_F(XptrTest, XptrNamingAnAbsentClusterAborts) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(hal::remote_load(Xptr<uint32_t>(raw_xptr(kAbsentInside, kObjectsLpa))), "absent cluster 0x2");
  EXPECT_DEATH(hal::remote_store(Xptr<uint32_t>(raw_xptr(kAbsentOutside, kObjectsLpa)), 1u), "absent cluster 0x20");
  EXPECT_DEATH(hal::remote_load(Xptr<uint8_t>(raw_xptr(0xFFFFFF, 0))), "absent cluster 0xffffff");
  EXPECT_DEATH((void)hal::XPTR(kAbsentInside, hal::bank_base(0) + kObjectsLpa), "XPTR.*absent cluster 0x2");
  EXPECT_DEATH((void)hal::XPTR(0x00, hal::bank_base(kAbsentInside) + 8), "XPTR.*bank of absent cluster 0x2");
}
#else
TEST_F(XptrTest, XptrPastTheEndOfABankAborts) { GTEST_SKIP() << "built without MKH_DEBUG_CHECKS"; }
TEST_F(XptrTest, XptrNamingAnAbsentClusterAborts) { GTEST_SKIP() << "built without MKH_DEBUG_CHECKS"; }
#endif

// ---- one region per process.

TEST_F(XptrTest, SecondRegionIsBusyUntilTheFirstIsGone) {
  const auto word = place<uint64_t>(0x11, kObjectsLpa);
  hal::remote_store(word, uint64_t(42));
  uint8_t* const base = hal::g_address_space.base;

  auto second = hal::Region::map(Topology{1, 1, 1}, kBankBytes, false, true);
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error(), Errno::kBusy);
  // The refused map left the mapped machine as it was.
  EXPECT_EQ(hal::g_address_space.base, base);
  EXPECT_EQ(hal::g_address_space.bank_size, kBankBytes);
  EXPECT_TRUE(hal::g_address_space.present[0x11]);
  EXPECT_EQ(hal::remote_load(word), 42u);

  m_region.reset();
  EXPECT_EQ(hal::g_address_space.base, nullptr);
  EXPECT_FALSE(hal::g_address_space.present[0x11]);

  auto again = hal::Region::map(Topology{2, 2, 1}, kBankBytes, false, true);
  ASSERT_TRUE(again) << errno_name(again.error());
  m_region.emplace(std::move(*again));
  EXPECT_EQ(hal::remote_load(word), 0u);  // fresh banks
  hal::remote_store(word, uint64_t(43));
  EXPECT_EQ(hal::remote_load(word), 43u);
}

TEST_F(XptrTest, MovedRegionStaysMappedUntilItsLastOwnerGoes) {
  std::optional<hal::Region> moved(std::move(*m_region));
  m_region.reset();  // the moved-from shell unmaps nothing
  const auto word = place<uint64_t>(0x01, kObjectsLpa);
  hal::remote_store(word, uint64_t(7));
  EXPECT_EQ(hal::remote_load(word), 7u);
  EXPECT_FALSE(hal::Region::map(Topology{1, 1, 1}, kBankBytes, false, true));
  moved.reset();
  EXPECT_TRUE(hal::Region::map(Topology{1, 1, 1}, kBankBytes, false, true));
}

TEST_F(XptrTest, RegionRejectsBadShapes) {
  m_region.reset();
  const auto not_power_of_two = hal::Region::map(Topology{1, 1, 1}, 3 << 20, false, true);
  ASSERT_FALSE(not_power_of_two);
  EXPECT_EQ(not_power_of_two.error(), Errno::kInval);
  const auto too_wide = hal::Region::map(Topology{kMaxXSize + 1, 1, 1}, kBankBytes, false, true);
  ASSERT_FALSE(too_wide);
  EXPECT_EQ(too_wide.error(), Errno::kInval);
  // A refused shape does not leave the region marked busy.
  EXPECT_TRUE(hal::Region::map(Topology{1, 1, 1}, kBankBytes, false, true));
}

// A populated bank is resident before it is touched, and reads as zeros; a lazy one is not.
TEST_F(XptrTest, PopulatedBanksAreResidentAtTheStart) {
  const long host_page = sysconf(_SC_PAGESIZE);
  auto resident_pages = [&](hal::cxy_t cxy) {
    std::vector<unsigned char> residency(kBankBytes / uint64_t(host_page));
    EXPECT_EQ(mincore(hal::bank_base(cxy), kBankBytes, residency.data()), 0) << std::strerror(errno);
    return uint64_t(std::count_if(residency.begin(), residency.end(), [](unsigned char r) { return (r & 1) != 0; }));
  };
  EXPECT_LT(resident_pages(0x00), kBankBytes / uint64_t(host_page));  // the fixture's lazy region

  m_region.reset();
  auto populated = hal::Region::map(Topology{2, 1, 1}, kBankBytes, true, true);
  ASSERT_TRUE(populated) << errno_name(populated.error());
  m_region.emplace(std::move(*populated));
  for (const hal::cxy_t cxy : {hal::make_cxy(0, 0), hal::make_cxy(1, 0)}) {
    EXPECT_EQ(resident_pages(cxy), kBankBytes / uint64_t(host_page)) << "cluster " << cxy;
    const auto* bytes = hal::bank_base(cxy);
    EXPECT_TRUE(std::all_of(bytes, bytes + kBankBytes, [](uint8_t b) { return b == 0; }));
  }
}

// Bug: Region::map accepted a topology with no row or no column (2x0 "mapped" a machine
// with cxy_limit 0; 0x2 failed with ENOMEM instead of EINVAL).
TEST_F(XptrTest, RegionRejectsZeroSizedTopology) {
  m_region.reset();
  for (const Topology& shape : {Topology{0, 2, 1}, Topology{2, 0, 1}, Topology{0, 0, 1}}) {
    const auto region = hal::Region::map(shape, kBankBytes, false, true);
    ASSERT_FALSE(region) << shape.x_size << "x" << shape.y_size << " mapped";
    EXPECT_EQ(region.error(), Errno::kInval) << shape.x_size << "x" << shape.y_size;
  }
  EXPECT_TRUE(hal::Region::map(Topology{1, 1, 1}, kBankBytes, false, true));
}

}  // namespace
}  // namespace mkh::test
