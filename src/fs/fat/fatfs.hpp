// The FAT32 driver: the volume, its FAT (a mapper of its own), cluster chains, the page
// moves of file and directory mappers, and directory entries. Layer: fs. Calls the on-disk
// format (fs/fat/format.hpp), the mapper, the ioc device, RPCs.
//
// The FAT context and the FAT mapper live on the FAT cluster (the I/O cluster). Chains are
// walked there (FATFS_GET_CLUSTER when the caller is elsewhere) and allocated there, under
// the context's allocation lock.
//
// Write order (what a crash between two syncs can leave): a sync writes the files' data
// pages first, then the FAT (every copy), then the directories, then the FSInfo sector. A
// cluster freed by unlink or truncate stays marked used in the FAT until the sync after its
// directory entry is gone (the pending frees), so a crash can leak it but never hand it to
// another file while a directory entry on the disk still names it: no cross-link. A crash
// inside a sync may leave a file whose entry's size runs past a chain cut short (fsck.fat
// truncates it); it loses the unsynced truncation, nothing else.
// Inside a directory: an entry of up to 16 slots (a name of up to 195 characters) never
// crosses a 512-byte sector (find_free_slots), so it reaches the disk whole or not at all; a
// rename takes its old name (and a file it replaces) off the disk at once
// (dir_remove_on_disk), so a crash cannot leave the old name beside the new one.
#pragma once

#include <cstdint>
#include <optional>

#include "fs/fat/dirent.hpp"
#include "fs/fat/format.hpp"
#include "fs/fat/names.hpp"
#include "fs/vfs/objects.hpp"
#include "hal/xptr.hpp"
#include "kern/rwlock.hpp"
#include "libk/result.hpp"
#include "mm/kcm_types.hpp"
#include "mm/mapper/mapper.hpp"

namespace mkh::fs::fat {

inline constexpr uint32_t kPendingFrees = uint32_t(hal::kPageSize / sizeof(uint32_t));

struct FatContext {
  static constexpr mm::KcmType kKcmType = mm::KcmType::FAT_CONTEXT;

  Geometry m_geometry;                     // immutable after mount
  hal::Xptr<mapper::Mapper> m_fat_mapper;  // the FAT region, page i = bytes [i * 4 KiB, ...) of FAT #0
  uint32_t m_fat_bytes = 0;                // bytes of one FAT

  // guarded by m_alloc_lock (write side)
  kern::RemoteRwlock m_alloc_lock;
  uint32_t m_free_count = 0;  // free clusters (the FSInfo hint, recounted at mount)
  uint32_t m_next_free = 2;   // where the next allocation starts looking
  uint32_t m_fsinfo_dirty = 0;
  // First clusters of the chains whose directory entry is gone, freed at the next sync
  // (kPendingFrees of them in one page of the context's cluster; full, the VFS syncs).
  hal::Xptr<uint32_t> m_pending;
  uint32_t m_pending_nr = 0;
  uint64_t m_pending_freed = 0;  // chains freed since the mount: m_pending[0] is the next one
};

// Mounts the volume of the ioc device: reads and checks the boot sector and FSInfo, creates
// the FAT context and the FAT mapper on the local cluster, counts the free clusters. The
// error names what is wrong with the volume (kInval: not FAT32 or damaged; kIo: the device).
Result<hal::Xptr<FatContext>, Error> fat_mount();
// Frees the context and the FAT mapper (after a sync).
void fat_unmount(hal::Xptr<FatContext> context);

// The cluster `steps` links after `cluster` in its chain (steps = 0: cluster itself). On the
// FAT cluster directly, elsewhere through FATFS_GET_CLUSTER. kIo when the chain ends first,
// loops or leaves the volume.
Result<uint32_t> fat_get_cluster(hal::Xptr<FatContext> context, uint32_t cluster, uint32_t steps);
// Service 18 FATFS_GET_CLUSTER: on the FAT mapper's cluster. The catalogue's arguments: the
// FAT mapper, the first FAT cluster of the walk, and the page index — here the number of
// links to follow (a mapper page and a cluster need not be the same size; see decisions.md).
Result<uint32_t> fatfs_get_cluster_server(mapper::Mapper* fat_mapper, uint32_t first_cluster, uint32_t steps);

// The length of the chain from `first` (0 for first = 0); kIo when it is broken.
Result<uint32_t> fat_chain_length(hal::Xptr<FatContext> context, uint32_t first);
// Allocates `count` clusters linked after `last` (0: a new chain), zeroed on the disk when
// `zero` (directories); returns the first and the last new cluster. kNoSpc when the volume is
// full (then nothing is allocated).
struct NewClusters {
  uint32_t first = 0;
  uint32_t last = 0;
};
Result<NewClusters> fat_extend(hal::Xptr<FatContext> context, uint32_t last, uint32_t count, bool zero);
// Cuts the chain after `last` (last = 0: the whole chain from `first` goes) and queues the
// cut part for freeing at the next sync. kAgain when the queue is full: sync, then call again.
Result<void> fat_release_after(hal::Xptr<FatContext> context, uint32_t first, uint32_t last);
// The chains queued for freeing since the mount (freed ones included): a sync notes it before
// its data pass and frees only the chains queued before, whose stores that pass waited for
// (a write-behind planned before a truncation may still be writing into the cut chain).
uint64_t fat_frees_queued(hal::Xptr<FatContext> context);
// Whether chains wait to be freed (by the next sync).
bool fat_frees_pending(hal::Xptr<FatContext> context);
// On the FAT cluster: writes the FAT (every copy); with `frees_queued` (a fat_frees_queued
// value), first frees the chains queued before it (the later ones wait for the next sync),
// and then writes the FSInfo sector. The VFS's sync calls it between its data and directory
// writes, then with `frees_queued` after them (see the order above).
Result<void> fat_sync_local(FatContext* context, std::optional<uint64_t> frees_queued);
// The volume's geometry, copied from the context (any cluster).
Geometry fat_geometry(hal::Xptr<FatContext> context);
// Free clusters now (for df), and the volume's shape.
uint32_t fat_free_clusters(hal::Xptr<FatContext> context);
uint32_t fat_cluster_size(hal::Xptr<FatContext> context);
uint32_t fat_cluster_count(hal::Xptr<FatContext> context);

// The mapper operations of file and directory inodes (the inode is the mapper's owner).
extern const mapper::MapperOps kInodeMapperOps;

// ---- directories (the directory inode's mapper holds its entries, loaded whole)

// One entry found in a directory.
struct Found {
  uint32_t slot = 0;        // first slot (LFN or short entry)
  uint32_t slot_count = 0;  // LFN slots + 1
  ShortEntry entry;
};
// Looks `name` up in the directory `dir` (any cluster): kNoEnt when absent, kIo when the
// entry is damaged (a broken long name that matches only through its short name).
Result<Found> dir_find(hal::Xptr<Inode> dir, const char* name, uint32_t name_len);
// An entry ready to go into a directory: its slots (a long name and its ~N alias as needed)
// and the free run they go to.
struct NewEntry {
  uint8_t slots[kMaxEntrySlots * kSlotSize];
  uint32_t count = 0;
  uint32_t first = 0;        // the run's first slot
  uint32_t pad_from = 0;     // end-marker slots from here to `first` to mark deleted first
  uint32_t hint_before = 0;  // the directory's m_free_hint when it was prepared
  uint32_t free_hint = 0;    // and once it is written (unless a slot below went free meanwhile)
  ShortEntry entry;
};
// Makes the entry for `name`, growing the directory when it has no run of free slots: every
// refusal (a name FAT cannot hold: kInval, kNameTooLong; no room: kNoSpc) comes here, before
// anything the caller must undo. Under the directory's write lock until dir_write_entry.
Result<NewEntry> dir_prepare_entry(hal::Xptr<Inode> dir, const char* name, uint32_t name_len, uint8_t attr,
                                   uint32_t first_cluster, uint32_t size, uint64_t mtime);
// Writes a prepared entry (only an I/O error can stop it); returns where it went.
Result<Found> dir_write_entry(hal::Xptr<Inode> dir, const NewEntry& entry);
// Both: adds an entry for `name`.
Result<Found> dir_add(hal::Xptr<Inode> dir, const char* name, uint32_t name_len, uint8_t attr, uint32_t first_cluster,
                      uint32_t size, uint64_t mtime);
// Marks the entry's slots deleted.
Result<void> dir_remove(hal::Xptr<Inode> dir, uint32_t slot, uint32_t slot_count);
// Marks them deleted on the disk itself, now, when the disk holds that entry (its short
// name in the short entry's slot); only those slots' bytes change there. A rename calls it
// before the new name goes in: a sync writes directories in no set order, so without it a
// crash could leave the old name and the new one, two entries naming one chain.
Result<void> dir_remove_on_disk(hal::Xptr<Inode> dir, uint32_t slot, uint32_t slot_count);
// Rewrites the short entry of a file (size, first cluster, modification time).
Result<void> dir_update(hal::Xptr<Inode> dir, uint32_t slot, uint32_t slot_count, uint32_t first_cluster, uint32_t size,
                        uint64_t mtime);
// Swaps what two entries name — attributes, times, first cluster and size — each keeping its
// name (renameat2's RENAME_EXCHANGE). Both go off the disk first (dir_remove_on_disk): a
// crash before the next sync loses the two names and leaks their chains, as a rename's old
// name, never leaves two entries naming one chain.
Result<void> dir_exchange(hal::Xptr<Inode> dir_a, uint32_t slot_a, uint32_t count_a, hal::Xptr<Inode> dir_b,
                          uint32_t slot_b, uint32_t count_b);
// Points the ".." entry of directory `dir` at `parent_cluster` (after a rename across directories).
Result<void> dir_set_dotdot(hal::Xptr<Inode> dir, uint32_t parent_cluster);
// Writes "." and ".." into the new, zeroed, directory cluster `cluster`.
Result<void> dir_init(hal::Xptr<FatContext> context, uint32_t cluster, uint32_t parent_cluster, uint64_t mtime);
// True when the directory has no entry but "." and "..".
Result<bool> dir_is_empty(hal::Xptr<Inode> dir);

// Calls visit(entry, context) for every entry of the directory that starts at or after slot
// `from` (none past its end), in disk order, its slots counted from the directory's first.
// Stops early when visit returns false. A slot is a stable place: removing an entry does not
// move the others (its slots are marked free), so a reader that resumes after its last
// entry's slots misses none of those that stay.
using DirVisitor = bool (*)(const DirEntry& entry, void* context);
Result<void> dir_for_each(hal::Xptr<Inode> dir, uint64_t from, DirVisitor visit, void* context);

}  // namespace mkh::fs::fat
