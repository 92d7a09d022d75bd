// The mapper: the page cache of one file (or of the FAT), a radix tree of the pages of its
// own cluster, indexed by page number. Layer: mapper (above rpc and dev: it calls RPCs 24
// and 25 for a remote mapper, and the file system through MapperOps, never through fs/).
// Calls mm (ppm, kmem), kern (rwlock), rpc (client calls), mm/mapper/radix.hpp.
//
// Concurrency: the tree and the presence of pages are guarded by m_lock. Lookups take it
// shared; a miss takes it exclusive, looks again, allocates the pages and loads them through
// ops->move_pages while it holds it (so a second reader of the same page waits for the first
// load instead of loading it twice; loading under the exclusive lock also stalls readers of
// other pages of the file: good enough until it shows in a measure). Bytes are copied in and
// out under the shared lock, so truncate and destroy (exclusive) never free a page in use;
// a write of whole pages copies them under the exclusive lock, which it takes once for the
// pages it writes up to the end of a write-behind run, present or made (from its bytes: a
// whole page is not loaded first).
// A page handed out by mapper_get_page stays valid until the owner truncates or destroys the
// mapper: the file system orders those after its users (the inode's own lock).
//
// Asynchronous I/O: a sequential reader (mapper_move_buffer to a buffer) has the next
// window loaded while it copies the current one (read-ahead), and a sequential writer has
// each run of kMapperWriteBehindRun dirty pages it completes written back while it fills the
// next (write-behind). Under the exclusive lock, in the reader's or writer's thread (so
// under the file system's locks too), the pages are chosen (a load allocates them and puts
// them in the tree; a store clears their dirty bit), the file system plans the I/O
// (ops->plan_move: where each page's bytes are) and a thread of the mapper's cluster is made
// to run it (ops->move_planned: the I/O alone, no lock held). Until the I/O is retired,
// nobody uses those pages: a lookup of one treats it as absent and takes the exclusive lock,
// which first waits for the mover (it needs no lock of the mapper, so waiting under the
// exclusive lock cannot deadlock) and retires it; other holders of the exclusive lock retire
// it only once it has ended. A failed load's pages are dropped (the next miss loads them
// again and reports the error); a failed store's pages are dirty again (the next sync writes
// them and reports it). Up to kMapperIoSlots I/Os are in flight per mapper: loads (the next
// windows) or stores (the runs a writer completed; a writer waits for the oldest when every
// slot is taken); sync, truncate, destroy and the page-limit reclaim retire them first.
// Each mover posts its I/O's thread_wait_flag word, and the one waiter (the holder of the
// exclusive lock) names itself in it before it sleeps.
#pragma once

#include <cstdint>

#include "hal/xptr.hpp"
#include "kern/rwlock.hpp"
#include "libk/result.hpp"
#include "mm/kcm_types.hpp"
#include "mm/mapper/radix.hpp"
#include "mm/page.hpp"

namespace mkh::mapper {

struct Mapper;

// One asynchronous I/O of a mapper (see above). `count` > 0 while it is not retired: its pages
// first .. first + count - 1 are in the tree and must not be used; `plan` is the page holding
// its plan words and page pointers.
struct MapperIo {
  Mapper* mapper = nullptr;  // whose (for its mover)
  uint32_t first = 0;
  uint32_t count = 0;
  bool to_memory = false;  // a load (read-ahead), else a store (write-behind)
  mm::Page* plan = nullptr;
  // Remote atomics: the mover writes `error`, then posts `done` (a thread_wait_flag word); the
  // waiter writes `waiter` before it sleeps, and the mover reads it only after its post found
  // it asleep.
  int32_t error = 0;
  uint32_t done = 0;
  hal::xptr_t waiter = hal::XPTR_NULL;
};

// The I/Os a mapper has in flight at most: two read-ahead windows (or two write-behind runs)
// keep the device busy while the reader (or writer) wakes for the first and starts the next.
inline constexpr uint32_t kMapperIoSlots = 2;

// The file system's side, implemented by fs/ (the mapper never includes fs): runs on the mapper's cluster, in the thread that missed or syncs;
// it may block on device I/O and send RPCs.
struct MapperOps {
  // Loads (to_memory) or writes back the `count` pages of indexes first .. first+count-1; pages[i] are pages of the mapper's cluster.
  // To memory, the pages come as the ppm gives them: the file system writes every byte (zeros past the end of the file).
  Result<void> (*move_pages)(Mapper* mapper, uint32_t first, mm::Page* const* pages, uint32_t count, bool to_memory);
  // How many pages from `index` on (>= 1) are worth loading in one go (read-ahead; the fs knows the size and the disk layout).
  uint32_t (*readahead)(Mapper* mapper, uint32_t index);
  // Asynchronous I/O (both null: none). plan_move runs in the reader's or writer's thread under the caller's locks and the
  // mapper's exclusive lock: it writes plan[i], a word of its own, for the longest prefix of the pages first .. first+count-1
  // whose move needs nothing but that word (e.g. a whole page of consecutive sectors), and returns its length (0: none; a file
  // system refuses what must not be written early). move_planned runs later in a mover thread, no lock held, and moves the
  // `count` pages by their words.
  uint32_t (*plan_move)(Mapper* mapper, uint32_t first, uint32_t count, bool to_memory, uint64_t* plan);
  Result<void> (*move_planned)(Mapper* mapper, uint32_t first, mm::Page* const* pages, const uint64_t* plan,
                               uint32_t count, bool to_memory);
};

// Page indexes at or past this are refused (kInval): 2^24 pages are files of 64 GiB, beyond
// FAT32's 4 GiB; a radix tree of three levels of 256 entries covers them.
inline constexpr uint32_t kMapperIndexLimit = 1u << 24;
// The read-ahead window: a miss loads at most this many pages (and never more than the file
// system's readahead answers). It starts at kMapperFirstReadahead, doubles at each miss that
// follows the pages the previous miss loaded (a sequential reader) up to
// kMapperMaxReadahead, and starts again at a miss elsewhere.
inline constexpr uint32_t kMapperFirstReadahead = 64;
inline constexpr uint32_t kMapperMaxReadahead = 256;
// Write-behind: a write that completes the last page of a run of this many pages, aligned,
// starts the run's write-back when all of it is dirty.
inline constexpr uint32_t kMapperWriteBehindRun = kMapperMaxReadahead;

// A snapshot of a mapper's counters.
struct MapperStats {
  uint64_t pages = 0;         // pages present
  uint64_t hits = 0;          // page lookups that found the page
  uint64_t misses = 0;        // lookups that had to load (each loads one or more pages)
  uint64_t loaded = 0;        // pages loaded (through move_pages, or by a read-ahead retired)
  uint64_t created = 0;       // pages created zeroed without loading (wholly overwritten)
  uint64_t written_back = 0;  // pages written back (by sync, or by a write-behind retired)
  uint64_t load_calls = 0;    // move_pages calls to memory
  uint64_t sync_calls = 0;    // move_pages calls to the device
  uint64_t reclaims = 0;      // times the page limit emptied the mapper
  uint64_t async_loads = 0;   // asynchronous read-ahead windows started
  uint64_t async_stores = 0;  // write-behind runs started
  uint64_t async_waits = 0;   // times a thread waited for one of them still in flight
};

struct Mapper {
  static constexpr mm::KcmType kKcmType = mm::KcmType::MAPPER;  // new kcm type
  static constexpr uint32_t kMagic = 0x4d415050;                // "MAPP": set by create, cleared by destroy

  // immutable after mapper_create
  const MapperOps* m_ops = nullptr;
  hal::xptr_t m_owner = hal::XPTR_NULL;  // opaque to the mapper: the inode, or the fs context for the FAT mapper
  uint32_t m_magic = 0;                  // what the RPC servers check before they trust a Mapper* from another cluster

  // the file system's (under its own locks)
  uint64_t m_fs_word = 0;  // opaque word for the fs (e.g. a cached chain position)
  // The pages this mapper may hold (0: no limit). A miss that would pass it first writes back
  // and drops every page it holds: only for mappers whose pages are reached through
  // mapper_move_buffer alone (a file's data), never one whose page xptrs are kept.
  uint64_t m_page_limit = 0;

  kern::RemoteRwlock m_lock;  // guards the tree and the pages' presence
  // guarded by m_lock (exclusive to change, shared to read)
  Radix m_tree;
  uint64_t m_pages = 0;
  uint32_t m_readahead_next = 0;    // the index after the pages the last miss loaded
  uint32_t m_readahead_window = 0;  // the last miss's window (0: none yet)
  // Reading this page starts the next read-ahead window (kMapperIndexLimit: none).
  uint32_t m_readahead_trigger = kMapperIndexLimit;
  // The asynchronous I/Os (see above), loads or one store.
  MapperIo m_io[kMapperIoSlots];

  // relaxed atomics (hal::stat_add), read by anyone
  uint64_t m_hits = 0;
  uint64_t m_misses = 0;
  uint64_t m_loaded = 0;
  uint64_t m_created = 0;
  uint64_t m_written_back = 0;
  uint64_t m_load_calls = 0;
  uint64_t m_sync_calls = 0;
  uint64_t m_reclaims = 0;
  uint64_t m_async_loads = 0;
  uint64_t m_async_stores = 0;
  uint64_t m_async_waits = 0;
};

[[nodiscard]] Result<Mapper*> mapper_create(const MapperOps* ops, hal::xptr_t owner);  // in the local cluster
void mapper_destroy(Mapper* mapper);  // local: frees pages and tree, no write-back
// Any cluster: the page of `index`, loaded (with read-ahead) on a miss; through RPC 25 MAPPER_GET_PAGE when the mapper is remote.
// kInval for a null mapper or an index at or past kMapperIndexLimit; kNoMem; the error of move_pages.
[[nodiscard]] Result<hal::Xptr<mm::Page>> mapper_get_page(hal::Xptr<Mapper> mapper, uint32_t index);
// Any cluster: moves `size` bytes between the file bytes at `offset` and `buffer` (a kernel xptr of any cluster); to_buffer: read, else write
// (pages written are marked dirty; a page entirely overwritten is not loaded first; pages past the end are created zeroed — the caller decides
// the file size). is_user: a user virtual address (kNoSys until the VMM exists). Through RPC 24 MAPPER_MOVE_BUFFER when the mapper is remote.
// kInval for a null mapper or buffer, or a range that overflows or reaches past kMapperIndexLimit pages.
[[nodiscard]] Result<void> mapper_move_buffer(hal::Xptr<Mapper> mapper, bool to_buffer, bool is_user, uint64_t offset,
                                              hal::xptr_t buffer, uint64_t size);
// Local: writes every dirty page back through ops->move_pages (consecutive dirty pages in one call), in index order; clears dirty.
// Stops at the first error (the pages not written stay dirty).
[[nodiscard]] Result<void> mapper_sync(Mapper* mapper);
// Local: drops (frees, without write-back) every page of index >= first.
void mapper_truncate(Mapper* mapper, uint32_t first);
// The 4 KiB of any cluster's page, as an xptr (page descriptor -> its base, by the page array's arithmetic).
hal::Xptr<void> mapper_page_base(hal::Xptr<mm::Page> page);
void mapper_set_dirty(hal::Xptr<mm::Page> page);  // the mapper's cluster marks it; sync writes it

// Local: the page of `index` if present (no load, no counting); nullptr otherwise.
mm::Page* mapper_lookup(Mapper* mapper, uint32_t index);
// Any cluster (remote loads of the counters).
MapperStats mapper_stats(hal::Xptr<Mapper> mapper);

// The local work of services 25 and 24 (also what a local call runs).
[[nodiscard]] Result<mm::Page*> mapper_get_page_local(Mapper* mapper, uint32_t index);
[[nodiscard]] Result<void> mapper_move_buffer_local(Mapper* mapper, bool to_buffer, bool is_user, uint64_t offset,
                                                    hal::xptr_t buffer, uint64_t size);

}  // namespace mkh::mapper
