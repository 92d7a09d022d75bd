// FAT names: UTF-8 names checked and converted to the UTF-16 of VFAT long names, short (8.3)
// names shown as mtools and Linux show them (code page 850, NT lowercase flags), the exact
// short-name test, the 8.3 alias with its ~N tail, and the slots of a new entry. Layer: fs
// (fat). Calls format.hpp and libk only; no heap: names live in fixed arrays.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "fs/fat/format.hpp"
#include "libk/result.hpp"

namespace mkh::fs::fat {

inline constexpr uint32_t kLfnMaxUnits = 255;                 // UTF-16 units of a long name
inline constexpr uint32_t kNameMax = kLfnMaxUnits * 3;        // its UTF-8 bytes, at most
inline constexpr uint32_t kLfnUnitsPerSlot = 13;              // 5 + 6 + 2 units per slot
inline constexpr uint32_t kLfnMaxSlots = 20;                  // ceil(255 / 13)
inline constexpr uint32_t kMaxEntrySlots = kLfnMaxSlots + 1;  // long-name slots + the short one
inline constexpr uint8_t kLfnLastOrdinal = 0x40;              // ordinal bit: the name's last part
inline constexpr uint8_t kLfnOrdinalMask = 0x3F;
inline constexpr uint32_t kShortNameUtf8Max = 12 * 3;  // "BASEBASE.EXT", 3 bytes a character

// A long name as UTF-16 units (surrogate pairs for characters past U+FFFF).
struct Utf16Name {
  uint16_t units[kLfnMaxUnits];
  uint32_t length;
};

// Checks a UTF-8 name for a new directory entry and converts it: kInval for invalid UTF-8
// (truncated or overlong sequences, surrogates, past U+10FFFF), an empty name, "." or "..",
// a character among "*/:<>?\| or below 0x20, or a trailing dot or space (Windows and Linux
// would drop them, so "a." would not be the name stored); kNameTooLong past 255 UTF-16 units.
Result<Utf16Name> validate_name(std::string_view name);

// UTF-16 units as UTF-8 into out (no NUL added); returns the bytes written. kInval for an
// unpaired surrogate, kNameTooLong if out is too small.
Result<uint32_t> utf16_to_utf8(std::span<const uint16_t> units, std::span<char> out);

// The Unicode character of a code page 850 byte (mtools' default code page); bytes below
// 0x80 are ASCII.
uint16_t cp850_to_unicode(uint8_t byte);

// A short name as mtools and Linux show it: the base, '.' and the extension when it is not
// blank, trailing spaces removed, lowercased (ASCII letters) when the NT flag kNtLowerBase /
// kNtLowerExt is set, a first byte 0x05 read as 0xE5, bytes >= 0x80 from code page 850.
// Writes UTF-8 into out (no NUL added) and returns its length.
uint32_t short_name_to_utf8(const uint8_t name[11], uint8_t nt_flags, std::span<char, kShortNameUtf8Max> out);

// True when `name` is stored exactly by a short entry, without a long name: an 8.3 name of
// ASCII characters valid in short names (letters, digits, $%'-_@~`!(){}^#&), a base of 1-8
// and an extension of 0-3 characters after a single dot, each all upper or all lower case.
// Then out holds the 11 bytes ("readme.txt" -> "README  TXT") and *nt_flags the lowercase
// flags (kNtLowerBase | kNtLowerExt for "readme.txt", 0 for "README.TXT"), as Linux vfat
// (shortname=winnt) and mtools write them. `name` need not be valid: an invalid one fits not.
bool fits_short_name(std::string_view name, uint8_t out[11], uint8_t* nt_flags);

// The 8.3 alias of a valid name that does not fit a short name, by Microsoft's basis-name
// algorithm: letters uppercased, characters past ASCII and those invalid in short names become
// '_', spaces and leading dots dropped, the base up to the first dot (8 characters at most),
// the extension from the last dot (3 at most). The basis itself is offered first when nothing
// was lost or dropped (as for "ReadMe.txt"); then the base is cut to make room for a tail ~N,
// N = 1, 2, ... 999999, until `taken(candidate, context)` answers false. kExist when every
// candidate is taken, kInval (or kNameTooLong) for an invalid name.
Result<void> generate_short_name(std::string_view name, bool (*taken)(const uint8_t candidate[11], void* context),
                                 void* context, uint8_t out[11]);

// The slots of a new directory entry, in on-disk order, into out: the long-name slots (last
// part first, ordinal | 0x40; the name's units, a 0x0000 after the last when there is room,
// 0xFFFF padding; each carrying sfn.name's checksum) then the short entry `sfn`. No long-name
// slot when `name` is exactly what sfn shows (fits_short_name gives sfn.name and sfn.nt_flags).
// Returns the slot count (1 to 21); kInval / kNameTooLong for an invalid name.
Result<uint32_t> encode_entries(std::string_view name, const ShortEntry& sfn,
                                std::span<uint8_t, kMaxEntrySlots * kSlotSize> out);

// How VFAT compares names: equal when equal after folding ASCII letters to lower case (what
// Linux's vfat does with the utf8 option: characters past ASCII compare exactly). name_hash
// is consistent with it (equal names hash equal).
bool name_equal(std::string_view a, std::string_view b);
uint32_t name_hash(std::string_view name);

}  // namespace mkh::fs::fat
