// Dispatch through the installed table; rpc_undefined and the ENOSYS answer of services not
// served yet. Layer: rpc. Calls the marshalling helpers (record_error) and the stubs the
// table names.
#include <algorithm>
#include <atomic>

#include <fmt/format.h>

#include "kern/sched.hpp"
#include "rpc/marshal.hpp"
#include "rpc/rpc.hpp"
#include "rpc/state.hpp"
#include "rpc/table.hpp"

namespace mkh::rpc {

namespace {
// Written once by rpc_install, before any core runs (Machine::boot); an empty table until then.
const RpcServerTable kNoServers = {};
const RpcServerTable* g_servers = &kNoServers;
}  // namespace

Errno rpc_undefined(const RpcCall& call) {
  const hal::Xptr<RpcDesc> desc(call.desc);
  record_error(desc, Errno::kInval);
  const uint64_t bit = uint64_t(1) << std::min<uint32_t>(call.index, 63);
  uint64_t& logged = local_rpc_state()->m_undefined_logged;
  if ((std::atomic_ref<uint64_t>(logged).fetch_or(bit) & bit) == 0)
    fmt::print(stderr, "mkh: rpc_undefined: cluster {:#04x} sent index {} to cluster {:#04x}\n", desc.cxy(), call.index,
               hal::local_cxy());
  return Errno::kInval;
}

void rpc_install(const RpcServerTable* table) {
  g_servers = table;
  kern::set_scheduling_point_hook(rpc_check);
  kern::set_rpc_blocking_hook(rpc_thread_blocking);
}

Errno rpc_dispatch(const RpcCall& call) {
  const uint32_t index = call.index;
  RpcServer server = nullptr;
  if (index < RPC_MAX_INDEX) {
    server = g_servers->catalogue[index];
  } else if (index >= RPC_PRIVATE_BASE && index < RPC_PRIVATE_END) {
    server = g_servers->private_services[index - RPC_PRIVATE_BASE];
  }
  return server != nullptr ? server(call) : rpc_undefined(call);
}

}  // namespace mkh::rpc
