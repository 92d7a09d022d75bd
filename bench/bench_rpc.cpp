// The RPC measures, each on a freshly booted small machine so the rounds can interleave
// with the baselines: round trips with the server polling and asleep, non-blocking
// throughput 1->1 and N->1, two clusters sharing one host CPU, multicast to k clusters.
// Harness results are host memory; descriptors live in the client's stack or bank. Every
// answer is checked (a ping answers v+1): a wrong or missing one fails the measure.
#include "mkh/bench.hpp"

#include <time.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "baselines.hpp"
#include "kern/cluster.hpp"
#include "kern/sched.hpp"
#include "kern/thread.hpp"
#include "median.hpp"
#include "mkh/machine.hpp"
#include "mm/kmem.hpp"
#include "rpc/marshal.hpp"
#include "rpc/services/mkh.hpp"

namespace mkh::bench {

namespace {

using Clock = std::chrono::steady_clock;

// Runs body() as a kernel thread on core 0 of each cluster of `clients`, after all have
// started; returns the seconds from the common start to the last finish.
struct Gang {
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  std::atomic<int> done{0};
  Clock::time_point start;
  std::atomic<int64_t> last_end_ns{0};
  uint64_t (*body)(Gang*, uint32_t) = nullptr;  // returns operations done
  std::atomic<uint64_t> operations{0};
  std::atomic<uint64_t> timed_ns{0};  // time spent inside the measured calls, when a body times them
  std::atomic<uint64_t> wrong{0};     // answers that were not the expected ones
  std::vector<uint32_t> servers;
  uint64_t count = 0;
};

struct GangArg {
  Gang* gang;
  uint32_t index;
};

void gang_thread(void* raw) {
  const GangArg arg = *static_cast<GangArg*>(raw);
  Gang* g = arg.gang;
  g->ready.fetch_add(1);
  while (!g->go.load()) kern::sched_yield();
  g->operations.fetch_add(g->body(g, arg.index));
  const int64_t end = std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - g->start).count();
  int64_t seen = g->last_end_ns.load();
  while (end > seen && !g->last_end_ns.compare_exchange_weak(seen, end)) {}
  g->done.fetch_add(1);
}

// Returns seconds, or -1 when the machine could not run it.
double run_gang(Machine& machine, const std::vector<uint32_t>& clients, Gang& g) {
  std::vector<GangArg> args(clients.size());
  for (uint32_t i = 0; i < clients.size(); ++i) {
    args[i] = GangArg{&g, i};
    if (!machine.spawn(clients[i], 0, gang_thread, &args[i], "bench")) return -1;
  }
  while (g.ready.load() < int(clients.size())) std::this_thread::yield();
  g.start = Clock::now();
  g.go.store(true);
  while (g.done.load() < int(clients.size())) std::this_thread::sleep_for(std::chrono::microseconds(100));
  return double(g.last_end_ns.load()) * 1e-9;
}

uint64_t ping_loop(Gang* g, uint32_t) {
  uint64_t wrong = 0;
  for (uint64_t i = 0; i < g->count; ++i) {
    auto answer = rpc::rpc_call<rpc::RPC_MKH_PING>(g->servers[0], i);
    if (!answer) return 0;
    wrong += *answer != i + 1;
  }
  g->wrong.fetch_add(wrong);
  return g->count;
}

// Non-blocking pings with a window of descriptors in flight (in this cluster's bank).
uint64_t stream_loop(Gang* g, uint32_t) {
  constexpr uint32_t kWindow = 32;
  auto page = mm::kmem_alloc_pages(2);
  if (!page) return 0;
  auto* descs = new (mm::kmem_page_base(*page)) rpc::RpcDesc[kWindow];
  uint64_t sent = 0, wrong = 0;
  // A served descriptor holds its answer, args[1] = args[0] + 1 (checked before its reuse).
  auto check = [&](const rpc::RpcDesc& d) { wrong += d.args[1] != d.args[0] + 1; };
  for (uint64_t i = 0; i < g->count; ++i) {
    rpc::RpcDesc& d = descs[i % kWindow];
    uint32_t spins = 0;
    while (hal::local_load(d.response) != 0) hal::cpu_relax(spins);  // its previous use is served
    if (i >= kWindow) check(d);
    d.index = rpc::RPC_MKH_PING;
    d.blocking = 0;
    d.args[0] = i;
    d.args[1] = 0;
    if (rpc::rpc_send(g->servers[0], &d)) ++sent;
  }
  for (uint32_t w = 0; w < kWindow; ++w) {
    uint32_t spins = 0;
    while (hal::local_load(descs[w].response) != 0) hal::cpu_relax(spins);
    if (w < g->count) check(descs[w]);
  }
  mm::kmem_free_pages(*page);
  g->wrong.fetch_add(wrong);
  return sent;
}

// Calls separated by a pause of the client (its host thread sleeps g->count us): the
// server idles between calls, so its spin budget decides whether it polls or sleeps.
// Only the calls are timed (g->timed_ns).
uint64_t paced_ping_loop(Gang* g, uint32_t) {
  constexpr uint64_t kCalls = 400;
  for (uint64_t i = 0; i < kCalls; ++i) {
    std::this_thread::sleep_for(std::chrono::microseconds(g->count));
    const auto start = Clock::now();
    auto answer = rpc::rpc_call<rpc::RPC_MKH_PING>(g->servers[0], i);
    if (!answer) return 0;
    if (*answer != i + 1) g->wrong.fetch_add(1);
    g->timed_ns.fetch_add(uint64_t(std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start).count()));
  }
  return kCalls;
}

// Every server writes the same answer into the shared descriptor: v+1.
uint64_t multicast_loop(Gang* g, uint32_t) {
  uint64_t wrong = 0;
  for (uint64_t i = 0; i < g->count; ++i) {
    rpc::RpcDesc desc;
    desc.index = rpc::RPC_MKH_PING;
    desc.args[0] = i;
    if (!rpc::rpc_multicast(g->servers.data(), uint32_t(g->servers.size()), &desc)) return 0;
    wrong += desc.args[1] != i + 1;
  }
  g->wrong.fetch_add(wrong);
  return g->count;
}

std::unique_ptr<Machine> boot_small(uint32_t clusters, int pin_cpu, uint32_t spin_us) {
  MachineConfig config;
  config.topology = Topology{clusters, 1, 1};
  config.bank_mib = 16;
  config.quiet = true;
  config.pin = pin_cpu < 0;
  config.pin_cpu = pin_cpu;
  config.idle_spin_us = spin_us;
  auto machine = Machine::boot(config);
  return machine ? std::move(*machine) : nullptr;
}

// One measure on a fresh machine: ns per operation (or Mops when `mops`).
double measure(uint32_t clusters, int pin_cpu, uint32_t spin_us, uint64_t (*body)(Gang*, uint32_t), uint64_t count,
               std::vector<uint32_t> client_positions, std::vector<uint32_t> server_positions, bool mops) {
  auto machine = boot_small(clusters, pin_cpu, spin_us);
  if (!machine) return -1;
  Gang g;
  g.body = body;
  g.count = count;
  for (uint32_t p : server_positions) g.servers.push_back(machine->clusters()[p]);
  std::vector<uint32_t> clients;
  for (uint32_t p : client_positions) clients.push_back(machine->clusters()[p]);
  const double seconds = run_gang(*machine, clients, g);
  machine->shutdown();
  if (seconds <= 0 || g.wrong.load() != 0 || g.operations.load() != count * clients.size()) return -1;
  return mops ? double(g.operations.load()) / seconds * 1e-6 : seconds * 1e9 / double(count);
}

// The spin budget's trade-off: round trip and CPU burned per call when the server idles
// `pause_us` between calls, for several budgets.
struct SweepPoint {
  uint32_t spin_us;
  double rtt_ns;
  double cpu_us_per_call;
};

double process_cpu_us() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return double(t.tv_sec) * 1e6 + double(t.tv_nsec) * 1e-3;
}

SweepPoint sweep_point(uint32_t spin_us, uint32_t pause_us) {
  SweepPoint point{spin_us, -1, -1};
  auto machine = boot_small(2, -1, spin_us);
  if (!machine) return point;
  Gang g;
  g.body = paced_ping_loop;
  g.count = pause_us;
  g.servers.push_back(machine->clusters()[1]);
  const double cpu_before = process_cpu_us();
  const double seconds = run_gang(*machine, {machine->clusters()[0]}, g);
  const double cpu = process_cpu_us() - cpu_before;
  machine->shutdown();
  if (seconds <= 0 || g.wrong.load() != 0 || g.operations.load() == 0) return point;
  const auto calls = double(g.operations.load());
  point.rtt_ns = double(g.timed_ns.load()) / calls;
  point.cpu_us_per_call = cpu / calls;
  return point;
}

}  // namespace

int run_bench_rpc(const BenchRpcOptions& options) {
  std::map<std::string, std::vector<double>> rounds;
  const bench::PingPongSetup cpus{0, 1, true, nullptr};
  for (uint32_t round = 0; round < options.rounds; ++round) {
    rounds["floor_rtt_ns"].push_back(bench::floor_rtt_ns(100000, cpus));
    rounds["rpc_rtt_ns"].push_back(measure(2, -1, options.spin_us, ping_loop, 20000, {0}, {1}, false));
    rounds["atomic_queue_rtt_ns"].push_back(bench::atomic_queue_rtt_ns(100000, cpus));
    rounds["futex_rtt_ns"].push_back(bench::futex_rtt_ns(3000, cpus));
    rounds["rpc_sleep_rtt_ns"].push_back(measure(2, -1, 0, ping_loop, 3000, {0}, {1}, false));
    rounds["condvar_rtt_ns"].push_back(bench::condvar_rtt_ns(3000, cpus));
    rounds["rpc_nb_mops"].push_back(measure(2, -1, options.spin_us, stream_loop, 200000, {0}, {1}, true));
    rounds["atomic_queue_stream_mops"].push_back(bench::atomic_queue_stream_mops(1000000, 1, cpus));
    rounds["rpc_nb_n1_mops"].push_back(measure(3, -1, options.spin_us, stream_loop, 100000, {1, 2}, {0}, true));
    rounds["atomic_queue_stream_n1_mops"].push_back(bench::atomic_queue_stream_mops(1000000, 2, cpus));
    rounds["shared_cpu_rpc_ns"].push_back(measure(2, 0, options.spin_us, ping_loop, 5000, {0}, {1}, false));
    rounds["shared_cpu_futex_ns"].push_back(bench::shared_cpu_futex_ns(5000, 0));
    rounds["multicast4_ns"].push_back(measure(4, -1, options.spin_us, multicast_loop, 2000, {0}, {0, 1, 2, 3}, false));
  }
  // The spin budget's trade-off, interleaved over the budgets, medians per budget.
  constexpr uint32_t kPauseUs = 100;
  const uint32_t budgets[] = {0, 20, 50, 200};
  std::map<uint32_t, std::vector<SweepPoint>> sweep;
  for (uint32_t round = 0; round < std::max(3u, options.rounds / 3); ++round)
    for (uint32_t budget : budgets) sweep[budget].push_back(sweep_point(budget, kPauseUs));

  std::map<std::string, double> m;
  std::set<std::string> failed;  // the measures with a failed round
  for (auto& [name, values] : rounds) {
    if (std::any_of(values.begin(), values.end(), [](double v) { return v < 0; })) failed.insert(name);
    m[name] = median(values);
  }
  m["ratio_rpc_over_floor"] = m["rpc_rtt_ns"] / m["floor_rtt_ns"];
  m["ratio_rpc_over_atomic_queue"] = m["rpc_rtt_ns"] / m["atomic_queue_rtt_ns"];
  m["ratio_rpc_sleep_over_futex"] = m["rpc_sleep_rtt_ns"] / m["futex_rtt_ns"];
  m["ratio_rpc_nb_over_atomic_queue_stream"] = m["rpc_nb_mops"] / m["atomic_queue_stream_mops"];
  m["ratio_shared_cpu_rpc_over_futex"] = m["shared_cpu_rpc_ns"] / m["shared_cpu_futex_ns"];

  std::string sweep_json, sweep_text;
  for (uint32_t budget : budgets) {
    std::vector<double> rtt, cpu;
    for (const SweepPoint& p : sweep[budget]) {
      if (p.rtt_ns < 0) failed.insert(fmt::format("spin sweep at {} us", budget));
      rtt.push_back(p.rtt_ns);
      cpu.push_back(p.cpu_us_per_call);
    }
    sweep_json += fmt::format("{}{{\"spin_us\": {}, \"rtt_ns\": {:.0f}, \"cpu_us_per_call\": {:.1f}}}",
                              sweep_json.empty() ? "" : ", ", budget, median(rtt), median(cpu));
    sweep_text += fmt::format("  spin {:>4} us: round trip {:>9.0f} ns, CPU {:>7.1f} us per call\n", budget,
                              median(rtt), median(cpu));
  }

  if (options.json) {
    std::string json = fmt::format("{{\"rounds\": {}, \"spin_us\": {}", options.rounds, options.spin_us);
    for (const auto& [name, value] : m) json += fmt::format(", \"{}\": {:.3f}", name, value);
    fmt::print("{}, \"spin_sweep_pause_us\": {}, \"spin_sweep\": [{}]}}\n", json, kPauseUs, sweep_json);
  } else {
    fmt::print("mkh bench rpc: medians of {} interleaved rounds (spin budget {} us)\n", options.rounds,
               options.spin_us);
    for (const auto& [name, value] : m) fmt::print("  {:<40} {:>12.3f}\n", name, value);
    fmt::print("spin budget trade-off, calls {} us apart:\n{}", kPauseUs, sweep_text);
  }
  if (!failed.empty()) {
    fmt::print(stderr, "mkh: bench rpc: failed: {} (lost or wrong messages, or a machine did not boot)\n",
               fmt::join(failed, ", "));
    return 1;
  }
  return 0;
}

}  // namespace mkh::bench
