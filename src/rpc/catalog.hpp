// The RPC catalogue: the reference interface's 30 indexes, each with its name and the
// state of its server in mkh. Layer: rpc. The one table from which the index enum, the
// names of stats, displays and traces, and the server dispatch table all derive.
#pragma once

#include <cstdint>
#include <string_view>

namespace mkh::rpc {

// S(index, NAME): a service, served (its server is declared by its layer).
// U(index):       an unused index; it reaches rpc_undefined.
#define MKH_RPC_CATALOG(S, U) \
  S(0, PMEM_GET_PAGES)        \
  S(1, PMEM_RELEASE_PAGES)    \
  S(2, PROCESS_MAKE_EXEC)     \
  S(3, PROCESS_MAKE_FORK)     \
  S(4, PROCESS_MAKE_EXIT)     \
  S(5, PROCESS_MAKE_KILL)     \
  S(6, THREAD_USER_CREATE)    \
  S(7, THREAD_KERNEL_CREATE)  \
  S(8, THREAD_KILL)           \
  S(9, PROCESS_SIGACTION)     \
  S(10, VFS_INODE_CREATE)     \
  S(11, VFS_INODE_DESTROY)    \
  S(12, VFS_DENTRY_CREATE)    \
  S(13, VFS_DENTRY_DESTROY)   \
  S(14, VFS_FILE_CREATE)      \
  S(15, VFS_FILE_DESTROY)     \
  S(16, VFS_INODE_LOAD)       \
  S(17, VFS_MAPPER_LOAD_ALL)  \
  S(18, FATFS_GET_CLUSTER)    \
  U(19)                       \
  S(20, VMM_GET_VSEG)         \
  S(21, VMM_GET_PTE)          \
  S(22, KCM_ALLOC)            \
  S(23, KCM_FREE)             \
  S(24, MAPPER_MOVE_BUFFER)   \
  S(25, MAPPER_GET_PAGE)      \
  S(26, VMM_CREATE_VSEG)      \
  S(27, SCHED_DISPLAY)        \
  S(28, VMM_SET_COW)          \
  U(29)

// mkh's own services, outside the reference's range (measures, tests and soaks; what ps
// shows): X(index, NAME), served like the catalogue's.
#define MKH_RPC_PRIVATE(X) \
  X(64, MKH_PING)          \
  X(65, MKH_CHAIN)         \
  X(66, MKH_PROCESS_INFO)  \
  X(67, MKH_SIGNAL_GROUP)  \
  X(68, MKH_PROCESS_IDS)   \
  X(69, MKH_MEMORY_INFO)

enum RpcIndex : uint32_t {
#define MKH_RPC_ENUM(index, name) RPC_##name = index,
#define MKH_RPC_UNUSED(index)
  MKH_RPC_CATALOG(MKH_RPC_ENUM, MKH_RPC_UNUSED) MKH_RPC_PRIVATE(MKH_RPC_ENUM)
#undef MKH_RPC_ENUM
#undef MKH_RPC_UNUSED
      RPC_MAX_INDEX = 30,
  RPC_PRIVATE_BASE = 64,
  RPC_PRIVATE_END = 70,
};

// Statistics have one slot per catalogue index, one per private index, and one for every
// other value (out of range).
inline constexpr uint32_t kRpcStatSlots = RPC_MAX_INDEX + (RPC_PRIVATE_END - RPC_PRIVATE_BASE) + 1;
inline constexpr uint32_t rpc_stat_slot(uint32_t index) {
  if (index < RPC_MAX_INDEX) return index;
  if (index >= RPC_PRIVATE_BASE && index < RPC_PRIVATE_END) return RPC_MAX_INDEX + (index - RPC_PRIVATE_BASE);
  return kRpcStatSlots - 1;
}
// The index of a statistics slot; ~0u for the last slot (every index out of range).
inline constexpr uint32_t rpc_slot_index(uint32_t slot) {
  if (slot + 1 >= kRpcStatSlots) return ~0u;
  return slot < RPC_MAX_INDEX ? slot : RPC_PRIVATE_BASE + (slot - RPC_MAX_INDEX);
}

// "PMEM_GET_PAGES", or "UNUSED_19" / "INVALID" for other values.
std::string_view rpc_name(uint32_t index);
// The name of a statistics slot: its index's, or "OUT_OF_RANGE" for the last one.
inline std::string_view rpc_slot_name(uint32_t slot) {
  return slot + 1 >= kRpcStatSlots ? std::string_view("OUT_OF_RANGE") : rpc_name(rpc_slot_index(slot));
}

}  // namespace mkh::rpc
