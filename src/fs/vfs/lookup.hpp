// Path lookup inside the VFS (see fs/vfs/vfs.hpp for the protocol). Layer: fs.
#pragma once

#include <cstdint>
#include <string_view>
#include <utility>

#include "fs/fat/fatfs.hpp"
#include "fs/vfs/objects.hpp"
#include "hal/kdata.hpp"
#include "hal/xlist.hpp"
#include "kern/rwlock.hpp"
#include "libk/result.hpp"

namespace mkh::fs {

// An inode's lock held for a scope.
class InodeReadLock {
 public:
  explicit InodeReadLock(hal::Xptr<Inode> inode) : m_lock(inode_lock(inode)) { kern::remote_rwlock_rd_acquire(m_lock); }
  ~InodeReadLock() { kern::remote_rwlock_rd_release(m_lock); }
  InodeReadLock(const InodeReadLock&) = delete;
  InodeReadLock& operator=(const InodeReadLock&) = delete;

 private:
  hal::Xptr<kern::RemoteRwlock> m_lock;
};
// A remote rwlock held for writing for a scope (an inode's, the rename lock).
class RemoteWriteLock {
 public:
  explicit RemoteWriteLock(hal::Xptr<kern::RemoteRwlock> lock) : m_lock(lock) {
    kern::remote_rwlock_wr_acquire(m_lock);
  }
  ~RemoteWriteLock() { kern::remote_rwlock_wr_release(m_lock); }
  RemoteWriteLock(const RemoteWriteLock&) = delete;
  RemoteWriteLock& operator=(const RemoteWriteLock&) = delete;

 private:
  hal::Xptr<kern::RemoteRwlock> m_lock;
};
class InodeWriteLock : public RemoteWriteLock {
 public:
  explicit InodeWriteLock(hal::Xptr<Inode> inode) : RemoteWriteLock(inode_lock(inode)) {}
};

hal::Xptr<fat::FatContext> fat_context();
bool is_root(hal::Xptr<Inode> inode);
// Whether the inode is the FAT volume's (not devfs's).
inline bool on_fat(hal::Xptr<Inode> inode) { return rload(inode, &Inode::m_fs_type) == FsType::kFat; }
// The cluster of a new inode: round robin over the clusters of the machine, from this one on.
hal::cxy_t choose_inode_cluster();
// Adds `dentry` to its directory's children table; under the directory's write lock.
void table_insert(hal::Xptr<Inode> dir, hal::Xptr<Dentry> dentry);
// Before a subfolder's entry is added to `dir` or removed from it (its write lock held): the
// count a stat keeps is recounted by the next stat.
void forget_subfolders(hal::Xptr<Inode> dir);

// A reference to an inode held for a scope (Inode::m_refcount), as an open file holds one:
// an inode unlinked goes when its last reference is dropped, never under a holder. pin() adds
// one for a holder of another (the walk's previous step under the parent's lock holds the
// name's; an open file its own); try_pin(), under the inode's cluster's list lock, adds one
// unless the count is 0 (the inode then being released). Dropping the last reference
// releases the inode (RPCs, its chain freed): never under the list's lock.
class PinnedInode {
 public:
  PinnedInode() = default;
  static PinnedInode pin(hal::Xptr<Inode> inode);
  static PinnedInode try_pin(hal::Xptr<Inode> inode);
  PinnedInode(PinnedInode&& other) noexcept : m_inode(std::exchange(other.m_inode, {})) {}
  PinnedInode& operator=(PinnedInode&& other) noexcept {
    if (this != &other) {
      (void)reset();
      m_inode = std::exchange(other.m_inode, {});
    }
    return *this;
  }
  PinnedInode(const PinnedInode&) = delete;
  PinnedInode& operator=(const PinnedInode&) = delete;
  ~PinnedInode() { (void)reset(); }

  hal::Xptr<Inode> get() const { return m_inode; }
  // Drops the reference now; the error of the release it made (the chain's free failed).
  Result<void> reset();
  // The reference handed to the caller, who drops it with drop_reference.
  hal::Xptr<Inode> release() { return std::exchange(m_inode, {}); }

 private:
  explicit PinnedInode(hal::Xptr<Inode> inode) : m_inode(inode) {}
  hal::Xptr<Inode> m_inode;
};

// Drops a reference to `inode` (its name's, when it is unlinked): the last releases it.
Result<void> drop_reference(hal::Xptr<Inode> inode);
// The name of an entry in its directory.
struct EntryName {
  char text[kNameMax + 1];
  uint32_t length = 0;
};
// The directory holding `inode`'s entry, pinned, or none (the root, an inode unlinked); the
// entry's name too, with `name`. Under the inode's lock its dentry cannot change (unlink and
// rename change m_dentry under it), and the directory holding it has its name (it is not
// empty). The caller holds `inode`.
PinnedInode pinned_parent(hal::Xptr<Inode> inode, EntryName* name = nullptr);

// Visits the inodes of cluster `cxy`'s list that `want` selects, those there when the walk
// starts, each pinned and visited after the list's lock is released: `visit` may take the
// inode's lock, and a creator takes the list's lock under its directory's. Stops at visit's
// first error.
template <typename Want, typename Visit>
Result<void> for_each_inode(hal::cxy_t cxy, Want want, Visit visit);

enum class Create { kNo, kFile, kDir };

// Under `dir`'s write lock: the dentry of `name` in `dir`, looked up and loaded on a miss;
// with create, made when the name is absent (*created tells). kNoEnt (also for a directory
// removed meanwhile: nothing is made in it), kNotDir, kIo.
Result<hal::Xptr<Dentry>> child_locked(hal::Xptr<Inode> dir, std::string_view name, Create create, bool* created);
// The inode of `name` in `dir` ("." and ".." included), pinned, taking the directory's locks;
// the caller holds a reference to `dir`.
Result<PinnedInode> lookup_child(hal::Xptr<Inode> dir, std::string_view name);

// The last component of a path.
struct PathLast {
  char name[kNameMax + 1];
  uint32_t len = 0;
  bool slash = false;  // a '/' follows it: it must name a directory (Linux's rule)
  // With no name (the path names a directory itself): what its last component was, for
  // Linux's answers (rmdir of "." is EINVAL, of ".." ENOTEMPTY, of "/" EBUSY).
  enum class Dots : uint8_t { kNone, kDot, kDotDot } dots = Dots::kNone;
  std::string_view view() const { return std::string_view(name, len); }
};
// Resolves every component of `path` (absolute, or relative to `at`) but the last, which goes
// to `last`; a path naming a directory itself ("/", "a/..") gives that directory and an empty
// last. "." and ".." are resolved where they stand, as Linux does: "f/.." is ENOTDIR when f is
// a file, ENOENT when it is missing; in a folder removed, only "." and ".." (its former
// parent) are found. The walk holds each directory it stands in, and the one it gives is
// pinned.
Result<PinnedInode> walk_parent(At at, const char* path, PathLast* last);
// The inode the whole path names, pinned.
Result<PinnedInode> resolve(At at, const char* path);

// Writes the directory entry of every open file of cluster `cxy` whose size, chain or time
// changed since its entry was written (a write leaves that to the close or the next sync).
Result<void> update_open_entries(hal::cxy_t cxy);

template <typename Want, typename Visit>
Result<void> for_each_inode(hal::cxy_t cxy, Want want, Visit visit) {
  const auto list_lock = hal::cluster_field(cxy, &local_fs()->m_inodes_lock);
  const auto root = hal::cluster_field(cxy, &local_fs()->m_inodes);
  auto inode_of = [](hal::Xptr<hal::XlistEntry> entry) { return hal::xlist_element(entry, &Inode::m_cluster_entry); };
  constexpr uint32_t kBatch = 32;
  PinnedInode batch[kBatch];
  PinnedInode last;  // the list's last inode not being released when the walk started: its end
  kern::remote_rwlock_rd_acquire(list_lock);
  for (auto entry = hal::xlist_last(root); !entry.is_null() && last.get().is_null();
       entry = hal::xlist_pred(root, entry))
    last = PinnedInode::try_pin(inode_of(entry));
  kern::remote_rwlock_rd_release(list_lock);
  PinnedInode resume;  // the last inode of the previous batch: the walk goes on after it
  for (bool at_end = last.get().is_null(); !at_end;) {
    uint32_t gathered = 0;
    kern::remote_rwlock_rd_acquire(list_lock);
    auto entry = resume.get().is_null() ? hal::xlist_first(root)
                                        : hal::xlist_next(root, resume.get().field(&Inode::m_cluster_entry));
    for (; !entry.is_null() && !at_end && gathered < kBatch; entry = hal::xlist_next(root, entry)) {
      const auto inode = inode_of(entry);
      at_end = inode == last.get();
      if (want(inode)) {
        batch[gathered] = PinnedInode::try_pin(inode);
        if (!batch[gathered].get().is_null()) ++gathered;
      }
    }
    at_end = at_end || entry.is_null();
    kern::remote_rwlock_rd_release(list_lock);
    for (uint32_t i = 0; i < gathered; ++i) TRY(visit(batch[i].get()));
    if (gathered != 0) resume = std::move(batch[gathered - 1]);  // the previous one dropped here
    for (uint32_t i = 0; i < gathered; ++i) TRY(batch[i].reset());
  }
  return {};
}

}  // namespace mkh::fs
