// ctest-label: concurrency
// rpc/fifo: the remote FIFO (bounded lock-free MPSC ring of calls) and its doorbell, placed in
// the consumer cluster's bank of a mapped region (no machine boot). Capacity, order, laps,
// depth and high-water mark; one ring per arming; a producer stalled between claim and
// publish; host threads acting as producer clusters (exactly once, per-producer order, no
// lost wake-up). Layer: tests. Calls rpc/fifo and hal. MKH_TEST_SEED=<n> replays a run.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <deque>
#include <latch>
#include <new>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "region_fixture.hpp"

#include "hal/cpu.hpp"
#include "hal/region.hpp"
#include "hal/remote.hpp"
#include "rpc/fifo.hpp"

namespace mkh::test {
namespace {

using hal::cxy_t;
using hal::lpa_t;
using hal::Xptr;
using hal::xptr_t;
using rpc::FifoSlot;
using rpc::PushResult;
using rpc::RemoteFifo;

#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
constexpr bool kSanitized = true;
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer) || __has_feature(address_sanitizer)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif
#else
constexpr bool kSanitized = false;
#endif

constexpr uint64_t kBankBytes = uint64_t(4) << 20;
constexpr lpa_t kFifoLpa = uint64_t(1) << 20;           // the FIFO, in the consumer's bank
constexpr lpa_t kSlotsLpa = kFifoLpa + 4096;            // its slots, right after it
constexpr lpa_t kItemLpa = uint64_t(1) << 20;           // items name bytes from here on
constexpr uint64_t kItemLimit = kBankBytes - kItemLpa;  // so item n < kItemLimit

// 4x2 clusters: the consumer (the FIFO's owner) and six producer clusters.
constexpr cxy_t kConsumerCxy = 0x00;
constexpr cxy_t kProducerClusters[] = {0x01, 0x10, 0x11, 0x20, 0x21, 0x30};
constexpr uint32_t kProducersNr = sizeof(kProducerClusters) / sizeof(kProducerClusters[0]);

uint64_t test_seed() {
  if (const char* env = std::getenv("MKH_TEST_SEED")) return std::strtoull(env, nullptr, 0);
  return std::random_device{}();
}

// Item n of producer p: the xptr of byte kItemLpa + n of p's bank (never null).
xptr_t item_of(uint32_t producer, uint64_t n) {
  const cxy_t cxy = kProducerClusters[producer];
  return hal::XPTR(cxy, hal::bank_base(cxy) + kItemLpa + n);
}

// The call that carries an item: the item as the descriptor, every other field derived from
// it, so that a pop can tell a call whose words are not all of one push.
rpc::RpcCall call_of(xptr_t item) {
  rpc::RpcCall call;
  call.desc = item;
  call.index = uint32_t(item * 7);
  call.flow = ~item;
  for (uint32_t i = 0; i < rpc::kRpcSlotWords; ++i) call.words[i] = item + i + 1;
  return call;
}

PushResult push_item(Xptr<RemoteFifo> fifo, xptr_t item) { return rpc::fifo_push(fifo, call_of(item)); }

// The popped call's item, XPTR_NULL when nothing was popped; a call not all of one push
// fails the test.
xptr_t pop_item(RemoteFifo* fifo) {
  rpc::RpcCall call;
  if (!rpc::fifo_pop(fifo, &call)) return hal::XPTR_NULL;
  const rpc::RpcCall expected = call_of(call.desc);
  bool whole = call.index == expected.index && call.flow == expected.flow;
  for (uint32_t i = 0; i < rpc::kRpcSlotWords; ++i) whole = whole && call.words[i] == expected.words[i];
  EXPECT_TRUE(whole) << "the call of item 0x" << std::hex << call.desc << " arrived torn";
  return call.desc;
}

// Checks that every item comes out exactly once and in its producer's order: each item must
// be the next one expected of its producer.
class OrderChecker {
 public:
  // Empty when the item is the next of its producer, else what is wrong with it.
  std::string accept(xptr_t item) {
    const cxy_t cxy = hal::GET_CXY(item);
    const auto* found = std::find(std::begin(kProducerClusters), std::end(kProducerClusters), cxy);
    const lpa_t lpa = hal::GET_LPA(item);
    if (item == hal::XPTR_NULL || found == std::end(kProducerClusters) || lpa < kItemLpa ||
        lpa - kItemLpa >= kItemLimit) {
      std::ostringstream out;
      out << "foreign item 0x" << std::hex << item;
      return out.str();
    }
    const auto producer = uint32_t(found - std::begin(kProducerClusters));
    const uint64_t n = lpa - kItemLpa;
    if (n != m_next[producer]) {
      std::ostringstream out;
      out << "producer " << producer << ": item " << n << " arrived when item " << m_next[producer] << " was expected ("
          << (n < m_next[producer] ? "duplicate or reordered" : "lost or reordered") << ")";
      return out.str();
    }
    ++m_next[producer];
    ++m_received;
    return {};
  }
  uint64_t received() const { return m_received; }
  uint64_t next(uint32_t producer) const { return m_next[producer]; }

 private:
  uint64_t m_next[kProducersNr] = {};
  uint64_t m_received = 0;
};

class FifoTest : public RegionTest {
 protected:
  FifoTest() : RegionTest(Topology{4, 2, 1}, kBankBytes) {}

  // A FIFO of slots_nr slots in the consumer's bank, initialised by its owner.
  RemoteFifo* make_fifo(uint32_t slots_nr) {
    hal::ClusterScope owner(kConsumerCxy);
    uint8_t* const bank = hal::bank_base(kConsumerCxy);
    m_fifo = new (bank + kFifoLpa) RemoteFifo{};
    rpc::fifo_init(m_fifo, reinterpret_cast<FifoSlot*>(bank + kSlotsLpa), slots_nr);
    return m_fifo;
  }
  Xptr<RemoteFifo> fifo_xptr() const { return Xptr<RemoteFifo>(kConsumerCxy, m_fifo); }

  // A push by a host thread acting for producer p's cluster.
  PushResult push_as(uint32_t producer, xptr_t item) const {
    hal::ClusterScope scope(kProducerClusters[producer]);
    return push_item(fifo_xptr(), item);
  }
  uint32_t armed() const { return hal::local_load(m_fifo->m_armed); }
  uint64_t high_water() const { return hal::local_load(m_fifo->m_high_water); }

  // The first half of fifo_push, by hand: claim the tail slot (the CAS on m_tail) and stop
  // there, as a producer preempted between claim and publish. Returns the position.
  uint64_t claim_by_hand() const {
    hal::ClusterScope scope(kProducerClusters[0]);
    const auto fifo = fifo_xptr();
    const auto tail = fifo.field(&RemoteFifo::m_tail);
    const uint64_t position = hal::remote_load(tail);
    EXPECT_EQ(hal::remote_load(slot(position).field(&FifoSlot::sequence)), position) << "slot not free";
    EXPECT_TRUE(hal::remote_cas(tail, position, position + 1));
    return position;
  }
  // The second half, by hand: write the call, publish it, then the ring decision. True
  // when this producer must ring.
  bool publish_by_hand(uint64_t position, xptr_t item) const {
    hal::ClusterScope scope(kProducerClusters[0]);
    const auto fifo = fifo_xptr();
    *slot(position).field(&FifoSlot::call).host_ptr() = call_of(item);
    hal::remote_exchange(slot(position).field(&FifoSlot::sequence), position + 1);
    const auto armed = fifo.field(&RemoteFifo::m_armed);
    return hal::remote_load_sc(armed) != 0 && hal::remote_exchange(armed, 0u) != 0;
  }
  Xptr<FifoSlot> slot(uint64_t position) const {
    const auto fifo = fifo_xptr();
    FifoSlot* const slots = hal::remote_load(fifo.field(&RemoteFifo::m_slots));
    const uint32_t mask = hal::remote_load(fifo.field(&RemoteFifo::m_mask));
    return Xptr<FifoSlot>(kConsumerCxy, slots + (position & mask));
  }

  RemoteFifo* m_fifo = nullptr;
};

// ---- 1. single-threaded: capacity, order, laps, depth, high-water mark ----

TEST_F(FifoTest, HoldsExactlySlotsNrItemsAndPopsThemInOrder) {
  hal::ClusterScope consumer(kConsumerCxy);
  for (const uint32_t slots_nr : {2u, 8u, 64u}) {
    SCOPED_TRACE(::testing::Message() << "slots_nr=" << slots_nr);
    RemoteFifo* fifo = make_fifo(slots_nr);
    EXPECT_EQ(pop_item(fifo), hal::XPTR_NULL);
    EXPECT_FALSE(rpc::fifo_ready(fifo));
    EXPECT_EQ(rpc::fifo_depth(fifo), 0u);
    EXPECT_EQ(high_water(), 0u);
    for (uint32_t i = 0; i < slots_nr; ++i) {
      ASSERT_NE(push_as(i % kProducersNr, item_of(i % kProducersNr, i)), PushResult::kFull) << "item " << i;
      EXPECT_EQ(rpc::fifo_depth(fifo), i + 1);
    }
    for (int again = 0; again < 3; ++again) EXPECT_EQ(push_as(0, item_of(0, 999)), PushResult::kFull);
    EXPECT_EQ(rpc::fifo_depth(fifo), slots_nr) << "a refused push must not claim";
    EXPECT_TRUE(rpc::fifo_ready(fifo));
    for (uint32_t i = 0; i < slots_nr; ++i) {
      ASSERT_EQ(pop_item(fifo), item_of(i % kProducersNr, i)) << "pop " << i;
      EXPECT_EQ(rpc::fifo_depth(fifo), slots_nr - i - 1);
    }
    EXPECT_EQ(pop_item(fifo), hal::XPTR_NULL);
    EXPECT_FALSE(rpc::fifo_ready(fifo));
    EXPECT_EQ(high_water(), slots_nr);
    // Full once more after the drain: the slots were all given back.
    for (uint32_t i = 0; i < slots_nr; ++i) ASSERT_NE(push_as(1, item_of(1, i)), PushResult::kFull);
    EXPECT_EQ(push_as(1, item_of(1, slots_nr)), PushResult::kFull);
    for (uint32_t i = 0; i < slots_nr; ++i) ASSERT_EQ(pop_item(fifo), item_of(1, i));
    EXPECT_EQ(pop_item(fifo), hal::XPTR_NULL);
  }
}

TEST_F(FifoTest, HighWaterMarkIsTheDeepestQueueSeenByPop) {
  hal::ClusterScope consumer(kConsumerCxy);
  RemoteFifo* fifo = make_fifo(8);
  uint64_t n = 0;
  for (int i = 0; i < 3; ++i) ASSERT_NE(push_as(0, item_of(0, n++)), PushResult::kFull);
  EXPECT_EQ(high_water(), 0u) << "measured when popping";
  ASSERT_NE(pop_item(fifo), hal::XPTR_NULL);
  EXPECT_EQ(high_water(), 3u);
  for (int i = 0; i < 5; ++i) ASSERT_NE(push_as(0, item_of(0, n++)), PushResult::kFull);
  ASSERT_NE(pop_item(fifo), hal::XPTR_NULL);
  EXPECT_EQ(high_water(), 7u);
  while (pop_item(fifo) != hal::XPTR_NULL) {}
  EXPECT_EQ(high_water(), 7u);
  for (int i = 0; i < 2; ++i) ASSERT_NE(push_as(0, item_of(0, n++)), PushResult::kFull);
  while (pop_item(fifo) != hal::XPTR_NULL) {}
  EXPECT_EQ(high_water(), 7u) << "a mark, not the last depth";
}

// fifo_pop guesses that a call's descriptor is the last one's: right or wrong, the call
// comes out as it was pushed.
TEST_F(FifoTest, ACallComesOutAsPushedWhetherItsDescriptorIsTheLastOnesOrNot) {
  hal::ClusterScope consumer(kConsumerCxy);
  RemoteFifo* fifo = make_fifo(8);
  const xptr_t items[] = {item_of(0, 1), item_of(0, 1), item_of(0, 1), item_of(1, 1), item_of(0, 1), item_of(1, 2)};
  for (const xptr_t item : items) {
    ASSERT_NE(push_as(0, item), PushResult::kFull);
    EXPECT_EQ(pop_item(fifo), item);
  }
  for (const xptr_t item : items) ASSERT_NE(push_as(0, item), PushResult::kFull);
  for (const xptr_t item : items) EXPECT_EQ(pop_item(fifo), item);
}

TEST_F(FifoTest, RandomFillAndDrainOverManyLapsMatchesAModel) {
  hal::ClusterScope consumer(kConsumerCxy);
  const uint64_t seed = test_seed();
  SCOPED_TRACE(::testing::Message() << "MKH_TEST_SEED=" << seed);
  std::mt19937_64 random(seed);
  constexpr uint32_t kSlots = 8;
  RemoteFifo* fifo = make_fifo(kSlots);
  std::deque<xptr_t> model;
  uint64_t n = 0;
  uint64_t model_high_water = 0;
  for (int round = 0; round < 20'000; ++round) {
    const auto pushes = uint32_t(random() % (kSlots + 2));
    for (uint32_t i = 0; i < pushes; ++i) {
      const auto producer = uint32_t(random() % kProducersNr);
      const xptr_t item = item_of(producer, n++);
      const PushResult pushed = push_as(producer, item);
      ASSERT_EQ(pushed == PushResult::kFull, model.size() == kSlots) << "round " << round << " depth " << model.size();
      if (pushed != PushResult::kFull) model.push_back(item);
    }
    ASSERT_EQ(rpc::fifo_depth(fifo), model.size());
    const auto pops = uint32_t(random() % (kSlots + 2));
    for (uint32_t i = 0; i < pops; ++i) {
      ASSERT_EQ(rpc::fifo_ready(fifo), !model.empty());
      if (!model.empty()) model_high_water = std::max<uint64_t>(model_high_water, model.size());
      const xptr_t item = pop_item(fifo);
      if (model.empty()) {
        ASSERT_EQ(item, hal::XPTR_NULL) << "round " << round;
      } else {
        ASSERT_EQ(item, model.front()) << "round " << round;
        model.pop_front();
      }
    }
    ASSERT_EQ(high_water(), model_high_water);
    if (n + 2 * kSlots >= kItemLimit) n = 0;
  }
  EXPECT_GT(m_fifo->m_head, uint64_t(100) * kSlots) << "the test wraps around many laps";
}

// ---- 2. the doorbell ----

TEST_F(FifoTest, DoorbellRingsOncePerArming) {
  hal::ClusterScope consumer(kConsumerCxy);
  RemoteFifo* fifo = make_fifo(8);
  EXPECT_EQ(armed(), 1u) << "armed at boot: the consumer starts idle";
  EXPECT_EQ(push_as(0, item_of(0, 0)), PushResult::kQueuedRing);
  EXPECT_EQ(armed(), 0u);
  EXPECT_EQ(push_as(1, item_of(1, 0)), PushResult::kQueued);
  EXPECT_EQ(push_as(2, item_of(2, 0)), PushResult::kQueued);

  // Not empty: arm_and_recheck sees the item and says keep consuming.
  EXPECT_TRUE(rpc::fifo_arm_and_recheck(fifo));
  rpc::fifo_disarm(fifo);
  EXPECT_EQ(armed(), 0u);
  EXPECT_EQ(push_as(3, item_of(3, 0)), PushResult::kQueued) << "a busy consumer is not rung";
  for (uint32_t p = 0; p < 4; ++p) ASSERT_EQ(pop_item(fifo), item_of(p, 0));
  EXPECT_EQ(pop_item(fifo), hal::XPTR_NULL);

  // Empty: arm_and_recheck arms and says go idle; the next push rings, a burst rings once.
  EXPECT_FALSE(rpc::fifo_arm_and_recheck(fifo));
  EXPECT_EQ(armed(), 1u);
  EXPECT_EQ(push_as(4, item_of(4, 0)), PushResult::kQueuedRing);
  for (uint64_t i = 1; i < 8; ++i) EXPECT_EQ(push_as(4, item_of(4, i)), PushResult::kQueued) << i;
  // Full: a refused push neither rings nor disarms.
  EXPECT_TRUE(rpc::fifo_arm_and_recheck(fifo));
  EXPECT_EQ(push_as(5, item_of(5, 0)), PushResult::kFull);
  EXPECT_EQ(armed(), 1u);
  // arm_and_recheck said true and the consumer did not disarm: the next push rings, once.
  EXPECT_NE(pop_item(fifo), hal::XPTR_NULL);
  EXPECT_EQ(push_as(5, item_of(5, 1)), PushResult::kQueuedRing);
  EXPECT_NE(pop_item(fifo), hal::XPTR_NULL);
  EXPECT_EQ(push_as(5, item_of(5, 2)), PushResult::kQueued);
  while (pop_item(fifo) != hal::XPTR_NULL) {}

  // Every arming earns exactly one ring.
  for (uint64_t round = 0; round < 100; ++round) {
    ASSERT_FALSE(rpc::fifo_arm_and_recheck(fifo));
    ASSERT_EQ(push_as(round % kProducersNr, item_of(0, round)), PushResult::kQueuedRing) << round;
    ASSERT_EQ(push_as(round % kProducersNr, item_of(1, round)), PushResult::kQueued) << round;
    ASSERT_EQ(pop_item(fifo), item_of(0, round));
    ASSERT_EQ(pop_item(fifo), item_of(1, round));
  }
}

TEST_F(FifoTest, ConcurrentBurstRingsExactlyOnce) {
  hal::ClusterScope consumer(kConsumerCxy);
  RemoteFifo* fifo = make_fifo(8);
  const int rounds = kSanitized ? 50 : 200;
  for (int round = 0; round < rounds; ++round) {
    ASSERT_FALSE(rpc::fifo_arm_and_recheck(fifo));
    std::atomic<uint32_t> rings{0};
    std::latch start(kProducersNr);
    std::vector<std::thread> producers;
    for (uint32_t p = 0; p < kProducersNr; ++p) {
      producers.emplace_back([&, p] {
        start.arrive_and_wait();
        const PushResult pushed = push_as(p, item_of(p, uint64_t(round)));
        if (pushed == PushResult::kQueuedRing) rings.fetch_add(1);
        EXPECT_NE(pushed, PushResult::kFull);
      });
    }
    for (auto& t : producers) t.join();
    ASSERT_EQ(rings.load(), 1u) << "round " << round << ": one arming, one ring";
    for (uint32_t i = 0; i < kProducersNr; ++i) {
      const xptr_t item = pop_item(fifo);
      ASSERT_NE(item, hal::XPTR_NULL);
      const cxy_t cxy = hal::GET_CXY(item);
      const auto producer = uint32_t(std::find(std::begin(kProducerClusters), std::end(kProducerClusters), cxy) -
                                     std::begin(kProducerClusters));
      ASSERT_LT(producer, kProducersNr);
      EXPECT_EQ(item, item_of(producer, uint64_t(round)));
    }
    ASSERT_EQ(pop_item(fifo), hal::XPTR_NULL);
  }
}

// ---- 3. many producers, exactly once, per-producer order ----

struct ProducerStats {
  std::atomic<uint64_t> full{0};
  std::atomic<uint64_t> rings{0};
};

// Producer p pushes items 0..count-1 with small random delays, retrying (after a host yield)
// while the FIFO is full; on kQueuedRing it calls on_ring(). pace(n) runs before item n and
// may wait; it returns false to give up. Gives up when stop is set.
template <typename OnRing, typename Pace>
void run_producer(Xptr<RemoteFifo> fifo, uint32_t p, uint64_t count, uint64_t seed, const std::atomic<bool>& stop,
                  ProducerStats& stats, OnRing on_ring, Pace pace) {
  hal::ClusterScope scope(kProducerClusters[p]);
  std::mt19937_64 random(seed * 0x9E3779B97F4A7C15ull + p);
  for (uint64_t n = 0; n < count; ++n) {
    if (!pace(n)) return;
    const uint64_t draw = random();
    if ((draw & 15) == 0) {
      uint32_t spins = 0;
      for (uint64_t i = (draw >> 8) % 200; i > 0; --i) hal::cpu_relax(spins);
    } else if ((draw & 255) == 1) {
      std::this_thread::yield();
    }
    for (;;) {
      const PushResult pushed = push_item(fifo, item_of(p, n));
      if (pushed == PushResult::kQueuedRing) {
        stats.rings.fetch_add(1, std::memory_order_relaxed);
        on_ring();
      }
      if (pushed != PushResult::kFull) break;
      stats.full.fetch_add(1, std::memory_order_relaxed);
      if (stop.load(std::memory_order_relaxed)) return;
      std::this_thread::yield();
    }
  }
}

TEST_F(FifoTest, ManyProducersEveryItemExactlyOnceInProducerOrder) {
  const uint64_t seed = test_seed();
  SCOPED_TRACE(::testing::Message() << "MKH_TEST_SEED=" << seed);
  const uint64_t per_producer = 20'000;
  const uint64_t total = per_producer * kProducersNr;
  constexpr uint32_t kSlots = 8;
  RemoteFifo* fifo = make_fifo(kSlots);
  rpc::fifo_disarm(fifo);  // the consumer is busy throughout: nobody may ring

  std::atomic<bool> stop{false};
  ProducerStats stats;
  std::vector<std::thread> producers;
  for (uint32_t p = 0; p < kProducersNr; ++p)
    producers.emplace_back([&, p] {
      run_producer(
          fifo_xptr(), p, per_producer, seed, stop, stats, [] {}, [](uint64_t) { return true; });
    });

  hal::ClusterScope consumer(kConsumerCxy);
  std::mt19937_64 random(seed);
  OrderChecker checker;
  std::string error;
  uint64_t empty_pops = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (checker.received() < total) {
    const xptr_t item = pop_item(fifo);
    if (item == hal::XPTR_NULL) {
      ++empty_pops;
      if ((empty_pops & 1023) == 0 && std::chrono::steady_clock::now() > deadline) {
        error = "timed out with " + std::to_string(total - checker.received()) + " items missing";
        break;
      }
      std::this_thread::yield();
      continue;
    }
    error = checker.accept(item);
    if (!error.empty()) break;
    EXPECT_LE(rpc::fifo_depth(fifo), kSlots);
    if ((random() & 63) == 0) std::this_thread::yield();  // let the FIFO fill up
  }
  stop.store(true);
  for (auto& t : producers) t.join();
  ASSERT_TRUE(error.empty()) << error << " (after " << checker.received() << " items)";
  for (uint32_t p = 0; p < kProducersNr; ++p) EXPECT_EQ(checker.next(p), per_producer) << "producer " << p;
  EXPECT_EQ(pop_item(fifo), hal::XPTR_NULL);
  EXPECT_EQ(rpc::fifo_depth(fifo), 0u);
  EXPECT_EQ(stats.rings.load(), 0u) << "the doorbell was never armed";
  EXPECT_GE(high_water(), 1u);
  EXPECT_LE(high_water(), kSlots);
  RecordProperty("fifo_full_retries", std::to_string(stats.full.load()));
  RecordProperty("high_water", std::to_string(high_water()));
}

// ---- 4. a producer stalled between claim and publish ----

TEST_F(FifoTest, StalledHeadIsNotSkippedAndItsPublishRings) {
  hal::ClusterScope consumer(kConsumerCxy);
  constexpr uint32_t kSlots = 8;
  RemoteFifo* fifo = make_fifo(kSlots);
  rpc::fifo_disarm(fifo);  // consumer busy
  // A few laps first, so the stalled position is not the slot index.
  for (uint64_t i = 0; i < 3 * kSlots + 5; ++i) {
    ASSERT_EQ(push_as(1, item_of(1, i)), PushResult::kQueued);
    ASSERT_EQ(pop_item(fifo), item_of(1, i));
  }
  // Two published items, then the stalled claim, then more items after it.
  ASSERT_EQ(push_as(1, item_of(1, 100)), PushResult::kQueued);
  ASSERT_EQ(push_as(1, item_of(1, 101)), PushResult::kQueued);
  const uint64_t stalled = claim_by_hand();
  EXPECT_EQ(stalled, 3 * kSlots + 5 + 2);
  for (uint64_t i = 0; i < kSlots - 3; ++i) ASSERT_EQ(push_as(2, item_of(2, i)), PushResult::kQueued) << i;
  EXPECT_EQ(push_as(2, item_of(2, 99)), PushResult::kFull) << "the claimed slot is taken";
  EXPECT_EQ(rpc::fifo_depth(fifo), kSlots) << "depth counts the claimed slot";

  // The items before the stalled slot come out; then the consumer stops at it.
  EXPECT_EQ(pop_item(fifo), item_of(1, 100));
  EXPECT_EQ(pop_item(fifo), item_of(1, 101));
  EXPECT_FALSE(rpc::fifo_ready(fifo));
  EXPECT_EQ(pop_item(fifo), hal::XPTR_NULL) << "fifo_pop skipped the unpublished head";
  EXPECT_EQ(pop_item(fifo), hal::XPTR_NULL);
  EXPECT_EQ(rpc::fifo_depth(fifo), kSlots - 2);
  EXPECT_EQ(m_fifo->m_head, stalled);

  // Consumer goes idle: arm, recheck sees nothing (the head is not published).
  EXPECT_FALSE(rpc::fifo_arm_and_recheck(fifo));
  EXPECT_EQ(armed(), 1u);
  // Another producer's push rings (the consumer wakes, still finds the head unpublished,
  // re-arms and goes idle again).
  ASSERT_EQ(pop_item(fifo), hal::XPTR_NULL);
  ASSERT_EQ(push_as(3, item_of(3, 0)), PushResult::kQueuedRing);
  EXPECT_EQ(armed(), 0u);
  EXPECT_EQ(pop_item(fifo), hal::XPTR_NULL);
  EXPECT_FALSE(rpc::fifo_arm_and_recheck(fifo));
  EXPECT_EQ(rpc::fifo_depth(fifo), kSlots - 1);

  // The stalled producer publishes: it sees the doorbell armed and must ring.
  EXPECT_TRUE(publish_by_hand(stalled, item_of(0, 7))) << "the stalled producer's publish did not ring";
  EXPECT_EQ(armed(), 0u);
  EXPECT_TRUE(rpc::fifo_ready(fifo));
  EXPECT_EQ(pop_item(fifo), item_of(0, 7)) << "the stalled item comes out first";
  for (uint64_t i = 0; i < kSlots - 3; ++i) EXPECT_EQ(pop_item(fifo), item_of(2, i)) << i;
  EXPECT_EQ(pop_item(fifo), item_of(3, 0));
  EXPECT_EQ(pop_item(fifo), hal::XPTR_NULL);
  EXPECT_EQ(rpc::fifo_depth(fifo), 0u);
  // The mark counts published items waiting from the head: the stalled one, the 5 of
  // producer 2 and the one of producer 3 (the claimed-but-unpublished slot never counted).
  EXPECT_EQ(high_water(), kSlots - 1);
}

TEST_F(FifoTest, StalledPublishBeforeArmingIsSeenByTheRecheck) {
  hal::ClusterScope consumer(kConsumerCxy);
  RemoteFifo* fifo = make_fifo(4);
  rpc::fifo_disarm(fifo);
  const uint64_t stalled = claim_by_hand();
  ASSERT_EQ(push_as(2, item_of(2, 0)), PushResult::kQueued);
  EXPECT_EQ(pop_item(fifo), hal::XPTR_NULL);
  // Published while the consumer is still busy: no ring ...
  EXPECT_FALSE(publish_by_hand(stalled, item_of(0, 0)));
  // ... and then the consumer's arm_and_recheck sees the item instead of going idle.
  EXPECT_TRUE(rpc::fifo_arm_and_recheck(fifo));
  rpc::fifo_disarm(fifo);
  EXPECT_EQ(pop_item(fifo), item_of(0, 0));
  EXPECT_EQ(pop_item(fifo), item_of(2, 0));
  EXPECT_EQ(pop_item(fifo), hal::XPTR_NULL);
}

TEST_F(FifoTest, StalledClaimFromThePreviousLapMakesTheFifoFull) {
  hal::ClusterScope consumer(kConsumerCxy);
  constexpr uint32_t kSlots = 4;
  RemoteFifo* fifo = make_fifo(kSlots);
  const uint64_t stalled = claim_by_hand();
  for (uint64_t i = 0; i < kSlots - 1; ++i) ASSERT_NE(push_as(1, item_of(1, i)), PushResult::kFull);
  EXPECT_EQ(push_as(1, item_of(1, 50)), PushResult::kFull);
  // Nothing comes out while the head is unpublished, however often the consumer looks.
  for (int i = 0; i < 10; ++i) ASSERT_EQ(pop_item(fifo), hal::XPTR_NULL);
  EXPECT_EQ(push_as(1, item_of(1, 50)), PushResult::kFull) << "a producer overtook the unpublished slot";
  publish_by_hand(stalled, item_of(0, 0));
  EXPECT_EQ(pop_item(fifo), item_of(0, 0));
  EXPECT_EQ(push_as(1, item_of(1, 3)), PushResult::kQueued);
  for (uint64_t i = 0; i < kSlots; ++i) EXPECT_EQ(pop_item(fifo), item_of(1, i)) << i;
  EXPECT_EQ(pop_item(fifo), hal::XPTR_NULL);
}

// ---- 5. the doorbell under concurrency: no server sleeps while its FIFO is not empty ----

// The consumer of an RPC server, reduced to its doorbell protocol: consume until empty, then
// arm and recheck; if the recheck finds nothing, sleep until a producer rings (`rung`, the
// IPI). It starts idle (armed at boot). While asleep it never looks at the FIFO, so a lost
// wake-up leaves it asleep with items outstanding: after 10 s that is an error.
struct DoorbellConsumer {
  DoorbellConsumer(RemoteFifo* fifo_in, std::atomic<bool>& rung_in) : fifo(fifo_in), rung(rung_in) {}

  RemoteFifo* fifo;
  std::atomic<bool>& rung;
  OrderChecker checker;
  std::atomic<uint64_t> received{0};  // published for producers that pace themselves on it
  uint64_t arms = 0;
  uint64_t sleeps = 0;

  std::string run(uint64_t total) {
    hal::ClusterScope consumer(kConsumerCxy);
    bool idle = true;
    while (checker.received() < total) {
      if (idle) {
        ++sleeps;
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        uint32_t spins = 0;
        while (!rung.exchange(false, std::memory_order_acquire)) {
          hal::cpu_relax(spins);
          if ((spins & 1023) == 0 && std::chrono::steady_clock::now() > deadline) {
            std::ostringstream out;
            out << "lost wake-up: asleep for 10 s with " << total - checker.received()
                << " items outstanding; fifo_depth " << rpc::fifo_depth(fifo) << ", fifo_ready "
                << rpc::fifo_ready(fifo) << ", armed " << hal::local_load(fifo->m_armed);
            return out.str();
          }
        }
        idle = false;
        continue;
      }
      const xptr_t item = pop_item(fifo);
      if (item != hal::XPTR_NULL) {
        std::string error = checker.accept(item);
        if (!error.empty()) return error;
        received.store(checker.received(), std::memory_order_release);
        continue;
      }
      ++arms;
      if (rpc::fifo_arm_and_recheck(fifo)) {
        rpc::fifo_disarm(fifo);  // as the server does: busy again
        continue;
      }
      idle = true;
    }
    return {};
  }

  // After a run: every producer's items taken once, in order; nothing left; one ring per
  // arming at most (plus the boot arming).
  void expect_every_item_once(uint64_t per_producer, const ProducerStats& stats) {
    for (uint32_t p = 0; p < kProducersNr; ++p) EXPECT_EQ(checker.next(p), per_producer) << "producer " << p;
    EXPECT_EQ(pop_item(fifo), hal::XPTR_NULL);
    EXPECT_LE(stats.rings.load(), arms + 1);
  }
};

// Producers stream their items; the consumer goes idle whenever it catches up.
TEST_F(FifoTest, IdleConsumerIsAlwaysRungNoLostWakeUp) {
  const uint64_t seed = test_seed();
  SCOPED_TRACE(::testing::Message() << "MKH_TEST_SEED=" << seed);
  const uint64_t per_producer = 15'000;
  RemoteFifo* fifo = make_fifo(8);

  std::atomic<bool> rung{false};
  std::atomic<bool> stop{false};
  ProducerStats stats;
  std::vector<std::thread> producers;
  for (uint32_t p = 0; p < kProducersNr; ++p)
    producers.emplace_back([&, p] {
      run_producer(
          fifo_xptr(), p, per_producer, seed, stop, stats, [&] { rung.store(true, std::memory_order_release); },
          [](uint64_t) { return true; });
    });
  DoorbellConsumer consumer(fifo, rung);
  const std::string error = consumer.run(per_producer * kProducersNr);
  stop.store(true);
  for (auto& t : producers) t.join();
  ASSERT_TRUE(error.empty()) << error << " (after " << consumer.checker.received() << " items)";
  consumer.expect_every_item_once(per_producer, stats);
  EXPECT_GE(stats.rings.load(), 1u);
  RecordProperty("sleeps", std::to_string(consumer.sleeps));
  RecordProperty("rings", std::to_string(stats.rings.load()));
  RecordProperty("fifo_full_retries", std::to_string(stats.full.load()));
}

// In a stream, a later push rescues a lost wake-up. Here the producers go in rounds: each
// pushes a few items, then waits until the consumer has taken every item of the round, so
// each round ends with the consumer going idle and the last publish of the round is the only
// one that can wake it.
TEST_F(FifoTest, RoundsEndingDrainedNeverLeaveTheConsumerAsleep) {
  const uint64_t seed = test_seed();
  SCOPED_TRACE(::testing::Message() << "MKH_TEST_SEED=" << seed);
  const uint32_t rounds = 3'000;
  // Round r: every producer pushes 1..4 items; round_start[r] = items per producer before it.
  std::vector<uint64_t> round_start;
  std::mt19937_64 random(seed ^ 0x5DEECE66Dull);
  uint64_t per_producer = 0;
  for (uint32_t r = 0; r < rounds; ++r) {
    round_start.push_back(per_producer);
    per_producer += 1 + random() % 4;
  }
  RemoteFifo* fifo = make_fifo(8);

  std::atomic<bool> rung{false};
  std::atomic<bool> stop{false};
  ProducerStats stats;
  DoorbellConsumer consumer(fifo, rung);
  std::vector<std::thread> producers;
  for (uint32_t p = 0; p < kProducersNr; ++p)
    producers.emplace_back([&, p] {
      std::size_t next_round = 1;
      const auto pace = [&](uint64_t n) {
        if (next_round >= round_start.size() || n != round_start[next_round]) return true;
        const uint64_t target = round_start[next_round++] * kProducersNr;
        while (consumer.received.load(std::memory_order_acquire) < target) {
          if (stop.load(std::memory_order_relaxed)) return false;
          std::this_thread::yield();
        }
        return true;
      };
      run_producer(
          fifo_xptr(), p, per_producer, seed, stop, stats, [&] { rung.store(true, std::memory_order_release); }, pace);
    });
  const std::string error = consumer.run(per_producer * kProducersNr);
  stop.store(true);
  for (auto& t : producers) t.join();
  ASSERT_TRUE(error.empty()) << error << " (after " << consumer.checker.received() << " items)";
  consumer.expect_every_item_once(per_producer, stats);
  EXPECT_GE(consumer.sleeps, uint64_t(rounds)) << "the consumer goes idle at least once a round";
  RecordProperty("sleeps", std::to_string(consumer.sleeps));
  RecordProperty("rings", std::to_string(stats.rings.load()));
}

}  // namespace
}  // namespace mkh::test
