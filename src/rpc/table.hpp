// The dispatch table: index -> server stub. Layer: rpc. The mechanism knows no service:
// the composition root (boot/rpc_table.cpp) builds the table from the catalogue and the
// services' declarations and installs it before the first request.
#pragma once

#include <cstdint>

#include "hal/xptr.hpp"
#include "libk/result.hpp"
#include "rpc/catalog.hpp"
#include "rpc/desc.hpp"

namespace mkh::rpc {

// A server stub: runs a service on a descriptor, returns the error it recorded there.
using RpcServer = Errno (*)(hal::Xptr<RpcDesc> desc);

struct RpcServerTable {
  RpcServer catalogue[RPC_MAX_INDEX];                              // by catalogue index
  RpcServer private_services[RPC_PRIVATE_END - RPC_PRIVATE_BASE];  // by index - RPC_PRIVATE_BASE
};

// Installs the dispatch table (once per process, before any core runs), and rpc_check as
// the schedulers' scheduling-point hook.
void rpc_install(const RpcServerTable* table);

// Runs the server of `index` on the descriptor and returns the error it recorded there
// (kOk when none); an index out of range, or with no server installed, goes to
// rpc_undefined.
Errno rpc_dispatch(uint32_t index, hal::Xptr<RpcDesc> desc);

// The server of an unused index: records kInval in the descriptor, logs the index once per
// cluster with the client's cluster, and lets the response complete.
Errno rpc_undefined(hal::Xptr<RpcDesc> desc);

// The server of a service of the interface whose server comes with a later layer: kNoSys.
Errno rpc_not_served_yet(hal::Xptr<RpcDesc> desc);

}  // namespace mkh::rpc
