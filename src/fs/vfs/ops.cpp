// The file operations: open, close, read, write, lseek, stat, mkdir, rmdir, unlink, rename,
// truncate, readdir, statfs, and the file-descriptor table. Layer: fs.
#include <algorithm>
#include <cstring>
#include <ctime>
#include <optional>

#include "fs/fat/fatfs.hpp"
#include "fs/vfs/devfs.hpp"
#include "fs/vfs/lookup.hpp"
#include "fs/vfs/services.hpp"
#include "fs/vfs/vfs.hpp"
#include "hal/cpu.hpp"
#include "mm/kmem.hpp"

namespace mkh::fs {

using hal::Xptr;

namespace {

uint64_t now() { return uint64_t(std::time(nullptr)); }

// A sync before an operation that may queue chains to free, when the queue is nearly full.
Result<void> make_room_for_frees() {
  const auto context = fat_context();
  if (rload(context, &fat::FatContext::m_pending_nr) + 4 >= fat::kPendingFrees) TRY(vfs_sync());
  return {};
}

// An operation that ran out of clusters while chains wait to be freed (a sync frees them):
// the sync, then the operation once more, with no lock held — space a removal gave back is
// there for the next write, as on Linux. Each operation retried changes nothing when it
// answers kNoSpc (the chain is extended, or the entry made, before anything else).
template <typename Op>
auto with_pending_frees(Op op) -> decltype(op()) {
  auto result = op();
  if (result || result.error() != Errno::kNoSpc || !fat::fat_frees_pending(fat_context())) return result;
  TRY(vfs_sync());
  return op();
}

// Makes the inode's chain long enough for `size` bytes; under the inode's write lock.
Result<void> ensure_clusters(Xptr<Inode> inode, uint64_t size) {
  const auto context = fat_context();
  const uint32_t cluster_size = fat::fat_cluster_size(context);
  const uint32_t needed = uint32_t((size + cluster_size - 1) / cluster_size);
  const uint32_t have = rload(inode, &Inode::m_clusters);
  if (needed <= have) return {};
  const uint32_t last = rload(inode, &Inode::m_last_cluster);
  const fat::NewClusters added = TRY(fat::fat_extend(context, have == 0 ? 0 : last, needed - have, false));
  if (have == 0) rstore(inode, &Inode::m_first_cluster, added.first);
  rstore(inode, &Inode::m_last_cluster, added.last);
  rstore(inode, &Inode::m_clusters, needed);
  rstore(inode, &Inode::m_meta_dirty, 1u);
  return {};
}

// Writes zeros over [from, to) through the mapper; the chain covers `to`.
Result<void> zero_fill(Xptr<Inode> inode, uint64_t from, uint64_t to) {
  if (from >= to) return {};
  auto block = TRY(mm::PageBlock::alloc(0));
  std::memset(block.base(), 0, hal::kPageSize);
  const auto mapper = rload(inode, &Inode::m_mapper);
  for (uint64_t at = from; at < to;) {
    const uint64_t bytes = std::min<uint64_t>(hal::kPageSize - at % hal::kPageSize, to - at);
    TRY(mapper::mapper_move_buffer(mapper, false, false, at, hal::XPTR(hal::local_cxy(), block.base()), bytes));
    at += bytes;
  }
  return {};
}

// Under the inode's write lock: the new size, the chain grown (zeros) or cut.
Result<void> truncate_locked(Xptr<Inode> inode, uint64_t size) {
  if (size > kMaxFileSize) return error(Errno::kFBig);
  const uint64_t old = rload(inode, &Inode::m_size);
  if (size > old) {
    TRY(ensure_clusters(inode, size));
    TRY(zero_fill(inode, old, size));
  } else if (size < old) {
    const auto context = fat_context();
    const uint32_t cluster_size = fat::fat_cluster_size(context);
    const uint32_t keep = uint32_t((size + cluster_size - 1) / cluster_size);
    const uint32_t first = rload(inode, &Inode::m_first_cluster);
    if (keep < rload(inode, &Inode::m_clusters)) {
      const uint32_t last = keep == 0 ? 0 : TRY(fat::fat_get_cluster(context, first, keep - 1));
      TRY(fat::fat_release_after(context, first, last));
      rstore(inode, &Inode::m_clusters, keep);
      rstore(inode, &Inode::m_last_cluster, last);
      if (keep == 0) rstore(inode, &Inode::m_first_cluster, 0u);
      // The chain position the mapper remembers may be past the cut (fat/fatfs.cpp).
      rstore(rload(inode, &Inode::m_mapper), &mapper::Mapper::m_fs_word, uint64_t(0));
    }
    // Bytes past the new end stay in the mapper; a later growth writes zeros over them.
  }
  rstore(inode, &Inode::m_size, size);
  rstore(inode, &Inode::m_mtime, now());
  rstore(inode, &Inode::m_meta_dirty, 1u);
  return {};
}

// Writes a file's size, chain and time into its directory entry (after its writer released
// it: the parent's lock comes first in the lock order). Tried again when a rename moved the
// entry to another directory while the first one's lock was awaited.
Result<void> update_entry(Xptr<Inode> inode) {
  if (!on_fat(inode)) return {};  // devfs has no entries
  for (;;) {
    if (rload(inode, &Inode::m_meta_dirty) == 0) return {};
    auto pinned_dir = pinned_parent(inode);
    const auto dir = pinned_dir.get();
    if (dir.is_null()) return {};
    bool moved = false;
    Result<void> updated = [&]() -> Result<void> {
      InodeReadLock dir_lock(dir);
      uint32_t first = 0;
      uint64_t size = 0;
      uint64_t mtime = 0;
      Xptr<Dentry> dentry;
      {
        InodeReadLock read(inode);
        dentry = rload(inode, &Inode::m_dentry);
        if (dentry.is_null()) return {};  // unlinked meanwhile
        if (rload(dentry, &Dentry::m_parent) != dir) {
          moved = true;
          return {};
        }
        first = rload(inode, &Inode::m_first_cluster);
        size = rload(inode, &Inode::m_size);
        mtime = rload(inode, &Inode::m_mtime);
        rstore(inode, &Inode::m_meta_dirty, 0u);
      }
      const bool is_dir = rload(inode, &Inode::m_type) == InodeType::kDir;
      return fat::dir_update(dir, rload(dentry, &Dentry::m_slot), rload(dentry, &Dentry::m_slot_count), first,
                             is_dir ? 0 : uint32_t(size), mtime);
    }();
    if (auto ended = pinned_dir.reset(); !ended && updated) updated = ended;
    if (!moved || !updated) return updated;
  }
}

// Under the parent's write lock: removes the entry of `dentry` (naming `child`) from `dir`, from
// the disk at once with `on_disk_now` (fat::dir_remove_on_disk); ENOTEMPTY for a folder that is
// not empty. The child goes now, or at its last close when it is open.
Result<void> remove_locked(Xptr<Inode> dir, Xptr<Dentry> dentry, Xptr<Inode> child, bool on_disk_now) {
  {
    // Under the child's write lock: a folder found empty stays so (nothing is made in a
    // folder unlinked, child_locked), and pinned_parent never reads the dentry that goes.
    InodeWriteLock child_lock(child);
    const bool is_dir = rload(child, &Inode::m_type) == InodeType::kDir;
    if (is_dir && !TRY(fat::dir_is_empty(child))) return error(Errno::kNotEmpty);
    if (is_dir) forget_subfolders(dir);
    const uint32_t slot = rload(dentry, &Dentry::m_slot);
    const uint32_t slot_count = rload(dentry, &Dentry::m_slot_count);
    if (on_disk_now) TRY(fat::dir_remove_on_disk(dir, slot, slot_count));
    TRY(fat::dir_remove(dir, slot, slot_count));
    rstore(child, &Inode::m_dentry, Xptr<Dentry>{});
    // A folder removed keeps its ".." (a process may stand in it): a reference to its parent.
    if (is_dir) rstore(child, &Inode::m_former_parent, PinnedInode::pin(dir).release());
    rstore(child, &Inode::m_unlinked, 1u);
  }
  TRY(rpc::rpc_call<rpc::RPC_VFS_DENTRY_DESTROY>(dentry.cxy(), dentry.host_ptr()));
  return drop_reference(child);  // the name's
}

// Whether the entry naming `child` in `dir` may go or change: nothing in devfs does (EPERM),
// nor does devfs's folder, a mount point (EBUSY).
Result<void> may_change_entry(Xptr<Inode> dir, Xptr<Inode> child) {
  if (!on_fat(dir)) return error(Errno::kPerm);
  if (!on_fat(child)) return error(Errno::kBusy);
  return {};
}

Result<Xptr<Inode>> file_inode(Xptr<File> file) {
  if (file.is_null()) return error(Errno::kBadF);
  return rload(file, &File::m_inode);
}

bool count_folders(const fat::DirEntry& entry, void* folders) {
  if (entry.sfn.is_directory()) ++*static_cast<uint32_t*>(folders);
  return true;
}

Result<Stat> stat_of(Xptr<Inode> inode) {
  InodeReadLock read(inode);
  Stat stat;
  stat.type = rload(inode, &Inode::m_type);
  stat.size = rload(inode, &Inode::m_size);
  stat.first_cluster = rload(inode, &Inode::m_first_cluster);
  stat.clusters = rload(inode, &Inode::m_clusters);
  if (on_fat(inode)) stat.cluster_size = fat::fat_cluster_size(fat_context());
  stat.attr = rload(inode, &Inode::m_attr);
  stat.mtime = rload(inode, &Inode::m_mtime);
  stat.inode = inode.raw();
  stat.device = rload(inode, &Inode::m_device);
  stat.unlinked = rload(inode, &Inode::m_unlinked) != 0;
  if (stat.unlinked) {
    stat.links = 0;
  } else if (stat.type == InodeType::kDir && !on_fat(inode)) {
    stat.links = 2;  // devfs's folder has no subfolders
  } else if (stat.type == InodeType::kDir) {
    uint32_t folders = rload(inode, &Inode::m_subfolders);
    if (folders == Inode::kSubfoldersUnknown) {
      folders = 0;
      TRY(fat::dir_for_each(inode, 0, count_folders, &folders));
      rstore(inode, &Inode::m_subfolders, folders);  // each reader stores the same count
    }
    stat.links = 2 + folders;
  }
  return stat;
}

// Two directories' write locks, in the order given (once when they are the same).
class TwoDirLocks {
 public:
  TwoDirLocks(Xptr<Inode> first, Xptr<Inode> second) : m_first(first), m_second(second) {
    kern::remote_rwlock_wr_acquire(inode_lock(m_first));
    if (m_second != m_first) kern::remote_rwlock_wr_acquire(inode_lock(m_second));
  }
  ~TwoDirLocks() {
    if (m_second != m_first) kern::remote_rwlock_wr_release(inode_lock(m_second));
    kern::remote_rwlock_wr_release(inode_lock(m_first));
  }
  TwoDirLocks(const TwoDirLocks&) = delete;
  TwoDirLocks& operator=(const TwoDirLocks&) = delete;

 private:
  Xptr<Inode> m_first;
  Xptr<Inode> m_second;
};

// The machine's one lock of the renames across directories (Linux's s_vfs_rename_mutex), on
// the root's cluster: while one runs no directory changes parent, so which of two directories
// is above the other can be asked before locking them, and they are locked the upper first.
Xptr<kern::RemoteRwlock> rename_lock() {
  return hal::cluster_field(local_fs()->m_root.cxy(), &local_fs()->m_rename_lock);
}

// Under the rename lock: the directory just below `top` on the way up from `bottom` to it,
// pinned, or none when `top` is not above `bottom` (Linux's rename "trap").
PinnedInode child_on_way(Xptr<Inode> top, Xptr<Inode> bottom) {
  PinnedInode at = PinnedInode::pin(bottom);
  for (;;) {
    PinnedInode up = pinned_parent(at.get());
    if (up.get().is_null()) return {};  // the root (or a directory removed) reached
    if (up.get() == top) return at;
    at = std::move(up);
  }
}

}  // namespace

namespace {
// A new open file of `inode` (which the caller keeps from going) with `flags`, its type
// checked; `slash`: its path ended with one.
Result<Xptr<File>> open_inode(Xptr<Inode> inode, uint32_t flags, bool slash) {
  const bool is_dir = rload(inode, &Inode::m_type) == InodeType::kDir;
  if (is_dir && ((flags & O_ACCMODE) != O_RDONLY || (flags & (O_CREAT | O_TRUNC)) != 0)) return error(Errno::kIsDir);
  if (!is_dir && ((flags & O_DIRECTORY) != 0 || slash)) return error(Errno::kNotDir);
  return rpc::rpc_call<rpc::RPC_VFS_FILE_CREATE>(inode.cxy(), inode.host_ptr(), flags);
}

// O_TRUNC on the new open `file` of `inode`: a regular file is cut (a device ignores it, as
// Linux's); on a failure, the file is closed.
Result<Xptr<File>> truncate_opened(Xptr<File> file, Xptr<Inode> inode, uint32_t flags) {
  if ((flags & O_TRUNC) != 0 && rload(inode, &Inode::m_type) == InodeType::kFile) {
    Result<void> truncated = {};
    {
      InodeWriteLock write(inode);
      if (rload(inode, &Inode::m_size) != 0) truncated = truncate_locked(inode, 0);
    }
    if (truncated) truncated = update_entry(inode);
    if (!truncated) {
      (void)vfs_close(file);
      return error(truncated.error());
    }
  }
  return file;
}

Result<Xptr<File>> open_once(At at, const char* path, uint32_t flags) {
  if ((flags & O_ACCMODE) == O_ACCMODE) return error(Errno::kInval);
  // Linux (since 6.4) refuses to create with O_DIRECTORY, and creates nothing.
  if ((flags & (O_CREAT | O_DIRECTORY)) == (O_CREAT | O_DIRECTORY)) return error(Errno::kInval);
  if ((flags & O_TRUNC) != 0) TRY(make_room_for_frees());
  PathLast last;
  const auto pinned_dir = TRY(walk_parent(at, path, &last));
  const auto dir = pinned_dir.get();
  if (last.slash && (flags & O_CREAT) != 0) return error(Errno::kIsDir);  // Linux's answer, found or not
  // The type checked and the open file made while the inode cannot go: the parent's lock
  // pins it until the open file counts it (the root is never released).
  Xptr<Inode> inode = dir;
  Xptr<File> file;
  if (last.len == 0) {
    if ((flags & O_CREAT) != 0 && (flags & O_EXCL) != 0) return error(Errno::kExist);
    file = TRY(open_inode(dir, flags, last.slash));
  } else {
    InodeWriteLock dir_lock(dir);
    bool created = false;
    const auto dentry =
        TRY(child_locked(dir, last.view(), (flags & O_CREAT) != 0 ? Create::kFile : Create::kNo, &created));
    if (!created && (flags & O_CREAT) != 0 && (flags & O_EXCL) != 0) return error(Errno::kExist);
    inode = rload(dentry, &Dentry::m_child);
    file = TRY(open_inode(inode, flags, last.slash));
  }
  return truncate_opened(file, inode, flags);
}

Result<Xptr<File>> reopen_once(Xptr<File> file, uint32_t flags) {
  if ((flags & O_ACCMODE) == O_ACCMODE) return error(Errno::kInval);
  if ((flags & O_TRUNC) != 0) TRY(make_room_for_frees());
  // The open file `file` counts its inode, and the caller keeps it open.
  const auto inode = TRY(file_inode(file));
  return truncate_opened(TRY(open_inode(inode, flags & ~(O_CREAT | O_EXCL), false)), inode, flags);
}
}  // namespace

Result<Xptr<File>> vfs_open(At at, const char* path, uint32_t flags) {
  return with_pending_frees([&] { return open_once(at, path, flags); });
}

Result<Xptr<File>> vfs_reopen(Xptr<File> file, uint32_t flags) {
  return with_pending_frees([&] { return reopen_once(file, flags); });
}

void vfs_set_flags(Xptr<File> file, uint32_t mask, uint32_t flags) {
  hal::remote_atomic_or(file.field(&File::m_flags), flags & mask);
  hal::remote_atomic_and(file.field(&File::m_flags), ~(~flags & mask));
}

Result<void> vfs_close(Xptr<File> file) {
  const auto inode = TRY(file_inode(file));
  // The open file's reference goes with it (VFS_FILE_DESTROY); ours, dropped after it, is
  // the one that may be the last (the inode's release is the client's work).
  PinnedInode pinned = PinnedInode::pin(inode);
  // A written file's entry is brought up to date at its close (or by a sync while it is
  // open).
  const Result<void> updated = update_entry(inode);
  TRY(rpc::rpc_call<rpc::RPC_VFS_FILE_DESTROY>(file.cxy(), file.host_ptr()));
  TRY(pinned.reset());
  return updated;
}

Result<void> update_open_entries(hal::cxy_t cxy) {
  return for_each_inode(
      cxy, [](Xptr<Inode> inode) { return rload(inode, &Inode::m_meta_dirty) != 0; }, update_entry);
}

Result<uint64_t> vfs_read(Xptr<File> file, Xptr<void> buffer, uint64_t size) {
  const auto inode = TRY(file_inode(file));
  if ((rload(file, &File::m_flags) & O_ACCMODE) == O_WRONLY) return error(Errno::kBadF);
  const InodeType type = rload(inode, &Inode::m_type);
  if (type == InodeType::kDir) return error(Errno::kIsDir);
  if (type == InodeType::kDev) return devfs_read(inode, buffer, size);
  const uint64_t offset = rload(file, &File::m_offset);
  uint64_t count = 0;
  {
    InodeReadLock read(inode);
    const uint64_t file_size = rload(inode, &Inode::m_size);
    count = offset >= file_size ? 0 : std::min(size, file_size - offset);
    if (count != 0)
      TRY(mapper::mapper_move_buffer(rload(inode, &Inode::m_mapper), true, false, offset, buffer.raw(), count));
  }
  rstore(file, &File::m_offset, offset + count);
  return count;
}

namespace {
Result<uint64_t> write_once(Xptr<File> file, Xptr<void> buffer, uint64_t size) {
  const auto inode = TRY(file_inode(file));
  const uint32_t flags = rload(file, &File::m_flags);
  if ((flags & O_ACCMODE) == O_RDONLY) return error(Errno::kBadF);
  if (rload(inode, &Inode::m_type) == InodeType::kDir) return error(Errno::kIsDir);
  uint64_t end = 0;
  {
    InodeWriteLock write(inode);
    const uint64_t file_size = rload(inode, &Inode::m_size);
    const uint64_t offset = (flags & O_APPEND) != 0 ? file_size : rload(file, &File::m_offset);
    if (size == 0) return uint64_t(0);  // before the size's limit, as Linux
    end = offset + size;
    if (end > kMaxFileSize || end < offset) return error(Errno::kFBig);
    TRY(ensure_clusters(inode, end));
    if (offset > file_size) TRY(zero_fill(inode, file_size, offset));
    TRY(mapper::mapper_move_buffer(rload(inode, &Inode::m_mapper), false, false, offset, buffer.raw(), size));
    if (end > file_size) rstore(inode, &Inode::m_size, end);
    rstore(inode, &Inode::m_mtime, now());
    rstore(inode, &Inode::m_meta_dirty, 1u);
  }
  rstore(file, &File::m_offset, end);
  return size;
}
}  // namespace

Result<uint64_t> vfs_write(Xptr<File> file, Xptr<void> buffer, uint64_t size) {
  const auto inode = TRY(file_inode(file));
  if (rload(inode, &Inode::m_type) == InodeType::kDev) {
    if ((rload(file, &File::m_flags) & O_ACCMODE) == O_RDONLY) return error(Errno::kBadF);
    return devfs_write(inode, size);
  }
  return with_pending_frees([&] { return write_once(file, buffer, size); });
}

Result<uint64_t> vfs_lseek(Xptr<File> file, int64_t offset, Whence whence) {
  const auto inode = TRY(file_inode(file));
  if (rload(inode, &Inode::m_type) == InodeType::kDev) return uint64_t(0);  // a device has no place (null_lseek)
  int64_t base = 0;
  switch (whence) {
    case Whence::kSet: base = 0; break;
    case Whence::kCur: base = int64_t(rload(file, &File::m_offset)); break;
    case Whence::kEnd: {
      InodeReadLock read(inode);
      base = int64_t(rload(inode, &Inode::m_size));
      break;
    }
    default: return error(Errno::kInval);
  }
  const int64_t target = base + offset;
  if (target < 0 || uint64_t(target) > kMaxFileSize) return error(Errno::kInval);  // Linux: past s_maxbytes
  rstore(file, &File::m_offset, uint64_t(target));
  return uint64_t(target);
}

Result<Stat> vfs_stat(At at, const char* path) { return stat_of(TRY(resolve(at, path)).get()); }

Result<Stat> vfs_fstat(Xptr<File> file) { return stat_of(TRY(file_inode(file))); }

Result<uint32_t> vfs_dir_path(Xptr<File> dir, char* out, uint32_t size) {
  if (size < 2) return error(Errno::kRange);
  // Built backwards from the end of `out`, one name per step up, each read under its inode's
  // lock (pinned_parent: a rename or a removal changes the dentry under it).
  uint32_t start = size - 1;
  out[start] = '\0';
  PinnedInode at = PinnedInode::pin(dir.is_null() ? local_fs()->m_root : TRY(file_inode(dir)));
  while (!is_root(at.get())) {
    EntryName name;
    PinnedInode up = pinned_parent(at.get(), &name);
    if (up.get().is_null()) return error(Errno::kNoEnt);  // removed: no path names it
    if (name.length + 1 > start) return error(Errno::kNameTooLong);
    start -= name.length;
    std::memcpy(out + start, name.text, name.length);
    out[--start] = '/';
    at = std::move(up);
  }
  if (start == size - 1) out[--start] = '/';
  std::memmove(out, out + start, size - start);
  return size - 1 - start;
}

namespace {
Result<void> mkdir_once(At at, const char* path) {
  PathLast last;
  const auto pinned_dir = TRY(walk_parent(at, path, &last));
  const auto dir = pinned_dir.get();
  if (last.len == 0) return error(Errno::kExist);
  InodeWriteLock dir_lock(dir);
  bool created = false;
  TRY(child_locked(dir, last.view(), Create::kDir, &created));
  if (!created) return error(Errno::kExist);
  return {};
}
}  // namespace

Result<void> vfs_mkdir(At at, const char* path) {
  return with_pending_frees([&] { return mkdir_once(at, path); });
}

Result<void> vfs_unlink(At at, const char* path) {
  TRY(make_room_for_frees());
  PathLast last;
  const auto pinned_dir = TRY(walk_parent(at, path, &last));
  const auto dir = pinned_dir.get();
  if (last.len == 0) return error(Errno::kIsDir);
  InodeWriteLock dir_lock(dir);
  const auto dentry = TRY(child_locked(dir, last.view(), Create::kNo, nullptr));
  const auto child = rload(dentry, &Dentry::m_child);
  if (rload(child, &Inode::m_type) == InodeType::kDir) return error(Errno::kIsDir);
  if (last.slash) return error(Errno::kNotDir);
  TRY(may_change_entry(dir, child));
  return remove_locked(dir, dentry, child, false);
}

Result<void> vfs_rmdir(At at, const char* path) {
  TRY(make_room_for_frees());
  PathLast last;
  const auto pinned_dir = TRY(walk_parent(at, path, &last));
  const auto dir = pinned_dir.get();
  if (last.len == 0) {
    switch (last.dots) {  // Linux's answers for a path naming a directory itself
      case PathLast::Dots::kDot: return error(Errno::kInval);
      case PathLast::Dots::kDotDot: return error(Errno::kNotEmpty);
      case PathLast::Dots::kNone: return error(Errno::kBusy);  // the root
    }
  }
  InodeWriteLock dir_lock(dir);
  const auto dentry = TRY(child_locked(dir, last.view(), Create::kNo, nullptr));
  const auto child = rload(dentry, &Dentry::m_child);
  if (rload(child, &Inode::m_type) != InodeType::kDir) return error(Errno::kNotDir);
  TRY(may_change_entry(dir, child));
  return remove_locked(dir, dentry, child, false);
}

namespace {
// RENAME_EXCHANGE, under rename_once's locks, once both names are found: Linux's remaining
// checks in Linux's order, then each name keeps its dentry and its slots and the two inodes
// change places (Linux's vfat swaps the inodes' positions likewise).
Result<void> exchange_locked(Xptr<Inode> old_dir, Xptr<Dentry> old_dentry, const PathLast& old_last,
                             Xptr<Inode> new_dir, Xptr<Dentry> new_dentry, const PathLast& new_last,
                             Xptr<Inode> old_trap, Xptr<Inode> new_trap) {
  const auto child = rload(old_dentry, &Dentry::m_child);
  const auto other = rload(new_dentry, &Dentry::m_child);
  const bool child_is_dir = rload(child, &Inode::m_type) == InodeType::kDir;
  const bool other_is_dir = rload(other, &Inode::m_type) == InodeType::kDir;
  if ((!other_is_dir && new_last.slash) || (!child_is_dir && old_last.slash)) return error(Errno::kNotDir);
  // Neither folder into itself or below itself.
  if (child == old_trap || other == new_trap) return error(Errno::kInval);
  if (child == other) return {};  // one entry, named twice (FAT compares names without case)
  if (child_is_dir || other_is_dir) {
    forget_subfolders(old_dir);
    forget_subfolders(new_dir);
  }
  TRY(fat::dir_exchange(old_dir, rload(old_dentry, &Dentry::m_slot), rload(old_dentry, &Dentry::m_slot_count), new_dir,
                        rload(new_dentry, &Dentry::m_slot), rload(new_dentry, &Dentry::m_slot_count)));
  rstore(old_dentry, &Dentry::m_child, other);
  rstore(new_dentry, &Dentry::m_child, child);
  // Each under its own lock (see pinned_parent); a folder that changed parents names its new
  // one in "..".
  auto moved = [&](Xptr<Inode> inode, Xptr<Dentry> dentry, Xptr<Inode> parent, bool is_dir) -> Result<void> {
    InodeWriteLock lock(inode);
    rstore(inode, &Inode::m_dentry, dentry);
    if (is_dir && old_dir != new_dir)
      return fat::dir_set_dotdot(inode, is_root(parent) ? 0 : rload(parent, &Inode::m_first_cluster));
    return {};
  };
  TRY(moved(child, new_dentry, new_dir, child_is_dir));
  return moved(other, old_dentry, old_dir, other_is_dir);
}

Result<void> rename_once(At old_at, const char* old_path, At new_at, const char* new_path, uint32_t flags) {
  const bool exchange = (flags & kRenameExchange) != 0;
  if ((flags & ~uint32_t(kRenameNoReplace | kRenameExchange)) != 0 || (exchange && (flags & kRenameNoReplace) != 0))
    return error(Errno::kInval);
  TRY(make_room_for_frees());
  PathLast old_last;
  PathLast new_last;
  const auto pinned_old_dir = TRY(walk_parent(old_at, old_path, &old_last));
  const auto pinned_new_dir = TRY(walk_parent(new_at, new_path, &new_last));
  const auto old_dir = pinned_old_dir.get();
  const auto new_dir = pinned_new_dir.get();
  if (on_fat(old_dir) != on_fat(new_dir)) return error(Errno::kXDev);  // from a file system to another
  if (old_last.len == 0) return error(Errno::kBusy);
  if (new_last.len == 0) return error((flags & kRenameNoReplace) != 0 ? Errno::kExist : Errno::kBusy);
  // Across directories: the traps (a directory is not moved below itself, nor is a directory
  // above the old name replaced), and the upper directory locked first. In one directory, the
  // old name and the new are below it: no trap.
  std::optional<RemoteWriteLock> renaming;
  PinnedInode old_trap;
  PinnedInode new_trap;
  if (old_dir != new_dir) {
    renaming.emplace(rename_lock());
    old_trap = child_on_way(old_dir, new_dir);
    new_trap = child_on_way(new_dir, old_dir);
  }
  const bool new_above = !new_trap.get().is_null();
  TwoDirLocks locks(new_above ? new_dir : old_dir, new_above ? old_dir : new_dir);
  const auto old_dentry = TRY(child_locked(old_dir, old_last.view(), Create::kNo, nullptr));
  const auto child = rload(old_dentry, &Dentry::m_child);
  const bool is_dir = rload(child, &Inode::m_type) == InodeType::kDir;
  auto existing = child_locked(new_dir, new_last.view(), Create::kNo, nullptr);
  if (!existing && existing.error() != Errno::kNoEnt) return error(existing.error());
  if (existing && (flags & kRenameNoReplace) != 0) return error(Errno::kExist);
  if (exchange) {
    const auto other = TRY(std::move(existing));
    TRY(may_change_entry(old_dir, child));
    TRY(may_change_entry(new_dir, rload(other, &Dentry::m_child)));
    return exchange_locked(old_dir, old_dentry, old_last, new_dir, other, new_last, old_trap.get(), new_trap.get());
  }
  if (!is_dir && (old_last.slash || new_last.slash)) return error(Errno::kNotDir);
  // Not into itself or one of its own subdirectories.
  if (child == old_trap.get()) return error(Errno::kInval);
  // Not over a folder that holds the old name, whatever the kinds (Linux's order).
  if (existing && rload(*existing, &Dentry::m_child) == new_trap.get()) return error(Errno::kNotEmpty);
  if (existing) {  // the same entry has one kind
    const bool target_is_dir = rload(rload(*existing, &Dentry::m_child), &Inode::m_type) == InodeType::kDir;
    if (is_dir && !target_is_dir) return error(Errno::kNotDir);
    if (!is_dir && target_is_dir) return error(Errno::kIsDir);
  }
  // Nothing of devfs moves, nor does its mount point (even to change the case of its name).
  TRY(may_change_entry(old_dir, child));
  if (existing) TRY(may_change_entry(new_dir, rload(*existing, &Dentry::m_child)));
  const bool same_entry = existing && rload(*existing, &Dentry::m_child) == child;
  // The same entry: nothing to do, unless only the case of its name changes (FAT compares names
  // without case), which the general path below does: the old entry goes, the new spelling is
  // added.
  if (same_entry && (old_dir != new_dir || old_last.view() == new_last.view())) return {};
  // The new entry is made before anything goes (every refusal comes there: a name FAT cannot
  // hold, no room left), and written after the old one went: a refused rename changes nothing.
  const auto target = existing && !same_entry ? rload(*existing, &Dentry::m_child) : Xptr<Inode>{};
  if (is_dir) {
    forget_subfolders(old_dir);
    forget_subfolders(new_dir);
  }
  const uint32_t first = rload(child, &Inode::m_first_cluster);
  const uint64_t size = rload(child, &Inode::m_size);
  const auto entry =
      TRY(fat::dir_prepare_entry(new_dir, new_last.name, new_last.len, uint8_t(rload(child, &Inode::m_attr)), first,
                                 is_dir ? 0 : uint32_t(size), rload(child, &Inode::m_mtime)));
  // A name replaced goes off the disk first, as the old name below: else a crash could leave it
  // beside the new entry of the same name (a folder not empty is refused there, nothing gone).
  if (!target.is_null()) TRY(remove_locked(new_dir, *existing, target, true));
  // The old entry goes first, from the disk too: a crash before the next sync loses the name
  // (a leaked chain) or keeps the old one, it never leaves two entries naming one chain.
  TRY(fat::dir_remove_on_disk(old_dir, rload(old_dentry, &Dentry::m_slot), rload(old_dentry, &Dentry::m_slot_count)));
  TRY(fat::dir_remove(old_dir, rload(old_dentry, &Dentry::m_slot), rload(old_dentry, &Dentry::m_slot_count)));
  const auto found = TRY(fat::dir_write_entry(new_dir, entry));
  const auto name_xptr = Xptr<const char>(hal::local_cxy(), new_last.name);
  const auto new_dentry = TRY(rpc::rpc_call<rpc::RPC_VFS_DENTRY_CREATE>(new_dir.cxy(), FsType::kFat, name_xptr,
                                                                        new_last.len, new_dir.host_ptr()));
  rstore(new_dentry, &Dentry::m_child, child);
  rstore(new_dentry, &Dentry::m_slot, found.slot);
  rstore(new_dentry, &Dentry::m_slot_count, found.slot_count);
  table_insert(new_dir, new_dentry);
  {
    InodeWriteLock child_lock(child);  // see pinned_parent
    rstore(child, &Inode::m_dentry, new_dentry);
  }
  TRY(rpc::rpc_call<rpc::RPC_VFS_DENTRY_DESTROY>(old_dentry.cxy(), old_dentry.host_ptr()));
  if (is_dir && old_dir != new_dir) {
    InodeWriteLock child_lock(child);
    TRY(fat::dir_set_dotdot(child, is_root(new_dir) ? 0 : rload(new_dir, &Inode::m_first_cluster)));
  }
  return {};
}
}  // namespace

Result<void> vfs_rename(At old_at, const char* old_path, At new_at, const char* new_path, uint32_t flags) {
  return with_pending_frees([&] { return rename_once(old_at, old_path, new_at, new_path, flags); });
}

namespace {
// The file's new size, then its entry (make_room_for_frees called first).
Result<void> truncate_inode(Xptr<Inode> inode, uint64_t size) {
  {
    InodeWriteLock write(inode);
    TRY(truncate_locked(inode, size));
  }
  return update_entry(inode);
}

Result<void> set_mtime(Xptr<Inode> inode, int64_t mtime) {
  if (!on_fat(inode)) {  // devfs keeps it in memory, as it is
    InodeWriteLock write(inode);
    rstore(inode, &Inode::m_mtime, uint64_t(std::max<int64_t>(0, mtime)));
    return {};
  }
  const fat::FatTime kept = fat::fat_time_from_unix(mtime);
  {
    InodeWriteLock write(inode);
    rstore(inode, &Inode::m_mtime, uint64_t(fat::unix_from_fat_time(kept.date, kept.time)));
    rstore(inode, &Inode::m_meta_dirty, 1u);
  }
  return update_entry(inode);
}

Result<void> truncate_once(At at, const char* path, uint64_t size) {
  TRY(make_room_for_frees());
  const auto pinned = TRY(resolve(at, path));
  const auto inode = pinned.get();
  const InodeType type = rload(inode, &Inode::m_type);
  if (type == InodeType::kDir) return error(Errno::kIsDir);
  if (type == InodeType::kDev) return error(Errno::kInval);  // not a regular file (Linux's vfs_truncate)
  return truncate_inode(inode, size);
}

Result<void> ftruncate_once(Xptr<File> file, uint64_t size) {
  TRY(make_room_for_frees());
  const auto inode = TRY(file_inode(file));
  if ((rload(file, &File::m_flags) & O_ACCMODE) == O_RDONLY || rload(inode, &Inode::m_type) != InodeType::kFile)
    return error(Errno::kInval);
  return truncate_inode(inode, size);
}
}  // namespace

Result<void> vfs_truncate(At at, const char* path, uint64_t size) {
  return with_pending_frees([&] { return truncate_once(at, path, size); });
}

Result<void> vfs_ftruncate(Xptr<File> file, uint64_t size) {
  return with_pending_frees([&] { return ftruncate_once(file, size); });
}

Result<void> vfs_set_mtime(At at, const char* path, int64_t mtime) {
  const auto pinned = TRY(resolve(at, path));
  return set_mtime(pinned.get(), mtime);
}

Result<void> vfs_fset_mtime(Xptr<File> file, int64_t mtime) { return set_mtime(TRY(file_inode(file)), mtime); }

Result<StatFs> vfs_statfs() {
  const auto context = fat_context();
  if (context.is_null()) return error(Errno::kNoDev);
  // The chains a removal or a truncation queued are freed by a sync (crash ordering): one
  // first, so that the space they give back counts as free, as Linux's vfat counts it.
  if (fat::fat_frees_pending(context)) TRY(vfs_sync());
  return StatFs{.cluster_size = fat::fat_cluster_size(context),
                .clusters = fat::fat_cluster_count(context),
                .free_clusters = fat::fat_free_clusters(context)};
}

namespace {
Result<StatFs> statfs_of(Xptr<Inode> inode) {
  if (!on_fat(inode)) return StatFs{.type = FsType::kDevfs};
  return vfs_statfs();
}
}  // namespace

Result<StatFs> vfs_statfs_at(At at, const char* path) { return statfs_of(TRY(resolve(at, path)).get()); }

Result<StatFs> vfs_fstatfs(Xptr<File> file) { return statfs_of(TRY(file_inode(file))); }

namespace {
struct ReaddirState {
  DirEntry* entries;
  uint32_t capacity;
  uint32_t count = 0;
};
bool readdir_visit(const fat::DirEntry& entry, void* context) {
  auto* state = static_cast<ReaddirState*>(context);
  DirEntry& out = state->entries[state->count++];
  std::memcpy(out.name, entry.name, entry.name_len);
  out.name[entry.name_len] = '\0';
  out.name_len = entry.name_len;
  out.type = entry.sfn.is_directory() ? InodeType::kDir : InodeType::kFile;
  out.size = entry.sfn.is_directory() ? 0 : entry.sfn.size;
  out.next = entry.sfn_slot() + 1;
  return state->count < state->capacity;
}
}  // namespace

namespace {
Result<Xptr<Inode>> listable_inode(Xptr<File> dir) {
  const auto inode = TRY(file_inode(dir));
  if (rload(inode, &Inode::m_type) != InodeType::kDir) return error(Errno::kNotDir);
  if (rload(inode, &Inode::m_unlinked) != 0) return error(Errno::kNoEnt);  // removed, as Linux
  return inode;
}
}  // namespace

Result<void> vfs_listable(Xptr<File> dir) {
  TRY(listable_inode(dir));
  return {};
}

Result<uint32_t> vfs_readdir(Xptr<File> dir, DirEntry* entries, uint32_t capacity) {
  const auto inode = TRY(listable_inode(dir));
  if (capacity == 0) return error(Errno::kInval);
  if (!on_fat(inode)) {
    const uint32_t count = devfs_readdir(rload(dir, &File::m_offset), entries, capacity);
    if (count > 0) rstore(dir, &File::m_offset, entries[count - 1].next);
    return count;
  }
  ReaddirState state{.entries = entries, .capacity = capacity};
  {
    InodeReadLock read(inode);
    TRY(fat::dir_for_each(inode, rload(dir, &File::m_offset), readdir_visit, &state));
  }
  if (state.count > 0) rstore(dir, &File::m_offset, entries[state.count - 1].next);
  return state.count;
}

}  // namespace mkh::fs
