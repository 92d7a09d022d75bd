// The `mkh boot` workload: per-core workers, memory churn, then a token ring whose every
// hop crosses clusters (when there are several). Layer: boot. Shared state lives in
// cluster 0's bank and each worker's slot in
// its own cluster's bank; every cross-cluster access goes through hal::remote_*.
#include "mkh/workload.hpp"

#include <bit>
#include <chrono>
#include <cstring>
#include <random>
#include <thread>

#include <fmt/format.h>

#include "kern/cluster.hpp"
#include "kern/thread.hpp"
#include "mm/kmem.hpp"
#include "mm/memory.hpp"

namespace mkh {

namespace {

using namespace kern;  // the reference names, unqualified

// A worker's mailbox, in the worker's own cluster (one GENERIC_64 object).
struct WorkerSlot {
  static constexpr mm::KcmType kKcmType = mm::KcmType::GENERIC_64;
  hal::xptr_t thread = hal::XPTR_NULL;  // the worker, for its predecessor's unblock
  uint32_t token = 0;                   // 1 while the token waits here
  // written by the predecessor before it posts the token
  uint32_t hop = 0;         // hops the token made before this one
  uint32_t sender_cxy = 0;  // the predecessor's cluster
  // the worker's own
  uint32_t received = 0;  // tokens taken from this slot
};
static_assert(sizeof(WorkerSlot) <= 64);

// In cluster 0's bank: the ring directory and the results.
struct Shared {
  uint32_t workers;
  uint32_t memory_rounds;
  uint32_t ring_laps;
  uint32_t arrived;  // workers that published their slot
  uint32_t finished;
  uint64_t seed;
  uint64_t pages_allocated;
  uint64_t objects_allocated;
  uint64_t token_hops;
  uint64_t cross_cluster_hops;  // hops taken from a predecessor of another cluster
  uint64_t ring_errors;         // tokens that arrived with another hop count than expected
  uint64_t pattern_errors;
  uint64_t alloc_errors;
  hal::xptr_t slots[kMaxCores];  // xptr of each worker's WorkerSlot, by ring position
  uint32_t received[kMaxCores];  // each slot's `received`, published by its worker at the end
};

hal::Xptr<hal::xptr_t> slot_entry(hal::Xptr<Shared> shared, uint32_t position) {
  return hal::Xptr<hal::xptr_t>(shared.field(&Shared::slots).raw() + position * sizeof(hal::xptr_t));
}

hal::Xptr<uint32_t> received_entry(hal::Xptr<Shared> shared, uint32_t position) {
  return hal::Xptr<uint32_t>(shared.field(&Shared::received).raw() + position * sizeof(uint32_t));
}

struct WorkerArg {
  hal::Xptr<Shared> shared;
  uint32_t position;
};

void churn_memory(hal::Xptr<Shared> shared, std::mt19937_64& random, uint32_t rounds) {
  uint64_t pages = 0, objects = 0, bad = 0, refused = 0;
  for (uint32_t round = 0; round < rounds; ++round) {
    const uint32_t order = uint32_t(random() % 4);
    auto page = mm::kmem_alloc_pages(order);
    const auto type = mm::KcmType(1 + random() % (mm::kKcmTypeCount - 1));  // a generic size
    auto object = mm::kmem_alloc(type);
    const auto stamp = uint8_t(random());
    if (page) {
      ++pages;
      auto* base = static_cast<uint8_t*>(mm::kmem_page_base(*page));
      const uint64_t bytes = hal::kPageSize << order;
      std::memset(base, stamp, bytes);
      for (uint64_t i = 0; i < bytes; i += 512) bad += base[i] != stamp;
      mm::kmem_free_pages(*page);
    } else {
      ++refused;
    }
    if (object) {
      ++objects;
      auto* bytes = static_cast<uint8_t*>(*object);
      bytes[0] = stamp;
      bad += bytes[0] != stamp;
      mm::kmem_free(*object, type);
    } else {
      ++refused;
    }
    if (round % 16 == 15) sched_yield();  // let the other threads of the core run
  }
  hal::remote_atomic_add(shared.field(&Shared::pages_allocated), pages);
  hal::remote_atomic_add(shared.field(&Shared::objects_allocated), objects);
  hal::remote_atomic_add(shared.field(&Shared::pattern_errors), bad);
  hal::remote_atomic_add(shared.field(&Shared::alloc_errors), refused);
}

void worker(void* raw) {
  const WorkerArg arg = *static_cast<WorkerArg*>(raw);
  const auto shared = arg.shared;
  const uint32_t workers = hal::remote_load(shared.field(&Shared::workers));
  const uint32_t laps = hal::remote_load(shared.field(&Shared::ring_laps));
  std::mt19937_64 random(hal::remote_load(shared.field(&Shared::seed)) * 1000003u + arg.position);

  churn_memory(shared, random, hal::remote_load(shared.field(&Shared::memory_rounds)));

  // Publish this worker's slot; the last to arrive starts everybody.
  auto made = mm::kmem_new<WorkerSlot>();
  if (!made) {
    hal::remote_atomic_add(shared.field(&Shared::alloc_errors), uint64_t(1));
    return;  // the host sees the ring never finished and reports it
  }
  WorkerSlot* slot = *made;
  slot->thread = thread_current_xptr().raw();
  slot->token = arg.position == 0 ? 1 : 0;
  const hal::Xptr<WorkerSlot> my_slot(hal::local_cxy(), slot);
  hal::remote_store(slot_entry(shared, arg.position), my_slot.raw());
  // Blocked before arriving, so the last arrival's unblock cannot come too early (WAIT:
  // another thread holds this one to unblock it, a kill must not clear it).
  thread_block(thread_current_xptr(), THREAD_BLOCKED_WAIT);
  if (hal::remote_atomic_add(shared.field(&Shared::arrived), 1u) + 1 == workers) {
    for (uint32_t i = 0; i < workers; ++i) {
      const auto other = hal::Xptr<WorkerSlot>(hal::remote_load(slot_entry(shared, i)));
      thread_unblock(hal::Xptr<Thread>(hal::remote_load(other.field(&WorkerSlot::thread))), THREAD_BLOCKED_WAIT);
    }
  }
  sched_yield();  // returns once unblocked, even if that happened before this yield

  // The ring: receive the token, check the hop count it carries and where it came from,
  // pass it on. Position 0 also takes the final pass. The token that reaches position p in
  // lap l has made l * workers + p hops.
  const uint32_t next = (arg.position + 1) % workers;
  const auto next_slot = hal::Xptr<WorkerSlot>(hal::remote_load(slot_entry(shared, next)));
  const auto next_thread = hal::Xptr<Thread>(hal::remote_load(next_slot.field(&WorkerSlot::thread)));
  uint64_t hops = 0, cross_cluster = 0, wrong = 0;
  auto take = [&](uint32_t expected_hop) {
    thread_wait_flag(my_slot.field(&WorkerSlot::token), THREAD_BLOCKED_WAIT);
    ++slot->received;
    wrong += hal::local_load(slot->hop) != expected_hop;
    // The initial token (position 0, hop 0) was put here, not sent.
    if (expected_hop != 0) cross_cluster += hal::local_load(slot->sender_cxy) != hal::local_cxy();
  };
  for (uint32_t lap = 0; lap < laps; ++lap) {
    take(lap * workers + arg.position);
    hal::remote_store(next_slot.field(&WorkerSlot::hop), hal::local_load(slot->hop) + 1);
    hal::remote_store(next_slot.field(&WorkerSlot::sender_cxy), uint32_t(hal::local_cxy()));
    thread_post_flag(next_slot.field(&WorkerSlot::token), next_thread, THREAD_BLOCKED_WAIT);
    ++hops;
  }
  if (arg.position == 0 && laps != 0) take(laps * workers);
  hal::remote_atomic_add(shared.field(&Shared::token_hops), hops);
  hal::remote_atomic_add(shared.field(&Shared::cross_cluster_hops), cross_cluster);
  hal::remote_atomic_add(shared.field(&Shared::ring_errors), wrong);
  hal::remote_store(received_entry(shared, arg.position), slot->received);
  mm::kmem_delete(slot);
  hal::remote_atomic_add(shared.field(&Shared::finished), 1u);
}

}  // namespace

Result<WorkloadFigures, Error> run_boot_workload(Machine& machine, const WorkloadOptions& options) {
  const Topology& topology = machine.config().topology;
  const uint32_t workers = topology.cores();
  const hal::cxy_t home = machine.clusters().front();
  const auto started = std::chrono::steady_clock::now();

  // Shared state and the workers' arguments, in the home cluster's bank.
  const uint32_t order = uint32_t(std::bit_width((sizeof(Shared) + sizeof(WorkerArg) * workers - 1) / hal::kPageSize));
  mm::Page* page = nullptr;
  hal::Xptr<Shared> shared;
  WorkerArg* args = nullptr;
  {
    hal::ClusterScope scope(home);
    auto allocated = mm::kmem_alloc_pages(order);
    if (!allocated) return error(allocated.error(), "no memory in cluster 0 for the workload's shared state");
    page = *allocated;
    auto* memory = static_cast<uint8_t*>(mm::kmem_page_base(page));
    auto* local = new (memory) Shared{};
    local->workers = workers;
    local->memory_rounds = options.memory_rounds;
    local->ring_laps = options.ring_laps;
    local->seed = options.seed;
    args = reinterpret_cast<WorkerArg*>(memory + sizeof(Shared));
    shared = hal::Xptr<Shared>(home, local);
  }

  // Threads first (blocked at the start barrier until all slots are published). Ring
  // position p runs on cluster p mod n, core p div n (n clusters): consecutive positions,
  // the last and the first included, are on different clusters whenever n > 1.
  const std::vector<uint32_t>& clusters = machine.clusters();
  const auto clusters_nr = uint32_t(clusters.size());
  for (uint32_t position = 0; position < workers; ++position) {
    const uint32_t cxy = clusters[position % clusters_nr], lid = position / clusters_nr;
    args[position] = WorkerArg{shared, position};
    auto thread = machine.spawn(cxy, lid, worker, &args[position], fmt::format("worker{}", position));
    if (!thread)
      return error(thread.error(), "cannot start worker {} on cluster {:#x} core {}: {}", position, cxy, lid,
                   errno_name(thread.error()));
  }

  WorkloadFigures figures;
  figures.workers = workers;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(2);
  {
    hal::ClusterScope scope(home);
    while (hal::remote_load(shared.field(&Shared::finished)) != workers) {
      if (std::chrono::steady_clock::now() > deadline)
        return error(Errno::kTimedOut, "workload did not finish in 2 minutes ({} of {} workers done)",
                     hal::remote_load(shared.field(&Shared::finished)), workers);
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    figures.pages_allocated = hal::remote_load(shared.field(&Shared::pages_allocated));
    figures.objects_allocated = hal::remote_load(shared.field(&Shared::objects_allocated));
    figures.token_hops = hal::remote_load(shared.field(&Shared::token_hops));
    figures.cross_cluster_hops = hal::remote_load(shared.field(&Shared::cross_cluster_hops));
    figures.ring_errors = hal::remote_load(shared.field(&Shared::ring_errors));
    for (uint32_t position = 0; position < workers; ++position)
      figures.received.push_back(hal::remote_load(received_entry(shared, position)));
    figures.pattern_errors = hal::remote_load(shared.field(&Shared::pattern_errors));
    figures.alloc_errors = hal::remote_load(shared.field(&Shared::alloc_errors));
    // No worker touches the shared state after counting itself finished.
    mm::kmem_free_pages(page);
  }
  figures.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return figures;
}

}  // namespace mkh
