// The dispatch table: index -> server stub. Layer: rpc.
#pragma once

#include <cstdint>

#include "hal/xptr.hpp"
#include "rpc/desc.hpp"

namespace mkh::rpc {

// Runs the server of `index` on the descriptor; an index out of range or unused goes to
// rpc_undefined, a service of a later layer answers ENOSYS.
void rpc_dispatch(uint32_t index, hal::Xptr<RpcDesc> desc);

}  // namespace mkh::rpc
