// The hosted machine: boot (region, the layers of every cluster), one host thread per
// virtual core driving its scheduler, reports and shutdown. Layer: boot (implements the
// public include/mkh/machine.hpp). Calls every layer below.
#include "mkh/machine.hpp"

#include <malloc.h>
#include <pthread.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "boot/files.hpp"
#include "boot/init.hpp"
#include "dev/dev.hpp"
#include "hal/clock.hpp"
#include "hal/fault.hpp"
#include "hal/fiber.hpp"
#include "hal/region.hpp"
#include "kern/cluster.hpp"
#include "kern/sched_display.hpp"
#include "kern/thread.hpp"
#include "libk/console.hpp"
#include "libk/random.hpp"
#include "mm/memory.hpp"
#include "proc/process.hpp"
#include "rpc/catalog.hpp"
#include "rpc/state.hpp"

namespace mkh {

using kern::Cluster;
using kern::Core;

namespace {
class DeterministicDriver;
}

struct Machine::Impl {
  MachineConfig config;
  std::vector<uint32_t> clusters;
  std::optional<hal::Region> region;
  std::vector<std::thread> host_threads;
  MachineReport final_report;
  std::unique_ptr<DeterministicDriver> driver;  // config.deterministic
  uint32_t cores_unpinned = 0;                  // set by start()
  bool started = false;
  bool shut_down = false;
};

namespace {

std::atomic<Machine*> g_running_machine{nullptr};

void drive_core(Core* core) {
  char name[16];
  std::snprintf(name, sizeof name, "c%02x/core%u", core->m_cxy, core->m_lid);
  pthread_setname_np(pthread_self(), name);
  hal::cpu() = hal::CpuContext{core->m_cxy, core->m_lid, 0, 1};
  while (kern::core_step(core) != kern::Step::kStopped) {}
  hal::cpu() = hal::CpuContext{};
  hal::fiber_host_thread_exit();
}

// The machine's cores, cluster after cluster.
std::vector<Core*> every_core(const std::vector<uint32_t>& clusters, const Topology& topology) {
  std::vector<Core*> cores;
  for (uint32_t cxy : clusters)
    for (uint32_t lid = 0; lid < topology.cores_per_cluster; ++lid)
      cores.push_back(&kern::cluster_at(cxy)->m_cores[lid]);
  return cores;
}

// The host CPUs this process may run on (its affinity mask, which taskset or a container may
// have narrowed); empty if the mask cannot be read.
std::vector<int> usable_host_cpus() {
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  std::vector<int> usable;
  if (sched_getaffinity(0, sizeof allowed, &allowed) == 0)
    for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu)
      if (CPU_ISSET(cpu, &allowed)) usable.push_back(cpu);
  return usable;
}

// The host CPU of each core host thread, in core order, or none when not pinned: every
// core on config.pin_cpu, or with config.pin round-robin over usable_host_cpus().
std::vector<int> host_cpus(const MachineConfig& config, std::size_t cores) {
  if (config.pin_cpu >= 0) return std::vector<int>(cores, config.pin_cpu);
  if (!config.pin) return {};
  const std::vector<int> usable = usable_host_cpus();
  if (usable.empty()) return {};
  std::vector<int> cpus(cores);
  for (std::size_t i = 0; i < cores; ++i) cpus[i] = usable[i % usable.size()];
  return cpus;
}

// The deterministic mode: every core on one host thread, one scheduling decision at a
// time, the next core drawn from `seed`. Nothing here depends on time, so a seed replays
// the same interleaving (sleeping when every core is idle changes no draw). Before
// start(), the host thread that waits for kernel work drives the cores itself
// (boot::wait_for_kernel): the disk is mounted and a test's first work runs in the
// same seeded order; start() hands the driver, its draws where they were, to a host thread.
class DeterministicDriver {
 public:
  DeterministicDriver(std::vector<Core*> cores, uint64_t seed) : m_cores(std::move(cores)), m_order(seed) {}

  // One scheduling decision; false once every core has stopped.
  bool step() {
    if (m_cores.empty()) return false;
    const std::size_t i = m_order.below(uint32_t(m_cores.size()));
    Core* core = m_cores[i];
    const hal::CpuContext caller = hal::cpu();
    hal::cpu() = hal::CpuContext{core->m_cxy, core->m_lid, 0, 1};
    const kern::Step step = kern::core_step(core);
    hal::cpu() = caller;
    if (step == kern::Step::kStopped) {
      m_cores.erase(m_cores.begin() + std::ptrdiff_t(i));
    } else if (step == kern::Step::kRanThread) {
      m_idle_steps = 0;
    } else if (++m_idle_steps >= 8 * m_cores.size()) {
      m_idle_steps = 0;
      std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
    return true;
  }

  // Held: the host threads that wait for kernel work take turns at driving.
  std::mutex m_held_lock;

 private:
  std::vector<Core*> m_cores;
  libk::SplitMix64 m_order;
  std::size_t m_idle_steps = 0;
};

// The driver of the deterministic machine booted and not yet started.
std::atomic<DeterministicDriver*> g_held_driver{nullptr};

void drive_cores_alone(DeterministicDriver* driver) {
  pthread_setname_np(pthread_self(), "mkh/cores");
  while (driver->step()) {}
  hal::fiber_host_thread_exit();
}

// A drawn stall at a marked point (hal/fault.hpp): a delay sleeps the host thread (not in
// the deterministic mode, where it would change nothing); else the running kernel thread
// yields its core when it may (it holds no busylock), or the host thread yields.
void fault_stall(hal::FaultPoint, uint32_t delay_us) {
  kern::Core* core = kern::core_current();
  if (delay_us != 0 && (core == nullptr || core->m_shares_host_thread == 0)) {
    std::this_thread::sleep_for(std::chrono::microseconds(delay_us));
  } else if (kern::thread_current() != nullptr && hal::cpu().busylocks == 0) {
    kern::sched_yield();
  } else {
    std::this_thread::yield();
  }
}

void dump_every_core() {
  Machine* machine = g_running_machine.load();
  if (machine == nullptr) return;
  for (uint32_t cxy : machine->clusters())
    for (uint32_t lid = 0; lid < machine->config().topology.cores_per_cluster; ++lid)
      std::fputs(machine->display_core(cxy, lid).c_str(), stderr);
}

ClusterReport cluster_report(hal::cxy_t cxy) {
  hal::ClusterScope scope(cxy);
  Cluster* cluster = LOCAL_CLUSTER;
  mm::Memory* memory = mm::local_memory();
  rpc::RpcClusterState* rpc_state = rpc::local_rpc_state();
  ClusterReport r;
  r.cxy = cxy;
  r.x = cluster->m_x;
  r.y = cluster->m_y;
  const mm::PpmStats ppm = memory->m_ppm.stats();
  r.pages_total = ppm.total_pages;
  r.pages_reserved = ppm.reserved_pages;
  r.pages_free = ppm.free_pages;
  r.pages_used = ppm.total_pages - ppm.reserved_pages - ppm.free_pages;
  r.page_allocs = ppm.allocs;
  r.page_frees = ppm.frees;
  r.page_failures = ppm.alloc_failures;
  for (uint32_t type = 0; type < mm::kKcmTypeCount; ++type) {
    const mm::KcmStats kcm = memory->m_kcm[type].stats();
    r.kcm.push_back(KcmReport{std::string(mm::kcm_type_name(mm::KcmType(type))), kcm.object_size, kcm.objects_in_use,
                              kcm.allocs, kcm.frees, kcm.alloc_failures});
  }
  for (uint32_t lid = 0; lid < cluster->m_cores_nr; ++lid) {
    Core& core = cluster->m_cores[lid];
    r.threads_created += hal::stat_read(core.m_stats.threads_created);
    r.threads_destroyed += hal::stat_read(core.m_stats.threads_destroyed);
    r.switches += hal::stat_read(core.m_stats.switches);
    r.ipis_sent += hal::stat_read(core.m_stats.ipis_sent);
    r.ipis_received += hal::stat_read(core.m_stats.ipis_received);
    r.sleeps += hal::stat_read(core.m_stats.sleeps);
    r.timers_fired += hal::stat_read(core.m_stats.timers_fired);
  }
  r.threads_alive = r.threads_created - r.threads_destroyed;
  for (uint32_t slot = 0; slot < rpc::kRpcStatSlots; ++slot) {
    const rpc::RpcIndexStats& s = rpc_state->m_stats[slot];
    RpcIndexReport index;
    index.index = rpc::rpc_slot_index(slot);
    index.name = std::string(rpc::rpc_slot_name(slot));
    index.sent = hal::stat_read(s.sent);
    index.served = hal::stat_read(s.served);
    index.errors = hal::stat_read(s.errors);
    index.fifo_full_retries = hal::stat_read(s.fifo_full_retries);
    index.send_failures = hal::stat_read(s.send_failures);
    index.direct = hal::stat_read(s.direct);
    for (const uint64_t& bucket : s.latency) index.latency.push_back(hal::stat_read(bucket));
    if (index.sent + index.served + index.send_failures + index.direct != 0) r.rpc.push_back(std::move(index));
  }
  for (uint32_t lid = 0; lid < cluster->m_cores_nr; ++lid) {
    const rpc::RpcCoreState& s = rpc_state->m_cores[lid];
    r.rpc_threads_created += hal::stat_read(s.m_threads_created);
    r.rpc_threads_reclaimed += hal::stat_read(s.m_threads_reclaimed);
    r.rpc_pool_exhausted += hal::stat_read(s.m_pool_exhausted);
    r.rpc_fifo_high_water = std::max(r.rpc_fifo_high_water, hal::stat_read(s.m_fifo.m_high_water));
  }
  r.errors = hal::local_load(cluster->m_errors, std::memory_order_relaxed);
  const proc::ProcCluster* processes = proc::local_proc();
  r.processes_created = hal::stat_read(processes->m_created);
  r.processes_ended = hal::stat_read(processes->m_ended);
  r.processes_killed = hal::stat_read(processes->m_killed);
  r.processes_execs = hal::stat_read(processes->m_execs);
  r.user_threads = hal::stat_read(processes->m_user_threads);
  r.syscalls = hal::stat_read(processes->m_syscalls);
  r.unknown_syscalls = hal::stat_read(processes->m_unknown_syscalls);
  r.blocks_translated = hal::stat_read(processes->m_blocks_translated);
  r.pages_leaked = int64_t(memory->m_boot_free_pages) - int64_t(ppm.free_pages);
  return r;
}

// How long the cores of this machine may spin (idle, waiting for a response, polling their
// FIFO): not at all when they cannot run while one spins, i.e. every core on one host
// thread (deterministic) or on one host CPU (pin_cpu); spinning there only delays the
// partner, and a futex hand-off is the fastest way.
uint64_t spin_budget_ns(const MachineConfig& config, uint32_t microseconds) {
  if (config.deterministic || (config.pin_cpu >= 0 && config.topology.cores() > 1)) return 0;
  return uint64_t(microseconds) * 1000;
}

// Counts the kernel work finished, for the futex the host's waiters sleep on: a counter that
// outlives every KernelWork, so a waker never touches a flag its waiter may have freed.
std::atomic<uint32_t> g_kernel_work_finished{0};
}  // namespace

void boot::finish_kernel_work(std::atomic<bool>& done) {
  done.store(true, std::memory_order_release);
  g_kernel_work_finished.fetch_add(1, std::memory_order_release);
  g_kernel_work_finished.notify_all();
}

void boot::wait_for_kernel(const std::atomic<bool>& done) {
  if (DeterministicDriver* driver = g_held_driver.load()) {
    std::lock_guard held(driver->m_held_lock);
    if (g_held_driver.load() == driver)  // still held: started by nobody meanwhile
      while (!done.load(std::memory_order_acquire) && driver->step()) {}
  }
  for (;;) {
    // The count first: work that ends after this load changes it, so the wait returns.
    const uint32_t finished = g_kernel_work_finished.load(std::memory_order_acquire);
    if (done.load(std::memory_order_acquire)) return;
    g_kernel_work_finished.wait(finished, std::memory_order_acquire);
  }
}

Machine::Machine(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}

Result<std::unique_ptr<Machine>, Error> Machine::boot(const MachineConfig& config) {
  TRY(validate_config(config));
  const Topology& t = config.topology;
  auto region = hal::Region::map(t, config.bank_mib << 20, config.populate_banks, config.quiet);
  if (!region) {
    if (region.error() == Errno::kBusy) return error(Errno::kBusy, "another machine is running in this process");
    return error(region.error(), "cannot reserve {} clusters of {} MiB: {}", t.clusters(), config.bank_mib,
                 errno_name(region.error()));
  }
  hal::clock_calibrate();
  // The cores' host threads allocate and free the interpreter's decoded pages (53 KiB each,
  // user/code_cache.hpp) at every process's start and end. glibc gives the freed top of a
  // thread's arena back to the host beyond 128 KiB and faults it in again at the next
  // allocation: measured as a fork costing 3-4 times as much on some placements, depending on
  // what else the arena held (docs/perf.md, the translator). Kept unless 256 MiB lie free.
  static std::once_flag trim_threshold;
  std::call_once(trim_threshold, [] { mallopt(M_TRIM_THRESHOLD, 256 << 20); });
  auto impl = std::make_unique<Impl>();
  impl->config = config;
  impl->region.emplace(std::move(*region));
  for (uint32_t x = 0; x < t.x_size; ++x)
    for (uint32_t y = 0; y < t.y_size; ++y) impl->clusters.push_back(hal::make_cxy(x, y));
  if (auto booted = boot::boot_clusters(impl->clusters, config); !booted) {
    dev::dev_release(impl->clusters);  // the disk image's file, when it was opened
    if (!booted.error().message.empty()) return error(booted.error());
    return error(booted.error().code,
                 "bank of {} MiB is too small for the kernel data and the idle and first RPC threads of {} cores ({})",
                 config.bank_mib, t.cores_per_cluster, errno_name(booted.error().code));
  }

  for (uint32_t cxy : impl->clusters)
    for (uint32_t lid = 0; lid < t.cores_per_cluster; ++lid) {
      Core& core = kern::cluster_at(cxy)->m_cores[lid];
      core.m_shares_host_thread = config.deterministic ? 1 : 0;
      core.m_idle_spin_ns = spin_budget_ns(config, config.idle_spin_us);
      core.m_load.m_period = hal::ns_to_ticks(uint64_t(config.load_period_ms) * 1'000'000);
    }
  hal::fault_set_stall(fault_stall);
  hal::fault_enable(config.faults, config.seed);

  std::unique_ptr<Machine> machine(new Machine(std::move(impl)));
  g_running_machine.store(machine.get());
  libk::console_set_fd(config.console_fd);  // the kernel console is TXT0's host stream
  set_panic_dump_hook(dump_every_core);
  if (config.deterministic) {
    machine->m_impl->driver =
        std::make_unique<DeterministicDriver>(every_core(machine->m_impl->clusters, t), config.seed);
    g_held_driver.store(machine->m_impl->driver.get());
  } else {
    machine->start();
  }
  if (!config.disk_image.empty()) {
    if (auto mounted = config.mount_disk ? boot::mount_disk(machine->clusters().front(), config.mount_devices)
                                         : Result<void, Error>{};
        !mounted) {
      machine->shutdown();
      return error(mounted.error().context(fmt::format("disk {}", config.disk_image)));
    }
  }
  return machine;
}

void Machine::start() {
  if (m_impl->started || m_impl->shut_down) return;
  m_impl->started = true;
  const MachineConfig& config = m_impl->config;
  if (DeterministicDriver* driver = m_impl->driver.get()) {
    hal::spin_set_host_cpus_shared(true);
    std::lock_guard held(driver->m_held_lock);  // no host thread drives it any more
    g_held_driver.store(nullptr);
    m_impl->host_threads.emplace_back(drive_cores_alone, driver);
    return;
  }
  const std::vector<Core*> cores = every_core(m_impl->clusters, config.topology);
  const std::vector<int> cpus = host_cpus(config, cores.size());
  hal::spin_set_host_cpus_shared(config.pin_cpu >= 0 ||
                                 cores.size() > std::max<std::size_t>(1, usable_host_cpus().size()));
  uint32_t unpinned = 0;
  int error = 0;
  for (std::size_t i = 0; i < cores.size(); ++i) {
    std::thread& thread = m_impl->host_threads.emplace_back(drive_core, cores[i]);
    if (cpus.empty()) continue;
    cpu_set_t set;
    CPU_ZERO(&set);
    if (cpus[i] < CPU_SETSIZE) CPU_SET(cpus[i], &set);
    if (const int e = cpus[i] < CPU_SETSIZE ? pthread_setaffinity_np(thread.native_handle(), sizeof set, &set) : EINVAL;
        e != 0) {
      ++unpinned;
      error = e;
    }
  }
  m_impl->cores_unpinned = unpinned;
  if (unpinned != 0 && !config.quiet)
    fmt::print(stderr, "mkh: pin: {} of {} core threads could not be pinned ({}); they run unpinned\n", unpinned,
               cores.size(), std::strerror(error));
}

Machine::~Machine() {
  if (!m_impl->shut_down) shutdown();
}

const MachineConfig& Machine::config() const { return m_impl->config; }
const std::vector<uint32_t>& Machine::clusters() const { return m_impl->clusters; }

Result<uint64_t> Machine::spawn(uint32_t cxy, uint32_t lid, void (*fn)(void*), void* arg, std::string_view name) {
  if (m_impl->shut_down || !hal::cluster_present(cxy)) return error(Errno::kInval);
  hal::ClusterScope scope(cxy);
  kern::Thread* thread = TRY(kern::thread_create(kern::ThreadType::DEV, fn, arg, lid, name));
  return hal::XPTR(cxy, thread);
}

void Machine::set_idle_spin_us(uint32_t microseconds) {
  m_impl->config.idle_spin_us = microseconds;
  for (uint32_t cxy : m_impl->clusters) {
    Cluster* cluster = kern::cluster_at(cxy);
    for (uint32_t lid = 0; lid < cluster->m_cores_nr; ++lid)
      hal::local_store(cluster->m_cores[lid].m_idle_spin_ns, spin_budget_ns(m_impl->config, microseconds),
                       std::memory_order_relaxed);
  }
}

MachineReport Machine::report() const {
  if (m_impl->shut_down) return m_impl->final_report;
  MachineReport report;
  for (uint32_t cxy : m_impl->clusters) report.clusters.push_back(cluster_report(cxy));
  report.devices = dev::dev_report();
  report.faults = hal::fault_counts();
  report.cores_unpinned = m_impl->cores_unpinned;
  return report;
}

std::string Machine::display_core(uint32_t cxy, uint32_t lid) const {
  if (m_impl->shut_down || !hal::cluster_present(cxy) || lid >= m_impl->config.topology.cores_per_cluster) return {};
  hal::ClusterScope scope(cxy);
  return kern::sched_display(&LOCAL_CLUSTER->m_cores[lid]);
}

MachineReport Machine::shutdown(std::chrono::milliseconds grace) {
  if (m_impl->shut_down) return m_impl->final_report;
  hal::fault_disable();
  start();  // a held deterministic machine runs to its stop
  // The volume first (its sync needs the device), then the devices.
  const Result<void> unmounted = boot::unmount_disk(m_impl->clusters.front());
  // Let the kernel threads finish their work first. RPC threads are the machine's own:
  // they leave when the cores stop.
  auto threads_running = [&] {
    uint64_t total = 0;
    for (uint32_t cxy : m_impl->clusters) {
      Cluster* cluster = kern::cluster_at(cxy);
      for (uint32_t lid = 0; lid < cluster->m_cores_nr; ++lid)
        total += hal::local_load(cluster->m_cores[lid].m_sched.m_threads_nr) -
                 hal::local_load(rpc::rpc_cluster_state(cxy)->m_cores[lid].m_idle_nr, std::memory_order_relaxed);
    }
    return total;
  };
  const auto deadline = std::chrono::steady_clock::now() + grace;
  // The DEV threads drain their queues and leave (kernel threads still running then do
  // their device commands themselves).
  dev::dev_stop(deadline);
  while (threads_running() != 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));

  for (uint32_t cxy : m_impl->clusters) {
    Cluster* cluster = kern::cluster_at(cxy);
    for (uint32_t lid = 0; lid < cluster->m_cores_nr; ++lid) {
      hal::local_store(cluster->m_cores[lid].m_stop, 1u, std::memory_order_seq_cst);
      hal::ipi_send(kern::core_xptr(cxy, lid).field(&Core::m_ipi));
    }
  }
  for (std::thread& host : m_impl->host_threads) host.join();
  m_impl->host_threads.clear();
  libk::console_set_fd(STDOUT_FILENO);

  MachineReport report;
  report.threads_left = threads_running();
  if (!unmounted) report.disk_error = fmt::format("sync and unmount failed: {}", errno_name(unmounted.error()));
  report.devices = dev::dev_report();
  dev::dev_release(m_impl->clusters);  // the chdevs back to their kcm before the count
  for (uint32_t cxy : m_impl->clusters) report.clusters.push_back(cluster_report(cxy));
  report.faults = hal::fault_counts();
  report.cores_unpinned = m_impl->cores_unpinned;
  report.shut_down = true;
  m_impl->final_report = report;
  m_impl->shut_down = true;
  hal::spin_set_host_cpus_shared(true);  // the default again, for host threads between machines
  g_running_machine.store(nullptr);
  set_panic_dump_hook(nullptr);
  m_impl->region.reset();
  return report;
}

}  // namespace mkh
