// ctest-label: concurrency
// hal/xlist: lists whose links are extended pointers, built across the banks of a mapped
// region (no machine boot). Order, unlink, replace, insert, iteration with and without
// removal, element-from-entry, a seeded random walk against std::list, and host threads
// acting as different clusters sharing one list under a remote_busylock.
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <latch>
#include <list>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "region_fixture.hpp"

#include "hal/busylock.hpp"
#include "hal/cpu.hpp"
#include "hal/region.hpp"
#include "hal/remote.hpp"
#include "hal/xlist.hpp"

namespace mkh::test {
namespace {

using hal::cxy_t;
using hal::lpa_t;
using hal::XlistEntry;
using hal::Xptr;

constexpr uint64_t kBankBytes = uint64_t(4) << 20;
constexpr lpa_t kObjectsLpa = uint64_t(1) << 20;  // objects go past the first MiB of a bank

// 3x2 clusters: cxy 0x00 0x01 0x10 0x11 0x20 0x21.
constexpr cxy_t kEntryClusters[] = {0x00, 0x01, 0x10, 0x11};
constexpr cxy_t kRootCluster = 0x21;

// The link is not the first member, so xlist_element has an offset to undo.
struct Item {
  uint64_t id;
  uint32_t tag;
  XlistEntry link;
  XlistEntry other_link;
};

class XlistTest : public RegionTest {
 protected:
  XlistTest() : RegionTest(Topology{3, 2, 1}, kBankBytes) {}

  // A root at a chosen slot of a chosen cluster, initialised.
  static Xptr<XlistEntry> make_root(cxy_t cxy, uint32_t slot = 0) {
    const auto root = place<XlistEntry>(cxy, kObjectsLpa + slot * sizeof(XlistEntry));
    hal::xlist_root_init(root);
    return root;
  }

  // Item `id` lives in cluster kEntryClusters[id % 4] at slot `id`, unless told otherwise.
  static Xptr<Item> item_at(uint64_t id, std::optional<cxy_t> cxy = std::nullopt,
                            std::optional<uint64_t> slot = std::nullopt) {
    const cxy_t home = cxy ? *cxy : kEntryClusters[id % 4];
    return place<Item>(home, 2 * kObjectsLpa + (slot ? *slot : id) * sizeof(Item));
  }
  // The same, with its id written and its links null (in no list).
  static Xptr<Item> make_item(uint64_t id, std::optional<cxy_t> cxy = std::nullopt,
                              std::optional<uint64_t> slot = std::nullopt) {
    const auto item = item_at(id, cxy, slot);
    hal::remote_store(item.field(&Item::id), id);
    hal::remote_store(item.field(&Item::tag), uint32_t(0xC0FFEEu));
    hal::xlist_entry_init(item.field(&Item::link));
    hal::xlist_entry_init(item.field(&Item::other_link));
    return item;
  }

  static Xptr<XlistEntry> link(Xptr<Item> item) { return item.field(&Item::link); }
  static uint64_t id_of(Xptr<XlistEntry> entry) {
    return hal::remote_load(hal::xlist_element(entry, &Item::link).field(&Item::id));
  }

  static std::vector<uint64_t> forward(Xptr<XlistEntry> root) {
    std::vector<uint64_t> ids;
    XLIST_FOREACH(root, iter) {
      ids.push_back(id_of(iter));
      if (ids.size() > 100'000) break;  // a corrupt list must not hang the test
    }
    return ids;
  }
  static std::vector<uint64_t> backward(Xptr<XlistEntry> root) {
    std::vector<uint64_t> ids;
    XLIST_FOREACH_BACKWARD(root, iter) {
      ids.push_back(id_of(iter));
      if (ids.size() > 100'000) break;
    }
    return ids;
  }

  // The list reads `expected` forwards and its reverse backwards, and every link agrees with
  // its neighbour's; first/last/is_empty agree too.
  static ::testing::AssertionResult holds(Xptr<XlistEntry> root, const std::vector<uint64_t>& expected) {
    const auto ids = forward(root);
    if (ids != expected)
      return ::testing::AssertionFailure()
             << "forward " << ::testing::PrintToString(ids) << ", expected " << ::testing::PrintToString(expected);
    auto reversed = backward(root);
    std::reverse(reversed.begin(), reversed.end());
    if (reversed != expected)
      return ::testing::AssertionFailure() << "backward (reversed) " << ::testing::PrintToString(reversed)
                                           << ", expected " << ::testing::PrintToString(expected);
    Xptr<XlistEntry> at = root;
    for (std::size_t i = 0; i <= expected.size(); ++i) {
      const Xptr<XlistEntry> next(hal::remote_load(at.field(&XlistEntry::next)));
      if (Xptr<XlistEntry>(hal::remote_load(next.field(&XlistEntry::pred))) != at)
        return ::testing::AssertionFailure() << "link " << i << ": next's pred is not the entry";
      at = next;
    }
    if (at != root) return ::testing::AssertionFailure() << "the ring does not close on the root";
    if (hal::xlist_is_empty(root) != expected.empty())
      return ::testing::AssertionFailure() << "xlist_is_empty disagrees";
    if (!expected.empty() &&
        (id_of(hal::xlist_first(root)) != expected.front() || id_of(hal::xlist_last(root)) != expected.back()))
      return ::testing::AssertionFailure() << "xlist_first/xlist_last disagree";
    return ::testing::AssertionSuccess();
  }

  static bool is_unlinked(Xptr<XlistEntry> entry) {
    return hal::remote_load(entry.field(&XlistEntry::next)) == hal::XPTR_NULL &&
           hal::remote_load(entry.field(&XlistEntry::pred)) == hal::XPTR_NULL;
  }
};

TEST_F(XlistTest, EmptyList) {
  const auto root = make_root(kRootCluster);
  EXPECT_TRUE(hal::xlist_is_empty(root));
  EXPECT_TRUE(hal::xlist_first(root).is_null());
  EXPECT_TRUE(hal::xlist_last(root).is_null());
  EXPECT_EQ(hal::remote_load(root.field(&XlistEntry::next)), root.raw());
  EXPECT_EQ(hal::remote_load(root.field(&XlistEntry::pred)), root.raw());
  int visits = 0;
  XLIST_FOREACH(root, iter)++ visits;
  XLIST_FOREACH_BACKWARD(root, iter)++ visits;
  XLIST_FOREACH_SAFE(root, iter, next)++ visits;
  EXPECT_EQ(visits, 0);
  EXPECT_TRUE(holds(root, {}));
}

TEST_F(XlistTest, AddFirstAndAddLastOrder) {
  const auto root = make_root(kRootCluster);
  hal::xlist_add_last(root, link(make_item(1)));
  hal::xlist_add_last(root, link(make_item(2)));
  hal::xlist_add_first(root, link(make_item(0)));
  hal::xlist_add_last(root, link(make_item(3)));
  hal::xlist_add_first(root, link(make_item(4)));
  EXPECT_TRUE(holds(root, {4, 0, 1, 2, 3}));
  EXPECT_TRUE(hal::xlist_next(root, hal::xlist_last(root)).is_null());
  EXPECT_TRUE(hal::xlist_pred(root, hal::xlist_first(root)).is_null());
  EXPECT_EQ(id_of(hal::xlist_next(root, hal::xlist_first(root))), 0u);
  EXPECT_EQ(id_of(hal::xlist_pred(root, hal::xlist_last(root))), 2u);
}

TEST_F(XlistTest, EntriesInFourClustersRootInAFifth) {
  const auto root = make_root(kRootCluster);
  for (uint64_t id = 0; id < 4; ++id) hal::xlist_add_last(root, link(make_item(id)));
  ASSERT_TRUE(holds(root, {0, 1, 2, 3}));
  // Every link is an xptr into the neighbour's own cluster.
  EXPECT_EQ(hal::xlist_first(root).cxy(), kEntryClusters[0]);
  EXPECT_EQ(hal::xlist_last(root).cxy(), kEntryClusters[3]);
  cxy_t pred_cxy = kRootCluster;
  XLIST_FOREACH(root, iter) {
    const uint64_t id = id_of(iter);
    EXPECT_EQ(iter.cxy(), kEntryClusters[id]);
    EXPECT_EQ(hal::xlist_element(iter, &Item::link).cxy(), kEntryClusters[id]);
    EXPECT_EQ(hal::GET_CXY(hal::remote_load(iter.field(&XlistEntry::pred))), pred_cxy);
    const cxy_t next_cxy = id == 3 ? kRootCluster : kEntryClusters[id + 1];
    EXPECT_EQ(hal::GET_CXY(hal::remote_load(iter.field(&XlistEntry::next))), next_cxy);
    pred_cxy = iter.cxy();
  }
  // The four entries sit at different lpas than the root, in four different banks.
  EXPECT_NE(hal::xlist_first(root).lpa(), root.lpa());
}

TEST_F(XlistTest, UnlinkHeadMiddleTail) {
  const auto root = make_root(kRootCluster);
  for (uint64_t id = 0; id < 5; ++id) hal::xlist_add_last(root, link(make_item(id)));
  hal::xlist_unlink(hal::xlist_first(root));  // head
  EXPECT_TRUE(holds(root, {1, 2, 3, 4}));
  const auto middle = hal::xlist_next(root, hal::xlist_first(root));
  ASSERT_EQ(id_of(middle), 2u);
  hal::xlist_unlink(middle);
  EXPECT_TRUE(is_unlinked(middle));
  EXPECT_TRUE(holds(root, {1, 3, 4}));
  const auto tail = hal::xlist_last(root);
  hal::xlist_unlink(tail);
  EXPECT_TRUE(is_unlinked(tail));
  EXPECT_TRUE(holds(root, {1, 3}));
  hal::xlist_unlink(hal::xlist_last(root));
  hal::xlist_unlink(hal::xlist_first(root));
  EXPECT_TRUE(holds(root, {}));
  EXPECT_EQ(hal::remote_load(root.field(&XlistEntry::next)), root.raw());
  EXPECT_EQ(hal::remote_load(root.field(&XlistEntry::pred)), root.raw());
  // An unlinked entry can go into a list again.
  hal::xlist_add_first(root, middle);
  EXPECT_TRUE(holds(root, {2}));
}

TEST_F(XlistTest, ReplaceKeepsThePlace) {
  const auto root = make_root(kRootCluster);
  for (uint64_t id = 0; id < 3; ++id) hal::xlist_add_last(root, link(make_item(id)));
  const auto middle = link(item_at(1));
  const auto newcomer = link(make_item(10, cxy_t(0x20)));  // from yet another cluster
  hal::xlist_replace(middle, newcomer);
  EXPECT_TRUE(is_unlinked(middle));
  EXPECT_TRUE(holds(root, {0, 10, 2}));
  hal::xlist_replace(hal::xlist_first(root), link(make_item(11)));
  EXPECT_TRUE(holds(root, {11, 10, 2}));
  hal::xlist_replace(hal::xlist_last(root), middle);
  EXPECT_TRUE(holds(root, {11, 10, 1}));

  const auto alone = make_root(kRootCluster, 1);
  const auto first = link(make_item(20));
  hal::xlist_add_first(alone, first);
  hal::xlist_replace(first, link(make_item(21)));
  EXPECT_TRUE(holds(alone, {21}));
  EXPECT_TRUE(is_unlinked(first));
}

TEST_F(XlistTest, InsertAfterAndBefore) {
  const auto root = make_root(kRootCluster);
  hal::xlist_add_last(root, link(make_item(1)));
  hal::xlist_add_last(root, link(make_item(3)));
  hal::xlist_insert_after(hal::xlist_first(root), link(make_item(2)));  // middle
  EXPECT_TRUE(holds(root, {1, 2, 3}));
  hal::xlist_insert_before(hal::xlist_first(root), link(make_item(0)));  // new head
  EXPECT_TRUE(holds(root, {0, 1, 2, 3}));
  hal::xlist_insert_after(hal::xlist_last(root), link(make_item(4)));  // new tail
  EXPECT_TRUE(holds(root, {0, 1, 2, 3, 4}));
  hal::xlist_insert_before(hal::xlist_last(root), link(make_item(5)));
  EXPECT_TRUE(holds(root, {0, 1, 2, 3, 5, 4}));
  hal::xlist_insert_after(root, link(make_item(6)));   // after the root: first
  hal::xlist_insert_before(root, link(make_item(7)));  // before the root: last
  EXPECT_TRUE(holds(root, {6, 0, 1, 2, 3, 5, 4, 7}));
}

TEST_F(XlistTest, IterationForwardBackwardAndNested) {
  const auto root = make_root(kRootCluster);
  const auto other = make_root(kEntryClusters[2], 1);
  for (uint64_t id = 0; id < 6; ++id) hal::xlist_add_last(root, link(make_item(id)));
  for (uint64_t id = 0; id < 3; ++id) {
    const auto item = item_at(id);                               // already in `root` by its other link
    hal::xlist_add_first(other, item.field(&Item::other_link));  // same objects, second list
  }
  std::vector<std::pair<uint64_t, uint64_t>> pairs;
  XLIST_FOREACH(root, outer) {
    XLIST_FOREACH_BACKWARD(other, inner) {
      pairs.emplace_back(id_of(outer), hal::remote_load(hal::xlist_element(inner, &Item::other_link).field(&Item::id)));
    }
  }
  ASSERT_EQ(pairs.size(), 18u);
  EXPECT_EQ(pairs[0], std::make_pair(uint64_t(0), uint64_t(0)));
  EXPECT_EQ(pairs[2], std::make_pair(uint64_t(0), uint64_t(2)));
  EXPECT_EQ(pairs[17], std::make_pair(uint64_t(5), uint64_t(2)));
  EXPECT_EQ(forward(root), (std::vector<uint64_t>{0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(backward(root), (std::vector<uint64_t>{5, 4, 3, 2, 1, 0}));
  // The root expression is evaluated once.
  int evaluations = 0;
  XLIST_FOREACH((++evaluations, root), iter) {}
  EXPECT_EQ(evaluations, 1);
}

TEST_F(XlistTest, SafeIterationAllowsUnlinkingTheCurrentEntry) {
  const auto root = make_root(kRootCluster);
  const auto evens = make_root(kRootCluster, 1);
  for (uint64_t id = 0; id < 10; ++id) hal::xlist_add_last(root, link(make_item(id)));
  XLIST_FOREACH_SAFE(root, iter, next) {
    if (id_of(iter) % 2 == 1) hal::xlist_unlink(iter);
  }
  EXPECT_TRUE(holds(root, {0, 2, 4, 6, 8}));
  // Moving the current entry to another list during the walk.
  XLIST_FOREACH_BACKWARD_SAFE(root, iter, pred) {
    hal::xlist_unlink(iter);
    hal::xlist_add_last(evens, iter);
  }
  EXPECT_TRUE(holds(root, {}));
  EXPECT_TRUE(holds(evens, {8, 6, 4, 2, 0}));
  int visits = 0;
  XLIST_FOREACH_SAFE(evens, iter, next) {
    ++visits;
    hal::xlist_unlink(iter);
  }
  EXPECT_EQ(visits, 5);
  EXPECT_TRUE(holds(evens, {}));
}

TEST_F(XlistTest, ElementFromEntry) {
  for (const cxy_t cxy : kEntryClusters) {
    const auto item = make_item(7, cxy);
    EXPECT_EQ(hal::xlist_element(item.field(&Item::link), &Item::link), item);
    EXPECT_EQ(hal::xlist_element(item.field(&Item::other_link), &Item::other_link), item);
    EXPECT_NE(item.field(&Item::link).raw(), item.raw());  // the offset is really undone
    EXPECT_EQ(hal::remote_load(hal::xlist_element(item.field(&Item::other_link), &Item::other_link).field(&Item::tag)),
              0xC0FFEEu);
  }
  EXPECT_TRUE(hal::xlist_element(Xptr<XlistEntry>(), &Item::link).is_null());
}

// A seeded random walk of every operation, checked against std::list after each step.
// Replay a failure with MKH_TEST_SEED=<seed>.
TEST_F(XlistTest, RandomOperationsMatchStdList) {
  uint64_t seed = std::random_device{}();
  if (const char* text = std::getenv("MKH_TEST_SEED")) seed = std::strtoull(text, nullptr, 0);
  SCOPED_TRACE("seed " + std::to_string(seed) + " (replay with MKH_TEST_SEED=" + std::to_string(seed) + ")");
  std::mt19937_64 random(seed);

  constexpr uint64_t kItems = 48;
  constexpr int kSteps = 4000;
  const auto root = make_root(kRootCluster);
  std::vector<Xptr<Item>> items;
  for (uint64_t id = 0; id < kItems; ++id) items.push_back(make_item(id));
  std::list<uint64_t> model;
  std::vector<bool> in_list(kItems, false);

  const auto pick = [&](bool wanted_in_list) -> std::optional<uint64_t> {
    std::vector<uint64_t> candidates;
    for (uint64_t id = 0; id < kItems; ++id)
      if (in_list[id] == wanted_in_list) candidates.push_back(id);
    if (candidates.empty()) return std::nullopt;
    return candidates[random() % candidates.size()];
  };
  const auto position = [&](uint64_t id) { return std::find(model.begin(), model.end(), id); };

  for (int step = 0; step < kSteps; ++step) {
    const auto outside = pick(false);
    const auto inside = pick(true);
    std::string what;
    switch (random() % 6) {
      case 0:
        if (!outside) continue;
        what = "add_first " + std::to_string(*outside);
        hal::xlist_add_first(root, link(items[*outside]));
        model.push_front(*outside);
        in_list[*outside] = true;
        break;
      case 1:
        if (!outside) continue;
        what = "add_last " + std::to_string(*outside);
        hal::xlist_add_last(root, link(items[*outside]));
        model.push_back(*outside);
        in_list[*outside] = true;
        break;
      case 2:
        if (!inside) continue;
        what = "unlink " + std::to_string(*inside);
        hal::xlist_unlink(link(items[*inside]));
        model.erase(position(*inside));
        in_list[*inside] = false;
        if (!is_unlinked(link(items[*inside]))) FAIL() << "step " << step << ": " << what << " left links";
        break;
      case 3:
        if (!inside || !outside) continue;
        what = "insert_after " + std::to_string(*inside) + " " + std::to_string(*outside);
        hal::xlist_insert_after(link(items[*inside]), link(items[*outside]));
        model.insert(std::next(position(*inside)), *outside);
        in_list[*outside] = true;
        break;
      case 4:
        if (!inside || !outside) continue;
        what = "insert_before " + std::to_string(*inside) + " " + std::to_string(*outside);
        hal::xlist_insert_before(link(items[*inside]), link(items[*outside]));
        model.insert(position(*inside), *outside);
        in_list[*outside] = true;
        break;
      case 5:
        if (!inside || !outside) continue;
        what = "replace " + std::to_string(*inside) + " " + std::to_string(*outside);
        hal::xlist_replace(link(items[*inside]), link(items[*outside]));
        *position(*inside) = *outside;
        in_list[*inside] = false;
        in_list[*outside] = true;
        break;
    }
    ASSERT_TRUE(holds(root, std::vector<uint64_t>(model.begin(), model.end())))
        << "after step " << step << ": " << what;
  }
}

#if defined(MKH_DEBUG_CHECKS)
TEST_F(XlistTest, DebugChecksCatchMisuse) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  const auto root = make_root(kRootCluster);
  const auto entry = link(make_item(1));
  hal::xlist_add_last(root, entry);
  EXPECT_DEATH(hal::xlist_add_last(root, entry), "already in a list");
  hal::xlist_unlink(entry);
  EXPECT_DEATH(hal::xlist_unlink(entry), "is in no list");
  const auto zeroed_root = place<XlistEntry>(kRootCluster, kObjectsLpa + 64 * sizeof(XlistEntry));
  EXPECT_DEATH(hal::xlist_add_first(zeroed_root, entry), "root not initialised");
  // A link that points elsewhere is caught before it is followed.
  hal::xlist_add_last(root, entry);
  hal::remote_store(entry.field(&XlistEntry::next), link(make_item(2)).raw());
  EXPECT_DEATH(hal::xlist_unlink(entry), "are corrupt");
}
#else
TEST_F(XlistTest, DebugChecksCatchMisuse) { GTEST_SKIP() << "built without MKH_DEBUG_CHECKS"; }
#endif

// ---- concurrency: host threads acting as four clusters share one list in a fifth.

struct Shared {
  hal::RemoteBusylock lock;
  uint64_t counter;  // plain load + store under the lock: a lost update proves no exclusion
  uint64_t inside;   // holders of the lock right now: more than one proves no exclusion
  uint64_t violations;
  XlistEntry root;
};

TEST_F(XlistTest, ConcurrentAddAndUnlinkUnderRemoteBusylock) {
  constexpr uint64_t kPerThread = 30'000;  // a multiple of 3
  constexpr uint64_t kThreadStride = 100'000;
  const auto shared = place<Shared>(0x20, kObjectsLpa);
  const auto lock = shared.field(&Shared::lock);
  const auto counter = shared.field(&Shared::counter);
  const auto inside = shared.field(&Shared::inside);
  const auto violations = shared.field(&Shared::violations);
  const auto root = shared.field(&Shared::root);
  hal::xlist_root_init(root);

  std::latch start(4);
  std::latch halfway(4);  // all four are still running at the middle: they do overlap
  std::vector<std::thread> threads;
  std::vector<uint32_t> busylocks_left(4, ~0u);
  for (uint32_t t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      const cxy_t cxy = kEntryClusters[t];
      hal::ClusterScope scope(cxy);
      // Each thread's items sit in its own bank; ids say which thread and which step.
      std::vector<Xptr<Item>> mine;
      for (uint64_t k = 0; k < kPerThread; ++k) mine.push_back(make_item(t * kThreadStride + k, cxy, k));
      start.arrive_and_wait();
      for (uint64_t k = 0; k < kPerThread; ++k) {
        if (k == kPerThread / 2) halfway.arrive_and_wait();
        hal::remote_busylock_acquire(lock);
        if (hal::remote_atomic_add(inside, uint64_t(1)) != 0) hal::remote_atomic_add(violations, uint64_t(1));
        if (t % 2 == 0) hal::xlist_add_last(root, link(mine[k]));
        else hal::xlist_add_first(root, link(mine[k]));
        hal::remote_store(counter, hal::remote_load(counter) + 1);
        if (k % 3 == 2) hal::xlist_unlink(link(mine[k - 1]));  // by now among other threads' entries
        if (k % 1000 == 0) {                                   // a whole walk now and then, while others wait
          uint64_t length = 0;
          XLIST_FOREACH(root, iter) {
            if (++length > 4 * kPerThread) {  // a corrupt ring: say so, do not spin forever
              hal::remote_atomic_add(violations, uint64_t(1));
              break;
            }
          }
        }
        hal::remote_atomic_add(inside, uint64_t(-1));
        hal::remote_busylock_release(lock);
      }
      busylocks_left[t] = hal::cpu().busylocks;
    });
  }
  for (auto& thread : threads) thread.join();

  EXPECT_EQ(hal::remote_load(violations), 0u);
  EXPECT_EQ(hal::remote_load(counter), 4 * kPerThread);
  EXPECT_THAT(busylocks_left, ::testing::Each(0u));
  EXPECT_EQ(hal::remote_load(lock.field(&hal::RemoteBusylock::m_taken)), 0u);
  // Exactly the entries k % 3 != 1 of each thread remain; each thread's own entries keep
  // their relative order (add_last threads ascending, add_first threads descending).
  const auto ids = forward(root);
  ASSERT_EQ(ids.size(), 4 * (kPerThread / 3) * 2);
  std::vector<uint64_t> all;
  for (uint32_t t = 0; t < 4; ++t) {
    std::vector<uint64_t> expected;
    for (uint64_t k = 0; k < kPerThread; ++k)
      if (k % 3 != 1) expected.push_back(t * kThreadStride + k);
    if (t % 2 == 1) std::reverse(expected.begin(), expected.end());
    std::vector<uint64_t> seen;
    for (const uint64_t id : ids)
      if (id / kThreadStride == t) seen.push_back(id);
    EXPECT_EQ(seen, expected) << "thread " << t;
    all.insert(all.end(), seen.begin(), seen.end());
  }
  EXPECT_EQ(all.size(), ids.size());
  EXPECT_TRUE(holds(root, ids));
}

// Three producer clusters append, a fourth consumes from the head (a waiting queue).
TEST_F(XlistTest, ConcurrentProducersAndConsumerKeepFifoOrder) {
  constexpr uint64_t kPerProducer = 2000;
  constexpr uint64_t kThreadStride = 100'000;
  const auto shared = place<Shared>(0x21, kObjectsLpa);
  const auto lock = shared.field(&Shared::lock);
  const auto root = shared.field(&Shared::root);
  hal::xlist_root_init(root);

  std::latch start(4);
  std::vector<uint64_t> consumed;
  std::vector<std::thread> threads;
  for (uint32_t t = 0; t < 3; ++t) {
    threads.emplace_back([&, t] {
      const cxy_t cxy = kEntryClusters[t];
      hal::ClusterScope scope(cxy);
      std::vector<Xptr<Item>> mine;
      for (uint64_t k = 0; k < kPerProducer; ++k) mine.push_back(make_item(t * kThreadStride + k, cxy, k));
      start.arrive_and_wait();
      for (uint64_t k = 0; k < kPerProducer; ++k) {
        hal::remote_busylock_acquire(lock);
        hal::xlist_add_last(root, link(mine[k]));
        hal::remote_busylock_release(lock);
      }
    });
  }
  threads.emplace_back([&] {
    hal::ClusterScope scope(kEntryClusters[3]);
    start.arrive_and_wait();
    uint32_t spins = 0;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (consumed.size() < 3 * kPerProducer && std::chrono::steady_clock::now() < deadline) {
      hal::remote_busylock_acquire(lock);
      const auto first = hal::xlist_first(root);
      if (!first.is_null()) {
        hal::xlist_unlink(first);
        consumed.push_back(id_of(first));
      }
      hal::remote_busylock_release(lock);
      if (first.is_null()) hal::cpu_relax(spins);
    }
  });
  for (auto& thread : threads) thread.join();

  EXPECT_TRUE(holds(root, {}));
  ASSERT_EQ(consumed.size(), 3 * kPerProducer);
  for (uint32_t t = 0; t < 3; ++t) {
    std::vector<uint64_t> seen;
    for (const uint64_t id : consumed)
      if (id / kThreadStride == t) seen.push_back(id);
    ASSERT_EQ(seen.size(), kPerProducer) << "producer " << t;
    for (uint64_t k = 0; k < kPerProducer; ++k) ASSERT_EQ(seen[k], t * kThreadStride + k) << "producer " << t;
  }
}

}  // namespace
}  // namespace mkh::test
