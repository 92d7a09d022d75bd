// The soak (soak.hpp): run_soak, the master kernel thread, the snapshot of the figures and
// the final invariants; the workers and their operations are in workload.cpp, the run's
// record in run.hpp. Layer: soak. Calls the public Machine API, kern threads, the
// THREAD_KERNEL_CREATE client, the RPC counters of every cluster (through hal::remote_*)
// and the hal fault counters.
//
// Threads. run_soak spawns one master kernel thread (cluster 0, core 0) before
// Machine::start(). The master creates the workers of its own cluster with thread_create
// and, through THREAD_KERNEL_CREATE, one leader in every other cluster, which creates that
// cluster's workers, one per core. Each worker arrives at a gate blocked; the master opens
// it once all have arrived, waits until all have finished and every thread they created
// is gone, then takes the snapshot of the figures from inside the machine.
#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "dev/dev.hpp"
#include "hal/fault.hpp"
#include "kern/cluster.hpp"
#include "kern/sched.hpp"
#include "kern/thread.hpp"
#include "mkh/machine.hpp"
#include "mkh/soak.hpp"
#include "rpc/catalog.hpp"
#include "rpc/rpc.hpp"
#include "rpc/services/thread.hpp"
#include "rpc/state.hpp"
#include "soak/run.hpp"

namespace mkh::soak {

std::string_view op_kind_name(OpKind kind) {
  switch (kind) {
#define MKH_X(name, label) \
  case OpKind::name: return label;
    MKH_SOAK_OPS(MKH_X)
#undef MKH_X
    case OpKind::kCount: break;
  }
  return "?";
}

uint64_t SoakCounts::ops_total() const {
  uint64_t total = 0;
  for (uint64_t n : ops) total += n;
  return total;
}

namespace detail {

constexpr uint32_t kMaxMessages = 20;  // violations kept as text

std::atomic<SoakRun*> g_run{nullptr};

void violation(SoakRun& run, std::string message) {
  bump(run.failures);
  libk::HostMutexGuard guard(run.messages_lock);
  if (run.messages.size() < kMaxMessages) run.messages.push_back(std::move(message));
}

bool expected_error(Errno e, bool allocates) { return e == Errno::kAgain || (allocates && e == Errno::kNoMem); }

namespace {

// The master waits on two flags, one per event (kArrived, kFinished): when no worker could
// be created both come at once, and a flag takes one post at a time.
enum MasterEvent : uint32_t { kArrived = 0, kFinished = 1 };

void post_master(SoakRun& run, MasterEvent event) {
  kern::thread_post_flag(hal::Xptr<uint32_t>(run.master_flags.load()) + event,
                         hal::Xptr<kern::Thread>(run.master_thread.load()), kern::THREAD_BLOCKED_WAIT);
}

}  // namespace

void worker_arrived(SoakRun& run) {
  if (run.arrived.fetch_add(1) + 1 == run.worker_count) post_master(run, kArrived);
}
void worker_finished(SoakRun& run) {
  if (run.finished.fetch_add(1) + 1 == run.worker_count) post_master(run, kFinished);
}

}  // namespace detail

using namespace detail;  // run.hpp: the run's record, shared with workload.cpp

namespace {

// Kernel threads alive other than idle and RPC threads, from the cores' counters. Read in
// an order that may count a thread going away as still there, never the reverse:
// destroyed before created, RPC threads reclaimed before created.
int64_t live_kernel_threads(const SoakRun& run) {
  int64_t live = 0;
  for (uint32_t cxy : run.clusters) {
    for (hal::lid_t lid = 0; lid < run.cores_per_cluster; ++lid) {
      const auto stats = kern::core_xptr(cxy, lid).field(&kern::Core::m_stats);
      rpc::RpcCoreState& pool = rpc::local_rpc_state()->m_cores[lid];
      const uint64_t destroyed = hal::remote_load(stats.field(&kern::CoreStats::threads_destroyed));
      const uint64_t reclaimed = hal::remote_load(hal::cluster_field(cxy, &pool.m_threads_reclaimed));
      const uint64_t rpc_created = hal::remote_load(hal::cluster_field(cxy, &pool.m_threads_created));
      const uint64_t created = hal::remote_load(stats.field(&kern::CoreStats::threads_created));
      live += int64_t(created - destroyed) - int64_t(rpc_created - reclaimed) - 1;  // - the idle thread
    }
  }
  return live - int64_t(dev::dev_server_threads());  // the machine's own DEV threads
}

// The RPC counters of every index with activity, summed over the clusters (kernel side).
std::vector<SoakRpcFigures> read_rpc_figures(const std::vector<uint32_t>& clusters) {
  std::vector<SoakRpcFigures> out;
  for (uint32_t slot = 0; slot < rpc::kRpcStatSlots; ++slot) {
    SoakRpcFigures f;
    f.index = rpc::rpc_slot_index(slot);
    f.name = std::string(rpc::rpc_slot_name(slot));
    rpc::RpcIndexStats& local = rpc::local_rpc_state()->m_stats[slot];
    for (uint32_t cxy : clusters) {
      f.sent += hal::remote_load(hal::cluster_field(cxy, &local.sent));
      f.served += hal::remote_load(hal::cluster_field(cxy, &local.served));
      f.errors += hal::remote_load(hal::cluster_field(cxy, &local.errors));
      f.send_failures += hal::remote_load(hal::cluster_field(cxy, &local.send_failures));
      f.direct += hal::remote_load(hal::cluster_field(cxy, &local.direct));
      f.fifo_full_retries += hal::remote_load(hal::cluster_field(cxy, &local.fifo_full_retries));
    }
    if (f.sent + f.served + f.send_failures + f.direct != 0) out.push_back(std::move(f));
  }
  return out;
}

// The same from a machine report (host side, after shutdown).
std::vector<SoakRpcFigures> rpc_figures_of(const MachineReport& report) {
  std::map<uint32_t, SoakRpcFigures> by_slot;
  for (const ClusterReport& c : report.clusters) {
    for (const RpcIndexReport& r : c.rpc) {
      SoakRpcFigures& f = by_slot[rpc::rpc_stat_slot(r.index)];
      f.index = r.index;
      f.name = r.name;
      f.sent += r.sent;
      f.served += r.served;
      f.errors += r.errors;
      f.send_failures += r.send_failures;
      f.direct += r.direct;
      f.fifo_full_retries += r.fifo_full_retries;
    }
  }
  std::vector<SoakRpcFigures> out;
  for (auto& [slot, f] : by_slot) out.push_back(std::move(f));
  return out;
}

// The counts the workload determines, from the soak's counters and the given RPC figures.
SoakCounts counts_of(SoakRun& run, std::vector<SoakRpcFigures> rpc, const FaultReport& faults) {
  SoakCounts c;
  c.workers = run.worker_count;
  for (uint32_t kind = 0; kind < kOpKinds; ++kind) c.ops[kind] = read(run.ops[kind]);
  c.window_requests = read(run.window_requests);
  c.multicast_posts = read(run.multicast_posts);
  c.chain_levels = read(run.chain_levels);
  c.chains_without_token = read(run.chains_without_token);
  c.children_created = read(run.children_created);
  c.children_finished = read(run.children_finished);
  c.children_killed = read(run.children_killed);
  c.child_pings = read(run.child_pings);
  c.pages_allocated = read(run.pages_allocated);
  c.objects_allocated = read(run.objects_allocated);
  for (const SoakRpcFigures& f : rpc) {
    c.rpc_sent += f.sent;
    c.rpc_served += f.served;
    c.rpc_send_failures += f.send_failures;
    c.rpc_direct += f.direct;
    c.fifo_full_retries += f.fifo_full_retries;
  }
  c.rpc = std::move(rpc);
  for (uint32_t e = 1; e < kErrnoSlots; ++e)
    if (const uint64_t n = read(run.errors[e]); n != 0) c.errors_returned.push_back(SoakErrorCount{Errno(e), n});
  c.faults = faults;
  c.invariant_checks = read(run.checks);
  return c;
}

void master_entry(void* raw) {
  SoakRun& run = *static_cast<SoakRun*>(raw);
  uint32_t flags[2] = {0, 0};  // by MasterEvent
  const hal::Xptr<uint32_t> flags_xp(hal::local_cxy(), flags);
  run.master_flags.store(flags_xp.raw());
  run.master_thread.store(kern::thread_current_xptr().raw());

  for (uint32_t ci = 0; ci < run.clusters.size(); ++ci) {
    const hal::cxy_t cxy = run.clusters[ci];
    if (cxy == hal::local_cxy()) {
      create_workers_here(run, ci);
      continue;
    }
    Errno last = Errno::kOk;
    for (uint32_t attempt = 0; attempt < kTries; ++attempt) {
      auto leader = call<rpc::RPC_THREAD_KERNEL_CREATE>(run, cxy, kern::ThreadType::DEV,
                                                        kern::ThreadEntry(&leader_entry), &run.leader_cluster[ci]);
      last = leader ? Errno::kOk : leader.error();
      if (!expected_error(last, true)) break;
      kern::sched_yield();
    }
    if (last == Errno::kOk) continue;
    violation(run, fmt::format("setup: cannot create the worker leader of cluster {:#x}: {}", cxy, errno_name(last)));
    for (uint32_t lid = 0; lid < run.cores_per_cluster; ++lid) {
      worker_arrived(run);
      worker_finished(run);
    }
  }

  kern::thread_wait_flag(flags_xp + kArrived, kern::THREAD_BLOCKED_WAIT);
  for (uint32_t w = 0; w < run.worker_count; ++w)
    if (const hal::xptr_t thread = run.workers[w].thread.load(); thread != hal::XPTR_NULL)
      kern::thread_unblock(hal::Xptr<kern::Thread>(thread), kern::THREAD_BLOCKED_WAIT);
  kern::thread_wait_flag(flags_xp + kFinished, kern::THREAD_BLOCKED_WAIT);

  // The children (and the last workers) end on their cores: wait until only this thread
  // is left, yielding, so that every figure of the workload is final.
  uint32_t spins = 0;
  while (live_kernel_threads(run) > 1) {
    kern::sched_yield();
    hal::cpu_relax(spins);
  }
  run.snapshot = counts_of(run, read_rpc_figures(run.clusters), hal::fault_counts());
  run.snapshot_taken = true;
  run.ended = std::chrono::steady_clock::now();
  run.master_done.store(true, std::memory_order_release);
}

// ---- the invariants after shutdown ---------------------------------------------------

const SoakRpcFigures* find_index(const std::vector<SoakRpcFigures>& rpc, uint32_t index) {
  for (const SoakRpcFigures& f : rpc)
    if (f.index == index) return &f;
  return nullptr;
}

void check_final(SoakRun& run, const MachineReport& boot, const MachineReport& report) {
  const SoakOptions& options = *run.options;
  check(run, run.finished.load() == run.worker_count, "{} of {} workers finished", run.finished.load(),
        run.worker_count);
  uint64_t ops = 0;
  for (const auto& n : run.ops) ops += read(n);
  if (!run.timed) check(run, ops == options.ops, "{} operations done of {} asked", ops, options.ops);

  // Every request served exactly once, none after the workload, all accounted for.
  const std::vector<SoakRpcFigures> rpc = rpc_figures_of(report);
  static const SoakRpcFigures kNone{};
  for (const SoakRpcFigures& f : rpc)
    check(run, f.sent == f.served, "{}: {} requests sent, {} served", f.name, f.sent, f.served);
  if (run.snapshot_taken) {
    for (const SoakRpcFigures& f : rpc) {
      const SoakRpcFigures* at_end = find_index(run.snapshot.rpc, f.index);
      const SoakRpcFigures& then = at_end != nullptr ? *at_end : kNone;
      check(run, then.sent == f.sent && then.served == f.served,
            "{}: {} sent and {} served at the end of the workload, {} and {} at shutdown", f.name, then.sent,
            then.served, f.sent, f.served);
    }
  }
  uint64_t other_sent = 0;
  for (const SoakRpcFigures& f : rpc) {
    const bool ours = f.index == rpc::RPC_PMEM_GET_PAGES || f.index == rpc::RPC_PMEM_RELEASE_PAGES ||
                      f.index == rpc::RPC_THREAD_KERNEL_CREATE || f.index == rpc::RPC_THREAD_KILL ||
                      f.index == rpc::RPC_KCM_ALLOC || f.index == rpc::RPC_KCM_FREE || f.index == rpc::RPC_MKH_PING ||
                      f.index == rpc::RPC_MKH_CHAIN;
    if (!ours) other_sent += f.sent + f.send_failures + f.direct;
  }
  check(run, other_sent == 0, "{} requests of indexes the soak never sends", other_sent);
  for (uint32_t index : {uint32_t(rpc::RPC_PMEM_GET_PAGES), uint32_t(rpc::RPC_PMEM_RELEASE_PAGES),
                         uint32_t(rpc::RPC_THREAD_KERNEL_CREATE), uint32_t(rpc::RPC_THREAD_KILL),
                         uint32_t(rpc::RPC_KCM_ALLOC), uint32_t(rpc::RPC_KCM_FREE), uint32_t(rpc::RPC_MKH_PING)}) {
    const SoakRpcFigures* found = find_index(rpc, index);
    const SoakRpcFigures& f = found != nullptr ? *found : kNone;
    const uint32_t slot = rpc::rpc_stat_slot(index);
    const int64_t skew = index == rpc::RPC_MKH_PING ? options.test_ping_skew : 0;
    const uint64_t posted = uint64_t(int64_t(read(run.posts[slot])) + skew);
    // A call is posted (sent), refused (FIFO full), or served directly (a local call of a
    // service that allows it).
    check(run, f.sent + f.send_failures + f.direct == posted,
          "{}: the soak made {} calls, the machine counted {} sent, {} refused and {} direct", rpc::rpc_name(index),
          posted, f.sent, f.send_failures, f.direct);
    if (index == rpc::RPC_MKH_PING) check(run, f.errors == 0, "MKH_PING: servers returned {} errors", f.errors);
    else
      check(run, f.errors + f.send_failures == read(run.client_errors[slot]),
            "{}: callers got {} errors, servers returned {} and {} posts were refused", rpc::rpc_name(index),
            read(run.client_errors[slot]), f.errors, f.send_failures);
  }
  {
    const SoakRpcFigures* found = find_index(rpc, rpc::RPC_MKH_CHAIN);
    const uint64_t posted = found != nullptr ? found->sent + found->send_failures + found->direct : 0;
    check(run, posted >= read(run.chain_posts_min) && posted <= read(run.chain_posts_max),
          "MKH_CHAIN: {} posts counted, the chains asked for {} to {}", posted, read(run.chain_posts_min),
          read(run.chain_posts_max));
  }

  // Every response received, every resource given back.
  check(run, read(run.window_posted) == read(run.window_completed), "{} window descriptors posted, {} answered",
        read(run.window_posted), read(run.window_completed));
  check(run, read(run.pages_allocated) == read(run.pages_released), "{} page blocks allocated, {} released",
        read(run.pages_allocated), read(run.pages_released));
  check(run, read(run.objects_allocated) == read(run.objects_freed), "{} objects allocated, {} freed",
        read(run.objects_allocated), read(run.objects_freed));
  // Every child settled once, as finished or killed, except those destroyed through
  // another worker's stale pointer whose own worker had stopped killing (still "running"
  // in its slot although every soak thread is gone).
  uint64_t unsettled = 0;
  for (uint32_t w = 0; w < run.worker_count; ++w)
    for (const auto& slot : run.workers[w].children) unsettled += (slot.load() & 3) == kSlotRunning ? 1 : 0;
  check(run, read(run.children_finished) + read(run.children_killed) + unsettled == read(run.children_created),
        "{} threads created, {} finished, {} killed, {} unsettled", read(run.children_created),
        read(run.children_finished), read(run.children_killed), unsettled);
  check(run, report.threads_left == 0, "{} threads left at shutdown", report.threads_left);
  for (std::size_t i = 0; i < report.clusters.size() && i < boot.clusters.size(); ++i) {
    const ClusterReport& now = report.clusters[i];
    const ClusterReport& then = boot.clusters[i];
    check(run, now.pages_leaked == 0, "cluster {:#x}: {} pages leaked", now.cxy, now.pages_leaked);
    for (std::size_t t = 0; t < now.kcm.size() && t < then.kcm.size(); ++t) {
      // At boot the idle and DEV threads' descriptors and the chdevs are in use; shutdown
      // destroys them.
      uint64_t boot_objects = 0;
      if (t == uint32_t(mm::KcmType::THREAD)) boot_objects = then.threads_alive;
      if (t == uint32_t(mm::KcmType::CHDEV))
        for (const DeviceReport& device : boot.devices) boot_objects += device.cxy == now.cxy ? 1 : 0;
      const uint64_t expected = then.kcm[t].in_use - boot_objects;
      check(run, now.kcm[t].in_use == expected, "cluster {:#x}: kcm {}: {} objects in use, {} expected", now.cxy,
            now.kcm[t].type, now.kcm[t].in_use, expected);
    }
  }
}

}  // namespace

Result<SoakFigures, Error> run_soak(const SoakOptions& options) {
  if ((options.ops == 0) == (options.seconds == 0))
    return error(Errno::kInval, "give exactly one of a number of operations and a duration");
  if (options.config.deterministic && options.seconds != 0)
    return error(Errno::kInval, "a deterministic soak needs a number of operations (time does not replay)");
  auto booted = Machine::boot(options.config);
  if (!booted) return error(booted.error().context("boot"));
  Machine& machine = **booted;
  const MachineReport boot_report = machine.report();

  SoakRun run;
  run.options = &options;
  run.clusters = machine.clusters();
  run.cores_per_cluster = options.config.topology.cores_per_cluster;
  run.seed = options.config.seed;
  run.timed = options.seconds != 0;
  run.worker_count = options.config.topology.cores();
  run.workers = std::make_unique<WorkerState[]>(run.worker_count);
  for (uint32_t w = 0; w < run.worker_count; ++w) {
    run.workers[w].index = w;
    run.workers[w].lid = w % run.cores_per_cluster;
    run.workers[w].budget = options.ops / run.worker_count + (w < options.ops % run.worker_count ? 1 : 0);
  }
  run.leader_cluster = std::make_unique<uint32_t[]>(run.clusters.size());
  for (uint32_t ci = 0; ci < run.clusters.size(); ++ci) run.leader_cluster[ci] = ci;
  run.chain_units = std::make_unique<std::atomic<int32_t>[]>(run.worker_count);
  for (uint32_t core = 0; core < run.worker_count; ++core)
    run.chain_units[core].store(int32_t(options.config.rpc_pool_bound) - 1);
  g_run.store(&run, std::memory_order_release);

  // Allocation faults are on from boot: retried like every creation of the setup.
  auto master = machine.spawn(run.clusters.front(), 0, master_entry, &run, "soak-master");
  for (uint32_t attempt = 1; !master && master.error() == Errno::kNoMem && attempt < kTries; ++attempt)
    master = machine.spawn(run.clusters.front(), 0, master_entry, &run, "soak-master");
  if (!master) {
    machine.shutdown();
    g_run.store(nullptr);
    return error(master.error(), "cannot start the soak master: {}", errno_name(master.error()));
  }
  const auto started = std::chrono::steady_clock::now();
  machine.start();

  // The host watches: the deadline of a timed run, and progress (a hang).
  const auto hang_timeout = options.config.deterministic ? options.hang_timeout * 6 : options.hang_timeout;
  uint64_t last_progress = run.progress.load();
  auto last_change = started;
  bool hung = false;
  while (!run.master_done.load(std::memory_order_acquire)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    const auto now = std::chrono::steady_clock::now();
    if (run.timed && now - started >= std::chrono::seconds(options.seconds)) run.stop.store(true);
    if (const uint64_t progress = run.progress.load(); progress != last_progress) {
      last_progress = progress;
      last_change = now;
    } else if (now - last_change >= hang_timeout) {
      hung = true;
      break;
    }
  }
  SoakFigures figures;
  figures.seconds =
      std::chrono::duration<double>((hung ? std::chrono::steady_clock::now() : run.ended) - started).count();
  if (hung) {
    violation(run, fmt::format("hang: no operation completed machine-wide for {} s ({} of {} workers finished)",
                               hang_timeout.count(), run.finished.load(), run.worker_count));
    for (uint32_t cxy : run.clusters)
      for (uint32_t lid = 0; lid < run.cores_per_cluster; ++lid)
        figures.core_displays += machine.display_core(cxy, lid);
  }
  const MachineReport report = machine.shutdown(hung ? std::chrono::seconds(2) : std::chrono::seconds(10));
  g_run.store(nullptr);

  check_final(run, boot_report, report);
  figures.snapshot_taken = run.snapshot_taken;
  figures.counts = run.snapshot_taken ? run.snapshot : counts_of(run, rpc_figures_of(report), report.faults);
  figures.invariant_checks = read(run.checks);
  figures.invariant_failures = read(run.failures);
  {
    libk::HostMutexGuard guard(run.messages_lock);
    figures.violations = run.messages;
  }
  return figures;
}

}  // namespace mkh::soak
