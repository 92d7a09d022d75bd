// The RPC measures, each on a freshly booted small machine so the rounds can interleave
// with the baselines: round trips with the server polling and asleep, non-blocking
// throughput 1->1 and N->1, two clusters sharing one host CPU, multicast to k clusters.
// Harness results are host memory; descriptors live in the client's stack or bank. Every
// answer is checked (a ping answers v+1): a wrong or missing one fails the measure. A ratio
// is the median of the ratios of one round (the vCPUs' placement may change between rounds,
// and each round reports the placement it saw); compared measures make the same calls.
#include "mkh/bench.hpp"

#include <linux/futex.h>
#include <sched.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
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

int64_t steady_now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count();
}

// Runs body() as a kernel thread on core 0 of each cluster of `clients`, once all have
// started; the measure runs from the first body's start to the last one's end. The harness
// thread sleeps in FUTEX_WAIT from the spawns to the last end: it wakes in no timed window.
struct Gang {
  std::atomic<uint32_t> ready{0};
  std::atomic<bool> abandon{false};  // a spawn failed: the started threads leave at once
  std::atomic<uint32_t> done{0};     // the harness sleeps on it (a futex word)
  std::atomic<int64_t> first_start_ns{INT64_MAX};
  std::atomic<int64_t> last_end_ns{0};
  uint64_t (*body)(Gang*, uint32_t) = nullptr;  // returns operations done
  std::atomic<uint64_t> operations{0};
  std::atomic<uint64_t> timed_ns{0};  // time spent inside the measured calls, when a body times them
  std::atomic<uint64_t> wrong{0};     // answers that were not the expected ones
  std::vector<double> call_ns;        // each call's time, when a one-client body times them
  std::vector<uint32_t> servers;
  uint64_t count = 0;
  uint32_t clients = 0;
};

static_assert(sizeof(std::atomic<uint32_t>) == sizeof(uint32_t) && std::atomic<uint32_t>::is_always_lock_free);

void futex_wake_all(std::atomic<uint32_t>& word) {
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(&word), FUTEX_WAKE_PRIVATE, INT32_MAX, nullptr, nullptr, 0);
}

// Sleeps until word >= target (FUTEX_WAIT returns at once if the word changed meanwhile).
void futex_wait_at_least(std::atomic<uint32_t>& word, uint32_t target) {
  uint32_t seen;
  while ((seen = word.load(std::memory_order_acquire)) < target)
    syscall(SYS_futex, reinterpret_cast<uint32_t*>(&word), FUTEX_WAIT_PRIVATE, seen, nullptr, nullptr, 0);
}

struct GangArg {
  Gang* gang;
  uint32_t index;
};

void gang_thread(void* raw) {
  const GangArg arg = *static_cast<GangArg*>(raw);
  Gang* g = arg.gang;
  g->ready.fetch_add(1);
  while (g->ready.load() < g->clients && !g->abandon.load()) kern::sched_yield();
  if (!g->abandon.load()) {
    const int64_t start = steady_now_ns();
    g->operations.fetch_add(g->body(g, arg.index));
    const int64_t end = steady_now_ns();
    int64_t seen = g->first_start_ns.load();
    while (start < seen && !g->first_start_ns.compare_exchange_weak(seen, start)) {}
    seen = g->last_end_ns.load();
    while (end > seen && !g->last_end_ns.compare_exchange_weak(seen, end)) {}
  }
  g->done.fetch_add(1, std::memory_order_release);
  futex_wake_all(g->done);
}

// Returns seconds, or -1 when the machine could not run it.
double run_gang(Machine& machine, const std::vector<uint32_t>& clients, Gang& g) {
  g.clients = uint32_t(clients.size());
  std::vector<GangArg> args(clients.size());
  for (uint32_t i = 0; i < clients.size(); ++i) {
    args[i] = GangArg{&g, i};
    if (!machine.spawn(clients[i], 0, gang_thread, &args[i], "bench")) {
      g.abandon.store(true);
      futex_wait_at_least(g.done, i);
      return -1;
    }
  }
  futex_wait_at_least(g.done, g.clients);
  return double(g.last_end_ns.load() - g.first_start_ns.load()) * 1e-9;
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

// ping_loop with each call timed (into g->call_ns): one client only.
uint64_t timed_ping_loop(Gang* g, uint32_t) {
  g->call_ns.reserve(g->count);
  uint64_t wrong = 0;
  auto start = Clock::now();
  for (uint64_t i = 0; i < g->count; ++i) {
    auto answer = rpc::rpc_call<rpc::RPC_MKH_PING>(g->servers[0], i);
    if (!answer) return 0;
    wrong += *answer != i + 1;
    const auto end = Clock::now();
    g->call_ns.push_back(std::chrono::duration<double, std::nano>(end - start).count());
    start = end;
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

// A figure and whether its threads ran where they were to be pinned; the median of the
// calls' times when the body timed them.
struct Measured {
  double value = -1;
  bool unpinned = false;
  double median_ns = -1;
};

// One measure on a fresh machine: ns per operation (or Mops when `mops`).
Measured measure(uint32_t clusters, int pin_cpu, uint32_t spin_us, uint64_t (*body)(Gang*, uint32_t), uint64_t count,
                 std::vector<uint32_t> client_positions, std::vector<uint32_t> server_positions, bool mops) {
  auto machine = boot_small(clusters, pin_cpu, spin_us);
  if (!machine) return {};
  Gang g;
  g.body = body;
  g.count = count;
  for (uint32_t p : server_positions) g.servers.push_back(machine->clusters()[p]);
  std::vector<uint32_t> clients;
  for (uint32_t p : client_positions) clients.push_back(machine->clusters()[p]);
  const double seconds = run_gang(*machine, clients, g);
  const MachineReport report = machine->shutdown();
  Measured result{-1, report.cores_unpinned != 0};
  if (seconds <= 0 || g.wrong.load() != 0 || g.operations.load() != count * clients.size()) return result;
  result.value = mops ? double(g.operations.load()) / seconds * 1e-6 : seconds * 1e9 / double(count);
  if (!g.call_ns.empty()) result.median_ns = median(std::move(g.call_ns));
  return result;
}

// The spin budget's trade-off: round trip and CPU burned per call when the server idles
// `pause_us` between calls, for several budgets.
struct SweepPoint {
  uint32_t spin_us;
  double rtt_ns;
  double cpu_us_per_call;
  bool unpinned;
};

double process_cpu_us() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return double(t.tv_sec) * 1e6 + double(t.tv_nsec) * 1e-3;
}

SweepPoint sweep_point(uint32_t spin_us, uint32_t pause_us) {
  SweepPoint point{spin_us, -1, -1, false};
  auto machine = boot_small(2, -1, spin_us);
  if (!machine) return point;
  Gang g;
  g.body = paced_ping_loop;
  g.count = pause_us;
  g.servers.push_back(machine->clusters()[1]);
  const double cpu_before = process_cpu_us();
  const double seconds = run_gang(*machine, {machine->clusters()[0]}, g);
  const double cpu = process_cpu_us() - cpu_before;
  point.unpinned = machine->shutdown().cores_unpinned != 0;
  if (seconds <= 0 || g.wrong.load() != 0 || g.operations.load() == 0) return point;
  const auto calls = double(g.operations.load());
  point.rtt_ns = double(g.timed_ns.load()) / calls;
  point.cpu_us_per_call = cpu / calls;
  return point;
}

// The first two host CPUs this process may run on (its affinity mask, as Machine's `pin`
// uses it): the baselines' threads go where the clusters' cores go.
std::pair<int, int> host_cpu_pair() {
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  std::vector<int> usable;
  if (sched_getaffinity(0, sizeof allowed, &allowed) == 0)
    for (int cpu = 0; cpu < CPU_SETSIZE && usable.size() < 2; ++cpu)
      if (CPU_ISSET(cpu, &allowed)) usable.push_back(cpu);
  if (usable.empty()) return {0, 1};  // pinning will fail and be reported
  return {usable.front(), usable.back()};
}

std::vector<std::string> quoted(const std::set<std::string>& names) {
  std::vector<std::string> out;
  for (const std::string& name : names) out.push_back(fmt::format("\"{}\"", name));
  return out;
}

// The host's placement of the two vCPUs, read from the round's floor: a line moves between
// them in ~50 ns (floor ~100 ns, "fast") or ~200 ns (floor ~400 ns, "slow"). A floor of a
// microsecond or more says the spinning threads lost their CPUs to other work ("loaded"):
// the placement cannot be read then.
constexpr double kSlowPlacementFloorNs = 200;
constexpr double kLoadedFloorNs = 1000;

const char* placement_of(double floor_ns) {
  if (floor_ns <= 0) return "unknown";  // the floor failed
  return floor_ns < kSlowPlacementFloorNs ? "fast" : floor_ns < kLoadedFloorNs ? "slow" : "loaded";
}

// Each ratio is the median over the rounds of numerator / denominator measured in that round.
struct RatioSpec {
  const char* name;
  const char* numerator;
  const char* denominator;
};
constexpr RatioSpec kRatios[] = {
    {"ratio_rpc_over_floor", "rpc_rtt_ns", "floor_rtt_ns"},
    {"ratio_rpc_over_floor_byref", "rpc_rtt_ns", "floor_byref_rtt_ns"},
    {"ratio_rpc_over_floor_slot", "rpc_rtt_ns", "floor_slot_rtt_ns"},
    {"ratio_floor_placed_slowest_over_fastest", "floor_placed_slowest_rtt_ns", "floor_placed_fastest_rtt_ns"},
    {"ratio_rpc_over_floor_placed_fastest", "rpc_rtt_ns", "floor_placed_fastest_rtt_ns"},
    {"ratio_floor_slot_over_atomic_queue", "floor_slot_rtt_ns", "atomic_queue_rtt_ns"},
    {"ratio_rpc_over_atomic_queue", "rpc_rtt_ns", "atomic_queue_rtt_ns"},
    {"ratio_rpc_over_atomic_queue_mpmc_byref", "rpc_rtt_ns", "atomic_queue_mpmc_byref_rtt_ns"},
    {"ratio_rpc_sleep_over_futex", "rpc_sleep_rtt_ns", "futex_rtt_ns"},
    {"ratio_rpc_sleep_over_futex_median", "rpc_sleep_rtt_median_ns", "futex_sleep_rtt_median_ns"},
    {"ratio_rpc_nb_over_atomic_queue_stream", "rpc_nb_mops", "atomic_queue_stream_mops"},
    {"ratio_shared_cpu_rpc_over_futex", "shared_cpu_rpc_ns", "shared_cpu_futex_ns"},
};

// The round-trip measures shown round by round (the placement moves them all together),
// with their column heading in the text report.
struct PerRoundColumn {
  const char* name;
  const char* heading;
};
constexpr PerRoundColumn kPerRound[] = {{"floor_rtt_ns", "floor"},
                                        {"floor_byref_rtt_ns", "floor_byref"},
                                        {"floor_slot_rtt_ns", "floor_slot"},
                                        {"atomic_queue_rtt_ns", "aq_1to1_value"},
                                        {"atomic_queue_mpmc_byref_rtt_ns", "aq_mpmc_byref"},
                                        {"rpc_rtt_ns", "rpc"}};

}  // namespace

int run_bench_rpc(const BenchRpcOptions& options) {
  // Calls per measure, the same for every measure compared with another.
  constexpr uint64_t kSpinRoundTrips = 50000;   // floors (each placement of the placed one), atomic_queue, rpc
  constexpr uint64_t kSleepRoundTrips = 3000;   // futex, condition variable, rpc with the server asleep
  constexpr uint64_t kStreamMessages = 200000;  // rpc non-blocking, atomic_queue streaming (1->1 and 2->1)
  constexpr uint64_t kSharedCpuRoundTrips = 5000;
  const auto [cpu_a, cpu_b] = host_cpu_pair();

  std::map<std::string, std::vector<double>> rounds;
  std::set<std::string> unpinned;  // the measures with a thread that could not be pinned
  auto record = [&](const std::string& name, Measured figure) {
    rounds[name].push_back(figure.value);
    if (figure.unpinned) unpinned.insert(name);
  };
  // A host baseline: fn(setup) with the pinning failure collected.
  auto host = [&](int a, int b, auto fn) {
    bool pin_failed = false;
    const double value = fn(bench::PingPongSetup{a, b, true, &pin_failed});
    return Measured{value, pin_failed};
  };
  // A warm-up round, not recorded: the first measures of a process ran slow (the floor
  // about twice its figure of the next rounds, the RPC ten times) while the host brought
  // the process's memory and CPUs up to speed.
  {
    using namespace bench;
    (void)host(cpu_a, cpu_b, [&](PingPongSetup s) { return floor_rtt_ns(kSpinRoundTrips, s); });
    (void)measure(2, -1, options.spin_us, ping_loop, kSpinRoundTrips, {0}, {1}, false);
  }
  for (uint32_t round = 0; round < options.rounds; ++round) {
    using namespace bench;
    const uint64_t n = kSpinRoundTrips;
    record("floor_rtt_ns", host(cpu_a, cpu_b, [&](PingPongSetup s) { return floor_rtt_ns(n, s); }));
    record("rpc_rtt_ns", measure(2, -1, options.spin_us, ping_loop, n, {0}, {1}, false));
    record("atomic_queue_rtt_ns", host(cpu_a, cpu_b, [&](PingPongSetup s) { return atomic_queue_rtt_ns(n, s); }));
    record("floor_byref_rtt_ns", host(cpu_a, cpu_b, [&](PingPongSetup s) { return floor_byref_rtt_ns(n, s); }));
    record("floor_slot_rtt_ns", host(cpu_a, cpu_b, [&](PingPongSetup s) { return floor_slot_rtt_ns(n, s); }));
    if (spin_placement_supported()) {
      // The two-line floor with its spin loops at each placement: the fastest and the slowest.
      std::vector<double> placed;
      bool placed_unpinned = false;
      for (uint32_t placement = 0; placement < kSpinPlacements; ++placement) {
        const Measured figure =
            host(cpu_a, cpu_b, [&](PingPongSetup s) { return floor_placed_rtt_ns(n, placement, s); });
        placed.push_back(figure.value);
        placed_unpinned = placed_unpinned || figure.unpinned;
      }
      const bool placed_failed = std::any_of(placed.begin(), placed.end(), [](double v) { return v < 0; });
      const auto [fastest, slowest] = std::minmax_element(placed.begin(), placed.end());
      record("floor_placed_fastest_rtt_ns", Measured{placed_failed ? -1 : *fastest, placed_unpinned});
      record("floor_placed_slowest_rtt_ns", Measured{placed_failed ? -1 : *slowest, placed_unpinned});
    }
    record("atomic_queue_mpmc_byref_rtt_ns",
           host(cpu_a, cpu_b, [&](PingPongSetup s) { return atomic_queue_mpmc_byref_rtt_ns(n, s); }));
    // The sleeping round trips: means, and medians of the calls' times (the futex ping-pong's
    // of those in which its answerer slept).
    const uint64_t sleeps = kSleepRoundTrips;
    double futex_median_ns = -1;
    const Measured futex =
        host(cpu_a, cpu_b, [&](PingPongSetup s) { return futex_rtt_ns(sleeps, s, &futex_median_ns); });
    record("futex_rtt_ns", futex);
    record("futex_sleep_rtt_median_ns", Measured{futex_median_ns, futex.unpinned});
    const Measured rpc_sleep = measure(2, -1, 0, timed_ping_loop, sleeps, {0}, {1}, false);
    record("rpc_sleep_rtt_ns", rpc_sleep);
    record("rpc_sleep_rtt_median_ns", Measured{rpc_sleep.median_ns, rpc_sleep.unpinned});
    record("condvar_rtt_ns", host(cpu_a, cpu_b, [&](PingPongSetup s) { return condvar_rtt_ns(sleeps, s); }));
    const uint64_t stream = kStreamMessages;
    record("rpc_nb_mops", measure(2, -1, options.spin_us, stream_loop, stream, {0}, {1}, true));
    record("atomic_queue_stream_mops",
           host(cpu_a, cpu_b, [&](PingPongSetup s) { return atomic_queue_stream_mops(stream, 1, s); }));
    record("rpc_nb_n1_mops", measure(3, -1, options.spin_us, stream_loop, stream / 2, {1, 2}, {0}, true));
    record("atomic_queue_stream_n1_mops",
           host(cpu_a, cpu_b, [&](PingPongSetup s) { return atomic_queue_stream_mops(stream, 2, s); }));
    const uint64_t shared = kSharedCpuRoundTrips;
    record("shared_cpu_rpc_ns", measure(2, cpu_a, options.spin_us, ping_loop, shared, {0}, {1}, false));
    record("shared_cpu_futex_ns", host(cpu_a, cpu_a, [&](PingPongSetup s) { return futex_rtt_ns(shared, s); }));
    record("multicast4_ns", measure(4, -1, options.spin_us, multicast_loop, 2000, {0}, {0, 1, 2, 3}, false));
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
  for (const RatioSpec& ratio : kRatios) {
    const std::vector<double>& numerators = rounds[ratio.numerator];
    const std::vector<double>& denominators = rounds[ratio.denominator];
    std::vector<double> per_round;
    for (std::size_t r = 0; r < numerators.size(); ++r)
      if (numerators[r] > 0 && denominators[r] > 0) per_round.push_back(numerators[r] / denominators[r]);
    m[ratio.name] = median(per_round);
  }
  // The placement each round saw, and its round-trip figures.
  std::vector<std::string> placements;
  std::string per_round_json, per_round_text;
  for (uint32_t r = 0; r < options.rounds; ++r) {
    const double floor_ns = rounds["floor_rtt_ns"][r];
    placements.push_back(placement_of(floor_ns));
    std::string fields = fmt::format("\"placement\": \"{}\"", placements.back());
    std::string line = fmt::format("  round {:>3}: {:<7}", r + 1, placements.back());
    for (const PerRoundColumn& column : kPerRound) {
      fields += fmt::format(", \"{}\": {:.1f}", column.name, rounds[column.name][r]);
      line += fmt::format(" {:>14.0f}", rounds[column.name][r]);
    }
    per_round_json += fmt::format("{}{{{}}}", r == 0 ? "" : ", ", fields);
    per_round_text += line + "\n";
  }
  m["placement_fast_rounds"] = double(std::count(placements.begin(), placements.end(), "fast"));
  m["placement_slow_rounds"] = double(std::count(placements.begin(), placements.end(), "slow"));
  m["placement_loaded_rounds"] = double(std::count(placements.begin(), placements.end(), "loaded"));

  std::string sweep_json, sweep_text;
  for (uint32_t budget : budgets) {
    std::vector<double> rtt, cpu;
    for (const SweepPoint& p : sweep[budget]) {
      if (p.rtt_ns < 0) failed.insert(fmt::format("spin sweep at {} us", budget));
      if (p.unpinned) unpinned.insert(fmt::format("spin sweep at {} us", budget));
      rtt.push_back(p.rtt_ns);
      cpu.push_back(p.cpu_us_per_call);
    }
    sweep_json += fmt::format("{}{{\"spin_us\": {}, \"rtt_ns\": {:.0f}, \"cpu_us_per_call\": {:.1f}}}",
                              sweep_json.empty() ? "" : ", ", budget, median(rtt), median(cpu));
    sweep_text += fmt::format("  spin {:>4} us: round trip {:>9.0f} ns, CPU {:>7.1f} us per call\n", budget,
                              median(rtt), median(cpu));
  }

  m["unpinned_measures"] = double(unpinned.size());
  if (options.json) {
    std::string json = fmt::format("{{\"rounds\": {}, \"spin_us\": {}", options.rounds, options.spin_us);
    for (const auto& [name, value] : m) json += fmt::format(", \"{}\": {:.3f}", name, value);
    fmt::print("{}, \"per_round\": [{}], \"unpinned\": [{}], \"spin_sweep_pause_us\": {}, \"spin_sweep\": [{}]}}\n",
               json, per_round_json, fmt::join(quoted(unpinned), ", "), kPauseUs, sweep_json);
  } else {
    fmt::print(
        "mkh bench rpc: medians of {} interleaved rounds (spin budget {} us); ratios: medians of the\n"
        "per-round ratios\n",
        options.rounds, options.spin_us);
    for (const auto& [name, value] : m) fmt::print("  {:<40} {:>12.3f}\n", name, value);
    fmt::print(
        "round trips (ns) per round, placement read from the floor (fast below {:.0f} ns, loaded from {:.0f} ns):\n",
        kSlowPlacementFloorNs, kLoadedFloorNs);
    fmt::print("  {:<18}", "");
    for (const PerRoundColumn& column : kPerRound) fmt::print(" {:>14}", column.heading);
    fmt::print("\n{}", per_round_text);
    fmt::print("spin budget trade-off, calls {} us apart:\n{}", kPauseUs, sweep_text);
  }
  if (!unpinned.empty())
    fmt::print(stderr, "mkh: bench rpc: not pinned (threads ran where the host put them): {}\n",
               fmt::join(unpinned, ", "));
  if (!failed.empty()) {
    fmt::print(stderr, "mkh: bench rpc: failed: {} (lost or wrong messages, or a machine did not boot)\n",
               fmt::join(failed, ", "));
    return 1;
  }
  return 0;
}

}  // namespace mkh::bench
