// ctest-label: concurrency
// Processes and their VMM on a running machine: services 20 VMM_GET_VSEG, 21 VMM_GET_PTE and
// 26 VMM_CREATE_VSEG from every cluster to every cluster with their error paths, service 2
// PROCESS_MAKE_EXEC's refusals, a mapped file kept until its last mapping goes, and a program
// of the disk run by exec, its pages given back; service 6 THREAD_USER_CREATE from every
// cluster to every cluster, and a threaded program with its threads in every cluster; services
// 3 PROCESS_MAKE_FORK and 28 VMM_SET_COW, and forks from every cluster to every cluster;
// execve in running processes.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <initializer_list>
#include <string>
#include <thread>
#include <vector>

#include "fat_image.hpp"
#include "fs/vfs/vfs.hpp"
#include "kcheck.hpp"
#include "kern/cluster.hpp"
#include "kern/loadavg.hpp"
#include "machine_fixture.hpp"
#include "mkh/exec.hpp"
#include "mm/kmem.hpp"
#include "mm/vmm/vmm.hpp"
#include "proc/copy.hpp"
#include "proc/exec.hpp"
#include "proc/fork.hpp"
#include "proc/groups.hpp"
#include "proc/process.hpp"
#include "proc/services.hpp"

namespace mkh::test {
namespace {

using hal::Xptr;

// PROCESS_MAKE_KILL as the kernel sends it (the origin SI_KERNEL, no sender).
Result<void> make_kill(hal::cxy_t cxy, uint32_t pid, uint32_t signal) {
  return rpc::rpc_call<rpc::RPC_PROCESS_MAKE_KILL>(cxy, pid, signal, proc::kFromKernel.code, proc::kFromKernel.pid,
                                                   proc::kFromKernel.status);
}

class ProcessTest : public MachineTest {
 protected:
#ifdef MKH_TEST_RV32_DIR
  // A FAT32 image (mkfs.fat) holding the RV32 test program `name` of `dir` as /name (mcopy);
  // empty when the program is not built (no RISC-V compiler).
  std::string image_with_program(const std::string& name, const std::string& dir = MKH_TEST_RV32_DIR) {
    const std::string program = dir + "/" + name;
    if (!std::filesystem::exists(program)) return {};
    const std::string image = m_dir.path("disk.img");
    must_run(fat_tool("mkfs.fat", "dosfstools") + " -C -F 32 " + image + " 65536 >/dev/null");
    must_run(fat_tool("mcopy", "mtools") + " -i " + image + " " + program + " ::/" + name);
    return image;
  }
  // Boots a machine of `topology` on such an image; false (nothing booted) when the program
  // is not built.
  bool boot_with_program(Topology topology, const std::string& name, const std::string& dir = MKH_TEST_RV32_DIR) {
    const std::string image = image_with_program(name, dir);
    if (image.empty()) return false;
    MachineConfig config = quiet_config(topology);
    config.disk_image = image;
    boot_config(config);
    return true;
  }

  // Runs `requests` at once, checks that each exits 0 and that each of `lines` was printed
  // `times` times in all (the programs' output interleaves: lines, not their order).
  void run_to_success_printing(const std::vector<ExecRequest>& requests, std::initializer_list<const char*> lines,
                               std::size_t times) {
    testing::internal::CaptureStdout();
    const auto outcomes = run_execs(machine(), requests);
    const std::string out = testing::internal::GetCapturedStdout();
    for (const auto& outcome : outcomes) {
      ASSERT_TRUE(outcome.has_value()) << outcome.error();
      EXPECT_EQ(outcome->status(), 0) << out;
    }
    for (const std::string line : lines) {
      std::size_t count = 0;
      for (std::size_t at = out.find(line); at != std::string::npos; at = out.find(line, at + 1)) ++count;
      EXPECT_EQ(count, times) << line << " in:\n" << out;
    }
  }

  // The referee `program` of user/tests/ run with `spread` on each cluster of a 2x2:2 machine
  // at once (its children forked on the other clusters in turn): each exits 0 and prints each
  // of `lines` once; every page is back at shutdown. Skipped when the program is not built.
  void run_spread_on_every_cluster(const std::string& program, std::initializer_list<const char*> lines) {
    if (!boot_with_program({2, 2, 2}, program, MKH_TEST_USER_TESTS_DIR))
      GTEST_SKIP() << program << " is not built (no RISC-V compiler)";
    ASSERT_FALSE(HasFatalFailure());
    const std::size_t clusters = machine().clusters().size();
    const std::string path = "/" + program;
    std::vector<ExecRequest> requests;
    for (std::size_t i = 0; i < clusters; ++i)
      requests.push_back(ExecRequest{.path = path, .argv = {path, "spread"}, .env = {}});
    run_to_success_printing(requests, lines, clusters);
    shutdown_and_check();
  }
#endif

  TempDir m_dir;
};

TEST_F(ProcessTest, VmmServicesFromEveryClusterToEveryCluster) {
  boot({2, 2, 1});
  ASSERT_FALSE(HasFatalFailure());
  const std::vector<uint32_t> clusters = machine().clusters();
  std::vector<proc::Process*> processes(clusters.size(), nullptr);
  {
    ThreadRunner runner(machine());
    for (uint32_t t = 0; t < clusters.size(); ++t)
      runner.start(clusters[t], 0, [&, t] {
        auto process = proc::process_create(0);
        KCHECK_OK(process);
        if (process) processes[t] = *process;
      });
  }
  for (proc::Process* process : processes) ASSERT_NE(process, nullptr);
  {
    ThreadRunner runner(machine());
    for (uint32_t c = 0; c < clusters.size(); ++c)
      runner.start(clusters[c], 0, [&, c] {
        auto block = mm::PageBlock::alloc(2);
        KCHECK(block.has_value());
        if (!block) return;
        auto* bogus = static_cast<proc::Process*>(block->base());  // names no process there
        for (uint32_t t = 0; t < clusters.size(); ++t) {
          proc::Process* process = processes[t];
          const uint32_t base = 0x1000'0000 + (c * 16 + t) * 0x10000;
          auto vseg =
              rpc::rpc_call<rpc::RPC_VMM_CREATE_VSEG>(clusters[t], process, vmm::VsegType::kAnon, base,
                                                      2 * vmm::kPageSize, 0u, 0u, Xptr<mapper::Mapper>(), clusters[c]);
          KCHECK_OK(vseg);
          if (!vseg) continue;
          KCHECK_EQ(vseg->cxy(), clusters[t]);
          // Refused: an overlap, a bad type, a cluster that is not there, a process that is not one.
          KCHECK_ERR(
              rpc::rpc_call<rpc::RPC_VMM_CREATE_VSEG>(clusters[t], process, vmm::VsegType::kAnon, base + vmm::kPageSize,
                                                      vmm::kPageSize, 0u, 0u, Xptr<mapper::Mapper>(), clusters[c]),
              Errno::kInval);
          KCHECK_ERR(
              rpc::rpc_call<rpc::RPC_VMM_CREATE_VSEG>(clusters[t], process, vmm::VsegType(9), base + 0x8000,
                                                      vmm::kPageSize, 0u, 0u, Xptr<mapper::Mapper>(), clusters[c]),
              Errno::kInval);
          KCHECK_ERR(
              rpc::rpc_call<rpc::RPC_VMM_CREATE_VSEG>(clusters[t], process, vmm::VsegType::kAnon, base + 0x8000,
                                                      vmm::kPageSize, 0u, 0u, Xptr<mapper::Mapper>(), hal::cxy_t(0xff)),
              Errno::kInval);
          KCHECK_ERR(
              rpc::rpc_call<rpc::RPC_VMM_CREATE_VSEG>(clusters[t], bogus, vmm::VsegType::kAnon, base + 0x8000,
                                                      vmm::kPageSize, 0u, 0u, Xptr<mapper::Mapper>(), clusters[c]),
              Errno::kInval);
          // 20: the vseg of an address inside it; none below the user range.
          auto found = rpc::rpc_call<rpc::RPC_VMM_GET_VSEG>(clusters[t], process, base + 100);
          KCHECK_OK(found);
          if (found) KCHECK_EQ(found->raw(), vseg->raw());
          KCHECK_ERR(rpc::rpc_call<rpc::RPC_VMM_GET_VSEG>(clusters[t], process, 0x100u), Errno::kFault);
          KCHECK_ERR(rpc::rpc_call<rpc::RPC_VMM_GET_VSEG>(clusters[t], bogus, base), Errno::kInval);
          // 21: the page made in the vseg's cluster, the same one the second time.
          auto pte = rpc::rpc_call<rpc::RPC_VMM_GET_PTE>(clusters[t], process, base >> 12, true);
          KCHECK_OK(pte);
          if (!pte) continue;
          const auto [attr, ppn] = *pte;
          KCHECK((attr & vmm::GPT_MAPPED) != 0 && (attr & vmm::GPT_WRITE) != 0);
          KCHECK_EQ(hal::GET_CXY(ppn << 12), clusters[c]);
          auto again = rpc::rpc_call<rpc::RPC_VMM_GET_PTE>(clusters[t], process, base >> 12, false);
          KCHECK_OK(again);
          if (again) KCHECK_EQ(std::get<1>(*again), ppn);
          KCHECK_ERR(rpc::rpc_call<rpc::RPC_VMM_GET_PTE>(clusters[t], process, (base >> 12) + 2, false), Errno::kFault);
          KCHECK_ERR(rpc::rpc_call<rpc::RPC_VMM_GET_PTE>(clusters[t], process, 0xfffffu, false), Errno::kFault);
          KCHECK_ERR(rpc::rpc_call<rpc::RPC_VMM_GET_PTE>(clusters[t], bogus, base >> 12, false), Errno::kInval);
          // A write into a CODE vseg is refused.
          const uint32_t code = base + 0x8000;
          KCHECK_OK(rpc::rpc_call<rpc::RPC_VMM_CREATE_VSEG>(clusters[t], process, vmm::VsegType::kCode, code,
                                                            vmm::kPageSize, 0u, 0u, Xptr<mapper::Mapper>(),
                                                            clusters[c]));
          KCHECK_ERR(rpc::rpc_call<rpc::RPC_VMM_GET_PTE>(clusters[t], process, code >> 12, true), Errno::kAcces);
          // A copy of the process in this cluster, found again, faults on the page: the reference's.
          // 9: an action that is none, a process the server does not hold; BLOCK and UNBLOCK of a
          // process without threads.
          if (c != t) {
            auto copy = proc::process_copy_get(process->m_pid);
            KCHECK_OK(copy);
            if (copy) {
              KCHECK_EQ(proc::process_copy_find(process->m_pid), *copy);
              auto entry = proc::process_copy_get_pte(*copy, base, vmm::VSEG_READ);
              KCHECK_OK(entry);
              if (entry) KCHECK_EQ(vmm::gpt_page(*entry), ppn << 12);
            }
          }
          KCHECK_ERR(rpc::rpc_call<rpc::RPC_PROCESS_SIGACTION>(clusters[t], 0x44u, process->m_pid), Errno::kInval);
          KCHECK_ERR(rpc::rpc_call<rpc::RPC_PROCESS_SIGACTION>(clusters[t], uint32_t(proc::SigAction::kBlockAll),
                                                               proc::pid_make(clusters[t], proc::kMaxProcesses - 1)),
                     Errno::kSrch);
          for (const auto action : {proc::SigAction::kBlockAll, proc::SigAction::kUnblockAll})
            KCHECK_OK(rpc::rpc_call<rpc::RPC_PROCESS_SIGACTION>(clusters[t], uint32_t(action), process->m_pid));
          // 2: a pid that names no process, an ExecInfo whose strings do not match its counts.
          auto info_block = mm::PageBlock::alloc(2);
          KCHECK(info_block.has_value());
          if (!info_block) continue;
          static_assert(sizeof(proc::ExecInfo) <= 4 * hal::kPageSize);
          auto* info = new (info_block->base()) proc::ExecInfo();
          info->pid = proc::pid_make(clusters[t], proc::kMaxProcesses - 1);
          const auto info_xptr = Xptr<proc::ExecInfo>(hal::local_cxy(), info);
          KCHECK_ERR(proc::rpc_process_make_exec_client(clusters[t], info_xptr), Errno::kSrch);
          info->pid = process->m_pid;
          info->argc = 2;
          KCHECK_ERR(proc::rpc_process_make_exec_client(clusters[t], info_xptr), Errno::kInval);
        }
      });
  }
  // Each process's end deletes its copies in the three other clusters by one multicast of 9.
  std::vector<uint32_t> pids;
  for (const proc::Process* process : processes) pids.push_back(process->m_pid);
  {
    ThreadRunner runner(machine());
    for (uint32_t t = 0; t < clusters.size(); ++t)
      runner.start(clusters[t], 0, [&, t] {
        hal::cxy_t holders[4];
        KCHECK_EQ(proc::process_copies_clusters(pids[t], holders, 4), uint32_t(clusters.size() - 1));
        proc::process_destroy(processes[t]);
      });
  }
  {
    ThreadRunner runner(machine());
    for (uint32_t c = 0; c < clusters.size(); ++c)
      runner.start(clusters[c], 0, [&, c] {
        for (uint32_t t = 0; t < clusters.size(); ++t) {
          if (t == c) continue;
          KCHECK(proc::process_copy_find(pids[t]) == nullptr);
          KCHECK_ERR(proc::process_copy_get(pids[t]), Errno::kSrch);  // the process is gone
        }
      });
  }
  const MachineReport report = machine().report();
  for (uint32_t cxy : clusters)
    for (const char* name :
         {"VMM_GET_VSEG", "VMM_GET_PTE", "VMM_CREATE_VSEG", "PROCESS_MAKE_EXEC", "PROCESS_SIGACTION"}) {
      EXPECT_GT(served(report, cxy, name), 0u) << name << " on cluster " << cxy;
      EXPECT_GT(served(report, cxy, name, true), 0u) << name << " sent from cluster " << cxy;
    }
}

// A copy's descriptors are its reference's: what a thread of another cluster installs, dups,
// flags and closes through the copy is in the reference's table, and the two clusters filling
// the table at once (ThreadSanitizer watching) never get the same descriptor.
TEST_F(ProcessTest, ACopyWorksOnTheFileTableOfItsReference) {
  boot({2, 1, 2});
  ASSERT_FALSE(HasFatalFailure());
  const hal::cxy_t home = machine().clusters()[0], away = machine().clusters()[1];
  proc::Process* process = nullptr;
  auto host_entry = [](int32_t host_fd) {
    proc::UserFd entry;
    entry.kind = proc::UserFd::Kind::kHost;
    entry.host_fd = host_fd;
    return entry;
  };
  run_on(home, [&] {
    auto made = proc::process_create(0);
    KCHECK_OK(made);
    if (made) process = *made;
  });
  ASSERT_NE(process, nullptr);
  const uint32_t pid = process->m_pid;
  run_on(away, [&] {
    auto copy = proc::process_copy_get(pid);
    KCHECK_OK(copy);
    if (!copy) return;
    auto out = proc::fd_lookup(*copy, 1);  // the host's stdout, as process_create put it
    KCHECK_OK(out);
    if (out) KCHECK_EQ(out->fd.host_fd, 1);
    KCHECK_EQ(proc::fd_install(*copy, host_entry(100), 0).value_or(-1), 3);
    KCHECK_EQ(proc::fd_dup(*copy, 3, 10, true, 1).value_or(-1), 10);
    KCHECK_OK(proc::fd_set_flags(*copy, 10, 0));
    KCHECK_OK(proc::fd_release(*copy, 3));
    KCHECK_ERR(proc::fd_release(*copy, 3), Errno::kBadF);
  });
  run_on(home, [&] {
    KCHECK_ERR(proc::fd_lookup(process, 3), Errno::kBadF);
    auto dup = proc::fd_lookup(process, 10);
    KCHECK_OK(dup);
    if (dup) {
      KCHECK_EQ(dup->fd.host_fd, 100);
      KCHECK_EQ(dup->fd.flags, 0u);
    }
    KCHECK_OK(proc::fd_release(process, 10));
  });
  constexpr int32_t kEach = 300;
  std::vector<int32_t> got[2];
  std::atomic<uint32_t> filled{0};
  {
    ThreadRunner runner(machine());
    for (uint32_t side = 0; side < 2; ++side)
      runner.start(side == 0 ? home : away, 1, [&, side] {
        proc::Process* descriptor = process;
        if (side == 1) {
          auto copy = proc::process_copy_get(pid);
          KCHECK_OK(copy);
          if (!copy) return;
          descriptor = *copy;
        }
        for (int32_t i = 0; i < kEach; ++i) {
          auto fd = proc::fd_install(descriptor, host_entry(int32_t(1000 * (side + 1)) + i), 3);
          KCHECK_OK(fd);
          if (fd) got[side].push_back(*fd);
        }
        filled.fetch_add(1);
        while (filled.load() < 2) kern::sched_yield();
        for (int32_t i = 0; i < int32_t(got[side].size()); ++i) {
          auto entry = proc::fd_lookup(descriptor, got[side][i]);  // the table the other side filled too
          KCHECK_OK(entry);
          if (entry) KCHECK_EQ(entry->fd.host_fd, int32_t(1000 * (side + 1)) + i);
          KCHECK_OK(proc::fd_release(descriptor, got[side][i]));
        }
      });
  }
  std::vector<int32_t> all = got[0];
  all.insert(all.end(), got[1].begin(), got[1].end());
  std::sort(all.begin(), all.end());
  EXPECT_EQ(all.size(), size_t(2 * kEach));
  EXPECT_EQ(std::adjacent_find(all.begin(), all.end()), all.end()) << "a descriptor given to both clusters";
  run_on(home, [&] {
    for (int32_t fd = 3; fd < 3 + 2 * kEach; ++fd) KCHECK_ERR(proc::fd_lookup(process, fd), Errno::kBadF);
    proc::process_destroy(process);
  });
}

// A file mapped, unlinked and closed stays while a vseg maps it; the munmap of its last vseg
// closes it and its inode goes (its clusters freed at the next sync), not the process's end.
TEST_F(ProcessTest, AMappedFileGoesWithItsLastMapping) {
  const std::string image = m_dir.path("disk.img");
  must_run(fat_tool("mkfs.fat", "dosfstools") + " -C -F 32 " + image + " 65536 >/dev/null");
  MachineConfig config = quiet_config({2, 1, 1});
  config.disk_image = image;
  boot_config(config);
  ASSERT_FALSE(HasFatalFailure());
  ThreadRunner runner(machine());
  runner.start(machine().clusters()[0], 0, [] {
    auto made = proc::process_create(0);
    KCHECK_OK(made);
    if (!made) return;
    proc::Process* process = *made;
    auto file = fs::vfs_open("/mapped", fs::O_RDWR | fs::O_CREAT);
    KCHECK_OK(file);
    if (!file) return;
    char bytes[8192] = {'m'};
    KCHECK_OK(fs::vfs_write(*file, Xptr<void>(hal::local_cxy(), bytes), sizeof bytes));
    const auto inode = fs::rload(*file, &fs::File::m_inode);
    const auto mapper = fs::rload(inode, &fs::Inode::m_mapper);
    auto fd = proc::fd_install(process, proc::UserFd{.kind = proc::UserFd::Kind::kFile, .file = *file, .pipe = {}});
    KCHECK_OK(fd);
    if (!fd) return;
    KCHECK_OK(proc::pin_mapped_file(process, *file));
    auto first = vmm::vmm_mmap(&process->m_vmm, 0, vmm::Placement::kHint, 4096, vmm::VSEG_READ, mapper, 0, 4096);
    auto second = vmm::vmm_mmap(&process->m_vmm, 0, vmm::Placement::kHint, 4096, vmm::VSEG_READ, mapper, 4096, 4096);
    KCHECK_OK(first);
    KCHECK_OK(second);
    KCHECK_OK(fs::vfs_unlink("/mapped"));
    KCHECK_OK(proc::fd_release(process, *fd));  // the mapping keeps the open file
    KCHECK_EQ(fs::rload(inode, &fs::Inode::m_refcount), 1u);
    if (first) KCHECK_OK(vmm::vmm_munmap(&process->m_vmm, *first, 4096, nullptr, nullptr));
    proc::release_unmapped_files(process);
    KCHECK_EQ(fs::rload(inode, &fs::Inode::m_refcount), 1u);  // the second mapping keeps it
    auto inodes_in_use = [&] {
      return mm::memory_at(inode.cxy())->m_kcm[uint32_t(mm::KcmType::INODE)].stats().objects_in_use;
    };
    const uint64_t inodes_before = inodes_in_use();
    if (second) KCHECK_OK(vmm::vmm_munmap(&process->m_vmm, *second, 4096, nullptr, nullptr));
    proc::release_unmapped_files(process);
    KCHECK_EQ(inodes_in_use() + 1, inodes_before);
    proc::process_destroy(process);
  });
  EXPECT_TRUE(runner.wait());
  shutdown_and_check();
}

#ifdef MKH_TEST_RV32_DIR
TEST_F(ProcessTest, ExecRunsAProgramOfTheDiskAndGivesItsPagesBack) {
  if (!boot_with_program({2, 2, 2}, "cprog")) GTEST_SKIP() << "cprog is not built (no RISC-V compiler)";
  ASSERT_FALSE(HasFatalFailure());
  for (int run = 0; run < 2; ++run) {
    const auto outcome = run_exec(machine(), ExecRequest{.path = "/cprog", .argv = {"/cprog", "a", "b"}, .env = {}});
    ASSERT_TRUE(outcome.has_value()) << outcome.error();
    EXPECT_EQ(outcome->exit_code, 3u);  // cprog exits with argc
    EXPECT_EQ(outcome->signal, 0u);
    EXPECT_GT(outcome->instructions, 1000u);
    EXPECT_GT(outcome->syscalls, 10u);
  }
  const auto missing = run_exec(machine(), ExecRequest{.path = "/nothing", .argv = {"/nothing"}, .env = {}});
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, Errno::kNoEnt);
  shutdown_and_check();  // every page back, no process left in a kcm cache
}

// A service holds the process it acts on (ProcessUse, services 2, 6, 20, 21, 26): the
// process's destroy takes it out of the table at once (no new use), then waits for the use to
// be released before it frees it.
TEST_F(ProcessTest, ADestroyWaitsForTheServicesThatHoldTheProcess) {
  boot({1, 1, 2});
  ASSERT_FALSE(HasFatalFailure());
  const uint32_t cxy = machine().clusters()[0];
  std::atomic<proc::Process*> process{nullptr};
  std::atomic<bool> destroying{false}, destroyed{false};
  ThreadRunner runner(machine());
  runner.start(cxy, 0, [&] {
    auto made = proc::process_create(0);
    KCHECK_OK(made);
    if (!made) return;
    const uint32_t pid = (*made)->m_pid;
    {
      auto use = proc::ProcessUse::by_pid(pid);
      KCHECK_OK(use);
      KCHECK_ERR(proc::ProcessUse::by_pointer(nullptr), Errno::kInval);
      process = *made;
      while (!destroying.load() || proc::ProcessUse::by_pid(pid).has_value()) kern::sched_yield();
      KCHECK_ERR(proc::ProcessUse::by_pointer(*made), Errno::kInval);  // out of the table
      for (const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(20);
           std::chrono::steady_clock::now() < until;)
        kern::sched_yield();
      KCHECK(!destroyed.load());
      KCHECK_EQ((*made)->m_magic, proc::Process::kMagic);
    }
  });
  runner.start(cxy, 1, [&] {
    while (process.load() == nullptr) kern::sched_yield();
    destroying = true;
    proc::process_destroy(process.load());
    destroyed = true;
  });
  EXPECT_TRUE(runner.wait());
  EXPECT_TRUE(destroyed.load());
  shutdown_and_check();
}

// A program of the disk run by a process of the calling kernel thread's cluster, to its end.
struct RunningProgram {
  std::atomic<bool> started{false};              // set once it runs, or could not
  std::atomic<proc::Process*> process{nullptr};  // while it runs; null when it could not start
  std::atomic<uint32_t> pid{0};
  std::atomic<uint32_t> exit_code{0};
  std::atomic<uint32_t> signal{0};
};

// `stopped_first`: the process is blocked (PROCESS_SIGACTION BLOCK) before its thread exists.
void run_program(RunningProgram& run, const char* path, const char* arg, bool stopped_first = false) {
  auto block = mm::PageBlock::alloc(2);
  KCHECK(block.has_value());
  auto made = proc::process_create(0);
  KCHECK_OK(made);
  if (!block || !made) {
    run.started = true;
    return;
  }
  proc::Process* process = *made;
  if (stopped_first) proc::process_set_stopped(process, true);
  auto* info = new (block->base()) proc::ExecInfo();
  info->pid = process->m_pid;
  std::strcpy(info->path, path);
  KCHECK_OK(proc::exec_info_add(info, path, false));
  KCHECK_OK(proc::exec_info_add(info, arg, false));
  process->m_waiter = kern::thread_current_xptr();
  auto exec = proc::rpc_process_make_exec_client(hal::local_cxy(), Xptr<proc::ExecInfo>(hal::local_cxy(), info));
  KCHECK_OK(exec);
  if (exec) {
    run.pid = process->m_pid;
    run.process = process;
  }
  run.started = true;
  if (exec) {
    proc::process_wait_end(process);
    run.exit_code = process->m_exit_code;
    run.signal = process->m_exit_signal;
  }
  proc::process_destroy(process);
}

// From a kernel thread of any cluster: whether the instruction count of the process (of
// cluster `cxy`), which its threads add to at each quantum's end, moves during `span`.
bool instructions_move(hal::cxy_t cxy, proc::Process* process, std::chrono::milliseconds span) {
  const auto instructions = Xptr<proc::Process>(cxy, process).field(&proc::Process::m_instructions);
  const uint64_t before = hal::remote_load(instructions);
  for (const auto until = std::chrono::steady_clock::now() + span; std::chrono::steady_clock::now() < until;)
    kern::sched_yield();
  return hal::remote_load(instructions) != before;
}
// Stopped at its quantum's end: the count holds still over three spans in a row (a host that
// did not run the process's core for a span is told apart by the retries).
bool comes_to_a_stop(hal::cxy_t cxy, proc::Process* process) {
  constexpr std::chrono::milliseconds kSpan(20);
  for (int attempt = 0; attempt < 100; ++attempt)
    if (!instructions_move(cxy, process, kSpan) && !instructions_move(cxy, process, kSpan) &&
        !instructions_move(cxy, process, kSpan))
      return true;
  return false;
}
bool runs_again(hal::cxy_t cxy, proc::Process* process) {
  for (int attempt = 0; attempt < 500; ++attempt)
    if (instructions_move(cxy, process, std::chrono::milliseconds(20))) return true;
  return false;
}

// Service 9 from other clusters on a process running a program: BLOCK stops its thread,
// UNBLOCK lets it run on, DELETE kills it; its end deletes the copy another cluster made.
TEST_F(ProcessTest, SigactionBlocksUnblocksAndDeletesTheThreadsOfAProcessFromOtherClusters) {
  if (!boot_with_program({2, 2, 1}, "bench")) GTEST_SKIP() << "bench is not built (no RISC-V compiler)";
  ASSERT_FALSE(HasFatalFailure());
  const std::vector<uint32_t> clusters = machine().clusters();
  const hal::cxy_t home = clusters[0];
  RunningProgram run;
  ThreadRunner runner(machine());
  runner.start(home, 0, [&] { run_program(run, "/bench", "1000000"); });  // minutes of work: it ends killed
  // From each other cluster in turn (the program's cluster has one core, busy with it).
  for (uint32_t c = 1; c < clusters.size(); ++c) {
    ThreadRunner turn(machine());
    turn.start(clusters[c], 0, [&, c] {
      while (!run.started.load()) kern::sched_yield();
      proc::Process* process = run.process.load();
      if (process == nullptr) return;
      auto act = [&](proc::SigAction action) {
        KCHECK_OK(rpc::rpc_multicast_call<rpc::RPC_PROCESS_SIGACTION>(&home, 1, uint32_t(action), run.pid.load()));
      };
      if (c == 1) KCHECK_OK(proc::process_copy_get(run.pid.load()));  // deleted as the process ends
      for (int round = 0; round < 3; ++round) {
        act(proc::SigAction::kBlockAll);
        KCHECK(comes_to_a_stop(home, process));
        act(proc::SigAction::kUnblockAll);
        KCHECK(runs_again(home, process));
      }
      if (c + 1 == clusters.size()) {
        act(proc::SigAction::kBlockAll);  // killed while blocked: it ends all the same
        act(proc::SigAction::kDeleteAll);
      }
    });
  }
  EXPECT_TRUE(runner.wait());
  EXPECT_EQ(run.signal.load(), uint32_t(proc::kSigKill));
  const MachineReport report = machine().report();
  EXPECT_EQ(served(report, home, "PROCESS_SIGACTION"), 3u * 2 * 3 + 2);
  EXPECT_EQ(served(report, clusters[1], "PROCESS_SIGACTION"), 1u);  // its copy deleted
}

// A thread that starts while its process is blocked blocks itself: the program exec'd into a
// process blocked beforehand runs no instruction until UNBLOCK (from another cluster).
TEST_F(ProcessTest, AThreadStartingInABlockedProcessWaitsForItsUnblock) {
  if (!boot_with_program({2, 1, 1}, "bench")) GTEST_SKIP() << "bench is not built (no RISC-V compiler)";
  ASSERT_FALSE(HasFatalFailure());
  const hal::cxy_t home = machine().clusters()[0], away = machine().clusters()[1];
  RunningProgram run;
  ThreadRunner runner(machine());
  runner.start(home, 0, [&] { run_program(run, "/bench", "1000000", true); });
  run_on(away, [&] {
    while (!run.started.load()) kern::sched_yield();
    proc::Process* process = run.process.load();
    if (process == nullptr) return;
    KCHECK(comes_to_a_stop(home, process));
    KCHECK_EQ(hal::remote_load(Xptr<proc::Process>(home, process).field(&proc::Process::m_instructions)), 0u);
    KCHECK_OK(rpc::rpc_call<rpc::RPC_PROCESS_SIGACTION>(home, uint32_t(proc::SigAction::kUnblockAll), run.pid.load()));
    KCHECK(runs_again(home, process));
    KCHECK_OK(make_kill(home, run.pid.load(), uint32_t(proc::kSigKill)));
  });
  EXPECT_TRUE(runner.wait());
  EXPECT_EQ(run.signal.load(), uint32_t(proc::kSigKill));
}

// Load averages on a running machine (kern/loadavg.hpp), sampled every 10 ms: two processes
// running bench on a one-core cluster keep two threads ready there, so the core's 1-minute
// average, read from another cluster, climbs past 1; once they are killed, the core idles and
// the average falls under 0.5 (the reader folds in the periods an idle core sleeps through).
TEST_F(ProcessTest, LoadAveragesCountTheReadyThreadsAndDecayWhenIdle) {
  const std::string image = image_with_program("bench");
  if (image.empty()) GTEST_SKIP() << "bench is not built (no RISC-V compiler)";
  MachineConfig config = quiet_config({2, 1, 1});
  config.disk_image = image;
  config.load_period_ms = 10;
  boot_config(config);
  ASSERT_FALSE(HasFatalFailure());
  const hal::cxy_t home = machine().clusters()[0], reader = machine().clusters()[1];
  const auto average_over_a_minute = [home] {
    uint32_t averages[3];
    kern::load_read(kern::core_xptr(home, 0).field(&kern::Core::m_load), hal::ticks(), averages);
    return averages[0];
  };
  // Polls, from a kernel thread of `reader`, until `done` or a minute has passed.
  const auto until = [&](auto done) {
    bool happened = false;
    run_on(reader, [&] {
      for (const auto end = std::chrono::steady_clock::now() + std::chrono::minutes(1);
           !happened && std::chrono::steady_clock::now() < end;)
        if (!(happened = done())) kern::sched_yield();
    });
    return happened;
  };
  constexpr uint32_t kOne = 1u << kern::kLoadShift;
  std::vector<RunningProgram> runs(2);
  ThreadRunner runner(machine());
  for (RunningProgram& run : runs) runner.start(home, 0, [&run] { run_program(run, "/bench", "1000000"); });
  for (const RunningProgram& run : runs)
    while (!run.started.load()) std::this_thread::yield();
  EXPECT_TRUE(until([&] { return average_over_a_minute() > kOne; })) << average_over_a_minute();
  run_on(reader, [&] {
    for (const RunningProgram& run : runs) KCHECK_OK(make_kill(home, run.pid.load(), uint32_t(proc::kSigKill)));
  });
  EXPECT_TRUE(runner.wait());
  EXPECT_TRUE(until([&] { return average_over_a_minute() < kOne / 2; })) << average_over_a_minute();
}

// Services 4 and 5 from every cluster to every cluster: their refusals, and on a program run
// by each cluster's process, from the next cluster: SIGSTOP stops it (its copy in the sender's
// cluster blocked too, by service 9), SIGCONT lets it run on, then PROCESS_MAKE_EXIT ends it
// with a status, or PROCESS_MAKE_KILL with SIGKILL kills it, and a SIGSTOP after that does not
// keep it from ending.
TEST_F(ProcessTest, ExitAndKillFromEveryClusterStopContinueAndEndAProcess) {
  // Two cores a cluster: each sender runs on the core its cluster's program does not (exec
  // places a process's main thread by its pid's index; a kernel thread runs before the user
  // threads of its core: a sender waiting on the program's core would starve the program).
  if (!boot_with_program({2, 2, 2}, "bench")) GTEST_SKIP() << "bench is not built (no RISC-V compiler)";
  ASSERT_FALSE(HasFatalFailure());
  const std::vector<uint32_t> clusters = machine().clusters();
  const uint32_t n = uint32_t(clusters.size());
  std::vector<RunningProgram> runs(n);
  ThreadRunner runner(machine());
  for (uint32_t t = 0; t < n; ++t) runner.start(clusters[t], 0, [&, t] { run_program(runs[t], "/bench", "1000000"); });
  for (const RunningProgram& run : runs)
    while (!run.started.load()) std::this_thread::yield();
  {
    ThreadRunner senders(machine());
    for (uint32_t c = 0; c < n; ++c)
      senders.start(clusters[c], 1 - proc::pid_index(runs[c].pid.load()) % 2, [&, c] {
        for (uint32_t t = 0; t < n; ++t) {
          const uint32_t pid = runs[t].pid.load();
          const uint32_t no_signal = 65;
          KCHECK_ERR(make_kill(clusters[t], pid, no_signal), Errno::kInval);
          KCHECK_OK(make_kill(clusters[t], pid, 0u));  // it exists
          KCHECK_ERR(make_kill(clusters[t], proc::pid_make(clusters[t], 200), uint32_t(proc::kSigKill)), Errno::kSrch);
          // Served by the owner only: another cluster holds no such process.
          KCHECK_ERR(rpc::rpc_call<rpc::RPC_PROCESS_MAKE_EXIT>(clusters[(t + 1) % n], pid, 1u), Errno::kSrch);
        }
        const uint32_t t = (c + n - 1) % n;  // the previous cluster's program
        proc::Process* process = runs[t].process.load();
        const uint32_t pid = runs[t].pid.load();
        if (process == nullptr) return;
        if (n > 1) KCHECK_OK(proc::process_copy_get(pid));
        KCHECK_OK(make_kill(clusters[t], pid, uint32_t(proc::kSigStop)));
        KCHECK(comes_to_a_stop(clusters[t], process));
        KCHECK_OK(make_kill(clusters[t], pid, uint32_t(proc::kSigCont)));
        KCHECK(runs_again(clusters[t], process));
        if (t % 2 == 0) KCHECK_OK(rpc::rpc_call<rpc::RPC_PROCESS_MAKE_EXIT>(clusters[t], pid, 0x142u));
        else KCHECK_OK(make_kill(clusters[t], pid, uint32_t(proc::kSigKill)));
        // A stop once the end is decided stops nothing: the threads of an ending process do not
        // stop (the process may be gone already).
        auto late = make_kill(clusters[t], pid, uint32_t(proc::kSigStop));
        KCHECK(late || late.error() == Errno::kSrch);
      });
  }
  EXPECT_TRUE(runner.wait());
  for (uint32_t t = 0; t < n; ++t) {
    EXPECT_EQ(runs[t].exit_code.load(), t % 2 == 0 ? 0x42u : 0u) << "cluster " << clusters[t];
    EXPECT_EQ(runs[t].signal.load(), t % 2 == 0 ? 0u : uint32_t(proc::kSigKill)) << "cluster " << clusters[t];
  }
  const MachineReport report = machine().report();
  for (uint32_t cxy : clusters) {
    for (const char* name : {"PROCESS_MAKE_EXIT", "PROCESS_MAKE_KILL"}) {
      EXPECT_GT(served(report, cxy, name), 0u) << name << " on cluster " << cxy;
      EXPECT_GT(served(report, cxy, name, true), 0u) << name << " sent from cluster " << cxy;
    }
    // The SIGSTOP and the SIGCONT reached the copy it holds (more when a full FIFO made the
    // owner send again); the end of that copy's process deleted it.
    EXPECT_GE(served(report, cxy, "PROCESS_SIGACTION"), 3u) << "cluster " << cxy;
  }
}

// The name MKH_PROCESS_INFO gives (Process::m_comm's two words).
std::string comm_name(uint64_t low, uint64_t high) {
  char bytes[17] = {};
  std::memcpy(bytes, &low, 8);
  std::memcpy(bytes + 8, &high, 8);
  return bytes;
}

// Service 66 MKH_PROCESS_INFO (ps's) from every cluster to every cluster: each cluster's
// program found by its index and from index 0, with its name, parent, thread and state, and
// nothing after it (ESRCH, also for an index past the table); then a copy made in the next
// cluster is counted and a SIGSTOP shows, from every cluster; each program's CPU time grows.
TEST_F(ProcessTest, ProcessInfoFromEveryClusterShowsEachClustersProgram) {
  if (!boot_with_program({2, 2, 2}, "bench")) GTEST_SKIP() << "bench is not built (no RISC-V compiler)";
  ASSERT_FALSE(HasFatalFailure());
  const std::vector<uint32_t> clusters = machine().clusters();
  const auto n = uint32_t(clusters.size());
  std::vector<RunningProgram> runs(n);
  ThreadRunner runner(machine());
  for (uint32_t t = 0; t < n; ++t) runner.start(clusters[t], 0, [&, t] { run_program(runs[t], "/bench", "1000000"); });
  // Every cluster asks every cluster: `copies` and `state` of each program as expected.
  auto ask_everywhere = [&](uint32_t copies, proc::ProcessState state) {
    ThreadRunner askers(machine());
    for (uint32_t c = 0; c < n; ++c)
      askers.start(clusters[c], 0, [&] {
        for (const RunningProgram& run : runs)
          while (!run.started.load()) kern::sched_yield();
        for (uint32_t t = 0; t < n; ++t) {
          const uint32_t pid = runs[t].pid.load();
          for (const uint32_t index : {0u, proc::pid_index(pid)}) {
            const auto info = rpc::rpc_call<rpc::RPC_MKH_PROCESS_INFO>(clusters[t], index);
            KCHECK_OK(info);
            if (!info) continue;
            const auto [found, ppid, threads, copy_count, found_state, low, high, cpu_ns] = *info;
            KCHECK_EQ(found, pid);
            KCHECK_EQ(ppid, 0u);
            KCHECK_EQ(threads, 1u);
            KCHECK_EQ(copy_count, copies);
            KCHECK(found_state == state);
            KCHECK_EQ(comm_name(low, high), std::string("bench"));
            (void)cpu_ns;  // checked apart below: it shows once the thread counted it
          }
          KCHECK_ERR(rpc::rpc_call<rpc::RPC_MKH_PROCESS_INFO>(clusters[t], proc::pid_index(pid) + 1), Errno::kSrch);
          KCHECK_ERR(rpc::rpc_call<rpc::RPC_MKH_PROCESS_INFO>(clusters[t], proc::kMaxProcesses), Errno::kSrch);
        }
      });
    EXPECT_TRUE(askers.wait());
  };
  ask_everywhere(0, proc::ProcessState::kRunning);
  // Each program's CPU time, seen from the next cluster: it shows once its thread counted it,
  // at a scheduling point (a quantum's end), and grows.
  for (uint32_t t = 0; t < n; ++t)
    run_on(clusters[(t + 1) % n], [&] {
      const uint32_t pid = runs[t].pid.load();
      uint64_t first = 0;
      for (const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
           std::chrono::steady_clock::now() < until;) {
        const auto info = rpc::rpc_call<rpc::RPC_MKH_PROCESS_INFO>(clusters[t], proc::pid_index(pid));
        KCHECK_OK(info);
        if (!info) return;
        const uint64_t cpu_ns = std::get<7>(*info);
        if (first == 0) first = cpu_ns;
        else if (cpu_ns > first) return;
        kern::sched_yield();
      }
      KCHECK(!"the CPU time of a running program did not grow in 20 s");
    });
  for (uint32_t t = 0; t < n && n > 1; ++t)
    run_on(clusters[(t + 1) % n], [&] { KCHECK_OK(proc::process_copy_get(runs[t].pid.load())); });
  for (uint32_t t = 0; t < n; ++t)
    run_on(clusters[t], [&] { KCHECK_OK(make_kill(clusters[t], runs[t].pid.load(), uint32_t(proc::kSigStop))); });
  ask_everywhere(n > 1 ? 1 : 0, proc::ProcessState::kStopped);
  for (uint32_t t = 0; t < n; ++t)
    run_on(clusters[t], [&] { KCHECK_OK(make_kill(clusters[t], runs[t].pid.load(), uint32_t(proc::kSigKill))); });
  EXPECT_TRUE(runner.wait());
  const MachineReport report = machine().report();
  for (uint32_t cxy : clusters) EXPECT_GE(served(report, cxy, "MKH_PROCESS_INFO"), 4u * n) << "cluster " << cxy;
}

// Services 67 MKH_SIGNAL_GROUP and 68 MKH_PROCESS_IDS from every cluster to every cluster:
// each cluster's program leads its group and session; each group has its one member, on its
// owner alone (no fork made it: it has no parent), and none is counted for its own sender
// or among the members made before a time before its birth; a signal past 64 and a pid of no
// process are refused; then each program is ended by a SIGKILL to its group, sent from the
// next cluster through every cluster (proc::signal_group).
TEST_F(ProcessTest, GroupServicesFromEveryClusterFindEachClustersProgram) {
  constexpr uint64_t kAnyTime = ~uint64_t(0);  // MKH_SIGNAL_GROUP's `born_before`: every member
  if (!boot_with_program({2, 2, 2}, "bench")) GTEST_SKIP() << "bench is not built (no RISC-V compiler)";
  ASSERT_FALSE(HasFatalFailure());
  const std::vector<uint32_t> clusters = machine().clusters();
  const auto n = uint32_t(clusters.size());
  std::vector<RunningProgram> runs(n);
  ThreadRunner runner(machine());
  for (uint32_t t = 0; t < n; ++t) runner.start(clusters[t], 0, [&, t] { run_program(runs[t], "/bench", "1000000"); });
  ThreadRunner askers(machine());
  for (uint32_t c = 0; c < n; ++c)
    askers.start(clusters[c], 0, [&] {
      for (const RunningProgram& run : runs)
        while (!run.started.load()) kern::sched_yield();
      for (uint32_t t = 0; t < n; ++t) {
        const uint32_t pid = runs[t].pid.load();
        const auto ids = rpc::rpc_call<rpc::RPC_MKH_PROCESS_IDS>(clusters[t], pid);
        KCHECK_OK(ids);
        if (ids) KCHECK(*ids == std::tuple(pid, pid));
        KCHECK_ERR(rpc::rpc_call<rpc::RPC_MKH_PROCESS_IDS>(clusters[t], pid + 1), Errno::kSrch);
        for (uint32_t u = 0; u < n; ++u) {
          const auto members = rpc::rpc_call<rpc::RPC_MKH_SIGNAL_GROUP>(clusters[u], pid, 0u, 0, 0u, 0, kAnyTime);
          KCHECK_OK(members);
          if (members) KCHECK(*members == (u == t ? std::tuple(1u, pid, 1u, 0u) : std::tuple(0u, 0u, 0u, 0u)));
          const auto others = rpc::rpc_call<rpc::RPC_MKH_SIGNAL_GROUP>(clusters[u], pid, 0u, 0, pid, 0, kAnyTime);
          KCHECK_OK(others);
          if (others) KCHECK_EQ(std::get<0>(*others), 0u);
        }
        KCHECK_ERR(rpc::rpc_call<rpc::RPC_MKH_SIGNAL_GROUP>(clusters[t], pid, 65u, 0, 0u, 0, kAnyTime), Errno::kInval);
        const auto earlier = rpc::rpc_call<rpc::RPC_MKH_SIGNAL_GROUP>(clusters[t], pid, 0u, 0, 0u, 0, uint64_t(0));
        KCHECK_OK(earlier);  // of the members made before the clock's 0: none
        if (earlier) KCHECK(*earlier == std::tuple(0u, 0u, 0u, 0u));
      }
      const auto every = proc::signal_group(proc::kEveryProcess, 0, proc::kFromKernel);
      KCHECK_OK(every);
      if (every) KCHECK_EQ(every->count, n);
    });
  EXPECT_TRUE(askers.wait());
  for (uint32_t t = 0; t < n; ++t)
    run_on(clusters[(t + 1) % n], [&] {
      const auto killed = proc::signal_group(runs[t].pid.load(), uint32_t(proc::kSigKill), proc::kFromKernel);
      KCHECK_OK(killed);
      if (killed) KCHECK_EQ(killed->count, 1u);
    });
  EXPECT_TRUE(runner.wait());
  for (uint32_t t = 0; t < n; ++t)
    EXPECT_EQ(runs[t].signal.load(), uint32_t(proc::kSigKill)) << "cluster " << clusters[t];
  const MachineReport report = machine().report();
  for (uint32_t cxy : clusters) {
    EXPECT_GE(served(report, cxy, "MKH_PROCESS_IDS"), 2u * n) << "cluster " << cxy;
    EXPECT_GE(served(report, cxy, "MKH_SIGNAL_GROUP"), 2u * n * n) << "cluster " << cxy;
  }
}

// The threads referee program (user/tests/threads.c: pthreads on clone and futex) with its
// threads on the four cores of one cluster and on one core: they share the mutexes, the
// memory they map and unmap at once (the shootdown), the page mapped again under readers;
// then a thread's exit_group and a thread's fault end the process. Every page comes back.
TEST_F(ProcessTest, ThreadsOfAProcessShareItsMemoryOnTheCoresOfItsCluster) {
  const std::string image = image_with_program("threads", MKH_TEST_USER_TESTS_DIR);
  if (image.empty()) GTEST_SKIP() << "threads is not built (no RISC-V compiler)";
  for (const uint32_t cores : {4u, 1u}) {
    MachineConfig config = quiet_config({1, 1, cores});
    config.disk_image = image;
    boot_config(config);
    ASSERT_FALSE(HasFatalFailure());
    testing::internal::CaptureStdout();
    const auto outcome = run_exec(machine(), ExecRequest{.path = "/threads", .argv = {"/threads"}, .env = {}});
    const std::string out = testing::internal::GetCapturedStdout();
    ASSERT_TRUE(outcome.has_value()) << outcome.error();
    EXPECT_EQ(outcome->status(), 0) << out;
    for (const char* line :
         {"workers: locked 80000 atomic 80000 results 60 errno kept 1111\n",
          "maps: 300 by each of 4 threads, 0 errors\n", "remap: 50 generations, 0 failures, 0 missed by 4 readers\n",
          "queue: 2000 items, sum 100999000\n", "barrier: 5 rounds, 5 serial, 0 errors\n"})
      EXPECT_NE(out.find(line), std::string::npos) << line << " is not in:\n" << out;
    const auto group = run_exec(machine(), ExecRequest{.path = "/threads", .argv = {"/threads", "group"}, .env = {}});
    ASSERT_TRUE(group.has_value()) << group.error();
    EXPECT_EQ(group->status(), 3);
    const auto segv = run_exec(machine(), ExecRequest{.path = "/threads", .argv = {"/threads", "segv"}, .env = {}});
    ASSERT_TRUE(segv.has_value()) << segv.error();
    EXPECT_EQ(segv->signal, 11u);
    shutdown_and_check();  // every page back, no process or thread left
  }
}

// Service 6 THREAD_USER_CREATE from every cluster to every cluster, on a process running a
// program: each new thread runs three instructions of a page the test maps into the process
// (exit(2): the thread alone ends), in the server's cluster — in the process's copy there when
// it is not the reference's. The refusals: a pid of no process, a process without a thread.
// The process ends by a kill; its copies and every page come back.
TEST_F(ProcessTest, ThreadUserCreateFromEveryClusterToEveryCluster) {
  if (!boot_with_program({2, 2, 2}, "bench")) GTEST_SKIP() << "bench is not built (no RISC-V compiler)";
  ASSERT_FALSE(HasFatalFailure());
  const std::vector<uint32_t> clusters = machine().clusters();
  const hal::cxy_t home = clusters[0];
  RunningProgram run;
  ThreadRunner runner(machine());
  runner.start(home, 1, [&] { run_program(run, "/bench", "100000"); });
  while (!run.started) std::this_thread::yield();
  proc::Process* process = run.process;
  ASSERT_NE(process, nullptr);
  const uint32_t pid = run.pid;
  // exit(0) of the calling thread: addi a7, zero, 93; addi a0, zero, 0; ecall.
  static constexpr uint32_t kExitThread[] = {0x05d00893, 0x00000513, 0x00000073};
  uint32_t code = 0;
  run_on(home, [&] {
    auto mapped = vmm::vmm_mmap(&process->m_vmm, 0, vmm::Placement::kHint, vmm::kPageSize,
                                vmm::VSEG_READ | vmm::VSEG_WRITE | vmm::VSEG_EXEC, {}, 0, 0);
    KCHECK_OK(mapped);
    if (!mapped) return;
    code = *mapped;
    uint32_t words[std::size(kExitThread)];  // on this kernel thread's stack, in its cluster's bank
    std::copy(std::begin(kExitThread), std::end(kExitThread), words);
    KCHECK_OK(proc::copy_to_user(process, code, words, sizeof words));
  });
  ASSERT_NE(code, 0u);
  auto made_in = [](hal::cxy_t cxy) {
    return hal::remote_load(Xptr<uint64_t>(cxy, &proc::proc_cluster_at(cxy)->m_user_threads));
  };
  for (const uint32_t from : clusters)
    for (const uint32_t to : clusters) {
      const uint64_t before = made_in(to);
      run_on(from, [&] {
        proc::ThreadAttributes attributes;
        attributes.context.pc = code;
        auto tid = proc::user_thread_create_in(pid, to, attributes);
        KCHECK_OK(tid);
        if (tid) KCHECK(proc::tid_make(pid, 0) != *tid && (*tid & 0xffff00ffu) == pid);
        proc::ThreadAttributes none;
        KCHECK_ERR(proc::user_thread_create_in(proc::pid_make(to, proc::kMaxProcesses - 1), to, none), Errno::kSrch);
      });
      EXPECT_EQ(made_in(to), before + 1) << std::hex << from << " -> " << to;
    }
  // A process that has no thread (made, never run) gets none.
  run_on(clusters[1], [&] {
    auto empty = proc::process_create(0);
    KCHECK_OK(empty);
    if (!empty) return;
    for (const uint32_t to : clusters) {
      proc::ThreadAttributes attributes;
      KCHECK_ERR(proc::user_thread_create_in((*empty)->m_pid, to, attributes), Errno::kSrch);
    }
    proc::process_destroy(*empty);
  });
  run_on(home, [&] {  // a copy in each other cluster, until the process's end
    hal::cxy_t copies[8] = {};
    const uint32_t n = proc::process_copies_clusters(pid, copies, 8);
    KCHECK_EQ(n, uint32_t(clusters.size() - 1));
    for (const uint32_t cxy : clusters)
      if (cxy != home) KCHECK(std::find(copies, copies + n, cxy) != copies + n);
  });
  run_on(clusters[3], [&] { KCHECK_OK(make_kill(home, pid, uint32_t(proc::kSigKill))); });
  EXPECT_TRUE(runner.wait());
  EXPECT_EQ(run.signal, uint32_t(proc::kSigKill)) << "exit code " << run.exit_code;
  shutdown_and_check();  // every copy and page back
}

// The threads referee program with its threads spread over the four clusters (most in the
// process's copies): the mutexes, futexes, memory mapped and unmapped from every cluster at
// once (the reference's shootdown reaching the copies' threads), the page mapped again under
// readers of other clusters; then exit_group and a fault from a thread of a copy end the
// process. Every copy and page comes back.
TEST_F(ProcessTest, ThreadsOfAProcessShareItsMemoryAcrossClusters) {
  if (!boot_with_program({2, 2, 1}, "threads", MKH_TEST_USER_TESTS_DIR))
    GTEST_SKIP() << "threads is not built (no RISC-V compiler)";
  ASSERT_FALSE(HasFatalFailure());
  testing::internal::CaptureStdout();
  const auto outcome = run_exec(machine(), ExecRequest{.path = "/threads", .argv = {"/threads", "spread"}, .env = {}});
  const std::string out = testing::internal::GetCapturedStdout();
  ASSERT_TRUE(outcome.has_value()) << outcome.error();
  EXPECT_EQ(outcome->status(), 0) << out;
  for (const char* line :
       {"workers: locked 80000 atomic 80000 results 60 errno kept 1111\n", "maps: 300 by each of 4 threads, 0 errors\n",
        "remap: 50 generations, 0 failures, 0 missed by 4 readers\n", "queue: 2000 items, sum 100999000\n",
        "barrier: 5 rounds, 5 serial, 0 errors\n", "table: read beside 1000 changes of the map, 0 wrong\n",
        "paths: one across two pages opened 1\n"})
    EXPECT_NE(out.find(line), std::string::npos) << line << " is not in:\n" << out;
  const auto group =
      run_exec(machine(), ExecRequest{.path = "/threads", .argv = {"/threads", "group", "spread"}, .env = {}});
  ASSERT_TRUE(group.has_value()) << group.error();
  EXPECT_EQ(group->status(), 3);
  const auto segv =
      run_exec(machine(), ExecRequest{.path = "/threads", .argv = {"/threads", "segv", "spread"}, .env = {}});
  ASSERT_TRUE(segv.has_value()) << segv.error();
  EXPECT_EQ(segv->signal, 11u);
  shutdown_and_check();  // every page back, no process, copy or thread left
}

// Signal handlers (user/tests/handlers.c) on a machine of two clusters: a handler runs before
// the call that raised its signal returns, nests, takes its masks, keeps the interrupted code's
// registers; a signal to the process goes to another thread when the one it went to blocks it;
// a signal from a child (forked onto the other cluster) reaches a thread that runs
// user code, and interrupts its read of a pipe (EINTR, or started again under SA_RESTART), its
// sleep and its sigsuspend; SIGCHLD's handler reaps children; the faults' handlers (a page made
// writable or mapped, an instruction stepped over); a handler's siginfo names the child that
// sent its signal or ended (PROCESS_MAKE_KILL's origin); a child's stops and continues
// reach its parent on the other cluster (its record, SIGCHLD); SA_RESETHAND's second signal, and a
// fault whose signal is blocked, end it. Every page back.
TEST_F(ProcessTest, SignalHandlersRunAndInterruptWaitsAcrossClusters) {
  if (!boot_with_program({2, 2, 1}, "handlers", MKH_TEST_USER_TESTS_DIR))
    GTEST_SKIP() << "handlers is not built (no RISC-V compiler)";
  ASSERT_FALSE(HasFatalFailure());
  const struct {
    const char* mode;
    const char* line;
  } runs[] = {{"order", "registers across a handler: kept\n"},
              {"threads", "blocked it: yes\na timed futex wait under SA_RESTART signals: EINTR\n"},
              {"mask", "  SIGUSR1's handler returns\n  SIGUSR2's handler\n"},
              {"running", "the running loop saw its handler run: yes\n"},
              {"eintr", "read: 1 byte 'x'; EINTR seen: yes\n"},
              {"restart", "read: 1 byte 'x'; EINTR seen: no\n"},
              {"sleep", "left between 5 and 10 s: yes\n"},
              {"suspend", "the handler ran: yes; SIGUSR1 blocked again: yes\n"},
              {"child", "SIGCHLD's handler reaped 3 children, exit codes summing to 6\n"},
              {"faults", "ebreak: 1 handler call, si_code 1 (TRAP_BRKPT 1), went on after it\n"},
              {"origin",
               "a child's kill(getppid(), SIGCONT) (SI_USER 0): 1 handler call, si_code 0, si_pid the sender's: yes\n"
               "SIGCHLD of a child's _exit(7) (CLD_EXITED 1): 1 handler call, si_code 1, si_pid the sender's: yes, "
               "si_status 7\n"},
              {"stops",
               "SIGCHLD of the continue (CLD_CONTINUED 6): 1 handler call, si_code 6, si_pid the sender's: yes, "
               "si_status 18\n"
               "waitid(WSTOPPED | WCONTINUED | WNOHANG) with nothing new = 0: si_code 0, the child: no, si_status 0\n"},
              {"nocldstop", "SA_NOCLDSTOP: stop reported: yes, continue reported: yes, SIGCHLD pending: no\n"}};
  for (const auto& run : runs) {
    testing::internal::CaptureStdout();
    const auto outcome =
        run_exec(machine(), ExecRequest{.path = "/handlers", .argv = {"/handlers", run.mode}, .env = {}});
    const std::string out = testing::internal::GetCapturedStdout();
    ASSERT_TRUE(outcome.has_value()) << run.mode << ": " << outcome.error();
    EXPECT_EQ(outcome->status(), 0) << run.mode << ":\n" << out;
    EXPECT_NE(out.find(run.line), std::string::npos) << run.line << " is not in " << run.mode << ":\n" << out;
  }
  for (const auto& [mode, signal] : {std::pair{"reset", 10u}, std::pair{"blocked", 11u}}) {
    testing::internal::CaptureStdout();
    const auto ended = run_exec(machine(), ExecRequest{.path = "/handlers", .argv = {"/handlers", mode}, .env = {}});
    (void)testing::internal::GetCapturedStdout();
    ASSERT_TRUE(ended.has_value()) << mode << ": " << ended.error();
    EXPECT_EQ(ended->signal, signal) << mode;
  }
  shutdown_and_check();  // every page back, no process or thread left
}

// fork: PROCESS_MAKE_FORK and VMM_SET_COW refuse what names no process or no image, from every
// cluster to every cluster; the fork referee program run at once on every cluster, each forking
// onto every cluster in turn and from a thread in its copy on another (VMM_SET_COW from there);
// a parent that ends first takes its sleeping child with it; every page back, no process left.
TEST_F(ProcessTest, ForkFromEveryClusterToEveryCluster) {
  if (!boot_with_program({2, 2, 2}, "fork", MKH_TEST_USER_TESTS_DIR))
    GTEST_SKIP() << "fork is not built (no RISC-V compiler)";
  ASSERT_FALSE(HasFatalFailure());
  const std::vector<uint32_t> clusters = machine().clusters();
  {
    ThreadRunner runner(machine());
    for (const uint32_t from : clusters)
      runner.start(from, 0, [&clusters] {
        auto made = proc::process_create(0);  // no fork in progress: no image
        KCHECK_OK(made);
        if (!made) return;
        const Xptr<proc::Process> parent(hal::local_cxy(), *made);
        for (const uint32_t to : clusters) {
          KCHECK_ERR(rpc::rpc_call<rpc::RPC_VMM_SET_COW>(hal::cxy_t(to), reinterpret_cast<proc::Process*>(0x40)),
                     Errno::kInval);
          KCHECK_ERR(rpc::rpc_call<rpc::RPC_PROCESS_MAKE_FORK>(hal::cxy_t(to), parent, Xptr<proc::UserThread>()),
                     Errno::kInval);
        }
        proc::process_destroy(*made);
      });
    ASSERT_TRUE(runner.wait());
  }
  std::vector<ExecRequest> requests;
  for (std::size_t i = 0; i < clusters.size(); ++i)
    requests.push_back(ExecRequest{.path = "/fork", .argv = {"/fork", "spread"}, .env = {}});
  run_to_success_printing(requests,
                          {"done\n", "child of a thread: exit 6\n", "fifty forks: statuses sum to 147\n",
                           "several: 1 1 1 1 1; then -1 (ECHILD)\n"},
                          clusters.size());
  testing::internal::CaptureStdout();
  const auto orphan = run_exec(machine(), ExecRequest{.path = "/fork", .argv = {"/fork", "orphan"}, .env = {}});
  EXPECT_EQ(testing::internal::GetCapturedStdout(), "the parent ends first\n");
  ASSERT_TRUE(orphan.has_value()) << orphan.error();
  EXPECT_EQ(orphan->status(), 0);
  shutdown_and_check();  // every page back, no process, copy or thread left
}

// execve(2) in running processes, one on each cluster at once: from a thread that is not the
// main one, on a copy of its process in another cluster, while the others wait in a futex,
// sleep and spin in every cluster (the new image has one thread, the pid its tid); and racing
// an exit_group of another thread or a SIGKILL from the parent, in forked children (each child
// ends with the new image's status or the other's). Every page comes back.
TEST_F(ProcessTest, ExecveReplacesTheImageOfARunningProcessFromAnyCluster) {
  if (!boot_with_program({2, 2, 2}, "exec", MKH_TEST_USER_TESTS_DIR))
    GTEST_SKIP() << "exec is not built (no RISC-V compiler)";
  ASSERT_FALSE(HasFatalFailure());
  const std::size_t clusters = machine().clusters().size();
  std::vector<ExecRequest> requests;
  for (std::size_t i = 0; i < clusters; ++i)
    for (const char* mode : {"threads", "race"})
      requests.push_back(ExecRequest{.path = "/exec", .argv = {"/exec", mode}, .env = {}});
  run_to_success_printing(
      requests, {"alone: same pid 1, tid is the pid 1\n", "race: 20 of 20 children ended as expected\n"}, clusters);
  uint64_t execs = 0;
  for (const ClusterReport& cluster : shutdown_and_check().clusters) execs += cluster.processes_execs;
  EXPECT_GE(execs, clusters);  // the threads' (the races' children may end before theirs)
}

// Pipes between processes of every cluster: on each cluster of a 2x2:2 machine at once, the
// pipe referee with its children forked on the other clusters in turn (a megabyte from a
// child, a pipeline of two children, four writers of PIPE_BUF records, a reader woken by a
// writer and by its close; pipe.c). Every pipe's block, in whichever cluster, comes back.
TEST_F(ProcessTest, PipesJoinProcessesOfEveryCluster) {
  run_spread_on_every_cluster("pipe", {"a megabyte from a child: 1048576 bytes, 0 wrong, then 0\n",
                                       "the consumer: 1000 lines, numbers summing to 500500\n",
                                       "records of PIPE_BUF bytes: 256 whole, 0 mixed; 64 64 64 64\n",
                                       "a child writing with no reader: killed by signal 13\n", "  they are: late\n"});
}

// Waits for descriptors across clusters: on each cluster of a 2x2:2 machine at once, the poll
// referee with its children forked on the other clusters in turn (pollers woken by a child's
// byte and by its close, three pollers by one byte, a ppoll interrupted by a signal its mask
// lets in; poll.c). The records on the pipes of another cluster are all taken off: every
// pipe's block comes back.
TEST_F(ProcessTest, PollWaitsOnPipesOfEveryCluster) {
  run_spread_on_every_cluster(
      "poll", {"poll until the child writes: 1, revents 0x1\n", "poll until the child is gone: 1, revents 0x10\n",
               "pollers woken by one byte: exit 1 exit 1 exit 1\n",
               "ppoll with a mask that lets SIGUSR1 in: -1 (Interrupted system call), handled: yes, "
               "SIGUSR1 blocked again: yes\n"});
}

// Waits for signals across clusters: on each cluster of a 2x2:2 machine at once, the sigwait
// referee with its children forked on the other clusters in turn (a blocked signal sent by a
// child taken by rt_sigtimedwait, a handler's signal ending the wait, a signal sent to the
// process taken by the thread that waits for it; sigwait.c).
TEST_F(ProcessTest, SigtimedwaitTakesSignalsFromEveryCluster) {
  run_spread_on_every_cluster("sigwait", {"until a child sends SIGUSR2: SIGUSR2, si_code 1\n",
                                          "until a child sends SIGTERM, which has a handler: Interrupted system call\n",
                                          "a thread, for a signal sent to its process: SIGUSR1, si_code 1\n"});
}

// The interval timers across clusters: on each cluster of a 2x2:2 machine at once, the alarm
// referee with its child forked on another cluster (SIGALRM once and every interval from the
// kernel thread of the process's cluster, a child ended by its own, every process ending with
// its timer armed). Every sender thread ends with its process: nothing is left at shutdown.
TEST_F(ProcessTest, IntervalTimersSendSigalrmOnEveryCluster) {
  run_spread_on_every_cluster(
      "alarm", {"the child: killed by signal 14\n", "once after 50 ms: 1 ring, 50 ms or more went by: yes\n",
                "3 rings, then disarmed: 0 s 0 us, interval 0 s 0 us\n"});
}

// CPU-time timers across clusters: on each cluster of a 2x2:2 machine at once, the cputimers
// referee, its threads placed on the other clusters (each charging the one timer of its
// process by compare-and-swap), its children forked there (cputimers.c).
TEST_F(ProcessTest, CpuTimersCountTheThreadsOfEveryCluster) {
  run_spread_on_every_cluster("cputimers",
                              {"ITIMER_VIRTUAL of 50 ms: 1 ring, 25 ms of CPU time or more: yes\n",
                               "ITIMER_PROF every 20 ms, three threads: 5 rings, 50 ms of CPU time or more: yes\n",
                               "a child spinning with ITIMER_PROF: killed by signal 27\n"});
}

// Programs run at once on a deterministic machine, the disk mounted by its seeded driver
// too: what they print, in order, and the instructions each ran.
struct DeterministicRun {
  std::string lines;
  std::vector<uint64_t> instructions;
};

DeterministicRun deterministic_run(const std::string& image, uint64_t seed, Topology topology,
                                   const std::vector<ExecRequest>& requests) {
  const std::string copy = image + ".run";  // each run on the same bytes
  std::filesystem::copy_file(image, copy, std::filesystem::copy_options::overwrite_existing);
  MachineConfig config = quiet_config(topology);
  config.disk_image = copy;
  config.deterministic = true;
  config.seed = seed;
  auto booted = Machine::boot(config);
  EXPECT_TRUE(booted.has_value()) << booted.error();
  if (!booted) return {};
  testing::internal::CaptureStdout();
  const auto outcomes = run_execs(**booted, requests);
  DeterministicRun run{.lines = testing::internal::GetCapturedStdout(), .instructions = {}};
  for (const auto& outcome : outcomes) {
    EXPECT_TRUE(outcome.has_value()) << outcome.error();
    if (!outcome) continue;
    EXPECT_EQ(outcome->status(), 0) << run.lines;
    run.instructions.push_back(outcome->instructions);
  }
  const MachineReport report = (*booted)->shutdown();
  EXPECT_EQ(report.threads_left, 0u);
  for (const ClusterReport& cluster : report.clusters) EXPECT_EQ(cluster.pages_leaked, 0);
  return run;
}

// Three processes at once: their lines interleave at their quantum's ends and wherever a
// fault or a system call waits for another core.
DeterministicRun deterministic_interleaving(const std::string& image, uint64_t seed) {
  std::vector<ExecRequest> requests;
  for (const char* tag : {"a", "b", "c"})
    requests.push_back(ExecRequest{.path = "/interleave", .argv = {"/interleave", tag}, .env = {}});
  return deterministic_run(image, seed, {2, 2, 1}, requests);
}

// The threads referee program's `work` (no clock read, no timed wait) on the four cores of
// one cluster: the interleaving of its threads (their mutex, condition variable, barrier and
// shootdowns, hence their futex calls and spins) is the seed's, so one seed gives the same
// instructions twice.
TEST_F(ProcessTest, OneSeedReplaysAThreadedProgram) {
  const std::string image = image_with_program("threads", MKH_TEST_USER_TESTS_DIR);
  if (image.empty()) GTEST_SKIP() << "threads is not built (no RISC-V compiler)";
  const std::vector<ExecRequest> work = {ExecRequest{.path = "/threads", .argv = {"/threads", "work"}, .env = {}}};
  const DeterministicRun first = deterministic_run(image, 3, {1, 1, 4}, work);
  ASSERT_EQ(first.instructions.size(), 1u);
  EXPECT_GT(first.instructions[0], 1'000'000u);
  EXPECT_EQ(deterministic_run(image, 3, {1, 1, 4}, work).instructions, first.instructions);
}

TEST_F(ProcessTest, OneSeedReplaysTheInterleavingOfUserThreads) {
  const std::string image = image_with_program("interleave");
  if (image.empty()) GTEST_SKIP() << "interleave is not built (no RISC-V compiler)";
  const DeterministicRun first = deterministic_interleaving(image, 7);
  const DeterministicRun again = deterministic_interleaving(image, 7);
  const DeterministicRun other = deterministic_interleaving(image, 8);
  ASSERT_EQ(std::count(first.lines.begin(), first.lines.end(), '\n'), 3 * 24) << first.lines;
  EXPECT_EQ(first.lines, again.lines);
  EXPECT_EQ(first.instructions, again.instructions);
  EXPECT_EQ(first.instructions, other.instructions);  // the same programs,
  EXPECT_NE(first.lines, other.lines);                // in another order
}
#endif

}  // namespace
}  // namespace mkh::test
