// The remote FIFO: one per server core, a bounded lock-free multi-producer single-consumer
// ring of calls (a slot is one cache line: its sequence word and an RpcCall), plus the
// doorbell that decides when a producer sends an IPI. Layer: rpc.
// Producers of any cluster reach it by xptr; only the FIFO's owner RPC thread consumes.
//
// Slots carry sequence numbers (Vyukov's bounded queue): a producer claims a slot by a CAS
// on m_tail, writes the call, then publishes it by storing the slot's sequence. A producer
// stalled between claim and publish never loses or duplicates a call: the consumer sees
// the head slot unpublished, stops (it does not skip it, and does not spin on it), rings
// for a doorbell, and the stalled producer, once it publishes, sees the doorbell armed and
// sends the IPI that brings the consumer back. See fifo.cpp for the doorbell argument.
#pragma once

#include <cstdint>

#include "hal/xptr.hpp"
#include "libk/result.hpp"
#include "rpc/desc.hpp"

namespace mkh::rpc {

// One slot a line: the producer fills and publishes it with one line transfer, and the
// consumer reads the call with the line that told it the call is there.
struct alignas(64) FifoSlot {
  uint64_t sequence;  // == position: free; == position + 1: published call
  RpcCall call;
};
static_assert(sizeof(FifoSlot) == 64, "a FIFO slot is one cache line");

struct alignas(64) RemoteFifo {
  // immutable after fifo_init()
  FifoSlot* m_slots = nullptr;  // in the owner's bank (pointer local to the owner cluster)
  uint32_t m_slots_nr = 0;      // a power of two
  uint32_t m_mask = 0;

  // producers, any cluster
  alignas(64) uint64_t m_tail = 0;  // next position to claim
  // consumer (the owner core) only, read by displays
  alignas(64) uint64_t m_head = 0;  // next position to consume
  uint64_t m_high_water = 0;        // most published calls seen waiting at a pop
  hal::xptr_t m_last_desc = 0;      // the last popped call's descriptor (fifo_pop's guess)
  // the doorbell: 1 while the consumer may be going to sleep and wants an IPI
  alignas(64) uint32_t m_armed = 1;
};

// Called by the owner cluster at boot, slots_nr a power of two.
void fifo_init(RemoteFifo* fifo, FifoSlot* slots, uint32_t slots_nr);

enum class PushResult { kQueued, kQueuedRing, kFull };
// Producer: claim, write, publish. kQueuedRing: queued and the doorbell was armed, so the
// caller must send the owner core an IPI. kFull: every slot is taken (nothing written).
PushResult fifo_push(hal::Xptr<RemoteFifo> fifo, const RpcCall& call);

// Producer, ahead of fifo_push: asks for the line of the slot the push will claim, exclusive
// (a hint: another producer may claim that slot first).
void fifo_prefetch_claim(hal::Xptr<RemoteFifo> fifo);

// Consumer: copies the head call into *call and frees its slot, and asks for the line of
// the call's descriptor; false when the FIFO is empty or its head is claimed but not yet
// published.
bool fifo_pop(RemoteFifo* fifo, RpcCall* call);
// Consumer: true when the head call is published (pop would return it).
bool fifo_ready(const RemoteFifo* fifo);
// Consumer: the head slot's sequence word, and in *published the value it takes when the head
// call is published (what fifo_ready compares; a poll of the word itself, hal::poll_word).
const uint64_t* fifo_head_sequence(const RemoteFifo* fifo, uint64_t* published);
// Consumer: calls claimed and not yet consumed (published or not).
uint64_t fifo_depth(const RemoteFifo* fifo);

// Consumer going idle: arms the doorbell, then looks once more. True when a call was
// published meanwhile (then the caller keeps consuming instead of going idle).
bool fifo_arm_and_recheck(RemoteFifo* fifo);
// Consumer active again: producers need not ring.
void fifo_disarm(RemoteFifo* fifo);

}  // namespace mkh::rpc
