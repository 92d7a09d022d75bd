// A radix tree from a 32-bit index to a pointer, for the mapper's pages. Layer: mapper.
// Calls mm (kmem, the RADIX_NODE kcm cache). Local to one cluster and not synchronised: the
// owner's lock guards it (the mapper's rwlock). Nodes of 256 slots (2 KiB); the tree grows
// in height as indexes grow (height 1: indexes < 256, 2: < 65 536, 3: < 2^24), so a lookup is
// one load per level, at most three, and a small file costs one node.
#pragma once

#include <cstdint>
#include <optional>

#include "libk/result.hpp"
#include "mm/kcm_types.hpp"

namespace mkh::mapper {

struct RadixNode {
  static constexpr mm::KcmType kKcmType = mm::KcmType::RADIX_NODE;
  static constexpr uint32_t kBits = 8;
  static constexpr uint32_t kSlots = 1u << kBits;
  void* slots[kSlots];  // leaves: the values; inner nodes: the children (RadixNode*)
};

class Radix {
 public:
  static constexpr uint32_t kMaxHeight = 3;
  static constexpr uint32_t kIndexLimit = 1u << (RadixNode::kBits * kMaxHeight);  // 2^24

  struct Entry {
    uint32_t index;
    void* value;
  };

  // The value at `index`, or nullptr.
  void* lookup(uint32_t index) const;
  // Sets `index` to `value` (non-null). kExist when it has a value, kInval for an index at or
  // past kIndexLimit or a null value, kNoMem when a node cannot be had (the tree is left as
  // it was, but for empty nodes kept for the next insert).
  [[nodiscard]] Result<void> insert(uint32_t index, void* value);
  // Clears `index`; returns the value it had (nullptr if none). Nodes left empty are freed.
  void* remove(uint32_t index);
  // The first entry of index >= from, in index order; none when there is none.
  std::optional<Entry> next(uint32_t from) const;
  // Frees every node (the values are the caller's: take them out first); the tree is empty.
  void clear();

  uint64_t nodes() const { return m_nodes; }
  uint32_t height() const { return m_height; }

 private:
  uint32_t capacity_bits() const { return RadixNode::kBits * m_height; }
  static bool node_empty(const RadixNode* node);
  void free_subtree(RadixNode* node, uint32_t level);
  std::optional<Entry> next_in(const RadixNode* node, uint32_t level, uint32_t base, uint32_t from) const;

  RadixNode* m_root = nullptr;
  uint32_t m_height = 0;  // 0: empty, no root
  uint64_t m_nodes = 0;
};

}  // namespace mkh::mapper
