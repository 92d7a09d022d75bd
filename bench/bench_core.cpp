// The core benchmarks, measured on a booted 2x1:1 machine (two clusters, one core each)
// so that the block→unblock→run hop really crosses clusters and host threads.
// The harness's own result words are host memory; every kernel object is in a bank. A
// measure that fails (a lost or wrong message, an allocation refused) fails the command.
#include "mkh/bench.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "hal/fiber.hpp"
#include "kern/cluster.hpp"
#include "kern/thread.hpp"
#include "median.hpp"
#include "mkh/machine.hpp"
#include "mm/memory.hpp"

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
  loop.fiber.init(
      stack.data(), stack.size(),
      [](void* arg) {
        auto* self = static_cast<FiberLoop*>(arg);
        for (uint64_t i = 0; i < self->iterations; ++i) self->fiber.suspend();
      },
      &loop);
  const auto start = Clock::now();
  for (uint64_t i = 0; i <= iterations; ++i) loop.fiber.resume();
  return ns_since(start, 2 * iterations);  // two switches per round trip
}

// --- thread switch: two kernel threads of one core yield to each other ------------------
struct YieldPair {
  uint64_t iterations = 0;
  std::atomic<int> finished{0};  // yielders past their loop: the second one times the pair
  std::atomic<int> done{0};      // yielders gone, ns written
  Clock::time_point start;
  double ns = 0;
};

void yielder(void* arg) {
  auto* pair = static_cast<YieldPair*>(arg);
  for (uint64_t i = 0; i < pair->iterations; ++i) kern::sched_yield();
  if (pair->finished.fetch_add(1) == 1) pair->ns = ns_since(pair->start, 2 * pair->iterations);
  pair->done.fetch_add(1);  // after ns: the waiter reads it once both are done
}

double bench_thread_switch(Machine& machine, uint64_t iterations) {
  YieldPair pair;
  pair.iterations = iterations;
  pair.start = Clock::now();
  const uint32_t cxy = machine.clusters()[0];
  if (!machine.spawn(cxy, 0, yielder, &pair, "yield-a") || !machine.spawn(cxy, 0, yielder, &pair, "yield-b")) return -1;
  wait_done(pair.done, 2);
  return pair.ns;
}

// --- block → unblock → run across clusters: a ping-pong of two threads -----------------
// Each message carries its round number, in the word after the receiver's flag (the same
// cache line): side 1 echoes it, and each side checks it got the round it waits for.
struct PingPong {
  uint64_t iterations = 0;
  hal::Xptr<uint32_t> flag[2];           // each side's flag, in its own cluster's bank
  hal::Xptr<uint32_t> round[2];          // the word after each flag
  std::atomic<uint64_t> thread[2] = {};  // each side's thread xptr
  std::atomic<int> ready{0};
  std::atomic<int> done{0};
  std::atomic<uint64_t> wrong{0};  // messages that did not carry the expected round
  double ns = 0;
};

template <int kSide>
void pinger(void* arg) {
  auto* p = static_cast<PingPong*>(arg);
  p->thread[kSide].store(kern::thread_current_xptr().raw());
  p->ready.fetch_add(1);
  while (p->ready.load() < 2) kern::sched_yield();
  const hal::Xptr<kern::Thread> other(p->thread[1 - kSide].load());
  uint64_t wrong = 0;
  const auto start = Clock::now();
  for (uint64_t i = 0; i < p->iterations; ++i) {
    const auto round = uint32_t(i + 1);
    if (kSide == 0) {
      hal::remote_store(p->round[1], round);
      kern::thread_post_flag(p->flag[1], other, kern::THREAD_BLOCKED_WAIT);
    }
    kern::thread_wait_flag(p->flag[kSide], kern::THREAD_BLOCKED_WAIT);
    wrong += hal::remote_load(p->round[kSide]) != round;
    if (kSide == 1) {
      hal::remote_store(p->round[0], round);
      kern::thread_post_flag(p->flag[0], other, kern::THREAD_BLOCKED_WAIT);
    }
  }
  if (kSide == 0) p->ns = ns_since(start, 2 * p->iterations);  // two hops per round trip
  p->wrong.fetch_add(wrong);
  p->done.fetch_add(1);
}

double bench_ping_pong(Machine& machine, uint64_t iterations) {
  PingPong p;
  p.iterations = iterations;
  const uint32_t a = machine.clusters().front(), b = machine.clusters().back();
  mm::Page* pages[2] = {};
  for (int side = 0; side < 2; ++side) {
    hal::ClusterScope scope(side == 0 ? a : b);
    auto page = mm::local_memory()->m_ppm.alloc_pages(0);
    if (!page) {
      if (side == 1) {
        hal::ClusterScope first(a);
        mm::local_memory()->m_ppm.free_pages(pages[0]);
      }
      return -1;
    }
    pages[side] = *page;
    auto* words = static_cast<uint32_t*>(mm::local_memory()->m_ppm.page_to_base(pages[side]));
    words[0] = 0;
    words[1] = 0;
    p.flag[side] = hal::Xptr<uint32_t>(hal::local_cxy(), &words[0]);
    p.round[side] = hal::Xptr<uint32_t>(hal::local_cxy(), &words[1]);
  }
  if (!machine.spawn(a, 0, pinger<0>, &p, "ping") || !machine.spawn(b, 0, pinger<1>, &p, "pong")) return -1;
  wait_done(p.done, 2);
  for (int side = 0; side < 2; ++side) {
    hal::ClusterScope scope(side == 0 ? a : b);
    mm::local_memory()->m_ppm.free_pages(pages[side]);
  }
  return p.wrong.load() == 0 ? p.ns : -1;
}

// --- allocators, from a host thread acting for cluster 0 ---------------------------------
double bench_ppm(Machine& machine, uint64_t iterations) {
  hal::ClusterScope scope(machine.clusters()[0]);
  mm::Ppm& ppm = mm::local_memory()->m_ppm;
  const auto start = Clock::now();
  for (uint64_t i = 0; i < iterations; ++i) {
    auto page = ppm.alloc_pages(0);
    if (!page) return -1;
    ppm.free_pages(*page);
  }
  return ns_since(start, iterations);
}

double bench_kcm(Machine& machine, uint64_t iterations) {
  hal::ClusterScope scope(machine.clusters()[0]);
  mm::Kcm& kcm = mm::local_memory()->m_kcm[uint32_t(mm::KcmType::GENERIC_64)];
  auto keep = kcm.alloc();  // keeps one block alive, as a busy cache has
  if (!keep) return -1;
  bool refused = false;
  const auto start = Clock::now();
  for (uint64_t i = 0; i < iterations && !refused; ++i) {
    auto object = kcm.alloc();
    refused = !object;
    if (object) kcm.free(*object);
  }
  const double ns = ns_since(start, iterations);
  kcm.free(*keep);
  return refused ? -1 : ns;
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

  std::string failed;  // the measures with a failed round
  for (const auto& [name, values] :
       {std::pair{"thread switch", &yield}, std::pair{"spinning ping-pong", &spin},
        std::pair{"sleeping ping-pong", &sleep}, std::pair{"ppm", &ppm}, std::pair{"kcm", &kcm}})
    if (std::any_of(values->begin(), values->end(), [](double v) { return v < 0; }))
      failed += fmt::format("{}{}", failed.empty() ? "" : ", ", name);

  const double m_bare = median(bare), m_yield = median(yield), m_spin = median(spin), m_sleep = median(sleep),
               m_ppm = median(ppm), m_kcm = median(kcm);
  if (options.json) {
    fmt::print(
        "{{\"rounds\": {}, \"fiber_switch_ns\": {:.1f}, \"thread_switch_ns\": {:.1f}, "
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
  if (!failed.empty()) {
    fmt::print(stderr, "mkh: bench core: failed: {} (a lost or wrong message, or an allocation refused)\n", failed);
    return 1;
  }
  if (leaked != 0) {
    fmt::print(stderr, "mkh: bench: {} pages or threads left behind\n", leaked);
    return 1;
  }
  return 0;
}

}  // namespace mkh::bench
