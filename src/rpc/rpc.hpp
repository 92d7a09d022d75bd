// The RPC mechanism: client send (blocking, non-blocking, multicast) and the server side
// run at every scheduling point. Layer: rpc. Calls kern (threads, scheduler, IPIs) and
// the FIFO; the services are in rpc/services/, dispatched through rpc/table.cpp.
//
// Blocking call, and why the response cannot be lost: the client sets its RPC blocking
// cause *before* it posts the descriptor, then deschedules; the server whose decrement
// brings `response` to zero clears that cause as its very last access to the client
// (thread_unblock). A response that comes before the client has descheduled only makes
// its yield return at once; and since the client waits for the cause to be cleared, not
// for `response`, no server touches a client that has already returned.
#pragma once

#include <cstdint>

#include "hal/xptr.hpp"
#include "libk/result.hpp"
#include "mkh/config.hpp"
#include "rpc/desc.hpp"

namespace mkh::kern {
struct Core;
struct Thread;
}  // namespace mkh::kern

namespace mkh::rpc {

// Boot: the FIFOs of the local cluster (slots from its ppm) and the pool settings.
[[nodiscard]] Result<void> rpc_cluster_init(const MachineConfig& config);
// Installs rpc_check as the schedulers' scheduling-point hook (once per process).
void rpc_install();

// Posts desc to cluster cxy (the FIFO of core `client lid mod C`), ringing the doorbell
// when armed. With the FIFO still full after the configured back-off rounds: kAgain,
// counted, nothing queued. kInval for an absent cluster.
[[nodiscard]] Result<void> rpc_post(hal::cxy_t cxy, RpcDesc* desc);

// The generic client: fills the client fields, posts, and when desc->blocking waits for
// the response. The caller must be a kernel thread; desc must be in its cluster's memory
// (its stack). Returns the server's error when it recorded one.
[[nodiscard]] Result<void> rpc_send(hal::cxy_t cxy, RpcDesc* desc);

// One descriptor to n clusters, response = n, sent non-blocking; the last server unblocks
// the client. Posts that fail are taken off the count (the client never waits for them)
// and make the call return kAgain after the others have answered.
[[nodiscard]] Result<void> rpc_multicast(const hal::cxy_t* cxys, uint32_t n, RpcDesc* desc);

// Server side, at every scheduling point of `core` and after each IPI: when its FIFO holds
// a request and no RPC thread owns the FIFO, hand ownership to an idle RPC thread or to a
// new one (up to the pool bound, which is counted and reported when hit).
void rpc_check(kern::Core* core);

// An RPC thread is about to deschedule blocked (inside a service): it gives FIFO ownership
// up, so that another RPC thread serves the next requests (nested RPCs stay deadlock free).
void rpc_thread_blocking(kern::Thread* thread);

// Serves one request (used by RPC threads; exposed for tests of the dispatch).
void rpc_serve(hal::Xptr<RpcDesc> desc);

}  // namespace mkh::rpc
