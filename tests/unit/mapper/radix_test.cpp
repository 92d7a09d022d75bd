// The mapper's radix tree alone (in a booted machine's cluster, for its kcm nodes): insert,
// lookup, remove, the ordered walk, growth in height and the nodes given back.
#include <map>
#include <random>

#include <gtest/gtest.h>

#include "machine_fixture.hpp"
#include "mm/mapper/radix.hpp"
#include "mm/memory.hpp"

namespace mkh::test {
namespace {

class RadixTest : public MachineTest {
 protected:
  void SetUp() override { boot({1, 1, 1}, 32); }
  uint64_t nodes_in_use() {
    return mm::local_memory()->m_kcm[uint32_t(mm::KcmType::RADIX_NODE)].stats().objects_in_use;
  }
};

void* value(uint32_t index) { return reinterpret_cast<void*>(uintptr_t(index) * 16 + 8); }

TEST_F(RadixTest, InsertLookupRemoveAndWalkAgainstAMap) {
  hal::ClusterScope scope(0);
  mapper::Radix tree;
  std::map<uint32_t, void*> model;
  std::mt19937 random(7);
  const uint32_t indexes[] = {0, 1, 255, 256, 65535, 65536, mapper::Radix::kIndexLimit - 1};
  for (uint32_t index : indexes) {
    ASSERT_TRUE(tree.insert(index, value(index)).has_value()) << index;
    model[index] = value(index);
  }
  EXPECT_EQ(tree.height(), 3u);
  for (int i = 0; i < 3000; ++i) {
    const uint32_t index = random() % 3 == 0 ? random() % mapper::Radix::kIndexLimit : random() % 2000;
    if (random() % 3 == 0) {
      const auto it = model.find(index);
      EXPECT_EQ(tree.remove(index), it == model.end() ? nullptr : it->second) << index;
      if (it != model.end()) model.erase(it);
    } else {
      auto inserted = tree.insert(index, value(index));
      if (model.count(index) != 0) {
        EXPECT_EQ(inserted.error(), Errno::kExist);
      } else {
        ASSERT_TRUE(inserted.has_value());
        model[index] = value(index);
      }
    }
  }
  for (const auto& [index, v] : model) EXPECT_EQ(tree.lookup(index), v);
  EXPECT_EQ(tree.lookup(1999999), model.count(1999999) ? model[1999999] : nullptr);
  // The walk gives every entry in order, from any start.
  std::vector<uint32_t> walked;
  for (auto e = tree.next(0); e; e = tree.next(e->index + 1)) {
    EXPECT_EQ(e->value, value(e->index));
    walked.push_back(e->index);
  }
  std::vector<uint32_t> expected;
  for (const auto& entry : model) expected.push_back(entry.first);
  EXPECT_EQ(walked, expected);
  for (uint32_t from : {0u, 1u, 300u, 70000u, mapper::Radix::kIndexLimit - 1}) {
    const auto it = model.lower_bound(from);
    const auto e = tree.next(from);
    if (it == model.end()) {
      EXPECT_FALSE(e.has_value()) << from;
    } else {
      ASSERT_TRUE(e.has_value()) << from;
      EXPECT_EQ(e->index, it->first);
    }
  }
  // Removing everything gives every node back.
  for (const auto& entry : model) EXPECT_EQ(tree.remove(entry.first), entry.second);
  EXPECT_EQ(tree.nodes(), 0u);
  EXPECT_EQ(nodes_in_use(), 0u);
  EXPECT_FALSE(tree.next(0).has_value());
}

TEST_F(RadixTest, GrowsOnlyAsIndexesNeedAndRefusesBadArguments) {
  hal::ClusterScope scope(0);
  mapper::Radix tree;
  ASSERT_TRUE(tree.insert(3, value(3)).has_value());
  EXPECT_EQ(tree.height(), 1u);
  EXPECT_EQ(tree.nodes(), 1u);
  ASSERT_TRUE(tree.insert(300, value(300)).has_value());
  EXPECT_EQ(tree.height(), 2u);
  EXPECT_EQ(tree.lookup(3), value(3));
  EXPECT_EQ(tree.lookup(300), value(300));
  EXPECT_EQ(tree.lookup(1u << 20), nullptr);
  EXPECT_EQ(tree.insert(mapper::Radix::kIndexLimit, value(1)).error(), Errno::kInval);
  EXPECT_EQ(tree.insert(5, nullptr).error(), Errno::kInval);
  EXPECT_EQ(tree.insert(3, value(4)).error(), Errno::kExist);
  EXPECT_EQ(tree.lookup(3), value(3));
  EXPECT_EQ(tree.remove(4), nullptr);
  tree.clear();
  EXPECT_EQ(tree.nodes(), 0u);
  EXPECT_EQ(nodes_in_use(), 0u);
}

}  // namespace
}  // namespace mkh::test
