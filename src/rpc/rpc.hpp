// The RPC mechanism: client send (blocking, non-blocking, multicast) and the server side
// run at every scheduling point. Layer: rpc. Calls kern (threads, scheduler, IPIs) and
// the FIFO; it knows no service: they are dispatched through the table that the
// composition root installs (rpc/table.hpp).
//
// Blocking call, and why no response is lost and no server touches a client that has
// gone. The client posts, then spins on its descriptor's response count while its core has
// nothing else to run and the server is another core (a call to the local cluster goes to
// this core's FIFO: it blocks at once). When the spin budget is spent it blocks itself
// (cause RPC) and sets the waiter bit of the response word by a CAS that fails if the count
// has reached zero meanwhile (then it unblocks itself and returns). The server whose
// decrement ends the count unblocks the client only if the waiter bit was set in the value
// it replaced, and only then reads the client's thread from the descriptor. So either the
// client sees the count at zero, or the last server sees the bit and wakes it; and a server
// touches a descriptor after its decrement, or a client thread, only while that client is
// blocked waiting for it (no other server does: the count is not at zero before the last one).
//
// The call travels in the FIFO slot (rpc/desc.hpp RpcCall): the server runs the service
// on the slot's copy of the index and the first in-argument words, and first touches the
// descriptor, in the client's stack, to write the results and complete.
//
// Nested calls: which services may call which, and why the pool keeps it deadlock free.
//  * A service may send RPCs (it runs in an RPC thread, a kernel thread like any other),
//    but only to services of its own layer or of layers below it: VFS -> FAT -> mapper ->
//    PMEM, process -> VMM -> PMEM, never upwards (the mapper never calls the VFS). The
//    graph of service families is thus a DAG ordered by the layers; a cycle between
//    clusters inside one family (MKH_CHAIN: A -> B -> A) is allowed, a cycle between
//    families is not.
//  * A service that sends an RPC blocks (cause RPC) and its RPC thread gives up FIFO
//    ownership first (rpc_thread_blocking); rpc_check then hands the FIFO to an idle RPC
//    thread of the pool or creates one. So a nested call A -> B -> A is served by a second
//    thread of A's pool while the first waits: each level of nesting in progress holds one
//    RPC thread on the cluster it runs on.
//  * Hence the pool is deadlock free while the nested calls in progress on a core need
//    fewer RPC threads than the pool bound (MachineConfig::rpc_pool_bound; the Promela
//    model's NESTED assumption). Reaching the bound is counted and logged, never silent.
//    A service must not wait for anything but an RPC it sent or a lock of its layer
//    (never for a request still queued behind it in a FIFO).
//  * Services that allow the local direct call (RpcService::kLocalDirect) neither block nor
//    nest: they run in the caller's thread.
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

// Boot (rpc_install in rpc/table.hpp first): the FIFOs of the local cluster (slots from its ppm) and the pool settings.
[[nodiscard]] Result<void> rpc_cluster_init(const MachineConfig& config);
// Boot, per core once its scheduler is ready: the pool's first RPC thread, parked. A core
// then always has a thread to serve its FIFO with (the reclaim keeps one parked), even
// when its cluster has no memory left for a new one: a request that frees memory is
// served when memory is exhausted.
[[nodiscard]] Result<void> rpc_core_init(kern::Core* core);

// Posts desc to cluster cxy (the FIFO of core `client lid mod C`), ringing the doorbell
// when armed. With the FIFO still full after the configured back-off rounds: kAgain,
// counted, nothing queued. kInval for an absent cluster.
[[nodiscard]] Result<void> rpc_post(hal::cxy_t cxy, RpcDesc* desc);

// The generic client: fills the client fields, posts, and when desc->blocking waits for
// the response. A non-blocking caller keeps desc alive until its response count is 0. The caller must be a kernel thread; desc must be in its cluster's memory
// (its stack). Returns the server's error when it recorded one.
[[nodiscard]] Result<void> rpc_send(hal::cxy_t cxy, RpcDesc* desc);

// One descriptor to n clusters, response = n, sent non-blocking; the client waits once for
// the shared count, the last server unblocks it if it sleeps. Posts that fail are taken off the count (the client never waits for them)
// and make the call return kAgain after the others have answered.
[[nodiscard]] Result<void> rpc_multicast(const hal::cxy_t* cxys, uint32_t n, RpcDesc* desc);

// Counts a local call served directly (rpc_call of a service that allows it).
void rpc_count_direct(uint32_t index, bool succeeded);

// Server side, at every scheduling point of `core` and after each IPI: when its FIFO holds
// a request and no RPC thread owns the FIFO, hand ownership to an idle RPC thread or to a
// new one (up to the pool bound, which is counted and reported when hit).
void rpc_check(kern::Core* core);

// An RPC thread is about to deschedule blocked (inside a service): it gives FIFO ownership
// up, so that another RPC thread serves the next requests (nested RPCs stay deadlock free).
void rpc_thread_blocking(kern::Thread* thread);

// Serves one call popped from the FIFO (used by RPC threads; exposed for tests of the
// dispatch).
void rpc_serve(const RpcCall& call);

}  // namespace mkh::rpc
