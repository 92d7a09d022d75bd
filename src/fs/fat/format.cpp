// The FAT32 on-disk format: boot sector, FSInfo, short entries, timestamps. Layer: fs (fat).
// Calls libk only.
#include "fs/fat/format.hpp"

#include <algorithm>

namespace mkh::fs::fat {

namespace {

bool is_power_of_two(uint32_t v) { return v != 0 && (v & (v - 1)) == 0; }

// The reserved-area sector numbers 0 and 0xFFFF both mean "none" in the wild.
bool is_no_sector(uint32_t sector) { return sector == 0 || sector == 0xFFFF; }

}  // namespace

Result<Geometry, Error> parse_boot_sector(std::span<const uint8_t> sector, uint64_t image_bytes) {
  if (sector.size() < kBootSectorSize)
    return error(Errno::kInval, "boot sector of {} bytes is shorter than {}", sector.size(), kBootSectorSize);
  const uint8_t* s = sector.data();
  const uint16_t signature = load_le16(s + bpb::kSignature);
  if (signature != 0xAA55) return error(Errno::kInval, "bad boot signature 0x{:04X} (expected 0xAA55)", signature);

  Geometry g{};
  g.bytes_per_sector = load_le16(s + bpb::kBytsPerSec);
  if (!is_power_of_two(g.bytes_per_sector) || g.bytes_per_sector < 512 || g.bytes_per_sector > 4096)
    return error(Errno::kInval, "bytes per sector {} is not a power of two in [512, 4096]", g.bytes_per_sector);
  g.sectors_per_cluster = s[bpb::kSecPerClus];
  if (!is_power_of_two(g.sectors_per_cluster))
    return error(Errno::kInval, "sectors per cluster {} is not a power of two", g.sectors_per_cluster);
  g.cluster_size = g.bytes_per_sector * g.sectors_per_cluster;
  if (g.cluster_size > kMaxClusterSize) return error(Errno::kInval, "cluster size {} is over 32 KiB", g.cluster_size);
  g.reserved_sectors = load_le16(s + bpb::kRsvdSecCnt);
  if (g.reserved_sectors == 0) return error(Errno::kInval, "no reserved sector (the boot sector is one)");
  g.fat_count = s[bpb::kNumFats];
  if (g.fat_count == 0) return error(Errno::kInval, "no FAT");

  const uint16_t root_entries = load_le16(s + bpb::kRootEntCnt);
  const uint16_t fat_size16 = load_le16(s + bpb::kFatSz16);
  if (root_entries != 0 || fat_size16 != 0)
    return error(Errno::kInval, "a FAT12/16 layout ({} root entries, 16-bit FAT size {}), not FAT32", root_entries,
                 fat_size16);
  const uint16_t version = load_le16(s + bpb::kFsVer);
  if (version != 0) return error(Errno::kInval, "FAT32 version {}.{} is not 0.0", version >> 8, version & 0xFF);

  const uint16_t total16 = load_le16(s + bpb::kTotSec16);
  g.total_sectors = total16 != 0 ? total16 : load_le32(s + bpb::kTotSec32);
  if (g.total_sectors == 0) return error(Errno::kInval, "the volume has 0 sectors");
  g.fat_sectors = load_le32(s + bpb::kFatSz32);
  if (g.fat_sectors == 0) return error(Errno::kInval, "FAT size of 0 sectors");

  const uint64_t data_sector = uint64_t(g.reserved_sectors) + uint64_t(g.fat_count) * g.fat_sectors;
  if (data_sector >= g.total_sectors)
    return error(Errno::kInval, "the reserved sectors and FATs ({} sectors) fill the volume ({} sectors)", data_sector,
                 g.total_sectors);
  const uint64_t clusters = (g.total_sectors - data_sector) / g.sectors_per_cluster;
  if (clusters < 4085) return error(Errno::kInval, "{} clusters: a FAT12 volume, not FAT32", clusters);
  if (clusters < kMinFat32Clusters) return error(Errno::kInval, "{} clusters: a FAT16 volume, not FAT32", clusters);
  if (clusters > kMaxFat32Clusters)
    return error(Errno::kInval, "{} clusters: more than FAT32's {}", clusters, kMaxFat32Clusters);
  g.cluster_count = uint32_t(clusters);

  const uint64_t volume_bytes = uint64_t(g.total_sectors) * g.bytes_per_sector;
  if (volume_bytes > image_bytes)
    return error(Errno::kInval, "the volume ({} sectors) is larger than the image ({} bytes)", g.total_sectors,
                 image_bytes);
  const uint64_t fat_entries = uint64_t(g.fat_sectors) * g.bytes_per_sector / 4;
  if (fat_entries < uint64_t(g.cluster_count) + 2)
    return error(Errno::kInval, "the FATs ({} entries) cannot map {} clusters", fat_entries, g.cluster_count);

  g.root_cluster = load_le32(s + bpb::kRootClus);
  if (!is_valid_cluster(g, g.root_cluster))
    return error(Errno::kInval, "root cluster {} out of range [2, {}]", g.root_cluster, g.max_cluster());

  const uint16_t fsinfo = load_le16(s + bpb::kFsInfo);
  if (!is_no_sector(fsinfo) && fsinfo >= g.reserved_sectors)
    return error(Errno::kInval, "FSInfo sector {} is outside the reserved area ({} sectors)", fsinfo,
                 g.reserved_sectors);
  g.fsinfo_sector = is_no_sector(fsinfo) ? 0 : fsinfo;
  const uint16_t backup = load_le16(s + bpb::kBkBootSec);
  if (!is_no_sector(backup) && backup >= g.reserved_sectors)
    return error(Errno::kInval, "backup boot sector {} is outside the reserved area ({} sectors)", backup,
                 g.reserved_sectors);
  g.backup_boot_sector = is_no_sector(backup) ? 0 : backup;
  if (g.fsinfo_sector != 0 && g.fsinfo_sector == g.backup_boot_sector)
    return error(Errno::kInval, "FSInfo and backup boot sector are both sector {}", g.fsinfo_sector);

  const uint16_t ext_flags = load_le16(s + bpb::kExtFlags);
  g.mirrored = (ext_flags & 0x80) == 0;
  g.active_fat = g.mirrored ? 0 : (ext_flags & 0x0F);
  if (g.active_fat >= g.fat_count) return error(Errno::kInval, "active FAT {} of {} FATs", g.active_fat, g.fat_count);

  g.fat_offset = uint64_t(g.reserved_sectors) * g.bytes_per_sector;
  g.data_offset = data_sector * g.bytes_per_sector;

  if (s[bpb::kBootSig] == 0x29) {
    g.volume_id = load_le32(s + bpb::kVolId);
    std::size_t n = 11;
    while (n > 0 && s[bpb::kVolLab + n - 1] == ' ') --n;
    for (std::size_t i = 0; i < n; ++i) g.label[i] = char(s[bpb::kVolLab + i]);
    g.label[n] = '\0';
  }
  return g;
}

Result<FsInfo, Error> parse_fsinfo(std::span<const uint8_t> sector) {
  if (sector.size() < 512) return error(Errno::kInval, "FSInfo sector of {} bytes is shorter than 512", sector.size());
  const uint8_t* s = sector.data();
  struct {
    uint32_t offset, expected;
    const char* name;
  } const signatures[] = {
      {0, kFsInfoLeadSig, "lead"}, {484, kFsInfoStrucSig, "structure"}, {508, kFsInfoTrailSig, "trail"}};
  for (const auto& sig : signatures) {
    const uint32_t got = load_le32(s + sig.offset);
    if (got != sig.expected)
      return error(Errno::kInval, "FSInfo {} signature 0x{:08X} (expected 0x{:08X})", sig.name, got, sig.expected);
  }
  return FsInfo{load_le32(s + kFsInfoFreeCount), load_le32(s + kFsInfoNextFree)};
}

FsInfo fsinfo_sanitize(const Geometry& geometry, FsInfo info) {
  if (info.free_count != kFsInfoUnknown && info.free_count > geometry.cluster_count) info.free_count = kFsInfoUnknown;
  if (info.next_free != kFsInfoUnknown && !is_valid_cluster(geometry, info.next_free)) info.next_free = kFsInfoUnknown;
  return info;
}

Result<void> encode_fsinfo(std::span<uint8_t> sector, FsInfo info) {
  if (sector.size() < 512) return error(Errno::kInval);
  store_le32(sector.data() + kFsInfoFreeCount, info.free_count);
  store_le32(sector.data() + kFsInfoNextFree, info.next_free);
  return {};
}

// Short entry layout: 0 name[11], 11 attr, 12 NT flags, 13 creation tenths, 14 ctime,
// 16 cdate, 18 adate, 20 first cluster high, 22 wtime, 24 wdate, 26 first cluster low, 28 size.
ShortEntry decode_short_entry(std::span<const uint8_t, kSlotSize> slot) {
  const uint8_t* s = slot.data();
  ShortEntry e{};
  std::copy(s, s + 11, e.name);
  e.attr = s[11];
  e.nt_flags = s[12];
  e.ctime_tenth = s[13];
  e.ctime = load_le16(s + 14);
  e.cdate = load_le16(s + 16);
  e.adate = load_le16(s + 18);
  e.first_cluster = (uint32_t(load_le16(s + 20)) << 16) | load_le16(s + 26);
  e.wtime = load_le16(s + 22);
  e.wdate = load_le16(s + 24);
  e.size = load_le32(s + 28);
  return e;
}

void encode_short_entry(const ShortEntry& e, std::span<uint8_t, kSlotSize> slot) {
  uint8_t* s = slot.data();
  std::copy(e.name, e.name + 11, s);
  s[11] = e.attr;
  s[12] = e.nt_flags;
  s[13] = e.ctime_tenth;
  store_le16(s + 14, e.ctime);
  store_le16(s + 16, e.cdate);
  store_le16(s + 18, e.adate);
  store_le16(s + 20, uint16_t(e.first_cluster >> 16));
  store_le16(s + 22, e.wtime);
  store_le16(s + 24, e.wdate);
  store_le16(s + 26, uint16_t(e.first_cluster));
  store_le32(s + 28, e.size);
}

uint8_t lfn_checksum(const uint8_t name[11]) {
  uint8_t sum = 0;
  for (int i = 0; i < 11; ++i) sum = uint8_t(((sum & 1) << 7) + (sum >> 1) + name[i]);
  return sum;
}

namespace {

// Days since 1970-01-01 of a proleptic Gregorian date, and back (H. Hinnant's algorithms).
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = unsigned(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + int64_t(doe) - 719468;
}

struct Civil {
  int64_t year;
  unsigned month, day;
};

Civil civil_from_days(int64_t z) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = unsigned(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {int64_t(yoe) + era * 400 + (m <= 2), m, d};
}

unsigned days_in_month(int64_t year, unsigned month) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : kDays[month - 1];
}

}  // namespace

FatTime fat_time_from_unix(int64_t seconds) {
  seconds = std::clamp(seconds, kFatEpoch, kFatLatest);
  const int64_t days = seconds / 86400;
  const int64_t rest = seconds % 86400;
  const Civil c = civil_from_days(days);
  const auto hours = unsigned(rest / 3600), minutes = unsigned(rest / 60 % 60), secs = unsigned(rest % 60);
  FatTime t{};
  t.date = uint16_t(((c.year - 1980) << 9) | (c.month << 5) | c.day);
  t.time = uint16_t((hours << 11) | (minutes << 5) | (secs / 2));
  t.tenth = uint8_t(secs % 2 * 100);
  return t;
}

int64_t unix_from_fat_time(uint16_t date, uint16_t time, uint8_t tenth) {
  const int64_t year = 1980 + (date >> 9);
  const unsigned month = std::clamp<unsigned>((date >> 5) & 0x0F, 1, 12);
  const unsigned day = std::clamp<unsigned>(date & 0x1F, 1, days_in_month(year, month));
  const unsigned hours = std::min<unsigned>(time >> 11, 23);
  const unsigned minutes = std::min<unsigned>((time >> 5) & 0x3F, 59);
  const unsigned secs = std::min<unsigned>((time & 0x1F) * 2, 58);
  return days_from_civil(year, month, day) * 86400 + hours * 3600 + minutes * 60 + secs +
         std::min<uint8_t>(tenth, 199) / 100;
}

}  // namespace mkh::fs::fat
