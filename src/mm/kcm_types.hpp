// The kernel object types that have a kcm cache: the one table every use derives from.
// Layer: mm. Calls nothing. Object sizes are not here (the thread descriptor's size is known
// only to kern/): each cache receives its object size at Kcm::init().
#pragma once

#include <cstdint>
#include <string_view>

namespace mkh::mm {

// X(name, label): the enumerator and the label used by displays, stats and metrics.
#define MKH_KCM_TYPES(X)          \
  X(THREAD, "thread")             \
  X(GENERIC_64, "generic-64")     \
  X(GENERIC_256, "generic-256")   \
  X(GENERIC_1024, "generic-1024") \
  X(CHDEV, "chdev")               \
  X(MAPPER, "mapper")             \
  X(RADIX_NODE, "radix-node")     \
  X(INODE, "inode")               \
  X(DENTRY, "dentry")             \
  X(FILE, "file")                 \
  X(FAT_CONTEXT, "fat-context")   \
  X(VSEG, "vseg")                 \
  X(PROCESS, "process")

enum class KcmType : uint32_t {
#define MKH_X(name, label) name,
  MKH_KCM_TYPES(MKH_X)
#undef MKH_X
      kCount
};
inline constexpr uint32_t kKcmTypeCount = uint32_t(KcmType::kCount);

inline constexpr std::string_view kcm_type_name(KcmType type) {
  switch (type) {
#define MKH_X(name, label) \
  case KcmType::name: return label;
    MKH_KCM_TYPES(MKH_X)
#undef MKH_X
    case KcmType::kCount: break;
  }
  return "invalid";
}

}  // namespace mkh::mm
