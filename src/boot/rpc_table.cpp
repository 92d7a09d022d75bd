// The one visible table mapping each index of the catalogue to its server, built from
// MKH_RPC_CATALOG and the services' declarations. Layer: boot (the composition root: the
// RPC mechanism knows no service). Calls the service stubs of every layer.
#include "boot/rpc_table.hpp"
#include "fs/fat/services.hpp"
#include "fs/vfs/services.hpp"

#include "mm/mapper/services.hpp"
#include "proc/fork.hpp"
#include "proc/groups.hpp"
#include "proc/services.hpp"
#include "rpc/catalog.hpp"
#include "rpc/marshal.hpp"
#include "rpc/services/kcm.hpp"
#include "rpc/services/mkh.hpp"
#include "rpc/services/pmem.hpp"
#include "rpc/services/sched.hpp"
#include "rpc/services/thread.hpp"

namespace mkh::boot {

namespace {

constexpr rpc::RpcServerTable kServers = {
    .catalogue =
        {
#define MKH_RPC_SERVED(index, name) &rpc::Marshal<rpc::RpcService<rpc::RPC_##name>::kServer>::serve,
#define MKH_RPC_UNUSED(index) &rpc::rpc_undefined,
            MKH_RPC_CATALOG(MKH_RPC_SERVED, MKH_RPC_UNUSED)
#undef MKH_RPC_SERVED
#undef MKH_RPC_UNUSED
        },
    .private_services =
        {
#define MKH_RPC_SERVED(index, name) &rpc::Marshal<rpc::RpcService<rpc::RPC_##name>::kServer>::serve,
            MKH_RPC_PRIVATE(MKH_RPC_SERVED)
#undef MKH_RPC_SERVED
        },
};

}  // namespace

const rpc::RpcServerTable* rpc_server_table() { return &kServers; }

}  // namespace mkh::boot
