// The VFS objects: inode, dentry, open file, and the per-cluster file-system data. Layer: fs.
// Calls hal (xptrs, xlists, remote access), kern (remote rwlocks), mm (kcm types), the mapper.
//
// Placement (DESIGN.md §5): a new inode and its mapper on a chosen cluster (round robin),
// a dentry on its parent directory inode's cluster, an open file on its inode's cluster.
// Every field another cluster reads or writes is a word reached through hal/remote.hpp;
// the comments say which lock guards it.
#pragma once

#include <cstdint>

#include "hal/busylock.hpp"
#include "hal/remote.hpp"
#include "hal/xlist.hpp"
#include "hal/xptr.hpp"
#include "kern/rwlock.hpp"
#include "libk/assert.hpp"
#include "mm/kcm_types.hpp"
#include "mm/mapper/mapper.hpp"

namespace mkh::fs {

struct Dentry;

// kDev: a device of devfs (the reference's INODE_TYPE_DEV), read and written by its driver.
enum class InodeType : uint32_t { kFile = 1, kDir = 2, kDev = 3 };

// File-system types (the catalogue's "fs type"): the FAT32 volume, and devfs, the devices'
// folder mounted at /dev (fs/vfs/devfs.hpp), which lives in memory only.
enum class FsType : uint32_t { kFat = 1, kDevfs = 2 };

// A name in mkh is UTF-8; a FAT long name has at most 255 UTF-16 units, so at most 765 bytes.
inline constexpr uint32_t kNameMax = 765;
// Linux's NAME_MAX, in bytes: a longer name that is not there is ENAMETOOLONG, not ENOENT,
// and is not made (FAT could hold up to kNameMax bytes; mtools may have written one).
inline constexpr uint32_t kLinuxNameMax = 255;

// Buckets of a directory's children table (an xhtab: each bucket an xlist of dentries).
inline constexpr uint32_t kChildBuckets = 256;

inline constexpr uint32_t kInodeMagic = 0x1d0de5f5;
inline constexpr uint32_t kDentryMagic = 0xde7715ed;
inline constexpr uint32_t kFileMagic = 0xf11e0f1e;

struct Inode {
  static constexpr mm::KcmType kKcmType = mm::KcmType::INODE;
  static constexpr uint32_t kSubfoldersUnknown = ~0u;

  uint32_t m_magic = kInodeMagic;   // checked by the services that receive a local pointer
  hal::XlistEntry m_cluster_entry;  // in its cluster's FsCluster::m_inodes
  // immutable after VFS_INODE_CREATE
  InodeType m_type = InodeType::kFile;
  FsType m_fs_type = FsType::kFat;
  hal::Xptr<mapper::Mapper> m_mapper;    // on the inode's cluster (FAT's inodes only)
  hal::Xptr<hal::XlistEntry> m_buckets;  // directories: kChildBuckets roots in one page of the inode's cluster
  uint32_t m_device = 0;                 // a device (kDev): its number, as Linux's (major << 20 | minor)

  // guarded by m_lock (written under the write lock, read under either)
  uint64_t m_size = 0;               // bytes; a directory: its chain's length in bytes
  uint32_t m_first_cluster = 0;      // the fs extension: FAT's first cluster (0: none yet)
  uint32_t m_clusters = 0;           // the chain's length
  uint32_t m_last_cluster = 0;       // the chain's last cluster (0: none)
  uint32_t m_attr = 0;               // FAT attribute byte
  uint64_t m_mtime = 0;              // Unix seconds
  hal::Xptr<Dentry> m_dentry;        // the dentry naming this inode (null for the root)
  hal::Xptr<Inode> m_former_parent;  // a folder removed: the folder that held it, referenced
                                     // until this inode goes ("..", as Linux's d_parent)
  uint32_t m_children_nr = 0;        // dentries in the children table
  uint32_t m_names_complete = 0;     // every name has a dentry in the children table (a directory
                                     // mkh made: it started empty), so a miss there needs no scan
  uint32_t m_free_hint = 0;          // a directory: every slot below this one is in use (a new
                                     // entry's search for free slots starts there)
  uint32_t m_meta_dirty = 0;         // size, first cluster or time changed since the entry was written
  uint32_t m_unlinked = 0;           // removed from its directory (its name's reference dropped)
  // A directory: its subfolders, counted by a stat under either lock (each reader stores the
  // same count) and forgotten (kSubfoldersUnknown) under the write lock before a change of them.
  uint32_t m_subfolders = kSubfoldersUnknown;

  // remote atomics: its references — its name while it has one (the root's: the mount's), and
  // its uses: open files, path walks, syncs (fs/vfs/lookup.hpp's PinnedInode). Whoever drops
  // the last releases it; a reference is added only by a holder of one, or under the cluster's
  // inode list lock to a count not yet 0.
  uint32_t m_refcount = 1;

  kern::RemoteRwlock m_lock;
};

struct Dentry {
  static constexpr mm::KcmType kKcmType = mm::KcmType::DENTRY;

  uint32_t m_magic = kDentryMagic;
  // immutable after VFS_DENTRY_CREATE
  hal::Xptr<Inode> m_parent;  // the directory inode (same cluster)
  uint32_t m_hash = 0;
  uint32_t m_name_len = 0;
  char m_name[kNameMax + 1] = {};

  // guarded by the parent inode's m_lock
  hal::Xptr<Inode> m_child;        // null until loaded
  uint32_t m_slot = 0;             // FAT extension: first 32-byte slot of its entries in the parent
  uint32_t m_slot_count = 0;       // LFN slots + the short entry
  hal::XlistEntry m_bucket_entry;  // in the parent's children table
};

// Open-file flags (Linux's numbers, the system-call ABI's).
enum OpenFlags : uint32_t {
  O_RDONLY = 0,
  O_WRONLY = 1,
  O_RDWR = 2,
  O_ACCMODE = 3,
  O_CREAT = 0100,
  O_EXCL = 0200,
  O_TRUNC = 01000,
  O_APPEND = 02000,
  O_DIRECTORY = 0200000,
};

// renameat2's flags (Linux's numbers).
enum RenameFlags : uint32_t {
  kRenameNoReplace = 1,  // Linux's RENAME_NOREPLACE (a macro of the host's <stdio.h>)
  kRenameExchange = 2,   // Linux's RENAME_EXCHANGE: both names exist, and swap what they name
};

struct File {
  static constexpr mm::KcmType kKcmType = mm::KcmType::FILE;

  uint32_t m_magic = kFileMagic;
  // immutable after VFS_FILE_CREATE
  hal::Xptr<Inode> m_inode;  // same cluster
  // remote words: the open flags, of which F_SETFL's may change (vfs_set_flags)
  uint32_t m_flags = 0;

  // remote atomics / guarded by m_lock
  uint32_t m_refcount = 1;  // descriptors naming it
  hal::RemoteBusylock m_lock;
  uint64_t m_offset = 0;  // guarded by m_lock
};

// Where a relative path starts (the *at system calls, a process's working directory): the
// directory open as `dir`, or the root when it is null. An absolute path ignores it.
struct At {
  hal::Xptr<File> dir;
};

// The cluster's view of the mounted file system (replicated: the same on every cluster).
struct FsCluster {
  hal::Xptr<Inode> m_root;  // the root directory's inode
  hal::xptr_t m_fat = 0;    // the FAT context (fs/fat), on the FAT cluster
  uint32_t m_mounted = 0;
  uint32_t m_next_inode = 0;  // round-robin placement of the inodes this cluster creates
  // The inodes of this cluster (sync and unmount visit them).
  kern::RemoteRwlock m_inodes_lock;
  hal::XlistEntry m_inodes;
  // The renames across directories, one at a time: the root's cluster's (fs/vfs/ops.cpp).
  kern::RemoteRwlock m_rename_lock;
  // Pages of the FAT's mapper this cluster looked up (they stay while the volume is mounted),
  // direct-mapped by page index: (index + 1) << 40 | the page descriptor's lpa, 0 for none;
  // relaxed words, so a reader sees a whole entry or none. Emptied at unmount.
  static constexpr uint32_t kFatPageCache = 64;
  uint64_t m_fat_pages[kFatPageCache] = {};
};

FsCluster* fs_cluster_at(hal::cxy_t cxy);
FsCluster* local_fs();

// A word field of a remote object: load / store.
template <typename T, typename F>
F rload(hal::Xptr<T> object, F T::*member) {
  return hal::remote_load(object.field(member));
}
template <typename T, typename F>
void rstore(hal::Xptr<T> object, F T::*member, F value) {
  hal::remote_store(object.field(member), value);
}
// An inode's lock; debug builds check the inode is alive (a use-after-free caught there).
inline hal::Xptr<kern::RemoteRwlock> inode_lock(hal::Xptr<Inode> inode) {
  DEBUG_KASSERT(rload(inode, &Inode::m_magic) == kInodeMagic, "inode {:#x} locked after its end", inode.raw());
  return inode.field(&Inode::m_lock);
}

}  // namespace mkh::fs
