// The RPC tour: one touring thread per cluster, every served service on every other
// cluster, a nested chain with the next cluster of a ring, then one multicast to all. The
// VMM's services run on a process each touring thread makes in its cluster (from the next
// clusters of the ring), and exec (when the disk has the tour's program) runs the program in
// the processes of up to 16 clusters, each from the cluster before it on the ring.
// Layer: boot. The figures are host memory of the harness; every kernel object involved
// lives in a bank.
//
// Nested calls hold RPC threads: a chain of depth 4 between A and B keeps two of A's and
// two of B's blocked until it unwinds. Chains to every cluster at once could gather more
// of them on one cluster than its pool bound allows, and two such clusters waiting for
// each other never unwind (the pool is deadlock free only for nesting shallower than the
// pool, tests/model/README.md). Along a ring each cluster takes part in two chains: at
// most eight RPC threads, whatever the topology.
#include "mkh/workload.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <memory>
#include <thread>

#include <fmt/format.h>

#include "fs/fat/fatfs.hpp"
#include "fs/fat/services.hpp"
#include "fs/vfs/lookup.hpp"
#include "fs/vfs/services.hpp"
#include "fs/vfs/vfs.hpp"
#include "kern/cluster.hpp"
#include "kern/sched.hpp"
#include "libk/console.hpp"
#include "libk/host_mutex.hpp"
#include "mm/kmem.hpp"
#include "mm/mapper/mapper.hpp"
#include "mm/mapper/services.hpp"
#include "proc/copy.hpp"
#include "proc/exec.hpp"
#include "proc/fork.hpp"
#include "proc/process.hpp"
#include "proc/services.hpp"
#include "rpc/services/kcm.hpp"
#include "rpc/services/mkh.hpp"
#include "rpc/services/pmem.hpp"
#include "rpc/services/sched.hpp"
#include "rpc/services/thread.hpp"

namespace mkh {

namespace {

using namespace rpc;  // the reference names, unqualified

// The program the tour execs, when the disk has it (it returns 3), from up to kExecs
// clusters at once, spread over the ring: exec nests file-system calls (the root's
// cluster, the program's mapper), a fan-in on those clusters that the RPC pools absorb
// (threads waiting in a nested call do not count against the bound). More would only
// queue behind the one disk. The VMM's services go to the next kVmmVisits clusters of the
// ring.
constexpr const char* kTourProgram = "/tests/exit3";
constexpr uint32_t kTourProgramStatus = 3;
constexpr std::size_t kExecs = 16;
std::size_t exec_stride(std::size_t clusters) { return (clusters + kExecs - 1) / kExecs; }
constexpr std::size_t kVmmVisits = 3;

struct Tour {
  const std::vector<uint32_t>* clusters = nullptr;
  uint32_t cores_per_cluster = 0;
  std::atomic<uint64_t> calls{0};
  std::atomic<uint64_t> wrong{0};
  std::atomic<uint32_t> finished{0};
  // The process of each touring thread's cluster (the VMM services and exec are served on
  // it by the others), and the phases every touring thread passes together.
  std::vector<proc::Process*> processes;
  std::unique_ptr<std::atomic<uint32_t>[]> exec_started;
  std::atomic<uint32_t> created{0};
  std::atomic<uint32_t> visited{0};
  std::atomic<uint32_t> sent{0};
};

// Yields until `count` touring threads have passed.
void wait_for_all(const Tour& tour, const std::atomic<uint32_t>& count) {
  while (count.load() < tour.clusters->size()) kern::sched_yield();
}

struct TourArg {
  Tour* tour;
  uint32_t position;
};

void parked_kernel_thread(void*) {
  kern::thread_block(kern::thread_current_xptr(), kern::THREAD_BLOCKED_GLOBAL);
  kern::sched_yield();
}
void short_kernel_thread(void*) {}

// Counts a call that must succeed.
template <typename R>
void expect_ok(Tour& tour, const R& result) {
  tour.calls.fetch_add(1);
  if (!result) tour.wrong.fetch_add(1);
}
// Only requests that must succeed: the tour's statistics then show zero errors. The error
// paths are the unit tests' (tests/unit/rpc/rpc_test.cpp).
void visit(Tour& tour, hal::cxy_t server) {
  auto page = rpc_pmem_get_pages_client(server, 1);
  expect_ok(tour, page);
  if (page) expect_ok(tour, rpc_pmem_release_pages_client(server, *page));

  for (uint32_t type = 0; type < mm::kKcmTypeCount; ++type) {
    auto object = rpc_kcm_alloc_client(server, mm::KcmType(type));
    expect_ok(tour, object);
    if (object) expect_ok(tour, rpc_kcm_free_client(server, object->host_ptr(), mm::KcmType(type)));
  }

  expect_ok(tour, rpc_thread_kernel_create_client(server, kern::ThreadType::DEV, short_kernel_thread, nullptr));
  auto parked = rpc_thread_kernel_create_client(server, kern::ThreadType::DEV, parked_kernel_thread, nullptr);
  expect_ok(tour, parked);
  if (parked) expect_ok(tour, rpc_thread_kill_client(server, parked->host_ptr()));

  const uint32_t cores = hal::remote_load(hal::cluster_field(server, &LOCAL_CLUSTER->m_cores_nr));
  expect_ok(tour, rpc_sched_display_client(server, cores - 1));

  auto memory = rpc_call<RPC_MKH_MEMORY_INFO>(server);  // free's service
  expect_ok(tour, memory);
  // Some of the bank is the kernel's own data, and none of it is free.
  if (memory && std::get<2>(*memory) + std::get<1>(*memory) > std::get<0>(*memory)) tour.wrong.fetch_add(1);

  auto ping = rpc_call<RPC_MKH_PING>(server, uint64_t(server));
  expect_ok(tour, ping);
  if (ping && *ping != server + 1u) tour.wrong.fetch_add(1);
}

// With a disk mounted: a directory of the root and one entry in it, found through the VFS,
// that the file services' visit names from every cluster.
struct FileTarget {
  fs::DirEntry dir;
  fs::DirEntry entry;
};

// Calls `pick` on the entries of the directory at `path` (but . and ..) until it answers
// true; whether it did.
template <typename Pick>
bool find_entry(const char* path, Pick pick) {
  auto block = mm::PageBlock::alloc(1);
  if (!block) return false;
  auto* entries = static_cast<fs::DirEntry*>(block->base());
  const uint32_t capacity = uint32_t(2 * hal::kPageSize / sizeof(fs::DirEntry));
  auto dir = fs::vfs_open(path, fs::O_RDONLY | fs::O_DIRECTORY);
  if (!dir) return false;
  bool found = false;
  while (!found) {
    auto count = fs::vfs_readdir(*dir, entries, capacity);
    if (!count || *count == 0) break;
    for (uint32_t i = 0; i < *count && !found; ++i) {
      const std::string_view name(entries[i].name, entries[i].name_len);
      found = name != "." && name != ".." && pick(entries[i]);
    }
  }
  (void)fs::vfs_close(*dir);
  return found;
}

// A directory of the root holding a file with bytes, or else any entry.
bool find_file_target(FileTarget* target) {
  if (fs::local_fs()->m_mounted == 0) return false;
  for (const bool want_bytes : {true, false}) {
    const bool found = find_entry("/", [&](const fs::DirEntry& dir) {
      if (dir.type != fs::InodeType::kDir) return false;
      target->dir = dir;
      const std::string path = "/" + std::string(dir.name, dir.name_len);
      return find_entry(path.c_str(), [&](const fs::DirEntry& entry) {
        target->entry = entry;
        return !want_bytes || (entry.type == fs::InodeType::kFile && entry.size != 0);
      });
    });
    if (found) return true;
  }
  return false;
}

// Services 10 to 18, 24 and 25 on `server`, each doing its real work: a twin of the target
// directory made there (its dentry under the root, its inode loaded from the root's entry,
// its mapper loaded whole), the target entry looked up in the twin, an open file of it, its
// first page got and read, a FAT chain walked by the FAT's cluster; then all released.
void visit_files(Tour& tour, hal::cxy_t server, const FileTarget& target) {
  using fs::FsType;
  using fs::InodeType;
  const auto root = fs::local_fs()->m_root;
  const auto dir_name = hal::Xptr<const char>(hal::local_cxy(), target.dir.name);
  const auto entry_name = hal::Xptr<const char>(hal::local_cxy(), target.entry.name);
  const InodeType entry_type = target.entry.type;

  auto dir_dentry =
      rpc_call<RPC_VFS_DENTRY_CREATE>(root.cxy(), FsType::kFat, dir_name, target.dir.name_len, root.host_ptr());
  expect_ok(tour, dir_dentry);
  if (!dir_dentry) return;
  auto dir = rpc_call<RPC_VFS_INODE_CREATE>(server, *dir_dentry, FsType::kFat, InodeType::kDir, 0u, 0u, 0u, 0u, 0u);
  expect_ok(tour, dir);
  if (dir) {
    {
      fs::InodeReadLock root_lock(root);
      expect_ok(tour, rpc_call<RPC_VFS_INODE_LOAD>(root.cxy(), root.host_ptr(), dir_name, target.dir.name_len, *dir));
    }
    expect_ok(tour, rpc_call<RPC_VFS_MAPPER_LOAD_ALL>(server, dir->host_ptr()));
    auto entry_dentry =
        rpc_call<RPC_VFS_DENTRY_CREATE>(server, FsType::kFat, entry_name, target.entry.name_len, dir->host_ptr());
    expect_ok(tour, entry_dentry);
    auto entry = entry_dentry ? rpc_call<RPC_VFS_INODE_CREATE>(server, *entry_dentry, FsType::kFat, entry_type, 0u, 0u,
                                                               0u, 0u, 0u)
                              : Result<hal::Xptr<fs::Inode>>(error(entry_dentry.error()));
    if (entry_dentry) expect_ok(tour, entry);
    if (entry) {
      expect_ok(tour, rpc_call<RPC_VFS_INODE_LOAD>(server, dir->host_ptr(), entry_name, target.entry.name_len, *entry));
      if (entry_type == InodeType::kDir) {
        expect_ok(tour, rpc_call<RPC_VFS_MAPPER_LOAD_ALL>(server, entry->host_ptr()));
      } else {
        auto file = rpc_call<RPC_VFS_FILE_CREATE>(server, entry->host_ptr(), uint32_t(fs::O_RDONLY));
        expect_ok(tour, file);
        if (file) expect_ok(tour, rpc_call<RPC_VFS_FILE_DESTROY>(server, file->host_ptr()));
      }
      // The entry's first page (a file's, or the directory's own), and a few of its bytes.
      const auto mapper = fs::rload(*entry, &fs::Inode::m_mapper);
      if (fs::rload(*entry, &fs::Inode::m_size) != 0) {
        expect_ok(tour, mapper::rpc_mapper_get_page_client(server, mapper.host_ptr(), 0));
        uint64_t bytes = 0;
        expect_ok(tour, mapper::rpc_mapper_move_buffer_client(server, mapper.host_ptr(), true, false, 0,
                                                              hal::XPTR(hal::local_cxy(), &bytes), sizeof bytes));
      }
      expect_ok(tour, rpc_call<RPC_VFS_INODE_DESTROY>(server, entry->host_ptr()));
    }
    if (entry_dentry) expect_ok(tour, rpc_call<RPC_VFS_DENTRY_DESTROY>(server, entry_dentry->host_ptr()));
    // The twin's chain, walked to its first link by the FAT's cluster.
    const auto fat_mapper = fs::rload(fs::fat_context(), &fs::fat::FatContext::m_fat_mapper);
    if (fat_mapper.cxy() == server)
      expect_ok(tour, fs::fat::rpc_fatfs_get_cluster_client(server, fat_mapper.host_ptr(),
                                                            fs::rload(*dir, &fs::Inode::m_first_cluster), 0));
    expect_ok(tour, rpc_call<RPC_VFS_INODE_DESTROY>(server, dir->host_ptr()));
  }
  expect_ok(tour, rpc_call<RPC_VFS_DENTRY_DESTROY>(root.cxy(), dir_dentry->host_ptr()));
}

// Services 26, 20 and 21 on the process of `server` (position `to`): a vseg whose pages are
// this cluster's, found again, its first page made by the reference, then asked for by a copy
// of the process made here (deleted by service 9 as the process ends); then 28.
void visit_vmm(Tour& tour, uint32_t from, uint32_t to) {
  const hal::cxy_t server = (*tour.clusters)[to];
  proc::Process* process = tour.processes[to];
  if (process == nullptr) return;
  const uint32_t base = 0x4000'0000 + from * 0x10000;  // clear of any program's segments
  auto vseg = rpc_call<RPC_VMM_CREATE_VSEG>(server, process, vmm::VsegType::kAnon, base, 2 * vmm::kPageSize, 0u, 0u,
                                            hal::Xptr<mapper::Mapper>(), hal::local_cxy());
  expect_ok(tour, vseg);
  auto found = rpc_call<RPC_VMM_GET_VSEG>(server, process, base + 8);
  expect_ok(tour, found);
  if (vseg && found && *vseg != *found) tour.wrong.fetch_add(1);
  auto pte = rpc_call<RPC_VMM_GET_PTE>(server, process, base >> 12, true);
  expect_ok(tour, pte);
  if (pte && hal::GET_CXY(std::get<1>(*pte) << 12) != hal::local_cxy()) tour.wrong.fetch_add(1);
  // A copy of that process in this cluster, found again: its fault on the page, through the
  // same two services, answers the reference's page. It goes with the process (service 9).
  const uint32_t pid = hal::remote_load(hal::Xptr<proc::Process>(server, process).field(&proc::Process::m_pid));
  auto info = rpc_call<RPC_MKH_PROCESS_INFO>(server, 0u);  // the cluster's one process (ps's service)
  expect_ok(tour, info);
  if (info && std::get<0>(*info) != pid) tour.wrong.fetch_add(1);
  auto copy = proc::process_copy_get(pid);
  expect_ok(tour, copy);
  if (!copy) return;
  if (proc::process_copy_find(pid) != *copy) tour.wrong.fetch_add(1);
  // (A read: the other clusters' VMM_SET_COW below may have made the page copy-on-write.)
  auto entry = proc::process_copy_get_pte(*copy, base, vmm::VSEG_READ);
  expect_ok(tour, entry);
  if (entry && pte && vmm::gpt_page(*entry) != std::get<1>(*pte) << 12) tour.wrong.fetch_add(1);
  // Service 28: every entry of the process copy-on-write (the image a fork would take kept until
  // the next one, or the process's end): the page is read-only at the reference until the
  // copy's write, which gets a writable entry (a copy of the page, or the page itself when no
  // image holds it any more: another cluster's 28 may have replaced this one's).
  expect_ok(tour, rpc_call<RPC_VMM_SET_COW>(server, process));
  auto cow = rpc_call<RPC_VMM_GET_PTE>(server, process, base >> 12, false);
  expect_ok(tour, cow);
  if (cow && (std::get<0>(*cow) & (vmm::GPT_COW | vmm::GPT_WRITE)) != vmm::GPT_COW) tour.wrong.fetch_add(1);
  auto written = proc::process_copy_get_pte(*copy, base, vmm::VSEG_WRITE);
  expect_ok(tour, written);
  if (written && (vmm::gpt_attr(*written) & vmm::GPT_WRITE) == 0) tour.wrong.fetch_add(1);
}

// Service 2: the tour's program exec'd into the process of `server` (position `to`), which
// its own touring thread waits for.
void exec_on(Tour& tour, uint32_t to) {
  proc::Process* process = tour.processes[to];
  if (process == nullptr || !fs::vfs_stat(kTourProgram)) return;
  auto block = mm::PageBlock::alloc(2);
  if (!block) return;
  static_assert(sizeof(proc::ExecInfo) <= 4 * hal::kPageSize);
  auto* info = new (block->base()) proc::ExecInfo();
  info->pid = hal::remote_load(hal::Xptr<uint32_t>((*tour.clusters)[to], &process->m_pid));
  std::strcpy(info->path, kTourProgram);
  const bool added = proc::exec_info_add(info, kTourProgram, false).has_value();
  const auto made =
      proc::rpc_process_make_exec_client((*tour.clusters)[to], hal::Xptr<proc::ExecInfo>(hal::local_cxy(), info));
  expect_ok(tour, made);
  if (!added) tour.wrong.fetch_add(1);
  if (made) tour.exec_started[to].store(1);
}

void chain_with(Tour& tour, hal::cxy_t server) {
  constexpr uint32_t kDepth = 4;
  auto chain = rpc_call<RPC_MKH_CHAIN>(server, kDepth, hal::local_cxy());
  expect_ok(tour, chain);
  if (chain && *chain != kDepth + 1) tour.wrong.fetch_add(1);
}

void tour_thread(void* raw) {
  const TourArg arg = *static_cast<TourArg*>(raw);
  Tour& tour = *arg.tour;
  const auto& clusters = *tour.clusters;
  // A process of this cluster, its output closed (the program would print into the report).
  auto own = proc::process_create(0);
  expect_ok(tour, own);
  if (own) {
    (*own)->m_waiter = kern::thread_current_xptr();
    for (int32_t fd = 0; fd < 3; ++fd) (void)proc::fd_release(*own, fd);
    tour.processes[arg.position] = *own;
  }
  tour.created.fetch_add(1);
  wait_for_all(tour, tour.created);
  for (std::size_t i = 1; i <= std::min<std::size_t>(kVmmVisits, clusters.size() - 1); ++i)
    visit_vmm(tour, arg.position, uint32_t((arg.position + i) % clusters.size()));
  tour.visited.fetch_add(1);
  wait_for_all(tour, tour.visited);  // exec replaces the image the others' vsegs are in
  if (arg.position % exec_stride(clusters.size()) == 0) exec_on(tour, uint32_t((arg.position + 1) % clusters.size()));
  tour.sent.fetch_add(1);
  wait_for_all(tour, tour.sent);
  if (own) {
    if (tour.exec_started[arg.position].load() != 0) {
      proc::process_wait_end(*own);
      if ((*own)->m_exit_code != kTourProgramStatus || (*own)->m_exit_signal != 0) tour.wrong.fetch_add(1);
    }
    proc::process_destroy(*own);
  }
  for (std::size_t i = 1; i < clusters.size(); ++i) visit(tour, clusters[(arg.position + i) % clusters.size()]);
  FileTarget target;
  if (find_file_target(&target))
    for (std::size_t i = 1; i < clusters.size(); ++i)
      visit_files(tour, clusters[(arg.position + i) % clusters.size()], target);
  if (clusters.size() > 1) chain_with(tour, clusters[(arg.position + 1) % clusters.size()]);
  // One multicast to every cluster (this one included), sharing one response counter.
  RpcDesc desc;
  desc.index = RPC_MKH_PING;
  expect_ok(tour, rpc_multicast(clusters.data(), uint32_t(clusters.size()), &desc));
  tour.finished.fetch_add(1);
}

}  // namespace

Result<TourFigures, Error> run_rpc_tour(Machine& machine) {
  // The touring threads point at the tour and their arguments: when they do not finish,
  // both are left to them (leaked) rather than freed under them.
  auto owned = std::make_unique<Tour>();
  auto owned_args = std::make_unique<std::vector<TourArg>>(machine.clusters().size());
  Tour& tour = *owned;
  std::vector<TourArg>& args = *owned_args;
  tour.clusters = &machine.clusters();
  tour.cores_per_cluster = machine.config().topology.cores_per_cluster;
  tour.processes.assign(machine.clusters().size(), nullptr);
  tour.exec_started = std::make_unique<std::atomic<uint32_t>[]>(machine.clusters().size());

  // SCHED_DISPLAY prints on the kernel console: keep one display, count them all.
  struct Capture {
    libk::HostMutex lock;
    uint64_t displays GUARDED_BY(lock) = 0;
    std::string sample GUARDED_BY(lock);
  } capture;
  libk::console_set_sink(
      [](std::string_view text, void* context) {
        auto* c = static_cast<Capture*>(context);
        libk::HostMutexGuard guard(c->lock);
        if (c->displays++ == 0) c->sample = std::string(text);
      },
      &capture);
  auto abandon = [&](Error why) {
    libk::console_set_sink(nullptr, nullptr);
    (void)owned.release();
    (void)owned_args.release();
    return error(std::move(why));
  };

  for (uint32_t position = 0; position < machine.clusters().size(); ++position) {
    args[position] = TourArg{&tour, position};
    auto thread = machine.spawn(machine.clusters()[position], 0, tour_thread, &args[position], "tour");
    if (!thread)
      return abandon(Error(thread.error(), fmt::format("cannot start the tour on cluster {:#x}: {}",
                                                       machine.clusters()[position], errno_name(thread.error()))));
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(2);
  while (tour.finished.load() < machine.clusters().size()) {
    if (std::chrono::steady_clock::now() > deadline)
      return abandon(Error(Errno::kTimedOut, fmt::format("the RPC tour did not finish in 2 minutes ({} of {} "
                                                         "clusters done)",
                                                         tour.finished.load(), machine.clusters().size())));
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  libk::console_set_sink(nullptr, nullptr);

  TourFigures figures;
  figures.calls = tour.calls.load();
  figures.wrong_answers = tour.wrong.load();
  {
    libk::HostMutexGuard guard(capture.lock);
    figures.displays = capture.displays;
    figures.sample_display = capture.sample;
  }
  return figures;
}

}  // namespace mkh
