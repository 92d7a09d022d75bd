// RPC client side: post with back-off, blocking wait, multicast, statistics and trace.
// Layer: rpc. Calls the FIFO, kern (thread block/unblock, yield, IPI) and trace.
#include <algorithm>

#include "hal/clock.hpp"
#include "kern/cluster.hpp"
#include "kern/sched.hpp"
#include "kern/thread.hpp"
#include "rpc/rpc.hpp"
#include "rpc/state.hpp"
#include "rpc/trace.hpp"

namespace mkh::rpc {

namespace {

// The least a back-off round on a full FIFO lasts, on average (rpc_post).
constexpr uint64_t kFullRoundMinNs = 1'000'000;

RpcIndexStats& local_stats(uint32_t index) { return local_rpc_state()->m_stats[rpc_stat_slot(index)]; }

// Waits until the response count of desc is zero: spins while the core has nothing else to
// run, then blocks with the waiter bit set (see rpc/rpc.hpp for the handshake). Not a spin
// when a server is this very core (`may_spin` false: a call to the local cluster goes to this
// core's FIFO): its RPC thread runs only once this one blocks.
void wait_for_response(RpcDesc* desc, kern::Thread* self, kern::Core* core, bool may_spin) {
  uint32_t& response = desc->response;
  auto answered = [&] { return (hal::local_load(response) & kRpcResponseCount) == 0; };
  if (answered()) return;
  // An RPC thread waiting inside a service (a nested call) lets its FIFO go first.
  if (self->m_type == kern::ThreadType::RPC) rpc_thread_blocking(self);
  const uint64_t spin_ns = hal::local_load(core->m_idle_spin_ns, std::memory_order_relaxed);
  if (may_spin && spin_ns != 0 && !core->m_sched.others_ready_hint()) {
    hal::stat_add(local_rpc_state()->m_cores[hal::cpu().lid].m_client_spins, uint64_t(1));
    if (hal::spin_until_word(&response, kRpcResponseCount, 0, spin_ns)) return;
  }
  if (answered()) return;

  const auto self_xp = kern::thread_current_xptr();
  kern::thread_block(self_xp, kern::THREAD_BLOCKED_RPC);
  const hal::Xptr<uint32_t> word(hal::local_cxy(), &response);
  for (;;) {
    const uint32_t value = hal::remote_load(word);
    if ((value & kRpcResponseCount) == 0) {  // the last response came before the bit was set
      kern::thread_unblock(self_xp, kern::THREAD_BLOCKED_RPC);
      return;
    }
    if (hal::remote_cas(word, value, value | kRpcResponseWaiter)) break;
  }
  kern::sched_yield();  // returns once the last server has cleared the RPC cause
  KASSERT(answered(), "woken with {} responses outstanding", hal::local_load(response) & kRpcResponseCount);
}

// The core of a present cluster that serves this core's calls, and its FIFO.
struct Server {
  hal::lid_t lid;
  hal::Xptr<RemoteFifo> fifo;
};
Server server_of(hal::cxy_t cxy) {
  const uint32_t cores = hal::remote_load(hal::cluster_field(cxy, &LOCAL_CLUSTER->m_cores_nr));
  const hal::lid_t own = hal::cpu().lid;
  const hal::lid_t lid = own < cores ? own : own % cores;  // no division between like clusters
  return {lid, hal::Xptr<RemoteFifo>(cxy, &rpc_cluster_state(cxy)->m_cores[lid].m_fifo)};
}

Result<void> not_present(uint32_t index) {
  hal::stat_add(local_stats(index).send_failures, uint64_t(1));
  return error(Errno::kInval);
}

// rpc_post once the server is known.
Result<void> post(hal::cxy_t cxy, const Server& server, RpcDesc* desc) {
  RpcIndexStats& stats = local_stats(desc->index);
  RpcCall call;
  call.desc = hal::XPTR(hal::local_cxy(), desc);
  call.index = desc->index;
  call.flow = desc->flow;
  std::copy_n(desc->args, kRpcSlotWords, call.words);
  kern::Thread* self = kern::thread_current();
  const uint32_t rounds = uint32_t(local_rpc_state()->m_full_retries);
  // The rounds also last a millisecond each at least: on an oversubscribed host the
  // server core's host thread can lose its CPU for longer than the rounds take, with its
  // FIFO full. Not where every core shares this host thread (the deterministic mode): there
  // the server runs while this one yields, and time must not change what happens.
  bool timed = false;
  uint64_t first_full = 0;

  for (uint32_t round = 0;; ++round) {
    const PushResult pushed = fifo_push(server.fifo, call);
    if (pushed != PushResult::kFull) {
      hal::stat_add(stats.sent, uint64_t(1));
      if (pushed == PushResult::kQueuedRing) kern::send_ipi(cxy, server.lid);
      return {};
    }
    if (round == 0) {  // the slow path from here on
      const kern::Core* core = kern::core_current();
      timed = core == nullptr || core->m_shares_host_thread == 0;
      if (timed) first_full = hal::ticks();
    }
    if (round >= rounds &&
        (!timed || hal::ticks_to_ns(hal::ticks() - first_full) >= uint64_t(rounds) * kFullRoundMinNs)) {
      hal::stat_add(stats.send_failures, uint64_t(1));
      return error(Errno::kAgain);
    }
    hal::stat_add(stats.fifo_full_retries, uint64_t(1));
    // Back off: let the other threads of this core run (the server may be one of them).
    if (self != nullptr) kern::sched_yield();
    uint32_t spins = 0;
    for (uint32_t i = 0; i < (1u << std::min(round, 6u)); ++i) hal::cpu_relax(spins);
  }
}

}  // namespace

Result<void> rpc_post(hal::cxy_t cxy, RpcDesc* desc) {
  if (!hal::cluster_present(cxy)) return not_present(desc->index);
  return post(cxy, server_of(cxy), desc);
}

Result<void> rpc_send(hal::cxy_t cxy, RpcDesc* desc) {
  if (!hal::cluster_present(cxy)) return not_present(desc->index);
  const Server server = server_of(cxy);
  // The slot's line is held by the server core, and the descriptor's line too since the
  // last call to it: ask for the slot's first, so that the two come at once rather than the
  // slot's after the descriptor's stores below (its stores cannot pass them).
  fifo_prefetch_claim(server.fifo);
  kern::Thread* self = kern::thread_current();
  KASSERT(self != nullptr, "rpc_send outside a kernel thread");
  kern::thread_deletion_point(self);
  const kern::NoDeleteScope no_delete(self);  // a server may hold desc until the response
  kern::Core* core = kern::core_current();
  desc->thread = kern::thread_current_xptr().raw();
  desc->lid = hal::cpu().lid;
  desc->error = 0;
  desc->response = 1;
  const bool traced = trace_enabled();
  desc->flow = traced ? trace_new_flow_id() : 0;
  if (traced)
    trace_record(hal::local_cxy(), hal::cpu().lid, TraceKind::kClientBegin, uint16_t(desc->index), desc->flow);
  // Latency is sampled: one blocking call in kLatencySampleEvery per core is timed.
  uint32_t& calls = local_rpc_state()->m_cores[hal::cpu().lid].m_client_calls;
  const bool timed = desc->blocking != 0 && (calls++ % kLatencySampleEvery) == 0;
  const uint64_t start = timed ? hal::ticks() : 0;

  TRY(post(cxy, server, desc));
  if (desc->blocking == 0) return {};

  wait_for_response(desc, self, core, cxy != hal::local_cxy());
  if (timed)
    hal::stat_add(local_stats(desc->index).latency[latency_bucket(hal::ticks_to_ns(hal::ticks() - start))],
                  uint64_t(1));
  if (traced) trace_record(hal::local_cxy(), hal::cpu().lid, TraceKind::kClientEnd, uint16_t(desc->index), desc->flow);
  if (desc->error != 0) return error(Errno(desc->error));
  return {};
}

void rpc_count_direct(uint32_t index, bool succeeded) {
  RpcIndexStats& stats = local_stats(index);
  hal::stat_add(stats.direct, uint64_t(1));
  if (!succeeded) hal::stat_add(stats.errors, uint64_t(1));
}

Result<void> rpc_multicast(const hal::cxy_t* cxys, uint32_t n, RpcDesc* desc) {
  kern::Thread* self = kern::thread_current();
  KASSERT(self != nullptr, "rpc_multicast outside a kernel thread");
  kern::thread_deletion_point(self);
  const kern::NoDeleteScope no_delete(self);
  if (n == 0) return {};
  desc->thread = kern::thread_current_xptr().raw();
  desc->lid = hal::cpu().lid;
  desc->error = 0;
  desc->blocking = 1;
  desc->response = n;
  desc->flow = 0;
  uint32_t failed = 0;
  for (uint32_t i = 0; i < n; ++i)
    if (!rpc_post(cxys[i], desc)) ++failed;
  // The failed posts come off the count (the waiter bit is not set yet: nobody to wake).
  if (failed != 0) hal::remote_atomic_add(hal::Xptr<uint32_t>(hal::local_cxy(), &desc->response), ~failed + 1);
  wait_for_response(desc, self, kern::core_current(), std::find(cxys, cxys + n, hal::local_cxy()) == cxys + n);
  if (failed != 0) return error(Errno::kAgain);
  if (desc->error != 0) return error(Errno(desc->error));
  return {};
}

}  // namespace mkh::rpc
