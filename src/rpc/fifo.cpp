// The remote FIFO's producer and consumer sides, and the doorbell. Layer: rpc.
// Calls hal remote access only.
//
// The doorbell, and why no wake-up is lost. The consumer, before it stops consuming, does
//   armed = 1 (seq_cst);  look at the head slot's sequence (seq_cst)
// and a producer, after publishing, does
//   sequence = published (seq_cst);  look at armed (seq_cst), and if 1 exchange it to 0.
// In the single total order of these sequentially consistent operations, either the
// consumer's look comes after the publish (it sees the item and keeps consuming), or the
// producer's look comes after armed = 1 (it sees the doorbell and rings: IPI). The
// exchange makes one producer ring per arming, so a burst costs one IPI, and a consumer
// that is busy (armed == 0) is never interrupted.
#include "rpc/fifo.hpp"

#include <atomic>

#include "hal/cpu.hpp"
#include "hal/fault.hpp"
#include "hal/remote.hpp"

namespace mkh::rpc {

namespace {

hal::Xptr<FifoSlot> slot_xptr(hal::Xptr<RemoteFifo> fifo, FifoSlot* slots, uint64_t position, uint32_t mask) {
  return hal::Xptr<FifoSlot>(fifo.cxy(), slots + (position & mask));
}

uint64_t load_sc(const uint64_t& word) { return hal::local_load(word, std::memory_order_seq_cst); }

// The consumer reads a slot's call only after the publish that follows this, and a producer
// writes it only after the consumer's freeing store, so word stores suffice.
void store_call(hal::Xptr<RpcCall> slot_call, const RpcCall& call) {
  hal::remote_store(slot_call.field(&RpcCall::desc), call.desc);
  hal::remote_store(slot_call.field(&RpcCall::index), call.index);
  hal::remote_store(slot_call.field(&RpcCall::flow), call.flow);
  const hal::Xptr<uint64_t> words(slot_call.field(&RpcCall::words).raw());
  for (uint32_t i = 0; i < kRpcSlotWords; ++i)
    hal::remote_store(hal::Xptr<uint64_t>(words.raw() + i * sizeof(uint64_t)), call.words[i]);
}

}  // namespace

void fifo_init(RemoteFifo* fifo, FifoSlot* slots, uint32_t slots_nr) {
  // With one slot a published item's sequence equals the next lap's "free" value.
  KASSERT(slots_nr >= 2 && (slots_nr & (slots_nr - 1)) == 0, "FIFO of {} slots", slots_nr);
  fifo->m_slots = slots;
  fifo->m_slots_nr = slots_nr;
  fifo->m_mask = slots_nr - 1;
  for (uint32_t i = 0; i < slots_nr; ++i) {
    slots[i].sequence = i;
    slots[i].call = RpcCall{};
  }
  fifo->m_tail = 0;
  fifo->m_head = 0;
  fifo->m_high_water = 0;
  fifo->m_last_desc = 0;
  fifo->m_armed = 1;
}

PushResult fifo_push(hal::Xptr<RemoteFifo> fifo, const RpcCall& call) {
  FifoSlot* const slots = hal::remote_load(fifo.field(&RemoteFifo::m_slots));
  const uint32_t mask = hal::remote_load(fifo.field(&RemoteFifo::m_mask));
  const auto tail = fifo.field(&RemoteFifo::m_tail);
  uint64_t position = hal::remote_load(tail);
  for (;;) {
    const auto slot = slot_xptr(fifo, slots, position, mask);
    // The slot's line is about to be written (call, then sequence): ask for it exclusive
    // now rather than read it shared and upgrade it (the consumer polls it meanwhile).
    hal::prefetch_for_write(slot.host_ptr());
    const uint64_t sequence = hal::remote_load(slot.field(&FifoSlot::sequence));
    if (sequence == position) {
      // Free: claim it.
      if (hal::remote_cas(tail, position, position + 1)) {
        hal::fault_point(hal::FaultPoint::kFifoClaimedNotPublished);
        store_call(slot.field(&FifoSlot::call), call);
        hal::remote_exchange(slot.field(&FifoSlot::sequence), position + 1);  // publish (seq_cst)
        hal::fault_point(hal::FaultPoint::kFifoPublishedNotRung);
        const auto armed = fifo.field(&RemoteFifo::m_armed);
        const bool ring = hal::remote_load_sc(armed) != 0 && hal::remote_exchange(armed, 0u) != 0;
        return ring ? PushResult::kQueuedRing : PushResult::kQueued;
      }
      position = hal::remote_load(tail);
    } else if (sequence < position) {
      return PushResult::kFull;  // the slot still holds an item of the previous lap
    } else {
      position = hal::remote_load(tail);  // another producer claimed it: move on
    }
  }
}

void fifo_prefetch_claim(hal::Xptr<RemoteFifo> fifo) {
  FifoSlot* const slots = hal::remote_load(fifo.field(&RemoteFifo::m_slots));
  const uint32_t mask = hal::remote_load(fifo.field(&RemoteFifo::m_mask));
  const uint64_t position = hal::remote_load(fifo.field(&RemoteFifo::m_tail));
  hal::prefetch_for_write(slot_xptr(fifo, slots, position, mask).host_ptr());
}

bool fifo_pop(RemoteFifo* fifo, RpcCall* call) {
  const uint64_t position = fifo->m_head;
  FifoSlot& slot = fifo->m_slots[position & fifo->m_mask];
  if (load_sc(slot.sequence) != position + 1) return false;
  *call = slot.call;
  // A client calling in a loop sends the same descriptor every time (the same place in its
  // stack): guessed to be the last call's, the descriptor's address, where the service's
  // results and the completion go, is known before the slot's line is here. No prefetch of
  // the descriptor's line: issued that early, it made the fast placement slower
  // (docs/decisions.md, "The server guesses the descriptor").
  call->desc = hal::value_predicted(call->desc, fifo->m_last_desc);
  fifo->m_last_desc = call->desc;
  // High-water mark: the published calls waiting from the head on. Looking only past the
  // current mark keeps this O(1), and off the producers' m_tail line.
  uint64_t mark = fifo->m_high_water;
  while (mark < fifo->m_slots_nr &&
         load_sc(fifo->m_slots[(position + mark) & fifo->m_mask].sequence) == position + mark + 1)
    ++mark;
  if (mark != fifo->m_high_water) hal::local_store(fifo->m_high_water, mark, std::memory_order_relaxed);
  hal::local_store(slot.sequence, position + fifo->m_mask + 1);  // free for the next lap
  hal::local_store(fifo->m_head, position + 1, std::memory_order_relaxed);
  return true;
}

bool fifo_ready(const RemoteFifo* fifo) {
  uint64_t published = 0;
  return load_sc(*fifo_head_sequence(fifo, &published)) == published;
}

const uint64_t* fifo_head_sequence(const RemoteFifo* fifo, uint64_t* published) {
  const uint64_t position = hal::local_load(fifo->m_head, std::memory_order_relaxed);
  *published = position + 1;
  return &fifo->m_slots[position & fifo->m_mask].sequence;
}

uint64_t fifo_depth(const RemoteFifo* fifo) {
  return hal::local_load(fifo->m_tail, std::memory_order_relaxed) -
         hal::local_load(fifo->m_head, std::memory_order_relaxed);
}

bool fifo_arm_and_recheck(RemoteFifo* fifo) {
  std::atomic_ref<uint32_t>(fifo->m_armed).store(1, std::memory_order_seq_cst);
  return fifo_ready(fifo);
}

void fifo_disarm(RemoteFifo* fifo) { hal::local_store(fifo->m_armed, 0u, std::memory_order_relaxed); }

}  // namespace mkh::rpc
