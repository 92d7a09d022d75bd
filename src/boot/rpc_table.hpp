// The RPC dispatch table of this build: every service of the catalogue that some layer
// serves. Layer: boot.
#pragma once

#include "rpc/table.hpp"

namespace mkh::boot {

const rpc::RpcServerTable* rpc_server_table();

}  // namespace mkh::boot
