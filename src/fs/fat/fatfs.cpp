// The FAT32 driver: mount, the FAT mapper, chains, and the page moves of inode mappers.
// Layer: fs. Calls the on-disk format, the mapper, the ioc device, RPCs. Directory entries
// are in fat/dir.cpp.
#include "fs/fat/fatfs.hpp"

#include <algorithm>
#include <cstring>
#include <optional>
#include <utility>

#include "dev/ioc.hpp"
#include "fs/fat/services.hpp"
#include "hal/cpu.hpp"
#include "mm/kmem.hpp"
#include "mm/mapper/mapper.hpp"

namespace mkh::fs::fat {
namespace {

using hal::Xptr;
using mapper::Mapper;

constexpr uint32_t kPageBytes = uint32_t(hal::kPageSize);
constexpr uint32_t kSectorsPerPage = kPageBytes / dev::kSectorSize;
constexpr uint32_t kReadAheadPages = mapper::kMapperMaxReadahead;

FatContext* local_context(Mapper* fat_mapper) { return hal::GET_PTR<FatContext>(fat_mapper->m_owner); }

// ---- FAT entries, through the FAT mapper (from any cluster: the mapper answers remotely)

// Reads and writes the entries of one FAT from any cluster, keeping the last FAT page it was
// given: a chain walked in order asks the FAT mapper for a page once per 1024 entries. The
// FAT mapper keeps its pages while the volume is mounted, so the page stays valid.
class FatCursor {
 public:
  explicit FatCursor(Xptr<FatContext> context) : m_fat_mapper(rload(context, &FatContext::m_fat_mapper)) {}
  ~FatCursor() { flush(); }
  FatCursor(const FatCursor&) = delete;
  FatCursor& operator=(const FatCursor&) = delete;

  Result<uint32_t> read(uint32_t cluster) { return hal::remote_load(TRY(entry(cluster))) & kFatEntryMask; }

  // The page written is marked dirty after its last store of a run (flush): a sync that
  // cleaned it meanwhile finds it dirty again.
  Result<void> write(uint32_t cluster, uint32_t value) {
    const auto at = TRY(entry(cluster));
    hal::remote_store(at, fat_entry_merge(hal::remote_load(at), value));
    m_written = true;
    return {};
  }

  // Marks the page written dirty: before the cursor moves to another page, and before a writer
  // releases the allocation lock (fat_sync_local writes the FAT's dirty pages under it).
  void flush() {
    if (!m_written) return;
    mapper::mapper_set_dirty(m_page);
    m_written = false;
  }

 private:
  static constexpr uint32_t kEntriesPerPage = kPageBytes / 4;

  Result<Xptr<uint32_t>> entry(uint32_t cluster) {
    const uint32_t index = cluster / kEntriesPerPage;
    if (m_page.is_null() || index != m_index) {
      flush();
      m_page = TRY(page_of(index));
      m_index = index;
      m_entries = mapper::mapper_page_base(m_page).as<uint32_t>();
    }
    return m_entries + std::ptrdiff_t(cluster % kEntriesPerPage);
  }

  // The FAT mapper's page of `index`, from this cluster's cache of them when it is there.
  Result<Xptr<mm::Page>> page_of(uint32_t index) {
    constexpr unsigned kLpaBits = 40;
    uint64_t& cached = local_fs()->m_fat_pages[index % FsCluster::kFatPageCache];
    const uint64_t word = hal::local_load(cached);
    if (word >> kLpaBits == uint64_t(index) + 1)
      return Xptr<mm::Page>((hal::xptr_t(m_fat_mapper.cxy()) << hal::kCxyShift) | (word & ((1ull << kLpaBits) - 1)));
    const auto page = TRY(mapper::mapper_get_page(m_fat_mapper, index));
    static_assert(hal::kCxyShift <= kLpaBits, "an lpa fits the cache entry's low bits");
    hal::local_store(cached, (uint64_t(index) + 1) << kLpaBits | page.lpa());
    return page;
  }

  Xptr<Mapper> m_fat_mapper;
  Xptr<mm::Page> m_page;
  uint32_t m_index = 0;
  Xptr<uint32_t> m_entries;
  bool m_written = false;  // m_page has stores not yet marked dirty
};

// The walk itself, on any cluster.
Result<uint32_t> walk(Xptr<FatContext> context, const Geometry& geometry, uint32_t cluster, uint32_t steps) {
  if (!is_valid_cluster(geometry, cluster)) return error(Errno::kIo);
  FatCursor fat(context);
  for (uint32_t step = 0; step < steps; ++step) {
    const uint32_t next = TRY(fat.read(cluster));
    if (!is_valid_cluster(geometry, next)) return error(Errno::kIo);  // ends early, bad or out of the volume
    cluster = next;
  }
  return cluster;
}

// ---- the FAT mapper's page moves: FAT #0 on load, every copy on write-back

uint64_t fat_sector(const Geometry& geometry, uint32_t copy) {
  return (geometry.fat_offset + uint64_t(copy) * geometry.fat_sectors * geometry.bytes_per_sector) / dev::kSectorSize;
}

Result<void> fat_move_pages(Mapper* fat_mapper, uint32_t first, mm::Page* const* pages, uint32_t count,
                            bool to_memory) {
  const FatContext* context = local_context(fat_mapper);
  const Geometry& geometry = context->m_geometry;
  const uint32_t copies = to_memory ? 1 : geometry.fat_count;
  for (uint32_t i = 0; i < count; ++i) {
    const uint64_t offset = uint64_t(first + i) * kPageBytes;
    if (offset >= context->m_fat_bytes) return error(Errno::kInval);
    const uint32_t bytes = uint32_t(std::min<uint64_t>(kPageBytes, context->m_fat_bytes - offset));
    const auto base = mapper::mapper_page_base(Xptr<mm::Page>(hal::local_cxy(), pages[i]));
    if (to_memory && bytes < kPageBytes) std::memset(base.host_ptr(), 0, kPageBytes);
    for (uint32_t copy = 0; copy < copies; ++copy) {
      const uint32_t fat = to_memory && !geometry.mirrored ? geometry.active_fat : copy;
      const uint64_t lba = fat_sector(geometry, fat) + offset / dev::kSectorSize;
      const uint32_t sectors = bytes / dev::kSectorSize;
      if (to_memory) TRY(dev::ioc_read(lba, base, sectors));
      else TRY(dev::ioc_write(lba, base, sectors));
    }
  }
  return {};
}

uint32_t fat_readahead(Mapper* fat_mapper, uint32_t index) {
  const uint32_t pages = uint32_t((local_context(fat_mapper)->m_fat_bytes + kPageBytes - 1) / kPageBytes);
  return index >= pages ? 1 : std::min(kReadAheadPages, pages - index);
}

// No asynchronous I/O: the FAT is read a page at a time by the chain walks, and written by
// the sync alone (after the data, before the directories).
constexpr mapper::MapperOps kFatMapperOps = {
    .move_pages = fat_move_pages, .readahead = fat_readahead, .plan_move = nullptr, .move_planned = nullptr};

// ---- inode mappers: file pages <-> clusters

// The clusters of one inode's chain by ordinal, for one page move: walks forward from the
// position the mapper remembers (m_fs_word: cluster << 32 | ordinal, 0 for none; the VFS
// clears it when it cuts the chain), reading the FAT in place, or asks the FAT's cluster
// (FATFS_GET_CLUSTER) to walk a long way.
class ChainWalker {
 public:
  ChainWalker(Mapper* inode_mapper, Xptr<FatContext> context, const Geometry& geometry, uint32_t first)
      : m_inode_mapper(inode_mapper), m_context(context), m_geometry(geometry), m_fat(context), m_first(first) {
    const uint64_t cached = inode_mapper->m_fs_word;
    if (cached != 0) {
      m_cluster = uint32_t(cached >> 32);
      m_ordinal = uint32_t(cached);
    }
  }
  ~ChainWalker() {
    if (m_cluster != 0) m_inode_mapper->m_fs_word = (uint64_t(m_cluster) << 32) | m_ordinal;
  }
  ChainWalker(const ChainWalker&) = delete;
  ChainWalker& operator=(const ChainWalker&) = delete;

  Result<uint32_t> cluster_at(uint32_t ordinal) {
    if (m_cluster == 0 || ordinal < m_ordinal) {
      m_cluster = m_first;
      m_ordinal = 0;
    }
    const uint32_t steps = ordinal - m_ordinal;
    if (steps > kStepsInPlace) {
      m_cluster = TRY(fat_get_cluster(m_context, m_cluster, steps));
    } else {
      for (uint32_t step = 0; step < steps; ++step) {
        const uint32_t next = TRY(m_fat.read(m_cluster));
        if (!is_valid_cluster(m_geometry, next)) {
          m_cluster = 0;
          return error(Errno::kIo);
        }
        m_cluster = next;
      }
    }
    m_ordinal = ordinal;
    return m_cluster;
  }

 private:
  static constexpr uint32_t kStepsInPlace = 64;

  Mapper* m_inode_mapper;
  Xptr<FatContext> m_context;
  const Geometry& m_geometry;
  FatCursor m_fat;
  uint32_t m_first;
  uint32_t m_cluster = 0;
  uint32_t m_ordinal = 0;
};

// Consecutive whole pages over consecutive sectors, moved by one vectored request.
class PageRun {
 public:
  explicit PageRun(bool to_memory) : m_to_memory(to_memory) {}

  // Adds a page whose bytes are the kPageBytes from `lba` on; flushes first when it does not follow.
  Result<void> add(uint64_t lba, Xptr<void> page) {
    if (m_count != 0 && (lba != m_lba + uint64_t(m_count) * kSectorsPerPage || m_count == dev::kIocMaxBuffers))
      TRY(flush());
    if (m_count == 0) m_lba = lba;
    m_pages[m_count++] = page;
    return {};
  }

  Result<void> flush() {
    if (m_count == 0) return {};
    const uint32_t n = std::exchange(m_count, 0);
    if (m_to_memory) return dev::ioc_readv(m_lba, m_pages, n, kPageBytes);
    return dev::ioc_writev(m_lba, m_pages, n, kPageBytes);
  }

 private:
  bool m_to_memory;
  uint64_t m_lba = 0;
  uint32_t m_count = 0;
  Xptr<void> m_pages[mapper::kMapperMaxReadahead];
};

// Where the file's bytes [start, end) are on the disk (a byte offset) when their clusters are
// consecutive there; nullopt when they are not.
Result<std::optional<uint64_t>> single_extent(ChainWalker& chain, const Geometry& geometry, uint64_t start,
                                              uint64_t end) {
  const uint32_t csize = geometry.cluster_size;
  uint64_t extent = 0;
  for (uint64_t at = start; at < end;) {
    const uint32_t in_cluster = uint32_t(at % csize);
    const uint32_t cluster = TRY(chain.cluster_at(uint32_t(at / csize)));
    const uint64_t disk = geometry.data_offset + uint64_t(cluster - 2) * csize + in_cluster;
    if (at == start) extent = disk;
    else if (disk != extent + (at - start)) return std::optional<uint64_t>();
    at += std::min<uint64_t>(csize - in_cluster, end - at);
  }
  return std::optional<uint64_t>(extent);
}

Result<void> inode_move_pages(Mapper* inode_mapper, uint32_t first, mm::Page* const* pages, uint32_t count,
                              bool to_memory) {
  Inode* inode = hal::GET_PTR<Inode>(inode_mapper->m_owner);
  const auto context = Xptr<FatContext>(local_fs()->m_fat);
  const Geometry geometry = fat_geometry(context);
  const uint32_t csize = geometry.cluster_size;
  // The inode's users hold its lock: its size and chain are stable here.
  const uint64_t size = inode->m_size;
  const uint64_t allocated = uint64_t(inode->m_clusters) * csize;
  ChainWalker chain(inode_mapper, context, geometry, inode->m_first_cluster);
  PageRun run(to_memory);
  for (uint32_t i = 0; i < count; ++i) {
    const uint64_t page_start = uint64_t(first + i) * kPageBytes;
    const auto base = mapper::mapper_page_base(Xptr<mm::Page>(hal::local_cxy(), pages[i])).as<uint8_t>();
    // The bytes of the page to move: inside the chain, and inside the file for a load (the
    // rest of a loaded page is cleared). The chain ends on a cluster, so a write moves whole
    // sectors.
    const uint64_t end = std::min<uint64_t>({page_start + kPageBytes, allocated, to_memory ? size : allocated});
    if (end <= page_start) {
      if (to_memory) std::memset(base.host_ptr(), 0, kPageBytes);
      continue;
    }
    if (end - page_start == kPageBytes) {
      if (const auto extent = TRY(single_extent(chain, geometry, page_start, end))) {
        TRY(run.add(*extent / dev::kSectorSize, base.as<void>()));
        continue;
      }
    }
    // A page cut by the end, or over scattered clusters: piece by piece, whole sectors.
    TRY(run.flush());
    for (uint64_t at = page_start; at < end;) {
      const uint32_t in_cluster = uint32_t(at % csize);
      const uint32_t bytes = uint32_t(std::min<uint64_t>(csize - in_cluster, end - at));
      const uint32_t cluster = TRY(chain.cluster_at(uint32_t(at / csize)));
      const uint64_t disk = geometry.data_offset + uint64_t(cluster - 2) * csize + in_cluster;
      const uint32_t sectors = (bytes + dev::kSectorSize - 1) / dev::kSectorSize;
      const auto piece = (base + std::ptrdiff_t(at - page_start)).as<void>();
      if (to_memory) TRY(dev::ioc_read(disk / dev::kSectorSize, piece, sectors));
      else TRY(dev::ioc_write(disk / dev::kSectorSize, piece, sectors));
      at += bytes;
    }
    // A load reads whole sectors: clear what lies past the file's end.
    if (to_memory && end < page_start + kPageBytes)
      std::memset(base.host_ptr() + (end - page_start), 0, kPageBytes - (end - page_start));
  }
  return run.flush();
}

// An asynchronous I/O's plan (the reader or writer holds the inode's lock: size and chain
// are stable): the first sector of each page, for the whole pages whose bytes are
// consecutive on the disk and inside the file (a load) or its chain (a store: the writer
// sets the size after its copy). A page cut by the end, over scattered clusters or past a
// broken chain ends the plan (a miss or a sync moves it later, through inode_move_pages). A
// directory's pages are never stored early: a sync writes them after the FAT (fatfs.hpp).
uint32_t inode_plan_move(Mapper* inode_mapper, uint32_t first, uint32_t count, bool to_memory, uint64_t* plan) {
  const Inode* inode = hal::GET_PTR<Inode>(inode_mapper->m_owner);
  if (!to_memory && inode->m_type != InodeType::kFile) return 0;
  const auto context = Xptr<FatContext>(local_fs()->m_fat);
  const Geometry geometry = fat_geometry(context);
  const uint64_t allocated = uint64_t(inode->m_clusters) * geometry.cluster_size;
  const uint64_t usable = to_memory ? std::min<uint64_t>(inode->m_size, allocated) : allocated;
  ChainWalker chain(inode_mapper, context, geometry, inode->m_first_cluster);
  for (uint32_t i = 0; i < count; ++i) {
    const uint64_t page_start = uint64_t(first + i) * kPageBytes;
    if (page_start + kPageBytes > usable) return i;
    const auto extent = single_extent(chain, geometry, page_start, page_start + kPageBytes);
    if (!extent || !*extent) return i;
    plan[i] = **extent / dev::kSectorSize;
  }
  return count;
}

// The planned I/O, in the mover thread: no lock, only the sectors the plan names.
Result<void> inode_move_planned(Mapper* /*inode_mapper*/, uint32_t /*first*/, mm::Page* const* pages,
                                const uint64_t* plan, uint32_t count, bool to_memory) {
  PageRun run(to_memory);
  for (uint32_t i = 0; i < count; ++i)
    TRY(run.add(plan[i], mapper::mapper_page_base(Xptr<mm::Page>(hal::local_cxy(), pages[i])).as<void>()));
  return run.flush();
}

uint32_t inode_readahead(Mapper* inode_mapper, uint32_t index) {
  const Inode* inode = hal::GET_PTR<Inode>(inode_mapper->m_owner);
  const uint64_t pages = (inode->m_size + kPageBytes - 1) / kPageBytes;
  return index >= pages ? 1 : uint32_t(std::min<uint64_t>(kReadAheadPages, pages - index));
}

}  // namespace

Result<hal::Xptr<FatContext>, Error> fat_mount() {
  const uint64_t sectors = dev::ioc_sector_count();
  if (sectors == 0) return error(Errno::kNoDev, "the machine has no disk");
  auto block = TRY(mm::PageBlock::alloc(0));
  const auto buffer = Xptr<void>(hal::local_cxy(), block.base());
  const uint32_t boot_sectors = uint32_t(std::min<uint64_t>(sectors, kSectorsPerPage));
  if (auto read = dev::ioc_read(0, buffer, boot_sectors); !read)
    return error(read.error(), "cannot read the boot sector: {}", errno_name(read.error()));
  const auto* bytes = static_cast<const uint8_t*>(block.base());
  const Geometry geometry = TRY(
      parse_boot_sector(std::span<const uint8_t>(bytes, boot_sectors * dev::kSectorSize), sectors * dev::kSectorSize));

  FsInfo hint{.free_count = kFsInfoUnknown, .next_free = kFsInfoUnknown};
  if (geometry.fsinfo_sector != 0 && geometry.bytes_per_sector <= kPageBytes) {
    const uint32_t per_sector = geometry.bytes_per_sector / dev::kSectorSize;
    if (dev::ioc_read(uint64_t(geometry.fsinfo_sector) * per_sector, buffer, per_sector))
      if (auto info = parse_fsinfo(std::span<const uint8_t>(bytes, geometry.bytes_per_sector)))
        hint = fsinfo_sanitize(geometry, *info);
  }

  auto context = TRY(mm::KmemOwner<FatContext>::make());
  auto pending = TRY(mm::PageBlock::alloc(0));
  context->m_geometry = geometry;
  context->m_fat_bytes = uint32_t(geometry.fat_bytes());
  kern::remote_rwlock_init(Xptr<kern::RemoteRwlock>(hal::local_cxy(), &context->m_alloc_lock));
  Mapper* fat_mapper = TRY(mapper::mapper_create(&kFatMapperOps, hal::XPTR(hal::local_cxy(), context.get())));
  context->m_fat_mapper = Xptr<Mapper>(hal::local_cxy(), fat_mapper);
  const auto self = Xptr<FatContext>(hal::local_cxy(), context.get());
  auto fail = [&](Errno code, const char* what) {
    mapper::mapper_destroy(fat_mapper);
    return error(code, "{}", what);
  };

  // The free clusters, counted (the FSInfo count is only a hint), a FAT page at a time.
  uint32_t free_count = 0;
  const uint32_t last_cluster = geometry.max_cluster();
  for (uint32_t page_index = 0; uint64_t(page_index) * (kPageBytes / 4) <= last_cluster; ++page_index) {
    auto page = mapper::mapper_get_page(context->m_fat_mapper, page_index);
    if (!page) return fail(page.error(), "cannot read the FAT");
    const auto* entries = static_cast<const uint32_t*>(mapper::mapper_page_base(*page).host_ptr());
    for (uint32_t i = 0; i < kPageBytes / 4; ++i) {
      const uint32_t cluster = page_index * (kPageBytes / 4) + i;
      if (cluster >= 2 && cluster <= last_cluster && is_free(entries[i])) ++free_count;
    }
  }
  auto root_length = fat_chain_length(self, geometry.root_cluster);
  if (!root_length) return fail(Errno::kInval, "the root directory's cluster chain is broken");
  context->m_free_count = free_count;
  context->m_next_free = hint.next_free != kFsInfoUnknown ? hint.next_free : 2;
  // A wrong hint is corrected by the first sync after an allocation or a free: a session that
  // only reads writes nothing.
  context->m_fsinfo_dirty = 0;
  context->m_pending = Xptr<uint32_t>(hal::local_cxy(), static_cast<uint32_t*>(pending.base()));
  pending.release();
  return Xptr<FatContext>(hal::local_cxy(), context.release());
}

void fat_unmount(Xptr<FatContext> context) {
  FatContext* local = context.host_ptr();
  mapper::mapper_destroy(local->m_fat_mapper.host_ptr());
  mm::kmem_free_pages(mm::local_memory()->m_ppm.base_to_page(local->m_pending.host_ptr()));
  mm::kmem_delete(local);
}

const mapper::MapperOps kInodeMapperOps = {.move_pages = inode_move_pages,
                                           .readahead = inode_readahead,
                                           .plan_move = inode_plan_move,
                                           .move_planned = inode_move_planned};

Result<uint32_t> fatfs_get_cluster_server(Mapper* fat_mapper, uint32_t first_cluster, uint32_t steps) {
  // The pointer comes from another cluster: it must be this cluster's FAT mapper.
  const auto context = Xptr<FatContext>(local_fs()->m_fat);
  if (context.is_null() || context.cxy() != hal::local_cxy() ||
      context.host_ptr()->m_fat_mapper != Xptr<Mapper>(hal::local_cxy(), fat_mapper))
    return error(Errno::kInval);
  return walk(context, context.host_ptr()->m_geometry, first_cluster, steps);
}

Result<uint32_t> fat_get_cluster(Xptr<FatContext> context, uint32_t cluster, uint32_t steps) {
  if (steps == 0) {
    if (!is_valid_cluster(fat_geometry(context), cluster)) return error(Errno::kIo);
    return cluster;
  }
  const auto fat_mapper = rload(context, &FatContext::m_fat_mapper);
  if (fat_mapper.cxy() == hal::local_cxy()) return walk(context, context.host_ptr()->m_geometry, cluster, steps);
  return rpc_fatfs_get_cluster_client(fat_mapper.cxy(), fat_mapper.host_ptr(), cluster, steps);
}

Result<uint32_t> fat_chain_length(Xptr<FatContext> context, uint32_t first) {
  if (first == 0) return 0u;
  const Geometry geometry = fat_geometry(context);
  FatCursor fat(context);
  uint32_t length = 1;
  for (uint32_t cluster = first;; ++length) {
    if (!is_valid_cluster(geometry, cluster) || length > geometry.cluster_count) return error(Errno::kIo);
    const uint32_t next = TRY(fat.read(cluster));
    if (is_end(next)) return length;
    cluster = next;
  }
}

Result<NewClusters> fat_extend(Xptr<FatContext> context, uint32_t last, uint32_t count, bool zero) {
  if (count == 0) return error(Errno::kInval);
  const Geometry geometry = fat_geometry(context);
  const auto lock = context.field(&FatContext::m_alloc_lock);
  kern::remote_rwlock_wr_acquire(lock);
  if (rload(context, &FatContext::m_free_count) < count) {
    kern::remote_rwlock_wr_release(lock);
    return error(Errno::kNoSpc);
  }
  const uint32_t max_cluster = geometry.cluster_count + 1;
  FatCursor fat(context);
  uint32_t candidate = rload(context, &FatContext::m_next_free);
  uint32_t first_new = 0;
  uint32_t previous = last;
  uint32_t found = 0;
  // What was linked, counted and marked dirty before the lock goes, on every path.
  auto release = [&] {
    fat.flush();
    hal::remote_atomic_add(context.field(&FatContext::m_free_count), uint32_t(0) - found);
    kern::remote_rwlock_wr_release(lock);
  };
  for (uint32_t scanned = 0; found < count && scanned < geometry.cluster_count; ++scanned) {
    if (candidate < 2 || candidate > max_cluster) candidate = 2;
    auto entry = fat.read(candidate);
    if (!entry) {
      release();
      return error(entry.error());
    }
    if (*entry == kFatFree) {
      // Linked as found: the chain is whole at every step (a failure leaves a shorter chain).
      Result<void> linked = fat.write(candidate, kFatEndMark);
      if (linked && previous != 0) linked = fat.write(previous, candidate);
      if (!linked) {
        release();
        return error(linked.error());
      }
      if (first_new == 0) first_new = candidate;
      previous = candidate;
      ++found;
    }
    ++candidate;
  }
  rstore(context, &FatContext::m_next_free, candidate);
  rstore(context, &FatContext::m_fsinfo_dirty, 1u);
  release();
  if (found < count) return error(Errno::kNoSpc);  // the free count was wrong: a damaged volume
  if (zero) {
    // Directory clusters: zero on the disk, so that a load of them reads no old entries.
    auto block = TRY(mm::PageBlock::alloc(0));
    std::memset(block.base(), 0, kPageBytes);
    const auto zeros = Xptr<void>(hal::local_cxy(), block.base());
    for (uint32_t cluster = first_new, n = 0; n < count; ++n) {
      const uint64_t disk = geometry.data_offset + uint64_t(cluster - 2) * geometry.cluster_size;
      for (uint32_t done = 0; done < geometry.cluster_size; done += kPageBytes) {
        const uint32_t bytes = std::min(kPageBytes, geometry.cluster_size - done);
        TRY(dev::ioc_write((disk + done) / dev::kSectorSize, zeros, bytes / dev::kSectorSize));
      }
      if (n + 1 < count) cluster = TRY(fat.read(cluster));
    }
  }
  return NewClusters{.first = first_new, .last = previous};
}

Result<void> fat_release_after(Xptr<FatContext> context, uint32_t first, uint32_t last) {
  FatCursor fat(context);
  uint32_t cut = first;
  if (last != 0) {
    cut = TRY(fat.read(last));
    if (is_end(cut)) return {};
  }
  if (cut == 0) return {};
  const auto lock = context.field(&FatContext::m_alloc_lock);
  kern::remote_rwlock_wr_acquire(lock);
  const uint32_t pending = rload(context, &FatContext::m_pending_nr);
  if (pending == kPendingFrees) {
    kern::remote_rwlock_wr_release(lock);
    return error(Errno::kAgain);
  }
  if (last != 0) TRY(fat.write(last, kFatEndMark));  // cannot fail: the page was just read
  fat.flush();
  hal::remote_store(rload(context, &FatContext::m_pending) + pending, cut);
  rstore(context, &FatContext::m_pending_nr, pending + 1);
  kern::remote_rwlock_wr_release(lock);
  return {};
}

bool fat_frees_pending(Xptr<FatContext> context) { return rload(context, &FatContext::m_pending_nr) != 0; }

uint64_t fat_frees_queued(Xptr<FatContext> context) {
  const auto lock = context.field(&FatContext::m_alloc_lock);
  kern::remote_rwlock_rd_acquire(lock);
  const uint64_t queued = rload(context, &FatContext::m_pending_freed) + rload(context, &FatContext::m_pending_nr);
  kern::remote_rwlock_rd_release(lock);
  return queued;
}

Result<void> fat_sync_local(FatContext* local, std::optional<uint64_t> frees_queued) {
  const auto context = Xptr<FatContext>(hal::local_cxy(), local);
  const auto lock = context.field(&FatContext::m_alloc_lock);
  const Geometry& geometry = local->m_geometry;
  const bool free_pending = frees_queued.has_value();
  if (free_pending) {
    kern::remote_rwlock_wr_acquire(lock);
    // The chains queued before the caller's note; those queued since stay for the next sync.
    const uint64_t freed_before = rload(context, &FatContext::m_pending_freed);
    const uint32_t pending_nr = rload(context, &FatContext::m_pending_nr);
    const uint32_t frees =
        *frees_queued <= freed_before ? 0 : uint32_t(std::min<uint64_t>(pending_nr, *frees_queued - freed_before));
    FatCursor fat(context);
    Result<void> freed = {};
    for (uint32_t i = 0; i < frees && freed; ++i) {
      uint32_t cluster = local->m_pending.host_ptr()[i];
      for (uint32_t n = 0; freed; ++n) {
        if (!is_valid_cluster(geometry, cluster) || n > geometry.cluster_count) {
          freed = error(Errno::kIo);
          break;
        }
        auto next = fat.read(cluster);
        if (!next) {
          freed = error(next.error());
          break;
        }
        freed = fat.write(cluster, kFatFree);
        hal::remote_atomic_add(context.field(&FatContext::m_free_count), 1u);
        if (is_end(*next)) break;
        cluster = *next;
      }
    }
    fat.flush();
    if (frees != 0) rstore(context, &FatContext::m_fsinfo_dirty, 1u);
    uint32_t* pending = local->m_pending.host_ptr();
    std::copy(pending + frees, pending + pending_nr, pending);
    rstore(context, &FatContext::m_pending_nr, pending_nr - frees);
    rstore(context, &FatContext::m_pending_freed, freed_before + frees);
    kern::remote_rwlock_wr_release(lock);
    TRY(freed);
  }
  // The FAT's pages are written while no allocation or free changes them (every FAT writer
  // holds the lock for writing), and the FSInfo counters are taken with them: an allocation
  // after this marks them dirty again for the next sync.
  kern::remote_rwlock_rd_acquire(lock);
  const Result<void> synced = mapper::mapper_sync(local->m_fat_mapper.host_ptr());
  const FsInfo counters{.free_count = rload(context, &FatContext::m_free_count),
                        .next_free = rload(context, &FatContext::m_next_free)};
  const bool write_fsinfo =
      synced && free_pending && geometry.fsinfo_sector != 0 && rload(context, &FatContext::m_fsinfo_dirty) != 0;
  if (write_fsinfo) rstore(context, &FatContext::m_fsinfo_dirty, 0u);
  kern::remote_rwlock_rd_release(lock);
  TRY(synced);
  if (!write_fsinfo) return {};
  // Read-modify-write of the FSInfo sector: only its two counters change.
  alignas(8) uint8_t sector[4096];
  const uint32_t sectors = geometry.bytes_per_sector / dev::kSectorSize;
  const uint64_t lba = uint64_t(geometry.fsinfo_sector) * sectors;
  const auto buffer = Xptr<void>(hal::local_cxy(), sector);
  Result<void> written = dev::ioc_read(lba, buffer, sectors);
  if (written) written = encode_fsinfo(std::span<uint8_t>(sector, geometry.bytes_per_sector), counters);
  if (written) written = dev::ioc_write(lba, buffer, sectors);
  if (!written) rstore(context, &FatContext::m_fsinfo_dirty, 1u);  // for the next sync
  return written;
}

uint32_t fat_free_clusters(Xptr<FatContext> context) { return rload(context, &FatContext::m_free_count); }
Geometry fat_geometry(Xptr<FatContext> context) { return hal::remote_read(context.field(&FatContext::m_geometry)); }

uint32_t fat_cluster_size(Xptr<FatContext> context) { return fat_geometry(context).cluster_size; }
uint32_t fat_cluster_count(Xptr<FatContext> context) { return fat_geometry(context).cluster_count; }

}  // namespace mkh::fs::fat
