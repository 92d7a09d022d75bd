// SCHED_DISPLAY: server and client. Layer: rpc services. Calls kern/sched_display and the
// kernel console.
#include "rpc/services/sched.hpp"

#include "kern/cluster.hpp"
#include "kern/sched_display.hpp"
#include "libk/console.hpp"

namespace mkh::rpc {

Result<void> sched_display_server(hal::lid_t lid) {
  if (lid >= LOCAL_CLUSTER->m_cores_nr) return error(Errno::kInval);
  libk::console_write(kern::sched_display(&LOCAL_CLUSTER->m_cores[lid]));
  return {};
}

Result<void> rpc_sched_display_client(hal::cxy_t cxy, hal::lid_t lid) { return rpc_call<RPC_SCHED_DISPLAY>(cxy, lid); }

}  // namespace mkh::rpc
