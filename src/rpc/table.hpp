// The dispatch table: index -> server stub. Layer: rpc.
#pragma once

#include <cstdint>

#include "hal/xptr.hpp"
#include "libk/result.hpp"
#include "rpc/desc.hpp"

namespace mkh::rpc {

// Runs the server of `index` on the descriptor and returns the error it recorded there
// (kOk when none); an index out of range or unused goes to rpc_undefined, a service of a
// later layer answers ENOSYS.
Errno rpc_dispatch(uint32_t index, hal::Xptr<RpcDesc> desc);

}  // namespace mkh::rpc
