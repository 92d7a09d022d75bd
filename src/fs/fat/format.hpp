// The FAT32 on-disk format: boot sector (BPB), FSInfo, FAT entries, 32-byte short directory
// entries and FAT timestamps, as pure functions over byte buffers (Microsoft's "FAT: General
// Overview of On-Disk Format", 1.03). Layer: fs (fat). Calls libk only: no kernel object, no
// heap (an Error's message aside), so the driver never parses bytes itself and the host tests
// check every field. Long names and the directory decoder are in names.hpp and dirent.hpp.
#pragma once

#include <cstdint>
#include <span>

#include "libk/endian.hpp"
#include "libk/result.hpp"

namespace mkh::fs::fat {

// ---- Boot sector ---------------------------------------------------------------------------

// Byte offsets of the BPB fields (the spec's names).
namespace bpb {
inline constexpr uint32_t kBytsPerSec = 11;  // u16
inline constexpr uint32_t kSecPerClus = 13;  // u8
inline constexpr uint32_t kRsvdSecCnt = 14;  // u16
inline constexpr uint32_t kNumFats = 16;     // u8
inline constexpr uint32_t kRootEntCnt = 17;  // u16, 0 on FAT32
inline constexpr uint32_t kTotSec16 = 19;    // u16
inline constexpr uint32_t kMedia = 21;       // u8
inline constexpr uint32_t kFatSz16 = 22;     // u16, 0 on FAT32
inline constexpr uint32_t kTotSec32 = 32;    // u32
inline constexpr uint32_t kFatSz32 = 36;     // u32
inline constexpr uint32_t kExtFlags = 40;    // u16: bit 7 = one active FAT, bits 0-3 = which
inline constexpr uint32_t kFsVer = 42;       // u16, 0.0
inline constexpr uint32_t kRootClus = 44;    // u32
inline constexpr uint32_t kFsInfo = 48;      // u16
inline constexpr uint32_t kBkBootSec = 50;   // u16
inline constexpr uint32_t kBootSig = 66;     // u8, 0x29 when VolID and VolLab are valid
inline constexpr uint32_t kVolId = 67;       // u32
inline constexpr uint32_t kVolLab = 71;      // 11 bytes
inline constexpr uint32_t kSignature = 510;  // 0x55 0xAA
}  // namespace bpb

inline constexpr uint32_t kBootSectorSize = 512;           // the bytes the BPB and signature occupy
inline constexpr uint32_t kMinFat32Clusters = 65525;       // fewer: FAT12 or FAT16
inline constexpr uint32_t kMaxFat32Clusters = 0x0FFFFFF5;  // clusters 2..0x0FFFFFF6
inline constexpr uint32_t kMaxClusterSize = 32 * 1024;

// What the driver needs of a volume, every field checked against the others and the image.
struct Geometry {
  uint32_t bytes_per_sector;     // 512, 1024, 2048 or 4096
  uint32_t sectors_per_cluster;  // a power of two
  uint32_t cluster_size;         // bytes, at most 32 KiB
  uint32_t reserved_sectors;     // boot sector, FSInfo, backup boot sector...
  uint32_t fat_count;            // copies of the FAT (1 or more)
  uint32_t fat_sectors;          // sectors per FAT
  uint32_t total_sectors;
  uint32_t root_cluster;
  uint32_t fsinfo_sector;       // 0: the volume has none
  uint32_t backup_boot_sector;  // 0: the volume has none
  uint32_t cluster_count;       // data clusters: valid numbers are 2 .. cluster_count + 1
  uint64_t fat_offset;          // bytes from the volume's start to the first FAT
  uint64_t data_offset;         // bytes from the volume's start to cluster 2
  uint32_t active_fat;          // the FAT to read when !mirrored (ext flags bits 0-3)
  bool mirrored;                // every FAT copy is kept (ext flags bit 7 clear)
  uint32_t volume_id;           // 0 when the boot signature 0x29 is absent
  char label[12];               // NUL-terminated, trailing spaces removed

  // Bytes from the volume's start to cluster n (2 <= n <= cluster_count + 1).
  uint64_t cluster_offset(uint32_t n) const { return data_offset + uint64_t(n - 2) * cluster_size; }
  // Bytes from the volume's start to the entry of cluster n in FAT copy `fat`.
  uint64_t fat_entry_offset(uint32_t fat, uint32_t n) const {
    return fat_offset + uint64_t(fat) * fat_sectors * bytes_per_sector + uint64_t(n) * 4;
  }
  // Bytes of one FAT copy.
  uint64_t fat_bytes() const { return uint64_t(fat_sectors) * bytes_per_sector; }
  // The highest valid cluster number.
  uint32_t max_cluster() const { return cluster_count + 1; }
};

// Parses and checks a FAT32 boot sector (at least its first 512 bytes) of a volume stored in
// an image of image_bytes bytes. Refuses (kInval) with a message naming the reason: bad
// signature, a field out of its range, a FAT12/16 layout or cluster count, a volume larger than
// the image, FATs too small for the clusters, a root cluster out of range, an FSInfo or backup
// sector outside the reserved area, an active FAT that does not exist, a version other than 0.0.
Result<Geometry, Error> parse_boot_sector(std::span<const uint8_t> sector, uint64_t image_bytes);

// ---- FSInfo --------------------------------------------------------------------------------

inline constexpr uint32_t kFsInfoLeadSig = 0x41615252;   // at 0
inline constexpr uint32_t kFsInfoStrucSig = 0x61417272;  // at 484
inline constexpr uint32_t kFsInfoTrailSig = 0xAA550000;  // at 508
inline constexpr uint32_t kFsInfoFreeCount = 488;
inline constexpr uint32_t kFsInfoNextFree = 492;
inline constexpr uint32_t kFsInfoUnknown = 0xFFFFFFFF;  // free count or next free not known

struct FsInfo {
  uint32_t free_count;  // free clusters, or kFsInfoUnknown
  uint32_t next_free;   // where to start looking for a free cluster, or kFsInfoUnknown
  friend bool operator==(const FsInfo&, const FsInfo&) = default;
};

// Parses an FSInfo sector (512 bytes at least); kInval naming the signature that is wrong.
Result<FsInfo, Error> parse_fsinfo(std::span<const uint8_t> sector);
// The hints as a driver may trust them: a free count above the cluster count or a next free
// outside the clusters becomes kFsInfoUnknown.
FsInfo fsinfo_sanitize(const Geometry& geometry, FsInfo info);
// Writes the two hints into an existing FSInfo sector, leaving every other byte as it is;
// kInval if the sector is shorter than 512 bytes.
Result<void> encode_fsinfo(std::span<uint8_t> sector, FsInfo info);

// ---- FAT entries ---------------------------------------------------------------------------

inline constexpr uint32_t kFatEntryMask = 0x0FFFFFFF;  // the top 4 bits are reserved
inline constexpr uint32_t kFatFree = 0;
inline constexpr uint32_t kFatBad = 0x0FFFFFF7;
inline constexpr uint32_t kFatEnd = 0x0FFFFFF8;      // any value >= ends a chain
inline constexpr uint32_t kFatEndMark = 0x0FFFFFFF;  // what mkh writes at a chain's end

inline constexpr bool is_end(uint32_t entry) { return (entry & kFatEntryMask) >= kFatEnd; }
inline constexpr bool is_free(uint32_t entry) { return (entry & kFatEntryMask) == kFatFree; }
inline constexpr bool is_bad(uint32_t entry) { return (entry & kFatEntryMask) == kFatBad; }
// A data cluster of this volume (2 .. cluster_count + 1).
inline constexpr bool is_valid_cluster(const Geometry& geometry, uint32_t n) {
  return n >= 2 && n <= geometry.max_cluster();
}
// The value to store over `old` for `value`: the reserved top 4 bits of the old entry kept.
inline constexpr uint32_t fat_entry_merge(uint32_t old, uint32_t value) {
  return (old & ~kFatEntryMask) | (value & kFatEntryMask);
}
// Entry n of a FAT held in `fat` (a whole FAT copy, or a window starting at entry 0), without
// its reserved bits; the caller checks n * 4 + 4 <= fat.size().
inline uint32_t fat_entry_load(std::span<const uint8_t> fat, uint32_t n) {
  return load_le32(fat.data() + uint64_t(n) * 4) & kFatEntryMask;
}
// Stores `value` as entry n, keeping the reserved bits already there.
inline void fat_entry_store(std::span<uint8_t> fat, uint32_t n, uint32_t value) {
  uint8_t* p = fat.data() + uint64_t(n) * 4;
  store_le32(p, fat_entry_merge(load_le32(p), value));
}

// ---- Short directory entries ---------------------------------------------------------------

inline constexpr uint32_t kSlotSize = 32;
inline constexpr uint8_t kAttrReadOnly = 0x01;
inline constexpr uint8_t kAttrHidden = 0x02;
inline constexpr uint8_t kAttrSystem = 0x04;
inline constexpr uint8_t kAttrVolumeId = 0x08;
inline constexpr uint8_t kAttrDirectory = 0x10;
inline constexpr uint8_t kAttrArchive = 0x20;
inline constexpr uint8_t kAttrLongName = 0x0F;      // read-only | hidden | system | volume id
inline constexpr uint8_t kAttrLongNameMask = 0x3F;  // the bits compared with kAttrLongName

inline constexpr uint8_t kSlotEnd = 0x00;      // first byte: this slot and all after are free
inline constexpr uint8_t kSlotDeleted = 0xE5;  // first byte: a free slot
inline constexpr uint8_t kSlotKanji = 0x05;    // first byte stored for a name starting with 0xE5

inline constexpr uint8_t kNtLowerBase = 0x08;  // NT flags: show the base in lowercase
inline constexpr uint8_t kNtLowerExt = 0x10;   // NT flags: show the extension in lowercase

// One 32-byte short (8.3) entry, decoded.
struct ShortEntry {
  uint8_t name[11];  // base (8) and extension (3), space padded, as on disk (0x05 for 0xE5)
  uint8_t attr;
  uint8_t nt_flags;     // kNtLowerBase | kNtLowerExt
  uint8_t ctime_tenth;  // creation time, 10 ms units (0..199)
  uint16_t ctime, cdate;
  uint16_t adate;
  uint16_t wtime, wdate;
  uint32_t first_cluster;  // high and low halves joined; 0 for an empty file
  uint32_t size;           // bytes; 0 for a directory

  bool is_directory() const { return (attr & kAttrDirectory) != 0; }
  friend bool operator==(const ShortEntry&, const ShortEntry&) = default;
};

// True when the slot is one part of a long name (attribute 0x0F under the mask).
inline bool is_lfn_slot(std::span<const uint8_t, kSlotSize> slot) {
  return (slot[11] & kAttrLongNameMask) == kAttrLongName;
}
ShortEntry decode_short_entry(std::span<const uint8_t, kSlotSize> slot);
void encode_short_entry(const ShortEntry& entry, std::span<uint8_t, kSlotSize> slot);
// The checksum of an 11-byte short name that every long-name slot of its entry carries.
uint8_t lfn_checksum(const uint8_t name[11]);

// ---- Timestamps ----------------------------------------------------------------------------

// Dates are days since 1980 (bits 15-9 year - 1980, 8-5 month, 4-0 day); times two-second
// units (bits 15-11 hours, 10-5 minutes, 4-0 seconds / 2); the creation time's tenth byte adds
// 0..199 units of 10 ms. mkh stores UTC.
inline constexpr int64_t kFatEpoch = 315532800;    // 1980-01-01 00:00:00 UTC
inline constexpr int64_t kFatLatest = 4354819199;  // 2107-12-31 23:59:59 UTC

struct FatTime {
  uint16_t date;
  uint16_t time;
  uint8_t tenth;  // 0 or 100: the odd second the two-second time cannot hold
  friend bool operator==(const FatTime&, const FatTime&) = default;
};

// Unix seconds as a FAT date and time, clamped to 1980-01-01 .. 2107-12-31 23:59:59 (the time
// holds the seconds rounded down to even, `tenth` the odd one for a creation time).
FatTime fat_time_from_unix(int64_t seconds);
// A FAT date and time (and creation tenths) as Unix seconds. Fields out of range (month 0 or
// 13, day 0, hour 24...) are clamped to the nearest valid value, as Linux reads them.
int64_t unix_from_fat_time(uint16_t date, uint16_t time, uint8_t tenth = 0);

}  // namespace mkh::fs::fat
