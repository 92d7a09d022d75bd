// Test support: boot a machine, run closures as kernel threads on chosen cores, wait.
// The closures and completion counters are test-harness memory on the host heap; the
// kernel objects the tests exercise live in the banks as usual.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "kcheck.hpp"
#include "kern/cluster.hpp"
#include "kern/thread.hpp"
#include "mkh/machine.hpp"

// Sanitized builds run every step several times slower (ThreadSanitizer most): tests size
// their work by kSanitized, and the runner's waits scale by kSlowdown.
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
#define MKH_TEST_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer) || __has_feature(address_sanitizer)
#define MKH_TEST_SANITIZED 1
#endif
#endif

namespace mkh::test {

#ifdef MKH_TEST_SANITIZED
inline constexpr bool kSanitized = true;
#else
inline constexpr bool kSanitized = false;
#endif
inline constexpr int kSlowdown = kSanitized ? 4 : 1;

inline MachineConfig quiet_config(Topology topology, uint64_t bank_mib = 16) {
  MachineConfig config;
  config.topology = topology;
  config.bank_mib = bank_mib;
  config.quiet = true;
  return config;
}

// A start line for kernel threads: each waits (yielding its core) until all have arrived,
// so that contention tests really overlap.
class StartLine {
 public:
  explicit StartLine(int threads) : m_threads(threads) {}
  void arrive_and_wait() {
    m_arrived.fetch_add(1);
    while (m_arrived.load() < m_threads) kern::sched_yield();
  }

 private:
  const int m_threads;
  std::atomic<int> m_arrived{0};
};

// Runs closures as kernel threads and waits for them. The closures usually refer to the
// test's locals: a thread still running when the runner goes out of scope would use them
// after they are gone. So a wait that times out fails the test, and the destructor then
// shuts the machine down (its cores stop running kernel threads) and leaks the tasks
// rather than free them under a thread.
class ThreadRunner {
 public:
  static constexpr std::chrono::seconds kDefaultWait{120 * kSlowdown};

  explicit ThreadRunner(Machine& machine) : m_machine(machine) {}
  ~ThreadRunner() {
    // After a wait that timed out, no second one: the test has failed already.
    const bool done = m_gave_up ? m_done.load() == m_tasks.size() : wait();
    if (!done) abandon_running_threads();
  }

  // Starts fn as a kernel thread on core lid of cluster cxy; returns the thread's xptr.
  uint64_t start(uint32_t cxy, uint32_t lid, std::function<void()> fn) {
    auto task = std::make_unique<Task>(Task{std::move(fn), &m_done});
    auto thread = m_machine.spawn(cxy, lid, &ThreadRunner::trampoline, task.get(), "test");
    EXPECT_TRUE(thread.has_value());
    if (!thread) return 0;
    m_tasks.push_back(std::move(task));
    return *thread;
  }

  // One thread per core of the machine: fn(cxy, lid, index).
  void start_on_every_core(const std::function<void(uint32_t, uint32_t, uint32_t)>& fn) {
    uint32_t index = 0;
    for (uint32_t cxy : m_machine.clusters())
      for (uint32_t lid = 0; lid < m_machine.config().topology.cores_per_cluster; ++lid, ++index)
        start(cxy, lid, [fn, cxy, lid, index] { fn(cxy, lid, index); });
  }

  // Waits until every started thread has returned; false, with a test failure, after the
  // timeout (the threads may still be running).
  bool wait(std::chrono::seconds timeout = kDefaultWait) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (m_done.load() < m_tasks.size()) {
      if (std::chrono::steady_clock::now() > deadline) {
        std::string cores;  // what every thread is blocked on: a deadlock shows there
        for (uint32_t cxy : m_machine.clusters())
          for (uint32_t lid = 0; lid < m_machine.config().topology.cores_per_cluster; ++lid)
            cores += m_machine.display_core(cxy, lid);
        ADD_FAILURE() << "ThreadRunner: " << m_done.load() << " of " << m_tasks.size() << " threads returned within "
                      << timeout.count() << " s\n"
                      << cores;
        m_gave_up = true;
        return false;
      }
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    return true;
  }

  // Waits until every started thread has returned, however long that takes while
  // `progress()` keeps changing: false, with a test failure, once it stayed the same for
  // `stall` (a hang, not a slow or loaded machine).
  bool wait_while_progressing(const std::function<uint64_t()>& progress, std::chrono::seconds stall = kDefaultWait) {
    uint64_t seen = progress();
    auto deadline = std::chrono::steady_clock::now() + stall;
    while (m_done.load() < m_tasks.size()) {
      if (const uint64_t now = progress(); now != seen) {
        seen = now;
        deadline = std::chrono::steady_clock::now() + stall;
      } else if (std::chrono::steady_clock::now() > deadline) {
        ADD_FAILURE() << "ThreadRunner: no progress for " << stall.count() << " s (at " << seen << "), "
                      << m_done.load() << " of " << m_tasks.size() << " threads returned";
        m_gave_up = true;
        return false;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return true;
  }

  std::size_t finished() const { return m_done.load(); }

  // Counts n started threads as finished: they were destroyed without returning.
  void abandon(std::size_t n) { m_done.fetch_add(n); }

 private:
  struct Task {
    std::function<void()> fn;
    std::atomic<std::size_t>* done;
  };
  // After a timeout: no kernel thread may run once the test's locals are gone, and none
  // may find its task freed. Shutting down joins the cores' host threads (a thread that
  // never reaches a scheduling point would hang it: the test then fails by its timeout).
  void abandon_running_threads() {
    ADD_FAILURE() << "ThreadRunner: threads still running; the machine is shut down and their tasks are leaked";
    m_machine.shutdown(std::chrono::milliseconds(0));
    for (std::unique_ptr<Task>& task : m_tasks) (void)task.release();
  }

  static void trampoline(void* arg) {
    auto* task = static_cast<Task*>(arg);
    task->fn();
    task->done->fetch_add(1);
  }

  Machine& m_machine;
  std::vector<std::unique_ptr<Task>> m_tasks;
  std::atomic<std::size_t> m_done{0};
  bool m_gave_up = false;  // a wait timed out
};

// Boots before each test, shuts down after it and checks nothing was left behind.
class MachineTest : public ::testing::Test {
 protected:
  void boot(Topology topology, uint64_t bank_mib = 16) { boot_config(quiet_config(topology, bank_mib)); }
  void boot_config(const MachineConfig& config) {
    auto machine = Machine::boot(config);
    ASSERT_TRUE(machine.has_value()) << machine.error();
    m_machine = std::move(*machine);
  }

  // Runs `body` as a kernel thread on core 0 of cluster `cxy` and waits for it to return.
  void run_on(uint32_t cxy, std::function<void()> body) {
    ThreadRunner runner(machine());
    runner.start(cxy, 0, std::move(body));
  }

  // Shuts down and checks: no KCHECK failed in a kernel thread, no thread left, no page
  // leaked, no kcm object in use. The machine's last report.
  MachineReport shutdown_and_check() {
    if (!m_machine) return {};
    MachineReport report = m_machine->shutdown();
    expect_no_kcheck_failed();
    EXPECT_EQ(report.threads_left, 0u);
    for (const ClusterReport& c : report.clusters) {
      EXPECT_EQ(c.pages_leaked, 0) << "cluster " << c.cxy;
      for (const KcmReport& k : c.kcm) EXPECT_EQ(k.in_use, 0u) << "cluster " << c.cxy << " kcm " << k.type;
    }
    m_machine.reset();
    return report;
  }

  void TearDown() override { shutdown_and_check(); }

  // Fails the test with every KCHECK that failed in a kernel thread since the last call.
  static void expect_no_kcheck_failed() {
    uint64_t count = 0;
    for (const std::string& failure : Kchecks::instance().take(&count)) ADD_FAILURE() << failure;
    EXPECT_EQ(count, 0u) << "KCHECK failures in kernel threads";
  }

  Machine& machine() { return *m_machine; }

  // Requests of service `name` served by cluster cxy (sent by it, with `sent`), from a report.
  static uint64_t served(const MachineReport& report, uint32_t cxy, const std::string& name, bool sent = false) {
    for (const ClusterReport& cluster : report.clusters)
      if (cluster.cxy == cxy)
        for (const RpcIndexReport& r : cluster.rpc)
          if (r.name == name) return sent ? r.sent : r.served;
    return 0;
  }

  std::unique_ptr<Machine> m_machine;
};

}  // namespace mkh::test
