// Unit tests of the FAT32 on-disk format (fs/fat/format): boot sectors made by the real
// mkfs.fat for every cluster size, checked against fsck.fat's account of them, and every
// refusal from a corrupted copy; FSInfo; FAT entries on a chain mcopy wrote; short entries;
// timestamps against mtools' dates. Layer: tests. Calls fs/fat and the host's dosfstools and
// mtools (a test fails, naming the package, when they are missing).
#include "fs/fat/format.hpp"

#include <gtest/gtest.h>

#include <sys/stat.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <regex>
#include <string>
#include <vector>

#include "fat_image.hpp"
#include "fs/fat/dirent.hpp"

namespace mkh::fs::fat {
namespace {

using test::fat_tool;
using test::must_run;
using test::read_file;
using test::shell_quote;
using test::TempDir;

// An image made by mkfs.fat -F 32 with `options`, of `kib` KiB; its path.
std::string make_image_file(const TempDir& dir, const std::string& options, uint64_t kib) {
  const std::string mkfs = fat_tool("mkfs.fat", "dosfstools");
  const std::string path = dir.path("fat32.img");
  std::remove(path.c_str());
  must_run(mkfs + " -C -F 32 " + options + " " + shell_quote(path) + " " + std::to_string(kib));
  return path;
}

// The same, read whole.
std::vector<uint8_t> make_image(const TempDir& dir, const std::string& options, uint64_t kib,
                                std::string* path_out = nullptr) {
  const std::string path = make_image_file(dir, options, kib);
  if (path_out != nullptr) *path_out = path;
  return read_file(path);
}

// The first `bytes` bytes of a file.
std::vector<uint8_t> read_prefix(const std::string& path, std::size_t bytes) {
  std::vector<uint8_t> data(bytes);
  std::ifstream in(path, std::ios::binary);
  in.read(reinterpret_cast<char*>(data.data()), std::streamsize(bytes));
  data.resize(std::size_t(in.gcount()));
  return data;
}

// The value fsck.fat -n -v prints before `label` on one of its lines ("78736 data clusters").
uint64_t fsck_figure(const std::string& report, const std::string& pattern) {
  std::smatch match;
  if (!std::regex_search(report, match, std::regex(pattern))) {
    ADD_FAILURE() << "fsck.fat report has no '" << pattern << "':\n" << report;
    return 0;
  }
  return std::stoull(match[1].str());
}

std::string refusal(std::span<const uint8_t> sector, uint64_t image_bytes) {
  auto parsed = parse_boot_sector(sector, image_bytes);
  if (parsed) return "accepted";
  EXPECT_EQ(parsed.error().code, Errno::kInval);
  return parsed.error().message;
}

// Every cluster size mkfs.fat makes (512 B to 32 KiB, sectors of 512 to 4096 bytes): the
// geometry matches fsck.fat's report and the arithmetic of the layout.
TEST(FatBootSector, ParsesMkfsImagesOfEveryClusterSize) {
  TempDir dir;
  const std::string fsck = fat_tool("fsck.fat", "dosfstools");
  struct Case {
    uint32_t sector, per_cluster;
  } const cases[] = {{512, 1},  {512, 2},  {512, 4},  {512, 8},  {512, 16}, {512, 32},
                     {512, 64}, {1024, 1}, {2048, 2}, {4096, 1}, {4096, 8}};
  for (const Case& c : cases) {
    SCOPED_TRACE(testing::Message() << c.sector << " bytes per sector, " << c.per_cluster << " per cluster");
    const uint32_t cluster = c.sector * c.per_cluster;
    const uint64_t kib = uint64_t(cluster) * 66000 / 1024 + 4096;  // just past FAT32's minimum
    const std::string path = make_image_file(
        dir, "-S " + std::to_string(c.sector) + " -s " + std::to_string(c.per_cluster) + " -i 1234ABCD -n MKHVOLUME",
        kib);
    // The reserved area only: the largest images are 2 GiB (sparse).
    const auto image = read_prefix(path, 64 * 1024);
    const uint64_t image_bytes = std::filesystem::file_size(path);
    EXPECT_EQ(image_bytes, kib * 1024);
    auto parsed = parse_boot_sector(image, image_bytes);
    ASSERT_TRUE(parsed) << parsed.error();
    const Geometry& g = *parsed;
    EXPECT_EQ(g.bytes_per_sector, c.sector);
    EXPECT_EQ(g.sectors_per_cluster, c.per_cluster);
    EXPECT_EQ(g.cluster_size, cluster);
    EXPECT_EQ(g.fat_count, 2u);
    EXPECT_LE(g.total_sectors, kib * 1024 / c.sector);  // mkfs.fat may leave a tail unused
    EXPECT_EQ(g.root_cluster, 2u);
    EXPECT_EQ(g.fsinfo_sector, 1u);
    EXPECT_EQ(g.backup_boot_sector, 6u);
    EXPECT_TRUE(g.mirrored);
    EXPECT_EQ(g.volume_id, 0x1234ABCDu);
    EXPECT_STREQ(g.label, "MKHVOLUME");
    EXPECT_EQ(g.data_offset, (uint64_t(g.reserved_sectors) + 2ull * g.fat_sectors) * c.sector);
    EXPECT_EQ(g.cluster_count, (g.total_sectors - g.data_offset / c.sector) / c.per_cluster);

    const std::string report = must_run(fsck + " -n -v " + shell_quote(path));
    EXPECT_EQ(g.cluster_count, fsck_figure(report, R"((\d+) data clusters)"));
    EXPECT_EQ(g.data_offset, fsck_figure(report, R"(Data area starts at byte (\d+))"));
    EXPECT_EQ(g.fat_offset, fsck_figure(report, R"(First FAT starts at byte (\d+))"));
    EXPECT_EQ(g.fat_sectors, fsck_figure(report, R"(\(= (\d+) sectors\))"));
    EXPECT_EQ(g.reserved_sectors, fsck_figure(report, R"((\d+) reserved sectors)"));
    EXPECT_EQ(g.total_sectors, fsck_figure(report, R"((\d+) sectors total)"));
    // The backup boot sector says the same.
    auto backup = parse_boot_sector(std::span(image).subspan(uint64_t(g.backup_boot_sector) * c.sector), image_bytes);
    ASSERT_TRUE(backup) << backup.error();
    EXPECT_EQ(backup->cluster_count, g.cluster_count);
  }
}

class FatBootRefusal : public testing::Test {
 protected:
  void SetUp() override {
    m_image = make_image(m_dir, "-S 512 -s 1", 40000);
    m_sector.assign(m_image.begin(), m_image.begin() + 512);
    auto parsed = parse_boot_sector(m_sector, m_image.size());
    ASSERT_TRUE(parsed) << parsed.error();
    m_geometry = *parsed;
  }
  void put16(uint32_t offset, uint16_t v) { store_le16(m_sector.data() + offset, v); }
  void put32(uint32_t offset, uint32_t v) { store_le32(m_sector.data() + offset, v); }
  std::string refused() { return refusal(m_sector, m_image.size()); }

  TempDir m_dir;
  std::vector<uint8_t> m_image;
  std::vector<uint8_t> m_sector;
  Geometry m_geometry{};
};

TEST_F(FatBootRefusal, Signature) {
  put16(bpb::kSignature, 0);
  EXPECT_EQ(refused(), "bad boot signature 0x0000 (expected 0xAA55)");
  EXPECT_EQ(refusal(std::span(m_sector).first(511), m_image.size()), "boot sector of 511 bytes is shorter than 512");
}

TEST_F(FatBootRefusal, BytesPerSector) {
  for (uint16_t bps : {1000, 256, 8192, 0}) {
    put16(bpb::kBytsPerSec, bps);
    EXPECT_EQ(refused(), "bytes per sector " + std::to_string(bps) + " is not a power of two in [512, 4096]");
  }
}

TEST_F(FatBootRefusal, SectorsPerClusterAndClusterSize) {
  m_sector[bpb::kSecPerClus] = 3;
  EXPECT_EQ(refused(), "sectors per cluster 3 is not a power of two");
  m_sector[bpb::kSecPerClus] = 0;
  EXPECT_EQ(refused(), "sectors per cluster 0 is not a power of two");
  m_sector[bpb::kSecPerClus] = 128;
  EXPECT_EQ(refused(), "cluster size 65536 is over 32 KiB");
  m_sector[bpb::kSecPerClus] = 16;
  put16(bpb::kBytsPerSec, 4096);
  EXPECT_EQ(refused(), "cluster size 65536 is over 32 KiB");
}

TEST_F(FatBootRefusal, NoFatNoReservedSector) {
  m_sector[bpb::kNumFats] = 0;
  EXPECT_EQ(refused(), "no FAT");
  m_sector[bpb::kNumFats] = 2;
  put16(bpb::kRsvdSecCnt, 0);
  EXPECT_EQ(refused(), "no reserved sector (the boot sector is one)");
}

TEST_F(FatBootRefusal, Fat16Layouts) {
  put16(bpb::kRootEntCnt, 512);
  EXPECT_EQ(refused(), "a FAT12/16 layout (512 root entries, 16-bit FAT size 0), not FAT32");
  put16(bpb::kRootEntCnt, 0);
  put16(bpb::kFatSz16, 200);
  EXPECT_EQ(refused(), "a FAT12/16 layout (0 root entries, 16-bit FAT size 200), not FAT32");
  // A real FAT16 volume by mkfs.fat.
  const std::string path = m_dir.path("fat16.img");
  must_run(fat_tool("mkfs.fat", "dosfstools") + " -C -F 16 " + shell_quote(path) + " 40000");
  const auto fat16 = read_file(path);
  EXPECT_EQ(refusal(fat16, fat16.size()).find("a FAT12/16 layout (512 root entries"), 0u)
      << refusal(fat16, fat16.size());
}

TEST_F(FatBootRefusal, ClusterCounts) {
  const uint32_t data_sector = m_geometry.reserved_sectors + 2 * m_geometry.fat_sectors;
  put32(bpb::kTotSec32, data_sector + 12345);
  EXPECT_EQ(refused(), "12345 clusters: a FAT16 volume, not FAT32");
  put32(bpb::kTotSec32, data_sector + 65524);
  EXPECT_EQ(refused(), "65524 clusters: a FAT16 volume, not FAT32");
  put32(bpb::kTotSec32, data_sector + 4084);
  EXPECT_EQ(refused(), "4084 clusters: a FAT12 volume, not FAT32");
  put32(bpb::kTotSec32, data_sector + 65525);  // the least FAT32 volume
  EXPECT_EQ(refused(), "accepted");
  put32(bpb::kTotSec32, 0);
  EXPECT_EQ(refused(), "the volume has 0 sectors");
  put32(bpb::kTotSec32, data_sector);
  EXPECT_EQ(refused(), "the reserved sectors and FATs (" + std::to_string(data_sector) + " sectors) fill the volume (" +
                           std::to_string(data_sector) + " sectors)");
}

TEST_F(FatBootRefusal, VolumeLargerThanImage) {
  EXPECT_EQ(refusal(m_sector, m_image.size() - 1),
            "the volume (80000 sectors) is larger than the image (" + std::to_string(m_image.size() - 1) + " bytes)");
  EXPECT_EQ(refusal(m_sector, m_image.size()), "accepted");
}

TEST_F(FatBootRefusal, FatTooSmall) {
  // 200 sectors per FAT: 25600 entries for the clusters of what the volume then holds.
  put32(bpb::kFatSz32, 200);
  const uint32_t clusters = 80000 - (32 + 2 * 200);
  EXPECT_EQ(refused(), "the FATs (25600 entries) cannot map " + std::to_string(clusters) + " clusters");
  put32(bpb::kFatSz32, 0);
  EXPECT_EQ(refused(), "FAT size of 0 sectors");
}

TEST_F(FatBootRefusal, RootClusterFsInfoBackupActiveFatVersion) {
  const std::string range = " out of range [2, " + std::to_string(m_geometry.cluster_count + 1) + "]";
  for (uint32_t root : {0u, 1u, m_geometry.cluster_count + 2, 0x0FFFFFFFu}) {
    put32(bpb::kRootClus, root);
    EXPECT_EQ(refused(), "root cluster " + std::to_string(root) + range);
  }
  put32(bpb::kRootClus, m_geometry.cluster_count + 1);
  EXPECT_EQ(refused(), "accepted");
  put32(bpb::kRootClus, 2);

  put16(bpb::kFsInfo, 32);
  EXPECT_EQ(refused(), "FSInfo sector 32 is outside the reserved area (32 sectors)");
  put16(bpb::kFsInfo, 0xFFFF);  // no FSInfo
  EXPECT_EQ(parse_boot_sector(m_sector, m_image.size())->fsinfo_sector, 0u);
  put16(bpb::kFsInfo, 6);
  EXPECT_EQ(refused(), "FSInfo and backup boot sector are both sector 6");
  put16(bpb::kFsInfo, 1);
  put16(bpb::kBkBootSec, 40);
  EXPECT_EQ(refused(), "backup boot sector 40 is outside the reserved area (32 sectors)");
  put16(bpb::kBkBootSec, 6);

  put16(bpb::kExtFlags, 0x82);
  EXPECT_EQ(refused(), "active FAT 2 of 2 FATs");
  put16(bpb::kExtFlags, 0x81);
  auto single = parse_boot_sector(m_sector, m_image.size());
  ASSERT_TRUE(single) << single.error();
  EXPECT_FALSE(single->mirrored);
  EXPECT_EQ(single->active_fat, 1u);
  put16(bpb::kExtFlags, 0x0003);  // mirrored: bits 0-3 mean nothing
  EXPECT_EQ(parse_boot_sector(m_sector, m_image.size())->active_fat, 0u);

  put16(bpb::kFsVer, 0x0001);
  EXPECT_EQ(refused(), "FAT32 version 0.1 is not 0.0");
  put16(bpb::kFsVer, 0x0100);
  EXPECT_EQ(refused(), "FAT32 version 1.0 is not 0.0");
}

TEST_F(FatBootRefusal, NoLabelWithoutExtendedBootSignature) {
  m_sector[bpb::kBootSig] = 0;
  auto parsed = parse_boot_sector(m_sector, m_image.size());
  ASSERT_TRUE(parsed) << parsed.error();
  EXPECT_EQ(parsed->volume_id, 0u);
  EXPECT_STREQ(parsed->label, "");
}

TEST(FatFsInfo, ParseEncodeAndRefusals) {
  TempDir dir;
  const auto image = make_image(dir, "-S 512 -s 1", 40000);
  const Geometry g = *parse_boot_sector(image, image.size());
  std::vector<uint8_t> sector(image.begin() + 512 * g.fsinfo_sector, image.begin() + 512 * (g.fsinfo_sector + 1));
  auto info = parse_fsinfo(sector);
  ASSERT_TRUE(info) << info.error();
  EXPECT_EQ(info->free_count, g.cluster_count - 1);  // all but the root directory's cluster
  EXPECT_EQ(fsinfo_sanitize(g, *info), *info);

  const std::vector<uint8_t> before = sector;
  ASSERT_TRUE(encode_fsinfo(sector, FsInfo{1234, 77}));
  EXPECT_EQ(*parse_fsinfo(sector), (FsInfo{1234, 77}));
  for (std::size_t i = 0; i < sector.size(); ++i) {
    if (i < kFsInfoFreeCount || i >= kFsInfoNextFree + 4) {
      EXPECT_EQ(sector[i], before[i]) << "byte " << i;
    }
  }
  EXPECT_FALSE(encode_fsinfo(std::span(sector).first(100), FsInfo{1, 2}));

  EXPECT_EQ(fsinfo_sanitize(g, FsInfo{g.cluster_count + 1, g.cluster_count + 2}),
            (FsInfo{kFsInfoUnknown, kFsInfoUnknown}));
  EXPECT_EQ(fsinfo_sanitize(g, FsInfo{g.cluster_count, 1}), (FsInfo{g.cluster_count, kFsInfoUnknown}));
  EXPECT_EQ(fsinfo_sanitize(g, FsInfo{kFsInfoUnknown, 2}), (FsInfo{kFsInfoUnknown, 2}));

  struct {
    uint32_t offset;
    const char* message;
  } const corruptions[] = {{0, "FSInfo lead signature 0x41615253 (expected 0x41615252)"},
                           {484, "FSInfo structure signature 0x61417273 (expected 0x61417272)"},
                           {508, "FSInfo trail signature 0xAA550001 (expected 0xAA550000)"}};
  for (const auto& c : corruptions) {
    std::vector<uint8_t> bad = sector;
    bad[c.offset] += 1;
    auto parsed = parse_fsinfo(bad);
    ASSERT_FALSE(parsed);
    EXPECT_EQ(parsed.error().message, c.message);
  }
  EXPECT_FALSE(parse_fsinfo(std::span(sector).first(511)));
}

TEST(FatEntries, HelpersAndReservedBits) {
  EXPECT_TRUE(is_free(0));
  EXPECT_TRUE(is_free(0xF0000000));  // the reserved bits are not part of the value
  EXPECT_FALSE(is_free(2));
  for (uint32_t v = kFatEnd; v <= kFatEntryMask; ++v) EXPECT_TRUE(is_end(v)) << v;
  EXPECT_TRUE(is_end(0xFFFFFFFF));
  EXPECT_FALSE(is_end(kFatBad));
  EXPECT_TRUE(is_bad(kFatBad));
  EXPECT_FALSE(is_end(0x0FFFFFF6));
  EXPECT_EQ(fat_entry_merge(0xA0000005, 0x0FFFFFFF), 0xAFFFFFFFu);
  EXPECT_EQ(fat_entry_merge(0x50000000, 0xF0000007), 0x50000007u);

  std::vector<uint8_t> fat(16, 0);
  store_le32(fat.data() + 8, 0xC0000000);
  fat_entry_store(fat, 2, 0x00ABCDEF);
  EXPECT_EQ(load_le32(fat.data() + 8), 0xC0ABCDEFu);
  EXPECT_EQ(fat_entry_load(fat, 2), 0x00ABCDEFu);

  Geometry g{};
  g.cluster_count = 100;
  EXPECT_FALSE(is_valid_cluster(g, 0));
  EXPECT_FALSE(is_valid_cluster(g, 1));
  EXPECT_TRUE(is_valid_cluster(g, 2));
  EXPECT_TRUE(is_valid_cluster(g, 101));
  EXPECT_FALSE(is_valid_cluster(g, 102));
}

// A file mcopy wrote over several 512-byte clusters: its directory entry, its FAT chain and its
// bytes read back through the format functions; its date is the one mcopy -m kept.
TEST(FatEntries, ChainAndDateOfAFileMcopyWrote) {
  TempDir dir;
  std::string path;
  auto image = make_image(dir, "-S 512 -s 1", 40000, &path);
  std::string content;
  for (int i = 0; content.size() < 5000; ++i) content += "line " + std::to_string(i) + "\n";
  const std::string host = dir.path("data.txt");
  { std::ofstream(host, std::ios::binary) << content; }
  must_run("TZ=UTC touch -d '2021-06-15 13:45:31' " + shell_quote(host));
  must_run("TZ=UTC mtools_skip_check=1 " + fat_tool("mcopy", "mtools") + " -m -i " + shell_quote(path) + " " +
           shell_quote(host) + " ::DATA.TXT");
  image = read_file(path);
  const Geometry g = *parse_boot_sector(image, image.size());
  const auto root = test::read_chain(image, g, g.root_cluster);
  DirCursor cursor(root);
  auto entry = cursor.next();
  ASSERT_TRUE(entry);
  EXPECT_STREQ(entry->name, "DATA.TXT");
  EXPECT_EQ(entry->sfn.size, content.size());
  EXPECT_EQ(entry->sfn.attr & kAttrDirectory, 0);
  auto bytes = test::read_chain(image, g, entry->sfn.first_cluster);
  EXPECT_EQ(bytes.size(), (content.size() + 511) / 512 * 512);
  bytes.resize(entry->sfn.size);
  EXPECT_EQ(std::string(bytes.begin(), bytes.end()), content);
  // The modification time (UTC, seconds rounded down to even).
  struct stat st {};
  ASSERT_EQ(stat(host.c_str(), &st), 0);
  EXPECT_EQ(unix_from_fat_time(entry->sfn.wdate, entry->sfn.wtime), st.st_mtime / 2 * 2);
  EXPECT_EQ(fat_time_from_unix(st.st_mtime).date, entry->sfn.wdate);
  EXPECT_EQ(fat_time_from_unix(st.st_mtime).time, entry->sfn.wtime);
  EXPECT_FALSE(cursor.next());
}

TEST(FatShortEntry, DecodeEncodeRoundTripAndLayout) {
  ShortEntry e{};
  std::memcpy(e.name, "HELLO   TXT", 11);
  e.attr = kAttrArchive | kAttrReadOnly;
  e.nt_flags = kNtLowerBase;
  e.ctime_tenth = 150;
  e.ctime = 0x1234;
  e.cdate = 0x5678;
  e.adate = 0x9ABC;
  e.wtime = 0xDEF0;
  e.wdate = 0x1357;
  e.first_cluster = 0x0ABC1234;
  e.size = 0xDEADBEEF;
  uint8_t slot[32];
  std::memset(slot, 0xCC, sizeof slot);
  encode_short_entry(e, slot);
  const uint8_t expected[32] = {'H',  'E',  'L',  'L',  'O',  ' ',  ' ',  ' ',  'T',  'X',  'T',
                                0x21, 0x08, 150,  0x34, 0x12, 0x78, 0x56, 0xBC, 0x9A, 0xBC, 0x0A,
                                0xF0, 0xDE, 0x57, 0x13, 0x34, 0x12, 0xEF, 0xBE, 0xAD, 0xDE};
  EXPECT_EQ(std::memcmp(slot, expected, 32), 0);
  EXPECT_EQ(decode_short_entry(slot), e);
  EXPECT_FALSE(is_lfn_slot(slot));
  slot[11] = kAttrLongName | kAttrArchive;  // the archive bit is under the mask: not a long name
  EXPECT_FALSE(is_lfn_slot(slot));
  slot[11] = kAttrLongName | 0x40;  // bits 6-7 are outside the mask
  EXPECT_TRUE(is_lfn_slot(slot));
}

// Checksums read from directories mtools wrote.
TEST(FatShortEntry, LfnChecksum) {
  EXPECT_EQ(lfn_checksum(reinterpret_cast<const uint8_t*>("LONGFI~1TXT")), 0xD4);
  EXPECT_EQ(lfn_checksum(reinterpret_cast<const uint8_t*>("AB~1    C  ")), 0xD8);
  EXPECT_EQ(lfn_checksum(reinterpret_cast<const uint8_t*>("README  TXT")), 0x73);
  EXPECT_EQ(lfn_checksum(reinterpret_cast<const uint8_t*>("___     TXT")), 0xBB);
}

TEST(FatTime, KnownDatesClampAndRoundTrip) {
  EXPECT_EQ(fat_time_from_unix(kFatEpoch), (FatTime{0x0021, 0x0000, 0}));
  EXPECT_EQ(fat_time_from_unix(0), (FatTime{0x0021, 0x0000, 0}));  // 1970 clamps to 1980
  // 2000-02-29 12:34:57 UTC: a leap day, an odd second.
  EXPECT_EQ(fat_time_from_unix(951827697), (FatTime{0x285D, 0x645C, 100}));
  EXPECT_EQ(unix_from_fat_time(0x285D, 0x645C), 951827696);
  EXPECT_EQ(unix_from_fat_time(0x285D, 0x645C, 100), 951827697);
  EXPECT_EQ(unix_from_fat_time(0x285D, 0x645C, 199), 951827697);
  // The last date: 2107-12-31 23:59:58 (+1 s in the tenths), and later clamps to it.
  EXPECT_EQ(fat_time_from_unix(kFatLatest), (FatTime{0xFF9F, 0xBF7D, 100}));
  EXPECT_EQ(fat_time_from_unix(int64_t(1) << 40), (FatTime{0xFF9F, 0xBF7D, 100}));
  EXPECT_EQ(unix_from_fat_time(0xFF9F, 0xBF7D), kFatLatest - 1);
  // Fields out of range read as Linux reads them: month 0 -> 1, day 0 -> 1, Feb 30 -> 29.
  EXPECT_EQ(unix_from_fat_time(0x2800, 0), unix_from_fat_time(0x2821, 0));
  EXPECT_EQ(unix_from_fat_time(0x285E, 0), unix_from_fat_time(0x285D, 0));
  EXPECT_EQ(unix_from_fat_time(0x21, 0xFFFF), kFatEpoch + 23 * 3600 + 59 * 60 + 58);
  // Every even second of a stride through the range comes back.
  for (int64_t t = kFatEpoch; t < kFatLatest; t += 7919 * 2 + 86400 * 13) {
    const FatTime ft = fat_time_from_unix(t);
    ASSERT_EQ(unix_from_fat_time(ft.date, ft.time, ft.tenth), t);
  }
}

}  // namespace
}  // namespace mkh::fs::fat
