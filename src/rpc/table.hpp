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

// A server stub: runs a service on a call (its in-arguments from the call, its results and
// error into the call's descriptor), returns the error it recorded there.
using RpcServer = Errno (*)(const RpcCall& call);

struct RpcServerTable {
  RpcServer catalogue[RPC_MAX_INDEX];                              // by catalogue index
  RpcServer private_services[RPC_PRIVATE_END - RPC_PRIVATE_BASE];  // by index - RPC_PRIVATE_BASE
};

// Installs the dispatch table (once per process, before any core runs), and rpc_check as
// the schedulers' scheduling-point hook.
void rpc_install(const RpcServerTable* table);

// Runs the server of the call's index and returns the error it recorded in the call's
// descriptor (kOk when none); an index out of range, or with no server installed, goes to
// rpc_undefined.
Errno rpc_dispatch(const RpcCall& call);

// The server of an unused index: records kInval in the descriptor, logs the index once per
// cluster with the client's cluster, and lets the response complete.
Errno rpc_undefined(const RpcCall& call);

}  // namespace mkh::rpc
