// The core benchmarks, measured on a booted 2x1:1 machine (two clusters, one core each)
// so that the block→unblock→run hop really crosses clusters and host threads.
// The harness's own result words are host memory; every kernel object is in a bank.
#include "mkh/bench.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "hal/fiber.hpp"
#include "kern/cluster.hpp"
#include "mm/memory.hpp"
#include "kern/thread.hpp"
#include "median.hpp"
#include "mkh/machine.hpp"

namespace mkh::bench {

namespace {

using Clock = std::chrono::steady_clock;

double ns_since(Clock::time_point start, uint64_t operations) {
  return std::chrono::duration<double, std::nano>(Clock::now() - start).count() / double(operations);
}

// Waits (host side) until a kernel thread posted its result.
void wait_done(const std::atomic<int>& done, int expected) {
  while (done.load() < expected) std::this_thread::sleep_for(std::chrono::microseconds(200));
}

// --- bare fiber switch: resume + suspend of one hal::Fiber on the host thread -----------
struct FiberLoop {
  hal::Fiber fiber;
  uint64_t iterations = 0;
};

double bench_bare_fiber(uint64_t iterations) {
  std::vector<unsigned char> stack(256 * 1024);
  FiberLoop loop;
  loop.iterations = iterations;
  loop.fiber.init(stack.data(), stack.size(), [](void* arg) {
    auto* self = static_cast<FiberLoop*>(arg);
    for (uint64_t i = 0; i < self->iterations; ++i) self->fiber.suspend();
  }, &loop);
  const auto start = Clock::now();
  for (uint64_t i = 0; i <= iterations; ++i) loop.fiber.resume();
  return ns_since(start, 2 * iterations);  // two switches per round trip
}

// --- thread switch: two kernel threads of one core yield to each other ------------------
struct YieldPair {
  uint64_t iterations = 0;
  std::atomic<int> done{0};
  Clock::time_point start;
  double ns = 0;
};

void yielder(void* arg) {
  auto* pair = static_cast<YieldPair*>(arg);
  for (uint64_t i = 0; i < pair->iterations; ++i) kern::sched_yield();
  if (pair->done.fetch_add(1) == 1) pair->ns = ns_since(pair->start, 2 * pair->iterations);
}

double bench_thread_switch(Machine& machine, uint64_t iterations) {
  YieldPair pair;
  pair.iterations = iterations;
  pair.start = Clock::now();
  const uint32_t cxy = machine.clusters()[0];
  if (!machine.spawn(cxy, 0, yielder, &pair, "yield-a") || !machine.spawn(cxy, 0, yielder, &pair, "yield-b"))
    return -1;
  wait_done(pair.done, 2);
  return pair.ns;
}

// --- block → unblock → run across clusters: a ping-pong of two threads -----------------
struct PingPong {
  uint64_t iterations = 0;
  hal::Xptr<uint32_t> flag[2];           // each side's flag, in its own cluster's bank
  std::atomic<uint64_t> thread[2] = {};  // each side's thread xptr
  std::atomic<int> ready{0};
  std::atomic<int> done{0};
  double ns = 0;
};

template <int kSide>
void pinger(void* arg) {
  auto* p = static_cast<PingPong*>(arg);
  p->thread[kSide].store(kern::thread_current_xptr().raw());
  p->ready.fetch_add(1);
  while (p->ready.load() < 2) kern::sched_yield();
  const hal::Xptr<kern::Thread> other(p->thread[1 - kSide].load());
  const auto start = Clock::now();
  for (uint64_t i = 0; i < p->iterations; ++i) {
    if (kSide == 0) kern::thread_post_flag(p->flag[1], other, kern::THREAD_BLOCKED_WAIT);
    kern::thread_wait_flag(p->flag[kSide], kern::THREAD_BLOCKED_WAIT);
    if (kSide == 1) kern::thread_post_flag(p->flag[0], other, kern::THREAD_BLOCKED_WAIT);
  }
  if (kSide == 0) p->ns = ns_since(start, 2 * p->iterations);  // two hops per round trip
  p->done.fetch_add(1);
}

double bench_ping_pong(Machine& machine, uint64_t iterations) {
  PingPong p;
  p.iterations = iterations;
  const uint32_t a = machine.clusters().front(), b = machine.clusters().back();
  mm::Page* pages[2];
  for (int side = 0; side < 2; ++side) {
    hal::ClusterScope scope(side == 0 ? a : b);
    pages[side] = *mm::local_memory()->m_ppm.alloc_pages(0);
    auto* word = static_cast<uint32_t*>(mm::local_memory()->m_ppm.page_to_base(pages[side]));
    *word = 0;
    p.flag[side] = hal::Xptr<uint32_t>(hal::local_cxy(), word);
  }
  if (!machine.spawn(a, 0, pinger<0>, &p, "ping") || !machine.spawn(b, 0, pinger<1>, &p, "pong")) return -1;
  wait_done(p.done, 2);
  for (int side = 0; side < 2; ++side) {
    hal::ClusterScope scope(side == 0 ? a : b);
    mm::local_memory()->m_ppm.free_pages(pages[side]);
  }
  return p.ns;
}

// --- allocators, from a host thread acting for cluster 0 ---------------------------------
double bench_ppm(Machine& machine, uint64_t iterations) {
  hal::ClusterScope scope(machine.clusters()[0]);
  mm::Ppm& ppm = mm::local_memory()->m_ppm;
  const auto start = Clock::now();
  for (uint64_t i = 0; i < iterations; ++i) ppm.free_pages(*ppm.alloc_pages(0));
  return ns_since(start, iterations);
}

double bench_kcm(Machine& machine, uint64_t iterations) {
  hal::ClusterScope scope(machine.clusters()[0]);
  mm::Kcm& kcm = mm::local_memory()->m_kcm[uint32_t(mm::KcmType::GENERIC_64)];
  void* keep = *kcm.alloc();  // keeps one block alive, as a busy cache has
  const auto start = Clock::now();
  for (uint64_t i = 0; i < iterations; ++i) kcm.free(*kcm.alloc());
  const double ns = ns_since(start, iterations);
  kcm.free(keep);
  return ns;
}

}  // namespace

int run_bench_core(const BenchCoreOptions& options) {
  MachineConfig config;
  config.topology = Topology{2, 1, 1};
  config.bank_mib = 64;
  config.quiet = true;
  auto machine = Machine::boot(config);
  if (!machine) {
    fmt::print(stderr, "mkh: bench: {}\n", machine.error());
    return 1;
  }
  constexpr uint32_t kSpinningUs = 2000;  // far longer than one hop: the core never sleeps
  std::vector<double> bare, yield, spin, sleep, ppm, kcm;
  for (uint32_t round = 0; round < options.rounds; ++round) {
    bare.push_back(bench_bare_fiber(200000));
    yield.push_back(bench_thread_switch(**machine, 100000));
    (*machine)->set_idle_spin_us(kSpinningUs);
    spin.push_back(bench_ping_pong(**machine, 20000));
    (*machine)->set_idle_spin_us(0);
    sleep.push_back(bench_ping_pong(**machine, 2000));
    ppm.push_back(bench_ppm(**machine, 200000));
    kcm.push_back(bench_kcm(**machine, 200000));
  }
  const MachineReport report = (*machine)->shutdown();
  uint64_t leaked = report.threads_left;
  for (const auto& c : report.clusters) leaked += uint64_t(std::abs(c.pages_leaked));

  const double m_bare = median(bare), m_yield = median(yield), m_spin = median(spin), m_sleep = median(sleep),
               m_ppm = median(ppm), m_kcm = median(kcm);
  if (options.json) {
    fmt::print("{{\"rounds\": {}, \"fiber_switch_ns\": {:.1f}, \"thread_switch_ns\": {:.1f}, "
               "\"block_unblock_run_spinning_ns\": {:.1f}, \"block_unblock_run_sleeping_ns\": {:.1f}, "
               "\"ppm_alloc_free_ns\": {:.1f}, \"kcm_alloc_free_ns\": {:.1f}, "
               "\"ratio_sleeping_over_spinning\": {:.2f}}}\n",
               options.rounds, m_bare, m_yield, m_spin, m_sleep, m_ppm, m_kcm, m_sleep / m_spin);
  } else {
    fmt::print("mkh bench core: medians of {} interleaved rounds, machine 2x1:1\n", options.rounds);
    fmt::print("  fiber switch (bare hal::Fiber, one way)          {:>10.1f} ns\n", m_bare);
    fmt::print("  thread switch (yield to another thread)          {:>10.1f} ns\n", m_yield);
    fmt::print("  block->unblock->run across clusters, spinning    {:>10.1f} ns\n", m_spin);
    fmt::print("  block->unblock->run across clusters, sleeping    {:>10.1f} ns  ({:.1f}x spinning)\n", m_sleep,
               m_sleep / m_spin);
    fmt::print("  ppm order-0 alloc+free                           {:>10.1f} ns\n", m_ppm);
    fmt::print("  kcm 64-byte alloc+free                           {:>10.1f} ns\n", m_kcm);
  }
  if (leaked != 0) {
    fmt::print(stderr, "mkh: bench: {} pages or threads left behind\n", leaked);
    return 1;
  }
  return 0;
}

}  // namespace mkh::bench
