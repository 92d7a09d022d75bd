// Mount, sync and unmount: the work that must run on each cluster (a mapper is synced and
// freed by its own cluster) runs there in a kernel thread created by THREAD_KERNEL_CREATE.
// Layer: fs. Calls the FAT driver, the mapper, the VFS services, the thread services.
#include <algorithm>
#include <optional>

#include "fs/fat/fatfs.hpp"
#include "fs/vfs/devfs.hpp"
#include "fs/vfs/lookup.hpp"
#include "fs/vfs/services.hpp"
#include "fs/vfs/vfs.hpp"
#include "hal/cpu.hpp"
#include "kern/cluster.hpp"
#include "kern/thread.hpp"
#include "mm/kmem.hpp"
#include "rpc/services/thread.hpp"

namespace mkh::fs {

using hal::Xptr;

namespace {

// A function run on another cluster by a kernel thread there; the caller waits for it.
struct RemoteWork {
  Result<void> (*fn)(void* arg);
  void* arg;  // in the caller's cluster
  Xptr<kern::Thread> waiter;
  uint32_t done = 0;  // a thread_wait_flag word
  int32_t error = 0;
};

// `raw` is the xptr of the caller's RemoteWork (its cluster waits for this thread).
void remote_work_entry(void* raw) {
  const Xptr<RemoteWork> work(reinterpret_cast<uintptr_t>(raw));
  const auto fn = hal::remote_load(work.field(&RemoteWork::fn));
  const Result<void> result = fn(hal::remote_load(work.field(&RemoteWork::arg)));
  hal::remote_store(work.field(&RemoteWork::error), result ? int32_t(0) : int32_t(result.error()));
  kern::thread_post_flag(work.field(&RemoteWork::done), hal::remote_load(work.field(&RemoteWork::waiter)),
                         kern::THREAD_BLOCKED_WAIT);
}

Result<void> run_on(hal::cxy_t cxy, Result<void> (*fn)(void* arg), void* arg) {
  if (cxy == hal::local_cxy()) return fn(arg);
  RemoteWork work{.fn = fn, .arg = arg, .waiter = kern::thread_current_xptr()};
  const auto work_xptr = Xptr<RemoteWork>(hal::local_cxy(), &work);
  TRY(rpc::rpc_thread_kernel_create_client(cxy, kern::ThreadType::DEV, remote_work_entry,
                                           reinterpret_cast<void*>(uintptr_t(work_xptr.raw()))));
  kern::thread_wait_flag(Xptr<uint32_t>(hal::local_cxy(), &work.done), kern::THREAD_BLOCKED_WAIT);
  if (work.error != 0) return error(Errno(work.error));
  return {};
}

// The clusters of the machine.
template <typename F>
Result<void> for_each_cluster(F&& visit) {
  const Topology& topology = LOCAL_CLUSTER->m_topology;
  for (uint32_t x = 0; x < topology.x_size; ++x)
    for (uint32_t y = 0; y < topology.y_size; ++y) TRY(visit(hal::make_cxy(x, y)));
  return {};
}

// On each cluster: write back the mappers of its FAT inodes of one type.
Result<void> sync_local_inodes(void* arg) {
  const InodeType type = *static_cast<const InodeType*>(arg);
  return for_each_inode(
      hal::local_cxy(), [type](Xptr<Inode> inode) { return rload(inode, &Inode::m_type) == type && on_fat(inode); },
      [](Xptr<Inode> inode) {
        InodeReadLock read(inode);
        return mapper::mapper_sync(inode.host_ptr()->m_mapper.host_ptr());
      });
}

Result<void> sync_fat(void* arg) {
  const auto frees_queued = *static_cast<const std::optional<uint64_t>*>(arg);
  return fat::fat_sync_local(Xptr<fat::FatContext>(local_fs()->m_fat).host_ptr(), frees_queued);
}

// On each cluster: every inode, its dentries (a directory's children are on its cluster) and
// mapper go.
Result<void> release_local_inodes(void*) {
  FsCluster* fs = local_fs();
  const auto root = Xptr<hal::XlistEntry>(hal::local_cxy(), &fs->m_inodes);
  while (!hal::xlist_is_empty(root)) {
    const auto inode = hal::xlist_element(hal::xlist_first(root), &Inode::m_cluster_entry);
    Inode* local = inode.host_ptr();
    if (local->m_type == InodeType::kDir && !local->m_buckets.is_null())
      for (uint32_t b = 0; b < kChildBuckets; ++b)
        XLIST_FOREACH_SAFE(local->m_buckets + std::ptrdiff_t(b), iter, next) {
          TRY(vfs_dentry_destroy_server(hal::xlist_element(iter, &Dentry::m_bucket_entry).host_ptr()));
        }
    TRY(vfs_inode_destroy_server(local));
  }
  return {};
}

Result<void> clear_mount(void*) {
  FsCluster* fs = local_fs();
  fs->m_root = {};
  fs->m_fat = hal::XPTR_NULL;
  for (uint64_t& page : fs->m_fat_pages) hal::local_store(page, uint64_t(0));
  hal::local_store(fs->m_mounted, 0u);
  return {};
}

}  // namespace

void fs_cluster_init(hal::cxy_t cxy) {
  FsCluster* fs = fs_cluster_at(cxy);
  *fs = FsCluster{};
  kern::remote_rwlock_init(hal::cluster_field(cxy, &local_fs()->m_inodes_lock));
  kern::remote_rwlock_init(hal::cluster_field(cxy, &local_fs()->m_rename_lock));
  hal::xlist_root_init(hal::cluster_field(cxy, &local_fs()->m_inodes));
}

Result<void, Error> vfs_mount(bool devices) {
  if (local_fs()->m_mounted != 0) return error(Errno::kBusy, "a volume is mounted already");
  const auto context = TRY(fat::fat_mount());
  auto root = vfs_inode_create_server({}, FsType::kFat, InodeType::kDir, context.host_ptr()->m_geometry.root_cluster,
                                      fat::kAttrDirectory, 0, 0, 0);
  auto fail = [&](Errno code, const char* what) {
    fat::fat_unmount(context);
    return error(code, "{}: {}", what, errno_name(code));
  };
  if (!root) return fail(root.error(), "cannot make the root inode");
  // Publish the FAT on this cluster first: the root's load walks its chain.
  local_fs()->m_fat = context.raw();
  Inode* local_root = root->host_ptr();
  auto clusters = fat::fat_chain_length(context, local_root->m_first_cluster);
  if (clusters) {
    local_root->m_clusters = *clusters;
    local_root->m_size = uint64_t(*clusters) * fat::fat_cluster_size(context);
    auto last = fat::fat_get_cluster(context, local_root->m_first_cluster, *clusters - 1);
    if (last) local_root->m_last_cluster = *last;
    else clusters = error(last.error());
  }
  if (clusters) {
    if (auto loaded = vfs_mapper_load_all_server(local_root); !loaded) clusters = error(loaded.error());
  }
  if (!clusters) {
    (void)vfs_inode_destroy_server(local_root);
    local_fs()->m_fat = hal::XPTR_NULL;
    return fail(clusters.error(), "cannot read the root directory");
  }
  TRY(for_each_cluster([&](hal::cxy_t cxy) -> Result<void> {
    hal::remote_store(hal::cluster_field(cxy, &local_fs()->m_fat), context.raw());
    hal::remote_store(hal::cluster_field(cxy, &local_fs()->m_root).as<hal::xptr_t>(), root->raw());
    hal::remote_store(hal::cluster_field(cxy, &local_fs()->m_mounted), 1u);
    return {};
  }));
  // Mounted: a failure from here on leaves what was made to the unmount.
  if (devices) {
    if (auto made = devfs_mount(*root); !made)
      return error(made.error(), "cannot make /dev: {}", errno_name(made.error()));
  }
  return {};
}

Result<void> vfs_sync() {
  const auto context = fat_context();
  if (context.is_null()) return error(Errno::kNoDev);
  InodeType files = InodeType::kFile;
  InodeType dirs = InodeType::kDir;
  std::optional<uint64_t> no_frees;  // the FAT written between the data and the directories
  // Noted before the data pass: the chains freed at the end are those cut before it, whose
  // stores in flight (write-behind) the pass waited for.
  std::optional<uint64_t> frees_queued = fat::fat_frees_queued(context);
  TRY(for_each_cluster(update_open_entries));
  TRY(for_each_cluster([&](hal::cxy_t cxy) { return run_on(cxy, sync_local_inodes, &files); }));
  TRY(run_on(context.cxy(), sync_fat, &no_frees));
  TRY(for_each_cluster([&](hal::cxy_t cxy) { return run_on(cxy, sync_local_inodes, &dirs); }));
  return run_on(context.cxy(), sync_fat, &frees_queued);
}

Result<void> vfs_unmount() {
  const auto context = fat_context();
  if (context.is_null()) return error(Errno::kNoDev);
  TRY(vfs_sync());
  TRY(for_each_cluster([&](hal::cxy_t cxy) { return run_on(cxy, release_local_inodes, nullptr); }));
  TRY(run_on(
      context.cxy(),
      [](void*) -> Result<void> {
        fat::fat_unmount(Xptr<fat::FatContext>(local_fs()->m_fat));
        return {};
      },
      nullptr));
  return for_each_cluster([&](hal::cxy_t cxy) { return run_on(cxy, clear_mount, nullptr); });
}

}  // namespace mkh::fs
