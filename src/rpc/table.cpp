// The one visible table mapping each index of the catalogue to its server, built from
// MKH_RPC_CATALOG; rpc_undefined and the ENOSYS answer of services not served yet.
// Layer: rpc. Calls the service stubs (rpc/services/).
#include "rpc/table.hpp"

#include <fmt/format.h>

#include "kern/cluster.hpp"
#include "rpc/catalog.hpp"
#include "rpc/marshal.hpp"
#include "rpc/services/kcm.hpp"
#include "rpc/services/mkh.hpp"
#include "rpc/services/pmem.hpp"
#include "rpc/services/sched.hpp"
#include "rpc/services/thread.hpp"

namespace mkh::rpc {

namespace {

using ServerStub = Errno (*)(hal::Xptr<RpcDesc> desc);

// An index out of range or unused: the error goes back to the client, the first time an
// index is seen it is logged with the client's cluster, and the response completes.
Errno rpc_undefined(hal::Xptr<RpcDesc> desc) {
  const uint32_t index = hal::remote_load(desc.field(&RpcDesc::index));
  record_error(desc, Errno::kInval);
  const uint64_t bit = uint64_t(1) << std::min<uint32_t>(index, 63);
  uint64_t& logged = LOCAL_CLUSTER->m_rpc.m_undefined_logged;
  if ((std::atomic_ref<uint64_t>(logged).fetch_or(bit) & bit) == 0)
    fmt::print(stderr, "mkh: rpc_undefined: cluster {:#04x} sent index {} to cluster {:#04x}\n", desc.cxy(), index,
               hal::local_cxy());
  return Errno::kInval;
}

// A service of the interface whose server comes with a later layer.
Errno rpc_not_served_yet(hal::Xptr<RpcDesc> desc) {
  record_error(desc, Errno::kNoSys);
  return Errno::kNoSys;
}

constexpr ServerStub kServers[RPC_MAX_INDEX] = {
#define MKH_RPC_SERVED(index, name) &Marshal<RpcService<RPC_##name>::kServer>::serve,
#define MKH_RPC_PENDING(index, name) &rpc_not_served_yet,
#define MKH_RPC_UNUSED(index) &rpc_undefined,
    MKH_RPC_CATALOG(MKH_RPC_SERVED, MKH_RPC_PENDING, MKH_RPC_UNUSED)
#undef MKH_RPC_SERVED
#undef MKH_RPC_PENDING
#undef MKH_RPC_UNUSED
};

constexpr ServerStub kPrivateServers[RPC_PRIVATE_END - RPC_PRIVATE_BASE] = {
#define MKH_RPC_SERVED(index, name) &Marshal<RpcService<RPC_##name>::kServer>::serve,
    MKH_RPC_PRIVATE(MKH_RPC_SERVED)
#undef MKH_RPC_SERVED
};

}  // namespace

Errno rpc_dispatch(uint32_t index, hal::Xptr<RpcDesc> desc) {
  if (index < RPC_MAX_INDEX) return kServers[index](desc);
  if (index >= RPC_PRIVATE_BASE && index < RPC_PRIVATE_END) return kPrivateServers[index - RPC_PRIVATE_BASE](desc);
  return rpc_undefined(desc);
}

std::string_view rpc_name(uint32_t index) {
  switch (index) {
#define MKH_RPC_NAME(i, name) \
  case i:                     \
    return #name;
#define MKH_RPC_UNUSED_NAME(i) \
  case i:                      \
    return "UNUSED_" #i;
    MKH_RPC_CATALOG(MKH_RPC_NAME, MKH_RPC_NAME, MKH_RPC_UNUSED_NAME)
    MKH_RPC_PRIVATE(MKH_RPC_NAME)
#undef MKH_RPC_NAME
#undef MKH_RPC_UNUSED_NAME
    default:
      return "INVALID";
  }
}

RpcState rpc_state(uint32_t index) {
  switch (index) {
#define MKH_RPC_S(i, name) \
  case i:                  \
    return RpcState::kServed;
#define MKH_RPC_P(i, name) \
  case i:                  \
    return RpcState::kPending;
#define MKH_RPC_U(i) \
  case i:            \
    return RpcState::kUnused;
    MKH_RPC_CATALOG(MKH_RPC_S, MKH_RPC_P, MKH_RPC_U)
    MKH_RPC_PRIVATE(MKH_RPC_S)
#undef MKH_RPC_S
#undef MKH_RPC_P
#undef MKH_RPC_U
    default:
      return RpcState::kUnused;
  }
}

}  // namespace mkh::rpc
