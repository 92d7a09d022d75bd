// The virtual file system: mount, path lookup, and the file operations of the system-call
// interface, for kernel threads of any cluster. Layer: fs. Calls the VFS services (RPCs 10
// to 17), the mapper (RPCs 24, 25) and the FAT driver.
//
// Lookup walks the path from the root (or, for a relative path, from the directory open as
// its At) one component at a time, "." and ".." where they stand: the directory's children
// table (a hash table of dentries with xptr links, on the directory's cluster) under the
// directory's read lock; on a miss, under its write lock, VFS_DENTRY_CREATE on the
// directory's cluster, VFS_INODE_CREATE on a cluster chosen round robin, VFS_INODE_LOAD on
// the directory's cluster (which scans its entries and fills the child), and for a
// directory VFS_MAPPER_LOAD_ALL on the child's cluster. A name that is not there costs the
// same and is undone (VFS_INODE_DESTROY, VFS_DENTRY_DESTROY).
//
// A walk holds a reference to each directory it stands in, as an open file holds one to its
// inode, so a directory removed meanwhile goes at the walk's end, never under it.
//
// Lock order: the rename lock (renames across directories, one at a time), then a directory
// before the directories below it — a rename's two directories the upper first, or in any order
// when neither is above the other —, then a cluster's inode list. A writer that changed a
// file's size updates its directory entry after releasing the file. Sync pins the inodes of a
// list and visits them after releasing it. Names compare as FAT does: ASCII letters without
// case.
#pragma once

#include <cstdint>

#include "fs/vfs/objects.hpp"
#include "hal/xptr.hpp"
#include "libk/result.hpp"

namespace mkh::fs {

// Boot, on every cluster: no volume mounted yet.
void fs_cluster_init(hal::cxy_t cxy);
// Mounts the FAT32 volume of the ioc device on every cluster: the FAT context and the root
// inode on this cluster (the I/O cluster); with `devices`, devfs at /dev (fs/vfs/devfs.hpp).
// From a kernel thread. The error says why a volume is refused.
Result<void, Error> vfs_mount(bool devices = true);
// Syncs, then frees every inode, dentry and mapper of every cluster, and the FAT context.
Result<void> vfs_unmount();
// Writes every dirty page to the disk, in the order fs/fat/fatfs.hpp gives.
Result<void> vfs_sync();

// The largest file (a FAT entry's size is 32 bits) and the largest offset of a seek (Linux's
// vfat: its s_maxbytes).
inline constexpr uint64_t kMaxFileSize = 0xFFFFFFFFull;

// A device's number, as Linux's kernel keeps it (MKDEV), and its parts.
constexpr uint32_t device_number(uint32_t major, uint32_t minor) { return major << 20 | minor; }
constexpr uint32_t device_major(uint32_t number) { return number >> 20; }
constexpr uint32_t device_minor(uint32_t number) { return number & 0xfffff; }

struct Stat {
  InodeType type = InodeType::kFile;
  uint64_t size = 0;
  uint32_t first_cluster = 0;
  uint32_t clusters = 0;
  uint32_t cluster_size = 0;  // its file system's (0 for devfs, which has no blocks)
  uint32_t attr = 0;
  uint64_t mtime = 0;
  hal::xptr_t inode = 0;  // where the inode lives
  bool unlinked = false;  // its name is gone (an open file, or a folder removed while open)
  uint32_t links = 1;     // names: a folder's own, its ".", each subfolder's ".." (as Linux's vfat); 0 once unlinked
  uint32_t device = 0;    // a device (kDev): its number
};

struct StatFs {
  FsType type = FsType::kFat;
  uint32_t cluster_size = 0;  // 0 for devfs, which has no blocks
  uint32_t clusters = 0;
  uint32_t free_clusters = 0;
};

// Opens `path` with Linux's flags and answers: a directory with O_CREAT, O_TRUNC or write
// access is EISDIR; O_TRUNC empties a regular file whatever the access mode, as Linux does.
[[nodiscard]] Result<hal::Xptr<File>> vfs_open(At at, const char* path, uint32_t flags);
// A new open file of the file `file` is open on (its own offset and status flags), with
// `flags` (O_TRUNC cuts it; O_CREAT and O_EXCL mean nothing): Linux's open of
// /proc/self/fd/N.
[[nodiscard]] Result<hal::Xptr<File>> vfs_reopen(hal::Xptr<File> file, uint32_t flags);
// The open file's flags of `mask` made those of `flags` (fcntl's F_SETFL); the others stay.
// The VFS acts on O_APPEND; it keeps the other flags it does not know for their owner.
void vfs_set_flags(hal::Xptr<File> file, uint32_t mask, uint32_t flags);
inline Result<hal::Xptr<File>> vfs_open(const char* path, uint32_t flags) { return vfs_open(At{}, path, flags); }
[[nodiscard]] Result<void> vfs_close(hal::Xptr<File> file);
// Reads / writes at the file's offset and advances it; `buffer` is kernel memory of any
// cluster. The count moved (a read stops at the end of the file).
[[nodiscard]] Result<uint64_t> vfs_read(hal::Xptr<File> file, hal::Xptr<void> buffer, uint64_t size);
[[nodiscard]] Result<uint64_t> vfs_write(hal::Xptr<File> file, hal::Xptr<void> buffer, uint64_t size);
enum class Whence : uint32_t { kSet = 0, kCur = 1, kEnd = 2 };
[[nodiscard]] Result<uint64_t> vfs_lseek(hal::Xptr<File> file, int64_t offset, Whence whence);
[[nodiscard]] Result<Stat> vfs_stat(At at, const char* path);
inline Result<Stat> vfs_stat(const char* path) { return vfs_stat(At{}, path); }
[[nodiscard]] Result<Stat> vfs_fstat(hal::Xptr<File> file);
// The absolute path of the folder open as `dir` (null: the root) into `out` (`size` bytes, its
// NUL included): its length, or kNoEnt when it or a folder above it was removed, kNameTooLong
// when it does not fit (Linux's getcwd).
[[nodiscard]] Result<uint32_t> vfs_dir_path(hal::Xptr<File> dir, char* out, uint32_t size);
[[nodiscard]] Result<void> vfs_mkdir(At at, const char* path);
[[nodiscard]] Result<void> vfs_rmdir(At at, const char* path);
[[nodiscard]] Result<void> vfs_unlink(At at, const char* path);
inline Result<void> vfs_mkdir(const char* path) { return vfs_mkdir(At{}, path); }
inline Result<void> vfs_rmdir(const char* path) { return vfs_rmdir(At{}, path); }
inline Result<void> vfs_unlink(const char* path) { return vfs_unlink(At{}, path); }
// Linux's checks in Linux's order: EEXIST for a new name that exists with kRenameNoReplace
// (`flags`: RenameFlags; others, and both together, are EINVAL), ENOTDIR for a file named
// with a trailing slash, EINVAL for a folder moved into itself, then ENOTEMPTY when the new
// name is a folder holding the old one, then ENOTDIR / EISDIR when the kinds differ. With
// kRenameExchange the new name must exist (ENOENT), either may be a file or a folder, neither
// folder may hold the other name (EINVAL), and the two names swap what they name.
[[nodiscard]] Result<void> vfs_rename(At old_at, const char* old_path, At new_at, const char* new_path,
                                      uint32_t flags = 0);
inline Result<void> vfs_rename(const char* old_path, const char* new_path, uint32_t flags = 0) {
  return vfs_rename(At{}, old_path, At{}, new_path, flags);
}
// The file's size set to `size` (grown with zeros, or cut): EISDIR for a folder, EFBIG past
// kMaxFileSize. vfs_ftruncate: EINVAL for a file not open for writing or a folder, as Linux.
[[nodiscard]] Result<void> vfs_truncate(At at, const char* path, uint64_t size);
inline Result<void> vfs_truncate(const char* path, uint64_t size) { return vfs_truncate(At{}, path, size); }
[[nodiscard]] Result<void> vfs_ftruncate(hal::Xptr<File> file, uint64_t size);
// The modification time of the file or folder at `path`, or open as `file`, set to `mtime`
// (seconds since the epoch) as FAT keeps it — clamped to 1980..2107, rounded down to an even
// second — and written to its directory entry as a write's time is (utimensat). The root
// folder has no entry: its time is kept in memory.
[[nodiscard]] Result<void> vfs_set_mtime(At at, const char* path, int64_t mtime);
[[nodiscard]] Result<void> vfs_fset_mtime(hal::Xptr<File> file, int64_t mtime);
// The volume's clusters (statfs), the chains waiting to be freed freed first (a sync); kNoDev
// without a mounted volume. vfs_statfs_at and
// vfs_fstatfs: those of the file system `path` or the open `file` is on (devfs: no blocks).
[[nodiscard]] Result<StatFs> vfs_statfs();
[[nodiscard]] Result<StatFs> vfs_statfs_at(At at, const char* path);
[[nodiscard]] Result<StatFs> vfs_fstatfs(hal::Xptr<File> file);

// One directory entry as readdir gives it.
struct DirEntry {
  char name[kNameMax + 1];
  uint32_t name_len;
  InodeType type;
  uint64_t size;
  uint64_t next;  // the directory's offset after it: where a read resumes
};
// Reads the directory open as `dir` from its offset: up to `capacity` entries into `entries`
// (kernel memory of the caller's cluster); 0 at the end; kNotDir, kNoEnt as vfs_listable. The offset is a place in the
// directory (FAT: a slot), not a count of entries, as Linux's vfat: entries removed meanwhile
// do not make a reader skip others.
[[nodiscard]] Result<uint32_t> vfs_readdir(hal::Xptr<File> dir, DirEntry* entries, uint32_t capacity);
// Whether `dir` can be read by vfs_readdir: kNotDir for a file, kNoEnt for a folder removed
// while open (Linux's answers), without reading it.
[[nodiscard]] Result<void> vfs_listable(hal::Xptr<File> dir);

// A file-descriptor table (a process's, later; a kernel thread's now): small integers
// naming open files, lowest free first.
inline constexpr uint32_t kMaxFds = 64;
struct FdTable {
  hal::Busylock m_lock;
  hal::Xptr<File> m_files[kMaxFds] GUARDED_BY(m_lock);
};
[[nodiscard]] Result<int32_t> fd_open(FdTable* table, const char* path, uint32_t flags);
[[nodiscard]] Result<hal::Xptr<File>> fd_get(FdTable* table, int32_t fd);
[[nodiscard]] Result<void> fd_close(FdTable* table, int32_t fd);

}  // namespace mkh::fs
