// Path lookup inside the VFS (see fs/vfs/vfs.hpp for the protocol). Layer: fs.
#pragma once

#include <cstdint>
#include <string_view>

#include "fs/fat/fatfs.hpp"
#include "fs/vfs/objects.hpp"
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
class InodeWriteLock {
 public:
  explicit InodeWriteLock(hal::Xptr<Inode> inode) : m_lock(inode_lock(inode)) {
    kern::remote_rwlock_wr_acquire(m_lock);
  }
  ~InodeWriteLock() { kern::remote_rwlock_wr_release(m_lock); }
  InodeWriteLock(const InodeWriteLock&) = delete;
  InodeWriteLock& operator=(const InodeWriteLock&) = delete;

 private:
  hal::Xptr<kern::RemoteRwlock> m_lock;
};

hal::Xptr<fat::FatContext> fat_context();
bool is_root(hal::Xptr<Inode> inode);
// The directory holding `inode` (the root for the root; itself for an inode unlinked).
hal::Xptr<Inode> parent_of(hal::Xptr<Inode> inode);
// Whether `ancestor` is `inode` or a directory above it.
bool is_ancestor_or_self(hal::Xptr<Inode> ancestor, hal::Xptr<Inode> inode);

enum class Create { kNo, kFile, kDir };

// Under `dir`'s write lock: the dentry of `name` in `dir`, looked up and loaded on a miss;
// with create, made when the name is absent (*created tells). kNoEnt (also for a directory
// removed meanwhile: nothing is made in it), kNotDir, kIo.
Result<hal::Xptr<Dentry>> child_locked(hal::Xptr<Inode> dir, std::string_view name, Create create, bool* created);
// The inode of `name` in `dir` ("." and ".." included), taking the directory's locks.
Result<hal::Xptr<Inode>> lookup_child(hal::Xptr<Inode> dir, std::string_view name);

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
// a file, ENOENT when it is missing; a relative path from a folder removed is ENOENT.
Result<hal::Xptr<Inode>> walk_parent(At at, const char* path, PathLast* last);
// The inode the whole path names.
Result<hal::Xptr<Inode>> resolve(At at, const char* path);

// Writes the directory entry of every open file of cluster `cxy` whose size, chain or time
// changed since its entry was written (a write leaves that to the close or the next sync).
Result<void> update_open_entries(hal::cxy_t cxy);

}  // namespace mkh::fs
