// The mapper's radix tree: lookup, insert, remove, ordered walk. Layer: mapper. Calls mm/kmem.
#include "mm/mapper/radix.hpp"

#include <cstring>

#include "mm/kmem.hpp"

namespace mkh::mapper {

namespace {

constexpr uint32_t kMask = RadixNode::kSlots - 1;

// The slot of `index` in a node of `level` (1: leaves).
uint32_t slot_of(uint32_t index, uint32_t level) { return (index >> (RadixNode::kBits * (level - 1))) & kMask; }

Result<RadixNode*> new_node() {
  void* memory = TRY(mm::kmem_alloc(RadixNode::kKcmType));
  auto* node = static_cast<RadixNode*>(memory);
  std::memset(node->slots, 0, sizeof node->slots);
  return node;
}

}  // namespace

bool Radix::node_empty(const RadixNode* node) {
  for (void* slot : node->slots)
    if (slot != nullptr) return false;
  return true;
}

void* Radix::lookup(uint32_t index) const {
  if (m_height == 0 || (m_height < kMaxHeight && (index >> capacity_bits()) != 0)) return nullptr;
  const RadixNode* node = m_root;
  for (uint32_t level = m_height; level > 1; --level) {
    node = static_cast<const RadixNode*>(node->slots[slot_of(index, level)]);
    if (node == nullptr) return nullptr;
  }
  return node->slots[slot_of(index, 1)];
}

Result<void> Radix::insert(uint32_t index, void* value) {
  if (index >= kIndexLimit || value == nullptr) return error(Errno::kInval);
  // Grow until the index fits: the old root becomes slot 0 of a new one.
  while (m_height == 0 || (m_height < kMaxHeight && (index >> capacity_bits()) != 0)) {
    RadixNode* root = TRY(new_node());
    ++m_nodes;
    if (m_height != 0) root->slots[0] = m_root;
    m_root = root;
    ++m_height;
  }
  RadixNode* node = m_root;
  for (uint32_t level = m_height; level > 1; --level) {
    void*& child = node->slots[slot_of(index, level)];
    if (child == nullptr) {
      child = TRY(new_node());
      ++m_nodes;
    }
    node = static_cast<RadixNode*>(child);
  }
  void*& slot = node->slots[slot_of(index, 1)];
  if (slot != nullptr) return error(Errno::kExist);
  slot = value;
  return {};
}

void* Radix::remove(uint32_t index) {
  if (m_height == 0 || (m_height < kMaxHeight && (index >> capacity_bits()) != 0)) return nullptr;
  RadixNode* path[kMaxHeight + 1] = {};  // path[level]: the node of that level on the way
  RadixNode* node = m_root;
  path[m_height] = node;
  for (uint32_t level = m_height; level > 1; --level) {
    node = static_cast<RadixNode*>(node->slots[slot_of(index, level)]);
    if (node == nullptr) return nullptr;
    path[level - 1] = node;
  }
  void* value = std::exchange(node->slots[slot_of(index, 1)], nullptr);
  if (value == nullptr) return nullptr;
  // Free the nodes left empty, bottom up (the root too: the tree is then empty).
  for (uint32_t level = 1; level <= m_height; ++level) {
    if (!node_empty(path[level])) break;
    mm::kmem_free(path[level], RadixNode::kKcmType);
    --m_nodes;
    if (level == m_height) {
      m_root = nullptr;
      m_height = 0;
      break;
    }
    path[level + 1]->slots[slot_of(index, level + 1)] = nullptr;
  }
  return value;
}

std::optional<Radix::Entry> Radix::next_in(const RadixNode* node, uint32_t level, uint32_t base, uint32_t from) const {
  const uint32_t shift = RadixNode::kBits * (level - 1);
  // The first slot that may hold indexes >= from (slots before it are all below).
  uint32_t first = 0;
  if (from > base) {
    const uint64_t delta = uint64_t(from - base) >> shift;
    if (delta >= RadixNode::kSlots) return std::nullopt;
    first = uint32_t(delta);
  }
  for (uint32_t slot = first; slot < RadixNode::kSlots; ++slot) {
    void* child = node->slots[slot];
    if (child == nullptr) continue;
    const uint32_t child_base = base + (slot << shift);
    if (level == 1) return Entry{child_base, child};
    if (auto found = next_in(static_cast<const RadixNode*>(child), level - 1, child_base, from)) return found;
  }
  return std::nullopt;
}

std::optional<Radix::Entry> Radix::next(uint32_t from) const {
  if (m_height == 0) return std::nullopt;
  return next_in(m_root, m_height, 0, from);
}

void Radix::free_subtree(RadixNode* node, uint32_t level) {
  if (level > 1)
    for (void* child : node->slots)
      if (child != nullptr) free_subtree(static_cast<RadixNode*>(child), level - 1);
  mm::kmem_free(node, RadixNode::kKcmType);
  --m_nodes;
}

void Radix::clear() {
  if (m_height != 0) free_subtree(m_root, m_height);
  m_root = nullptr;
  m_height = 0;
}

}  // namespace mkh::mapper
