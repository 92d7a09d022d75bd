// FAT directories through their inode's mapper: find, add, remove and update entries.
// Layer: fs. Calls the directory decoder (fs/fat/dirent.hpp), the mapper (RPC 24 when the
// directory lives elsewhere), the chains of fatfs.cpp. The caller holds the directory
// inode's lock: the read lock to find or update, the write lock to add or remove.
#include <algorithm>
#include <cstring>
#include <string_view>

#include "dev/ioc.hpp"
#include "fs/fat/dirent.hpp"
#include "fs/fat/fatfs.hpp"
#include "hal/cpu.hpp"
#include "mm/kmem.hpp"

namespace mkh::fs::fat {
namespace {

using hal::Xptr;

constexpr uint32_t kMaxDirectorySlots = 65536;  // FAT's limit: 2 MiB of entries

// A copy of a directory from slot `first_slot` to its end (the whole of it by default) in
// pages of the caller's cluster, for the decoder.
class DirImage {
 public:
  static Result<DirImage> load(Xptr<Inode> dir, uint64_t first_slot = 0) {
    const uint64_t size = rload(dir, &Inode::m_size);
    if (size == 0 || size > uint64_t(kMaxDirectorySlots) * kSlotSize) return error(Errno::kIo);
    const uint64_t from = std::min<uint64_t>(first_slot, size / kSlotSize) * kSlotSize;
    uint32_t order = 0;
    while ((hal::kPageSize << order) < size - from) ++order;
    auto block = TRY(mm::PageBlock::alloc(order));
    TRY(mapper::mapper_move_buffer(rload(dir, &Inode::m_mapper), true, false, from,
                                   hal::XPTR(hal::local_cxy(), block.base()), size - from));
    return DirImage(std::move(block), size - from);
  }
  std::span<const uint8_t> bytes() const { return {static_cast<const uint8_t*>(m_block.base()), m_size}; }

 private:
  DirImage(mm::PageBlock block, uint64_t size) : m_block(std::move(block)), m_size(size) {}
  mm::PageBlock m_block;
  uint64_t m_size;
};

Result<void> write_slots(Xptr<Inode> dir, uint32_t slot, const uint8_t* bytes, uint32_t count) {
  return mapper::mapper_move_buffer(rload(dir, &Inode::m_mapper), false, false, uint64_t(slot) * kSlotSize,
                                    hal::XPTR(hal::local_cxy(), bytes), uint64_t(count) * kSlotSize);
}

Result<void> read_slot(Xptr<Inode> dir, uint32_t slot, uint8_t* out) {
  return mapper::mapper_move_buffer(rload(dir, &Inode::m_mapper), true, false, uint64_t(slot) * kSlotSize,
                                    hal::XPTR(hal::local_cxy(), out), kSlotSize);
}

// Where a directory's slots are on the disk (its chain walked through the FAT).
class SlotsOnDisk {
 public:
  explicit SlotsOnDisk(Xptr<Inode> dir)
      : m_context(local_fs()->m_fat),
        m_geometry(fat_geometry(m_context)),
        m_first(rload(dir, &Inode::m_first_cluster)) {}
  // The byte offset of `slot` from the volume's start.
  Result<uint64_t> offset(uint32_t slot) const {
    const uint64_t at = uint64_t(slot) * kSlotSize;
    const uint32_t cluster = TRY(fat_get_cluster(m_context, m_first, uint32_t(at / m_geometry.cluster_size)));
    return m_geometry.cluster_offset(cluster) + at % m_geometry.cluster_size;
  }

 private:
  Xptr<FatContext> m_context;
  Geometry m_geometry;
  uint32_t m_first;
};

bool short_name_taken(const uint8_t candidate[11], void* context) {
  return short_name_in_directory(static_cast<const DirImage*>(context)->bytes(), candidate);
}

}  // namespace

Result<Found> dir_find(Xptr<Inode> dir, const char* name, uint32_t name_len) {
  const auto image = TRY(DirImage::load(dir));
  const std::string_view wanted(name, name_len);
  DirCursor cursor(image.bytes());
  while (auto entry = cursor.next()) {
    if (!name_equal(wanted, std::string_view(entry->name, entry->name_len))) continue;
    if (entry->lfn_broken) return error(Errno::kIo);
    return Found{.slot = entry->first_slot, .slot_count = entry->slot_count, .entry = entry->sfn};
  }
  return error(Errno::kNoEnt);
}

Result<NewEntry> dir_prepare_entry(Xptr<Inode> dir, const char* name, uint32_t name_len, uint8_t attr,
                                   uint32_t first_cluster, uint32_t size, uint64_t mtime) {
  const std::string_view wanted(name, name_len);
  TRY(validate_name(wanted));
  ShortEntry sfn{};
  const bool needs_alias = !fits_short_name(wanted, sfn.name, &sfn.nt_flags);
  // An alias is checked against every short name; free slots are searched from the hint on.
  const uint32_t dir_slots = uint32_t(rload(dir, &Inode::m_size) / kSlotSize);
  const uint32_t hint = std::min(rload(dir, &Inode::m_free_hint), dir_slots);
  const auto image = TRY(DirImage::load(dir, needs_alias ? 0 : hint));
  if (needs_alias) TRY(generate_short_name(wanted, short_name_taken, const_cast<DirImage*>(&image), sfn.name));
  const FatTime time = fat_time_from_unix(int64_t(mtime));
  sfn.attr = attr;
  sfn.first_cluster = first_cluster;
  sfn.size = size;
  sfn.wdate = sfn.cdate = sfn.adate = time.date;
  sfn.wtime = sfn.ctime = time.time;
  sfn.ctime_tenth = time.tenth;
  NewEntry prepared;
  prepared.entry = sfn;
  prepared.hint_before = rload(dir, &Inode::m_free_hint);
  const uint32_t count =
      TRY(encode_entries(wanted, sfn, std::span<uint8_t, kMaxEntrySlots * kSlotSize>(prepared.slots)));
  prepared.count = count;

  // From the hint on (the image starts there, or at slot 0 for an alias's check).
  FreeSlots free =
      find_free_slots(needs_alias ? image.bytes().subspan(uint64_t(hint) * kSlotSize) : image.bytes(), count, hint);
  free.first += hint;
  free.first_unused += hint;
  free.pad_from += hint;
  if (free.available < count) {
    // Grow the directory by whole clusters (zeroed on the disk) to make room.
    const auto context = Xptr<FatContext>(local_fs()->m_fat);
    const uint32_t cluster_size = fat_cluster_size(context);
    const uint32_t missing = count - free.available;
    const uint32_t new_clusters = (missing * kSlotSize + cluster_size - 1) / cluster_size;
    if (dir_slots + new_clusters * (cluster_size / kSlotSize) > kMaxDirectorySlots) return error(Errno::kNoSpc);
    const NewClusters added = TRY(fat_extend(context, rload(dir, &Inode::m_last_cluster), new_clusters, true));
    rstore(dir, &Inode::m_last_cluster, added.last);
    rstore(dir, &Inode::m_clusters, rload(dir, &Inode::m_clusters) + new_clusters);
    rstore(dir, &Inode::m_size, rload(dir, &Inode::m_size) + uint64_t(new_clusters) * cluster_size);
  }
  prepared.first = free.first;
  prepared.pad_from = free.pad_from;
  // Written at the end marker: the slot after them must still end the directory (it does
  // when it is past the old end: zeroed clusters; else it was free and keeps its byte).
  prepared.free_hint = free.first_unused == free.first ? free.first + count : free.first_unused;
  return prepared;
}

Result<Found> dir_write_entry(Xptr<Inode> dir, const NewEntry& entry) {
  if (entry.pad_from < entry.first) {  // end-marker slots before the entry: deleted, so it is seen
    uint8_t pad[kSlotsPerSector * kSlotSize] = {};
    for (uint32_t i = 0; i < entry.first - entry.pad_from; ++i) pad[i * kSlotSize] = kSlotDeleted;
    TRY(write_slots(dir, entry.pad_from, pad, entry.first - entry.pad_from));
  }
  TRY(write_slots(dir, entry.first, entry.slots, entry.count));
  // An entry removed since the preparation (a rename's old name) may have freed a slot below.
  const uint32_t hint = rload(dir, &Inode::m_free_hint);
  rstore(dir, &Inode::m_free_hint, hint < entry.hint_before ? hint : entry.free_hint);
  return Found{.slot = entry.first, .slot_count = entry.count, .entry = entry.entry};
}

Result<Found> dir_add(Xptr<Inode> dir, const char* name, uint32_t name_len, uint8_t attr, uint32_t first_cluster,
                      uint32_t size, uint64_t mtime) {
  const NewEntry entry = TRY(dir_prepare_entry(dir, name, name_len, attr, first_cluster, size, mtime));
  return dir_write_entry(dir, entry);
}

Result<void> dir_remove(Xptr<Inode> dir, uint32_t slot, uint32_t slot_count) {
  if (slot < rload(dir, &Inode::m_free_hint)) rstore(dir, &Inode::m_free_hint, slot);
  for (uint32_t i = 0; i < slot_count; ++i) {
    uint8_t bytes[kSlotSize];
    TRY(read_slot(dir, slot + i, bytes));
    bytes[0] = kSlotDeleted;
    TRY(write_slots(dir, slot + i, bytes, 1));
  }
  return {};
}

Result<void> dir_remove_on_disk(Xptr<Inode> dir, uint32_t slot, uint32_t slot_count) {
  if (slot_count == 0) return error(Errno::kInval);
  const SlotsOnDisk disk(dir);
  alignas(8) uint8_t sector[dev::kSectorSize];
  const auto buffer = hal::Xptr<void>(hal::local_cxy(), sector);
  // The short entry as the mapper has it, and the slot where the disk would hold it.
  uint8_t mapped[kSlotSize];
  TRY(read_slot(dir, slot + slot_count - 1, mapped));
  const uint64_t sfn_at = TRY(disk.offset(slot + slot_count - 1));
  TRY(dev::ioc_read(sfn_at / dev::kSectorSize, buffer, 1));
  // Another short name there (its first 11 bytes): this entry is not on the disk yet (made
  // since the last sync), so there is nothing to remove. Its first cluster is not compared:
  // a file empty at the last sync has one now.
  if (std::memcmp(mapped, sector + sfn_at % dev::kSectorSize, sizeof ShortEntry::name) != 0) return {};
  // Sector by sector in slot order, the short entry last: a crash in between leaves the
  // entry under its short name, never a long name without its entry.
  for (uint32_t i = 0; i < slot_count;) {
    const uint64_t lba = TRY(disk.offset(slot + i)) / dev::kSectorSize;
    TRY(dev::ioc_read(lba, buffer, 1));
    for (; i < slot_count; ++i) {
      const uint64_t at = TRY(disk.offset(slot + i));
      if (at / dev::kSectorSize != lba) break;
      sector[at % dev::kSectorSize] = kSlotDeleted;
    }
    TRY(dev::ioc_write(lba, buffer, 1));
  }
  return {};
}

Result<void> dir_update(Xptr<Inode> dir, uint32_t slot, uint32_t slot_count, uint32_t first_cluster, uint32_t size,
                        uint64_t mtime) {
  if (slot_count == 0) return error(Errno::kInval);
  const uint32_t sfn_slot = slot + slot_count - 1;
  uint8_t bytes[kSlotSize];
  TRY(read_slot(dir, sfn_slot, bytes));
  ShortEntry entry = decode_short_entry(std::span<const uint8_t, kSlotSize>(bytes, kSlotSize));
  const FatTime time = fat_time_from_unix(int64_t(mtime));
  entry.first_cluster = first_cluster;
  entry.size = size;
  entry.wdate = entry.adate = time.date;
  entry.wtime = time.time;
  encode_short_entry(entry, std::span<uint8_t, kSlotSize>(bytes, kSlotSize));
  return write_slots(dir, sfn_slot, bytes, 1);
}

Result<void> dir_exchange(Xptr<Inode> dir_a, uint32_t slot_a, uint32_t count_a, Xptr<Inode> dir_b, uint32_t slot_b,
                          uint32_t count_b) {
  if (count_a == 0 || count_b == 0) return error(Errno::kInval);
  TRY(dir_remove_on_disk(dir_a, slot_a, count_a));
  TRY(dir_remove_on_disk(dir_b, slot_b, count_b));
  uint8_t bytes_a[kSlotSize];  // as they were
  uint8_t bytes_b[kSlotSize];
  TRY(read_slot(dir_a, slot_a + count_a - 1, bytes_a));
  TRY(read_slot(dir_b, slot_b + count_b - 1, bytes_b));
  const ShortEntry a = decode_short_entry(std::span<const uint8_t, kSlotSize>(bytes_a, kSlotSize));
  const ShortEntry b = decode_short_entry(std::span<const uint8_t, kSlotSize>(bytes_b, kSlotSize));
  // Each name (its short name and the case of it) with the other's content.
  auto named = [](const ShortEntry& name, ShortEntry content) {
    std::memcpy(content.name, name.name, sizeof content.name);
    content.nt_flags = name.nt_flags;
    return content;
  };
  uint8_t exchanged[kSlotSize];
  encode_short_entry(named(a, b), std::span<uint8_t, kSlotSize>(exchanged, kSlotSize));
  TRY(write_slots(dir_a, slot_a + count_a - 1, exchanged, 1));
  encode_short_entry(named(b, a), std::span<uint8_t, kSlotSize>(exchanged, kSlotSize));
  if (auto written = write_slots(dir_b, slot_b + count_b - 1, exchanged, 1); !written) {
    (void)write_slots(dir_a, slot_a + count_a - 1, bytes_a, 1);  // not two entries naming b's chain
    return written;
  }
  return {};
}

Result<void> dir_set_dotdot(Xptr<Inode> dir, uint32_t parent_cluster) {
  const auto image = TRY(DirImage::load(dir));
  DirCursor cursor(image.bytes(), true);
  while (auto entry = cursor.next())
    if (entry->dot && entry->name_len == 2) {
      const uint32_t slot = entry->sfn_slot();
      uint8_t bytes[kSlotSize];
      std::memcpy(bytes, image.bytes().data() + uint64_t(slot) * kSlotSize, kSlotSize);
      ShortEntry dotdot = decode_short_entry(std::span<const uint8_t, kSlotSize>(bytes, kSlotSize));
      dotdot.first_cluster = parent_cluster;
      encode_short_entry(dotdot, std::span<uint8_t, kSlotSize>(bytes, kSlotSize));
      TRY(write_slots(dir, slot, bytes, 1));
      // On the disk too, now, where the disk has the ".." entry there: the rename's new entry
      // must not reach the disk before it (a crash between the two would leave a folder whose
      // ".." names its old parent).
      const SlotsOnDisk disk(dir);
      const uint64_t at = TRY(disk.offset(slot));
      alignas(8) uint8_t sector[dev::kSectorSize];
      const auto buffer = hal::Xptr<void>(hal::local_cxy(), sector);
      TRY(dev::ioc_read(at / dev::kSectorSize, buffer, 1));
      uint8_t* on_disk = sector + at % dev::kSectorSize;
      if (std::memcmp(on_disk, bytes, sizeof dotdot.name) != 0) return {};
      std::memcpy(on_disk, bytes, kSlotSize);
      return dev::ioc_write(at / dev::kSectorSize, buffer, 1);
    }
  return error(Errno::kIo);  // a directory without ".."
}

Result<void> dir_init(Xptr<FatContext> context, uint32_t cluster, uint32_t parent_cluster, uint64_t mtime) {
  const Geometry geometry = fat_geometry(context);
  alignas(8) uint8_t sector[dev::kSectorSize] = {};
  encode_dot_entries(std::span<uint8_t, 2 * kSlotSize>(sector, 2 * kSlotSize), cluster, parent_cluster,
                     fat_time_from_unix(int64_t(mtime)));
  const uint64_t disk = geometry.cluster_offset(cluster);
  return dev::ioc_write(disk / dev::kSectorSize, hal::Xptr<void>(hal::local_cxy(), sector), 1);
}

Result<bool> dir_is_empty(Xptr<Inode> dir) {
  const auto image = TRY(DirImage::load(dir));
  return directory_is_empty(image.bytes());
}

Result<void> dir_for_each(Xptr<Inode> dir, uint64_t from, DirVisitor visit, void* context) {
  const auto image = TRY(DirImage::load(dir, from));
  DirCursor cursor(image.bytes());
  while (auto entry = cursor.next()) {
    entry->first_slot += uint32_t(from);  // from is a slot of the directory: entries come only then
    if (!visit(*entry, context)) break;
  }
  return {};
}

}  // namespace mkh::fs::fat
