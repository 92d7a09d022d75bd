// Unit tests of FAT names and directories (fs/fat/names, fs/fat/dirent): name checks, exact
// short names, 8.3 aliases, long-name slots written and decoded back, broken long names, free
// slots, and directories written by mtools decoded to exactly the names mdir shows. Layer:
// tests. Calls fs/fat and the host's dosfstools and mtools (a test fails when they are missing).
#include "fs/fat/names.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <set>
#include <sstream>
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

std::string eleven(const uint8_t name[11]) { return std::string(reinterpret_cast<const char*>(name), 11); }

std::string repeat(const std::string& s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

TEST(FatNames, ValidateRefusesWhatVfatRefuses) {
  for (const std::string& bad : std::vector<std::string>{"",
                                                         ".",
                                                         "..",
                                                         "a*b",
                                                         "a/b",
                                                         "a:b",
                                                         "a<b",
                                                         "a>b",
                                                         "a?b",
                                                         "a\\b",
                                                         "a|b",
                                                         "a\"b",
                                                         std::string("a\x01") + "b",
                                                         "\x1f",
                                                         "name.",
                                                         "name ",
                                                         "trail..",
                                                         "\xC0\x80",
                                                         "\xED\xA0\x80",
                                                         "\xF4\x90\x80\x80",
                                                         "\xE6\x97",
                                                         "\x80",
                                                         "\xFF",
                                                         "ok\xE6"}) {
    auto result = validate_name(bad);
    ASSERT_FALSE(result) << "'" << bad << "' accepted";
    EXPECT_EQ(result.error(), Errno::kInval) << "'" << bad << "'";
  }
  for (const std::string& good : std::vector<std::string>{"a", ".bashrc", "a.b.c", " lead", "with space.txt", "..x",
                                                          "\x7f", "日本語.txt", "\xF0\x9F\x98\x80", "+,;=[]"}) {
    EXPECT_TRUE(validate_name(good)) << "'" << good << "' refused";
  }
  // 255 UTF-16 units: ASCII, CJK (765 UTF-8 bytes), emoji pairs.
  EXPECT_EQ(validate_name(std::string(255, 'x'))->length, 255u);
  EXPECT_EQ(validate_name(std::string(256, 'x')).error(), Errno::kNameTooLong);
  EXPECT_EQ(validate_name(std::string(300, 'x') + "*").error(), Errno::kInval);
  EXPECT_EQ(validate_name(repeat("語", 255))->length, 255u);
  EXPECT_EQ(validate_name(repeat("語", 256)).error(), Errno::kNameTooLong);
  const std::string emoji = "\xF0\x9F\x98\x80";  // U+1F600: a surrogate pair
  auto pairs = validate_name(repeat(emoji, 127) + "x");
  ASSERT_TRUE(pairs);
  EXPECT_EQ(pairs->length, 255u);
  EXPECT_EQ(pairs->units[0], 0xD83D);
  EXPECT_EQ(pairs->units[1], 0xDE00);
  EXPECT_EQ(validate_name(repeat(emoji, 128)).error(), Errno::kNameTooLong);
  EXPECT_EQ(validate_name(repeat(emoji, 127) + "xy").error(), Errno::kNameTooLong);
}

TEST(FatNames, Utf16ToUtf8) {
  const uint16_t text[] = {'a', 0x00E9, 0x65E5, 0xD83D, 0xDE00};
  char out[16];
  auto n = utf16_to_utf8(text, out);
  ASSERT_TRUE(n);
  EXPECT_EQ(std::string(out, *n), "a\xC3\xA9\xE6\x97\xA5\xF0\x9F\x98\x80");
  const uint16_t lone_high[] = {'a', 0xD83D}, lone_low[] = {0xDE00, 'a'}, reversed[] = {0xDE00, 0xD83D};
  EXPECT_EQ(utf16_to_utf8(lone_high, out).error(), Errno::kInval);
  EXPECT_EQ(utf16_to_utf8(lone_low, out).error(), Errno::kInval);
  EXPECT_EQ(utf16_to_utf8(reversed, out).error(), Errno::kInval);
  EXPECT_EQ(utf16_to_utf8(text, std::span<char>(out, 9)).error(), Errno::kNameTooLong);
}

TEST(FatNames, ShortNamesShowAsMtoolsShowsThem) {
  char out[kShortNameUtf8Max];
  const auto show = [&](const char* name, uint8_t flags) {
    return std::string(out, short_name_to_utf8(reinterpret_cast<const uint8_t*>(name), flags, out));
  };
  EXPECT_EQ(show("README  TXT", 0), "README.TXT");
  EXPECT_EQ(show("README  TXT", kNtLowerBase), "readme.TXT");
  EXPECT_EQ(show("README  TXT", kNtLowerExt), "README.txt");
  EXPECT_EQ(show("README  TXT", kNtLowerBase | kNtLowerExt), "readme.txt");
  EXPECT_EQ(show("MAKEFILE   ", 0), "MAKEFILE");
  EXPECT_EQ(show("A       B  ", 0), "A.B");
  EXPECT_EQ(show("A B     C D", 0), "A B.C D");  // inner spaces stay
  EXPECT_EQ(show("\x05"
                 "ABC    TXT",
                 0),
            "\xC3\x95"
            "ABC.TXT");                                           // 0x05 is 0xE5: cp850 U+00D5
  EXPECT_EQ(show("\x90T\x90     TXT", kNtLowerExt), "ÉTÉ.txt");   // as mcopy stores "ÉTÉ.txt"
  EXPECT_EQ(show("\x90T\x90     TXT", kNtLowerBase), "ÉtÉ.TXT");  // ASCII letters only
  EXPECT_EQ(show("\xDB\xFF\x80     \x9F  ", 0), "\xE2\x96\x88\xC2\xA0\xC3\x87.\xC6\x92");
  EXPECT_EQ(cp850_to_unicode(0x41), 0x41);
  EXPECT_EQ(cp850_to_unicode(0x81), 0x00FC);
  EXPECT_EQ(cp850_to_unicode(0xE1), 0x00DF);
}

TEST(FatNames, FitsShortNameExactly) {
  struct Case {
    const char* name;
    const char* stored;  // nullptr: needs a long name
    uint8_t flags;
  } const cases[] = {
      {"readme.txt", "README  TXT", kNtLowerBase | kNtLowerExt},
      {"README.TXT", "README  TXT", 0},
      {"readme.TXT", "README  TXT", kNtLowerBase},
      {"README.txt", "README  TXT", kNtLowerExt},
      {"makefile", "MAKEFILE   ", kNtLowerBase},
      {"x.y", "X       Y  ", kNtLowerBase | kNtLowerExt},
      {"1234.567", "1234    567", 0},
      {"a1$%'-_@.~`!", "A1$%'-_@~`!", kNtLowerBase},
      {"(){}^#&.X", "(){}^#& X  ", 0},
      {"Makefile", nullptr, 0},
      {"ReadMe.txt", nullptr, 0},
      {"a.b.c", nullptr, 0},
      {".bashrc", nullptr, 0},
      {"toolongname.txt", nullptr, 0},
      {"file.html", nullptr, 0},
      {"a b.txt", nullptr, 0},
      {"a+b.txt", nullptr, 0},
      {"été.txt", nullptr, 0},
      {"name.", nullptr, 0},
      {"", nullptr, 0},
      {".", nullptr, 0},
  };
  for (const Case& c : cases) {
    uint8_t out[11];
    uint8_t flags = 0xFF;
    const bool fits = fits_short_name(c.name, out, &flags);
    EXPECT_EQ(fits, c.stored != nullptr) << c.name;
    if (fits && c.stored != nullptr) {
      EXPECT_EQ(eleven(out), c.stored) << c.name;
      EXPECT_EQ(flags, c.flags) << c.name;
    }
  }
}

// The callback of generate_short_name: a set of taken names.
bool in_set(const uint8_t candidate[11], void* context) {
  return static_cast<std::set<std::string>*>(context)->count(eleven(candidate)) != 0;
}

std::string alias(const std::string& name, std::set<std::string> taken = {}) {
  uint8_t out[11];
  auto result = generate_short_name(name, in_set, &taken, out);
  if (!result) return "error " + std::string(errno_name(result.error()));
  return eleven(out);
}

TEST(FatNames, AliasesByTheBasisNameAlgorithm) {
  EXPECT_EQ(alias("Long File Name.txt"), "LONGFI~1TXT");
  EXPECT_EQ(alias("Long File Name.txt", {"LONGFI~1TXT"}), "LONGFI~2TXT");
  EXPECT_EQ(alias("Long File Name.txt", {"LONGFI~1TXT", "LONGFI~2TXT"}), "LONGFI~3TXT");
  EXPECT_EQ(alias("ReadMe.txt"), "README  TXT");  // nothing lost: the basis itself
  EXPECT_EQ(alias("ReadMe.txt", {"README  TXT"}), "README~1TXT");
  EXPECT_EQ(alias("a.b.c"), "AB~1    C  ");  // as mtools and Windows make it
  EXPECT_EQ(alias(".bashrc"), "BASHRC~1   ");
  EXPECT_EQ(alias("...x.tar.gz"), "XTAR~1  GZ ");
  EXPECT_EQ(alias("file.html"), "FILE~1  HTM");
  EXPECT_EQ(alias("a+b.txt"), "A_B~1   TXT");
  EXPECT_EQ(alias("with space"), "WITHSP~1   ");
  EXPECT_EQ(alias("  x"), "X~1        ");
  EXPECT_EQ(alias("日本語.txt"), "___~1   TXT");
  EXPECT_EQ(alias("\xF0\x9F\x98\x80smile.txt"), "_SMILE~1TXT");  // a surrogate pair is one '_'
  EXPECT_EQ(alias("Makefile"), "MAKEFILE   ");
  EXPECT_EQ(alias("x.JPEG"), "X~1     JPE");
  EXPECT_EQ(alias(".txt"), "TXT~1      ");
  // The tail eats into the base as it grows.
  std::set<std::string> taken;
  for (int n = 1; n <= 9; ++n) taken.insert("VERYLO~" + std::to_string(n) + "TXT");
  EXPECT_EQ(alias("verylongname.txt", taken), "VERYL~10TXT");
  std::set<std::string> many;
  for (int n = 1; n <= 99999; ++n) {
    const std::string tail = "~" + std::to_string(n);
    many.insert(std::string("VERYLONG").substr(0, 8 - tail.size()) + tail + "TXT");
  }
  EXPECT_EQ(alias("verylongname.txt", many), "V~100000TXT");
  // Every candidate taken: EEXIST after ~999999; invalid names are refused.
  uint8_t out[11];
  auto all_taken = [](const uint8_t*, void*) { return true; };
  EXPECT_EQ(generate_short_name("Long File Name.txt", all_taken, nullptr, out).error(), Errno::kExist);
  auto none_taken = [](const uint8_t*, void*) { return false; };
  EXPECT_EQ(generate_short_name("a/b", none_taken, nullptr, out).error(), Errno::kInval);
  EXPECT_EQ(generate_short_name(std::string(256, 'a'), none_taken, nullptr, out).error(), Errno::kNameTooLong);
}

// A directory image of `slots` free slots, with entries written by encode_entries.
struct DirBuilder {
  explicit DirBuilder(uint32_t slots) : bytes(slots * kSlotSize, 0) {}
  // Writes the entry for `name` at `slot` (an alias made for it when it needs one); returns
  // the slot count.
  uint32_t add(uint32_t slot, const std::string& name, uint32_t cluster = 0) {
    ShortEntry sfn{};
    sfn.attr = kAttrArchive;
    sfn.first_cluster = cluster;
    sfn.size = uint32_t(name.size());
    if (!fits_short_name(name, sfn.name, &sfn.nt_flags)) {
      sfn.nt_flags = 0;
      auto taken = [](const uint8_t*, void*) { return false; };
      EXPECT_TRUE(generate_short_name(name, taken, nullptr, sfn.name)) << name;
    }
    uint8_t out[kMaxEntrySlots * kSlotSize];
    auto count = encode_entries(name, sfn, out);
    EXPECT_TRUE(count) << name;
    if (!count) return 0;
    std::memcpy(bytes.data() + slot * kSlotSize, out, *count * kSlotSize);
    return *count;
  }
  uint8_t* slot(uint32_t i) { return bytes.data() + i * kSlotSize; }
  std::vector<uint8_t> bytes;
};

std::vector<std::string> names_of(std::span<const uint8_t> dir, bool with_dots = false) {
  std::vector<std::string> names;
  DirCursor cursor(dir, with_dots);
  while (auto e = cursor.next()) names.emplace_back(e->name, e->name_len);
  return names;
}

TEST(FatDirectory, LongNamesRoundTrip) {
  const std::string emoji = "\xF0\x9F\x98\x80";
  const std::vector<std::string> names = {"readme.txt",
                                          "Long File Name.txt",
                                          "ÉTÉ été.txt",
                                          "日本語のファイル名.txt",
                                          emoji + " smile " + emoji,
                                          std::string(13, 'a'),
                                          std::string(26, 'b'),
                                          std::string(14, 'c'),
                                          std::string(255, 'L'),
                                          repeat("語", 255),
                                          repeat(emoji, 127) + "z",
                                          "ReadMe.txt",
                                          "a.b.c",
                                          "UPPER.TXT"};
  DirBuilder dir(600);
  std::vector<uint32_t> firsts, counts;
  uint32_t slot = 0;
  for (const auto& name : names) {
    const uint32_t count = dir.add(slot, name);
    firsts.push_back(slot);
    counts.push_back(count);
    slot += count;
  }
  // Slot counts: one short entry, plus ceil(units / 13) long-name slots when needed.
  EXPECT_EQ(counts[0], 1u);   // readme.txt: exact short name with NT flags
  EXPECT_EQ(counts[5], 2u);   // 13 units: one slot, no terminator
  EXPECT_EQ(counts[6], 3u);   // 26 units
  EXPECT_EQ(counts[7], 3u);   // 14 units
  EXPECT_EQ(counts[8], 21u);  // 255 units: 20 slots
  EXPECT_EQ(counts[10], 21u);
  EXPECT_EQ(counts[13], 1u);
  // The 13-unit name's slot: no 0x0000 after it; the 14-unit one: 0x0000 then 0xFFFF padding.
  EXPECT_EQ(dir.slot(firsts[5])[0], 0x41);
  EXPECT_EQ(load_le16(dir.slot(firsts[5]) + 30), 'a');
  EXPECT_EQ(dir.slot(firsts[7])[0], 0x42);
  EXPECT_EQ(load_le16(dir.slot(firsts[7]) + 3), 0x0000);
  EXPECT_EQ(load_le16(dir.slot(firsts[7]) + 5), 0xFFFF);
  EXPECT_EQ(load_le16(dir.slot(firsts[7]) + 30), 0xFFFF);
  EXPECT_EQ(dir.slot(firsts[7] + 1)[0], 0x01);
  EXPECT_EQ(dir.slot(firsts[7])[13], lfn_checksum(dir.slot(firsts[7] + 2)));

  DirCursor cursor(dir.bytes);
  for (std::size_t i = 0; i < names.size(); ++i) {
    auto e = cursor.next();
    ASSERT_TRUE(e) << names[i];
    EXPECT_EQ(std::string(e->name, e->name_len), names[i]);
    EXPECT_EQ(std::strlen(e->name), e->name_len);
    EXPECT_EQ(e->first_slot, firsts[i]) << names[i];
    EXPECT_EQ(e->slot_count, counts[i]) << names[i];
    EXPECT_EQ(e->sfn.size, names[i].size());
    EXPECT_FALSE(e->lfn_broken) << names[i];
    EXPECT_FALSE(e->dot);
  }
  EXPECT_FALSE(cursor.next());
  EXPECT_EQ(cursor.end_slot(), slot);
  EXPECT_FALSE(cursor.next());  // stays at the end

  // An invalid or too long name writes nothing.
  uint8_t out[kMaxEntrySlots * kSlotSize];
  ShortEntry sfn{};
  EXPECT_EQ(encode_entries(std::string(256, 'a'), sfn, out).error(), Errno::kNameTooLong);
  EXPECT_EQ(encode_entries("a:b", sfn, out).error(), Errno::kInval);
}

TEST(FatDirectory, SkipsDeletedLabelAndDotsStopsAtEnd) {
  DirBuilder dir(64);
  ShortEntry e{};
  std::memcpy(e.name, ".          ", 11);
  e.attr = kAttrDirectory;
  encode_short_entry(e, std::span<uint8_t, kSlotSize>(dir.slot(0), kSlotSize));
  std::memcpy(e.name, "..         ", 11);
  encode_short_entry(e, std::span<uint8_t, kSlotSize>(dir.slot(1), kSlotSize));
  std::memcpy(e.name, "MKHVOLUME  ", 11);
  e.attr = kAttrVolumeId | kAttrArchive;
  encode_short_entry(e, std::span<uint8_t, kSlotSize>(dir.slot(2), kSlotSize));
  dir.add(3, "Deleted long name.txt");  // 3 slots, then deleted
  for (uint32_t i = 3; i < 6; ++i) dir.slot(i)[0] = kSlotDeleted;
  dir.add(6, "kept.txt");
  dir.add(7, "After the gap.txt");       // slots 7..9
  dir.add(12, "beyond the end marker");  // slot 10 is the end marker: never read

  EXPECT_EQ(names_of(dir.bytes), (std::vector<std::string>{"kept.txt", "After the gap.txt"}));
  EXPECT_EQ(names_of(dir.bytes, true), (std::vector<std::string>{".", "..", "kept.txt", "After the gap.txt"}));
  DirCursor with_dots(dir.bytes, true);
  auto dot = with_dots.next();
  ASSERT_TRUE(dot);
  EXPECT_TRUE(dot->dot);
  EXPECT_EQ(dot->first_slot, 0u);
  auto dotdot = with_dots.next();
  EXPECT_TRUE(dotdot->dot);
  EXPECT_EQ(dotdot->sfn_slot(), 1u);
  EXPECT_FALSE(with_dots.next()->dot);
  DirCursor cursor(dir.bytes);
  while (cursor.next()) {}
  EXPECT_EQ(cursor.end_slot(), 10u);
  EXPECT_FALSE(directory_is_empty(dir.bytes));

  // A directory with no end marker ends with its bytes.
  DirBuilder full(3);
  full.add(0, "Some long name");
  EXPECT_EQ(names_of(full.bytes), (std::vector<std::string>{"Some long name"}));
  DirCursor full_cursor(full.bytes);
  while (full_cursor.next()) {}
  EXPECT_EQ(full_cursor.end_slot(), 3u);
}

TEST(FatDirectory, EmptyDirectory) {
  DirBuilder dir(16);
  ShortEntry e{};
  e.attr = kAttrDirectory;
  std::memcpy(e.name, ".          ", 11);
  encode_short_entry(e, std::span<uint8_t, kSlotSize>(dir.slot(0), kSlotSize));
  std::memcpy(e.name, "..         ", 11);
  encode_short_entry(e, std::span<uint8_t, kSlotSize>(dir.slot(1), kSlotSize));
  dir.add(2, "gone.txt");
  dir.slot(2)[0] = kSlotDeleted;
  EXPECT_TRUE(directory_is_empty(dir.bytes));
  dir.add(3, "here.txt");
  EXPECT_FALSE(directory_is_empty(dir.bytes));
}

// Each way a long name breaks: the entry comes with its short name, flagged, and owns the
// broken slots that precede it.
TEST(FatDirectory, BrokenLongNamesFallBackToTheShortName) {
  const std::string name = "A rather long file name.text";  // 28 units: 3 slots + short entry
  struct Breakage {
    const char* what;
    void (*apply)(DirBuilder&);
    uint32_t first_slot;
  } const breakages[] = {
      {"checksum of one slot", [](DirBuilder& d) { d.slot(1)[13] ^= 1; }, 0},
      {"short name changed", [](DirBuilder& d) { d.slot(3)[0] = 'Z'; }, 0},
      {"ordinals swapped",
       [](DirBuilder& d) {
         uint8_t tmp[32];
         std::memcpy(tmp, d.slot(1), 32);
         std::memcpy(d.slot(1), d.slot(2), 32);
         std::memcpy(d.slot(2), tmp, 32);
       },
       0},
      {"middle slot missing: the run cut by a deleted slot", [](DirBuilder& d) { d.slot(1)[0] = kSlotDeleted; }, 2},
      {"last bit missing", [](DirBuilder& d) { d.slot(0)[0] = 0x03; }, 0},
      {"ordinal count too high", [](DirBuilder& d) { d.slot(0)[0] = 0x44; }, 0},
      {"ordinal 0", [](DirBuilder& d) { d.slot(2)[0] = 0x80; }, 0},  // 0x80: ordinal bits 0
      {"lone surrogate", [](DirBuilder& d) { store_le16(d.slot(2) + 1, 0xD800); }, 0},
      {"empty name", [](DirBuilder& d) { store_le16(d.slot(2) + 1, 0x0000); }, 0},
  };
  for (const auto& b : breakages) {
    SCOPED_TRACE(b.what);
    DirBuilder dir(8);
    ASSERT_EQ(dir.add(0, name), 4u);
    dir.add(4, "next one.txt");
    b.apply(dir);
    DirCursor cursor(dir.bytes);
    auto e = cursor.next();
    ASSERT_TRUE(e);
    EXPECT_TRUE(e->lfn_broken);
    char shown[kShortNameUtf8Max];
    EXPECT_EQ(std::string(e->name, e->name_len),
              std::string(shown, short_name_to_utf8(e->sfn.name, e->sfn.nt_flags, shown)));
    EXPECT_EQ(e->first_slot, b.first_slot);
    EXPECT_EQ(e->sfn_slot(), 3u);
    auto next = cursor.next();  // the entry after is intact
    ASSERT_TRUE(next);
    EXPECT_STREQ(next->name, "next one.txt");
    EXPECT_FALSE(next->lfn_broken);
  }
  // Long-name slots no short entry follows (a run cut by another run) are skipped.
  DirBuilder dir(16);
  dir.add(0, name);
  dir.add(3, "second long name.txt");  // overwrites the first's short entry at slot 3
  EXPECT_EQ(names_of(dir.bytes), (std::vector<std::string>{"second long name.txt"}));
  DirCursor cursor(dir.bytes);
  EXPECT_EQ(cursor.next()->first_slot, 3u);
}

TEST(FatDirectory, FreeSlots) {
  DirBuilder dir(16);
  for (uint32_t i = 0; i < 10; ++i) dir.add(i, "F" + std::to_string(i));  // one slot each
  dir.slot(2)[0] = kSlotDeleted;
  dir.slot(5)[0] = kSlotDeleted;
  dir.slot(6)[0] = kSlotDeleted;
  EXPECT_EQ(find_free_slots(dir.bytes, 1).first, 2u);
  EXPECT_EQ(find_free_slots(dir.bytes, 2).first, 5u);
  EXPECT_EQ(find_free_slots(dir.bytes, 2).available, 2u);
  EXPECT_EQ(find_free_slots(dir.bytes, 3).first, 10u);  // at the end marker
  EXPECT_EQ(find_free_slots(dir.bytes, 3).available, 3u);
  for (uint32_t count : {1u, 2u, 3u}) EXPECT_EQ(find_free_slots(dir.bytes, count).first_unused, 2u) << count;
  EXPECT_EQ(find_free_slots(std::span(dir.bytes).subspan(7 * kSlotSize), 1).first_unused, 3u);  // slot 10
  EXPECT_EQ(find_free_slots(dir.bytes, 6).first, 10u);
  EXPECT_EQ(find_free_slots(dir.bytes, 6).available, 6u);
  auto grow = find_free_slots(dir.bytes, 8);  // 6 there would cross into the new cluster's sector
  EXPECT_EQ(grow.first, 16u);
  EXPECT_EQ(grow.available, 0u);
  EXPECT_EQ(grow.pad_from, 10u);  // the end markers 10 to 15 become deleted slots
  dir.slot(9)[0] = kSlotDeleted;  // a deleted run that reaches the end marker joins it
  EXPECT_EQ(find_free_slots(dir.bytes, 7).first, 9u);
  EXPECT_EQ(find_free_slots(dir.bytes, 7).available, 7u);
  // An entry of up to 16 slots never crosses a 512-byte sector (16 slots): it reaches the
  // disk whole or not at all.
  DirBuilder two_sectors(32);
  for (uint32_t i = 0; i < 20; ++i) two_sectors.add(i, "F" + std::to_string(i));
  for (uint32_t i : {14u, 15u, 16u, 17u, 18u}) two_sectors.slot(i)[0] = kSlotDeleted;
  EXPECT_EQ(find_free_slots(two_sectors.bytes, 2).first, 14u);
  EXPECT_EQ(find_free_slots(two_sectors.bytes, 3).first, 16u);  // not 14: 14 to 16 crosses
  EXPECT_EQ(find_free_slots(two_sectors.bytes, 3).pad_from, 16u);
  DirBuilder ends_at_14(32);
  for (uint32_t i = 0; i < 14; ++i) ends_at_14.add(i, "F" + std::to_string(i));
  auto padded = find_free_slots(ends_at_14.bytes, 4);
  EXPECT_EQ(padded.first, 16u);
  EXPECT_EQ(padded.available, 4u);
  EXPECT_EQ(padded.pad_from, 14u);
  EXPECT_EQ(padded.first_unused, 14u);
  // From slot 8 on (the caller's free-slot hint): the same sectors.
  auto from_hint = find_free_slots(std::span(ends_at_14.bytes).subspan(8 * kSlotSize), 4, 8);
  EXPECT_EQ(from_hint.first, 8u);
  EXPECT_EQ(from_hint.pad_from, 6u);
  EXPECT_EQ(find_free_slots(ends_at_14.bytes, 2).first, 14u);   // fits before the sector's end
  EXPECT_EQ(find_free_slots(ends_at_14.bytes, 17).first, 14u);  // more than a sector: anywhere
  DirBuilder full(4);
  for (uint32_t i = 0; i < 4; ++i) full.add(i, "F" + std::to_string(i));
  EXPECT_EQ(find_free_slots(full.bytes, 1).first, 4u);
  EXPECT_EQ(find_free_slots(full.bytes, 1).available, 0u);
  EXPECT_EQ(find_free_slots(full.bytes, 1).first_unused, 4u);  // none: the slot count
  full.slot(3)[0] = kSlotDeleted;
  EXPECT_EQ(find_free_slots(full.bytes, 2).first, 3u);
  EXPECT_EQ(find_free_slots(full.bytes, 2).available, 1u);
  EXPECT_EQ(find_free_slots(full.bytes, 2).first_unused, 3u);
}

TEST(FatNames, CaseFoldingCompareAndHash) {
  EXPECT_TRUE(name_equal("ReadMe.TXT", "readme.txt"));
  EXPECT_FALSE(name_equal("readme.txt", "readme.tx"));
  EXPECT_FALSE(name_equal("été", "ÉTÉ"));  // past ASCII: exact
  EXPECT_TRUE(name_equal("été", "été"));
  EXPECT_EQ(name_hash("ReadMe.TXT"), name_hash("readme.txt"));
  EXPECT_NE(name_hash("readme.txt"), name_hash("readme.txu"));
}

// The root directory of an image mkfs.fat made and mcopy / mmd filled, decoded: exactly the
// names `mdir -b` lists, and a subdirectory's "." and "..".
TEST(FatDirectory, DecodesWhatMtoolsWrote) {
  TempDir dir;
  const std::string mkfs = fat_tool("mkfs.fat", "dosfstools");
  const std::string mcopy = fat_tool("mcopy", "mtools"), mmd = fat_tool("mmd", "mtools"),
                    mdir = fat_tool("mdir", "mtools"), mdel = fat_tool("mdel", "mtools");
  ASSERT_FALSE(mkfs.empty() || mcopy.empty() || mmd.empty() || mdir.empty() || mdel.empty());
  const std::string image_path = dir.path("mtools.img");
  must_run(mkfs + " -C -F 32 -S 512 -s 1 " + shell_quote(image_path) + " 40000");
  const std::string env = "LC_ALL=C.UTF-8 mtools_skip_check=1 ";
  // mtools 4.0.32 cuts characters past U+FFFF to 16 bits: no emoji here (the round trip
  // test covers them).
  const std::vector<std::string> names = {"Long File Name.txt",
                                          "ÉTÉ.txt",
                                          "日本語.txt",
                                          "a.b.c",
                                          "UPPER.TXT",
                                          "lower.txt",
                                          "ReadMe.txt",
                                          "Ünïcödé nàmé.dat",
                                          std::string(200, 'n') + ".long",
                                          "x",
                                          "deleted later.txt"};
  for (const auto& name : names) {
    const std::string host = dir.path("host.bin");
    { std::ofstream(host) << name; }
    must_run(env + mcopy + " -i " + shell_quote(image_path) + " " + shell_quote(host) + " " + shell_quote("::" + name));
  }
  must_run(env + mmd + " -i " + shell_quote(image_path) + " ::Sub\\ Directory");
  must_run(env + mcopy + " -i " + shell_quote(image_path) + " " + shell_quote(dir.path("host.bin")) + " " +
           shell_quote("::Sub Directory/inner file.txt"));
  must_run(env + mdel + " -i " + shell_quote(image_path) + " " + shell_quote("::deleted later.txt"));

  // mdir -b: "::/name" lines, directories with a trailing '/'.
  std::vector<std::string> listed;
  std::istringstream lines(must_run(env + mdir + " -b -i " + shell_quote(image_path) + " ::"));
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("::/", 0) != 0) continue;
    line = line.substr(3);
    if (!line.empty() && line.back() == '/') line.pop_back();
    listed.push_back(line);
  }
  const auto image = read_file(image_path);
  auto geometry = parse_boot_sector(image, image.size());
  ASSERT_TRUE(geometry) << geometry.error();
  const auto root = test::read_chain(image, *geometry, geometry->root_cluster);
  std::vector<std::string> decoded;
  uint32_t sub_cluster = 0;
  DirCursor cursor(root);
  while (auto e = cursor.next()) {
    EXPECT_FALSE(e->lfn_broken) << e->name;
    decoded.emplace_back(e->name, e->name_len);
    if (e->sfn.is_directory()) sub_cluster = e->sfn.first_cluster;
  }
  EXPECT_EQ(decoded, listed);
  std::vector<std::string> expected = names;
  expected.pop_back();  // deleted
  expected.push_back("Sub Directory");
  EXPECT_EQ(decoded, expected);
  ASSERT_TRUE(is_valid_cluster(*geometry, sub_cluster));
  const auto sub = test::read_chain(image, *geometry, sub_cluster);
  EXPECT_EQ(names_of(sub, true), (std::vector<std::string>{".", "..", "inner file.txt"}));
  DirCursor sub_cursor(sub, true);
  EXPECT_EQ(sub_cursor.next()->sfn.first_cluster, sub_cluster);  // "."
  EXPECT_EQ(sub_cursor.next()->sfn.first_cluster, 0u);           // "..": the root is 0
  // What encode_dot_entries writes is what mmd wrote, times aside.
  uint8_t dots[2 * kSlotSize];
  encode_dot_entries(dots, sub_cluster, 0, FatTime{});
  for (uint32_t i = 0; i < 2; ++i) {
    const uint8_t* theirs = sub.data() + i * kSlotSize;
    const uint8_t* ours = dots + i * kSlotSize;
    EXPECT_EQ(std::memcmp(ours, theirs, 12), 0) << "name and attributes of slot " << i;
    EXPECT_EQ(std::memcmp(ours + 20, theirs + 20, 2), 0) << "first cluster (high) of slot " << i;
    EXPECT_EQ(std::memcmp(ours + 26, theirs + 26, 6), 0) << "first cluster (low) and size of slot " << i;
  }
  // The aliases mtools chose are in the root; names it did not choose are not.
  EXPECT_TRUE(short_name_in_directory(root, reinterpret_cast<const uint8_t*>("LONGFI~1TXT")));
  EXPECT_TRUE(short_name_in_directory(root, reinterpret_cast<const uint8_t*>("SUBDIR~1   ")));
  EXPECT_FALSE(short_name_in_directory(root, reinterpret_cast<const uint8_t*>("LONGFI~2TXT")));
  EXPECT_FALSE(short_name_in_directory(root, reinterpret_cast<const uint8_t*>("DELETE~1TXT")));  // deleted
}

}  // namespace
}  // namespace mkh::fs::fat
