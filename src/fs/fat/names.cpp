// FAT names: UTF-8 / UTF-16, code page 850, short names, 8.3 aliases, entry slots.
// Layer: fs (fat). Calls format.hpp and libk only.
#include "fs/fat/names.hpp"

#include <algorithm>
#include <cstring>

namespace mkh::fs::fat {

namespace {

// Code page 850, bytes 0x80..0xFF (the table of Python's cp850 codec, as mtools has it).
constexpr uint16_t kCp850[128] = {
    0x00C7, 0x00FC, 0x00E9, 0x00E2, 0x00E4, 0x00E0, 0x00E5, 0x00E7, 0x00EA, 0x00EB, 0x00E8, 0x00EF, 0x00EE,
    0x00EC, 0x00C4, 0x00C5, 0x00C9, 0x00E6, 0x00C6, 0x00F4, 0x00F6, 0x00F2, 0x00FB, 0x00F9, 0x00FF, 0x00D6,
    0x00DC, 0x00F8, 0x00A3, 0x00D8, 0x00D7, 0x0192, 0x00E1, 0x00ED, 0x00F3, 0x00FA, 0x00F1, 0x00D1, 0x00AA,
    0x00BA, 0x00BF, 0x00AE, 0x00AC, 0x00BD, 0x00BC, 0x00A1, 0x00AB, 0x00BB, 0x2591, 0x2592, 0x2593, 0x2502,
    0x2524, 0x00C1, 0x00C2, 0x00C0, 0x00A9, 0x2563, 0x2551, 0x2557, 0x255D, 0x00A2, 0x00A5, 0x2510, 0x2514,
    0x2534, 0x252C, 0x251C, 0x2500, 0x253C, 0x00E3, 0x00C3, 0x255A, 0x2554, 0x2569, 0x2566, 0x2560, 0x2550,
    0x256C, 0x00A4, 0x00F0, 0x00D0, 0x00CA, 0x00CB, 0x00C8, 0x0131, 0x00CD, 0x00CE, 0x00CF, 0x2518, 0x250C,
    0x2588, 0x2584, 0x00A6, 0x00CC, 0x2580, 0x00D3, 0x00DF, 0x00D4, 0x00D2, 0x00F5, 0x00D5, 0x00B5, 0x00FE,
    0x00DE, 0x00DA, 0x00DB, 0x00D9, 0x00FD, 0x00DD, 0x00AF, 0x00B4, 0x00AD, 0x00B1, 0x2017, 0x00BE, 0x00B6,
    0x00A7, 0x00F7, 0x00B8, 0x00B0, 0x00A8, 0x00B7, 0x00B9, 0x00B3, 0x00B2, 0x25A0, 0x00A0,
};

constexpr uint32_t kBadCodePoint = 0xFFFFFFFF;

// Decodes the UTF-8 character at name[*pos] and advances *pos; kBadCodePoint for an invalid
// sequence (truncated, overlong, a surrogate, past U+10FFFF).
uint32_t decode_utf8(std::string_view name, std::size_t* pos) {
  const auto byte = [&](std::size_t i) { return uint8_t(name[i]); };
  const uint8_t b0 = byte(*pos);
  uint32_t cp;
  std::size_t length;
  uint32_t min;
  if (b0 < 0x80) {
    *pos += 1;
    return b0;
  } else if ((b0 & 0xE0) == 0xC0) {
    cp = b0 & 0x1F, length = 2, min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    cp = b0 & 0x0F, length = 3, min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    cp = b0 & 0x07, length = 4, min = 0x10000;
  } else {
    return kBadCodePoint;
  }
  if (*pos + length > name.size()) return kBadCodePoint;
  for (std::size_t i = 1; i < length; ++i) {
    const uint8_t b = byte(*pos + i);
    if ((b & 0xC0) != 0x80) return kBadCodePoint;
    cp = (cp << 6) | (b & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return kBadCodePoint;
  *pos += length;
  return cp;
}

// Appends code point cp as UTF-8; false when it does not fit.
bool put_utf8(uint32_t cp, std::span<char> out, uint32_t* length) {
  char bytes[4];
  uint32_t n;
  if (cp < 0x80) {
    bytes[0] = char(cp), n = 1;
  } else if (cp < 0x800) {
    bytes[0] = char(0xC0 | (cp >> 6)), bytes[1] = char(0x80 | (cp & 0x3F)), n = 2;
  } else if (cp < 0x10000) {
    bytes[0] = char(0xE0 | (cp >> 12)), bytes[1] = char(0x80 | ((cp >> 6) & 0x3F)), bytes[2] = char(0x80 | (cp & 0x3F));
    n = 3;
  } else {
    bytes[0] = char(0xF0 | (cp >> 18)), bytes[1] = char(0x80 | ((cp >> 12) & 0x3F));
    bytes[2] = char(0x80 | ((cp >> 6) & 0x3F)), bytes[3] = char(0x80 | (cp & 0x3F));
    n = 4;
  }
  if (*length + n > out.size()) return false;
  std::memcpy(out.data() + *length, bytes, n);
  *length += n;
  return true;
}

// (strchr also finds the terminating NUL, and would see a character past 0xFF cut to a char.)
bool is_forbidden_in_long_name(uint32_t cp) {
  return cp < 0x20 || (cp < 0x80 && std::strchr("\"*/:<>?\\|", int(cp)) != nullptr);
}

// Characters a short name may hold besides letters and digits.
bool is_short_name_symbol(char c) { return c != '\0' && std::strchr("$%'-_@~`!(){}^#&", c) != nullptr; }
bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }
bool is_lower(char c) { return c >= 'a' && c <= 'z'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
char to_upper(char c) { return is_lower(c) ? char(c - 'a' + 'A') : c; }
char to_lower(char c) { return is_upper(c) ? char(c - 'A' + 'a') : c; }

// Checks one part (base or extension) of an exact short name; *lower set when it is all
// lowercase, false when it mixes cases or holds a character short names refuse.
bool short_part(std::string_view part, bool* lower) {
  bool has_upper = false, has_lower = false;
  for (char c : part) {
    if (is_upper(c)) {
      has_upper = true;
    } else if (is_lower(c)) {
      has_lower = true;
    } else if (!is_digit(c) && !is_short_name_symbol(c)) {
      return false;
    }
  }
  *lower = has_lower;
  return !(has_upper && has_lower);
}

// One long-name slot: ordinal, units [13], checksum.
void encode_lfn_slot(uint8_t* slot, uint8_t ordinal, const uint16_t* units, uint8_t checksum) {
  static constexpr uint8_t kUnitOffsets[kLfnUnitsPerSlot] = {1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30};
  std::memset(slot, 0, kSlotSize);
  slot[0] = ordinal;
  slot[11] = kAttrLongName;
  slot[12] = 0;
  slot[13] = checksum;
  for (uint32_t i = 0; i < kLfnUnitsPerSlot; ++i) store_le16(slot + kUnitOffsets[i], units[i]);
  // bytes 26-27 (first cluster) stay 0
}

}  // namespace

Result<Utf16Name> validate_name(std::string_view name) {
  if (name.empty() || name == "." || name == "..") return error(Errno::kInval);
  if (name.back() == '.' || name.back() == ' ') return error(Errno::kInval);
  Utf16Name out{};
  std::size_t pos = 0;
  while (pos < name.size()) {
    const uint32_t cp = decode_utf8(name, &pos);
    if (cp == kBadCodePoint || is_forbidden_in_long_name(cp)) return error(Errno::kInval);
    const uint32_t units = cp >= 0x10000 ? 2 : 1;
    if (out.length + units > kLfnMaxUnits) {
      // Keep checking the rest: an invalid name is kInval whatever its length.
      while (pos < name.size()) {
        const uint32_t next = decode_utf8(name, &pos);
        if (next == kBadCodePoint || is_forbidden_in_long_name(next)) return error(Errno::kInval);
      }
      return error(Errno::kNameTooLong);
    }
    if (units == 2) {
      out.units[out.length++] = uint16_t(0xD800 + ((cp - 0x10000) >> 10));
      out.units[out.length++] = uint16_t(0xDC00 + ((cp - 0x10000) & 0x3FF));
    } else {
      out.units[out.length++] = uint16_t(cp);
    }
  }
  return out;
}

Result<uint32_t> utf16_to_utf8(std::span<const uint16_t> units, std::span<char> out) {
  uint32_t length = 0;
  for (std::size_t i = 0; i < units.size(); ++i) {
    uint32_t cp = units[i];
    if (cp >= 0xDC00 && cp <= 0xDFFF) return error(Errno::kInval);
    if (cp >= 0xD800 && cp <= 0xDBFF) {
      if (i + 1 >= units.size() || units[i + 1] < 0xDC00 || units[i + 1] > 0xDFFF) return error(Errno::kInval);
      cp = 0x10000 + ((cp - 0xD800) << 10) + (units[i + 1] - 0xDC00);
      ++i;
    }
    if (!put_utf8(cp, out, &length)) return error(Errno::kNameTooLong);
  }
  return length;
}

uint16_t cp850_to_unicode(uint8_t byte) { return byte < 0x80 ? byte : kCp850[byte - 0x80]; }

uint32_t short_name_to_utf8(const uint8_t name[11], uint8_t nt_flags, std::span<char, kShortNameUtf8Max> out) {
  uint32_t length = 0;
  const auto put = [&](uint8_t byte, bool lower) {
    if (byte < 0x80) {
      out[length++] = lower ? to_lower(char(byte)) : char(byte);
    } else {
      (void)put_utf8(cp850_to_unicode(byte), out, &length);  // 12 characters of 3 bytes fit
    }
  };
  uint32_t base = 8, ext = 3;
  while (base > 0 && name[base - 1] == ' ') --base;
  while (ext > 0 && name[8 + ext - 1] == ' ') --ext;
  for (uint32_t i = 0; i < base; ++i)
    put(i == 0 && name[0] == kSlotKanji ? kSlotDeleted : name[i], nt_flags & kNtLowerBase);
  if (ext > 0) {
    out[length++] = '.';
    for (uint32_t i = 0; i < ext; ++i) put(name[8 + i], nt_flags & kNtLowerExt);
  }
  return length;
}

bool fits_short_name(std::string_view name, uint8_t out[11], uint8_t* nt_flags) {
  const std::size_t dot = name.find('.');
  const std::string_view base = name.substr(0, dot);
  const std::string_view ext = dot == std::string_view::npos ? std::string_view() : name.substr(dot + 1);
  if (base.empty() || base.size() > 8 || ext.size() > 3) return false;
  if (dot != std::string_view::npos && ext.empty()) return false;  // "name."
  bool base_lower = false, ext_lower = false;
  if (!short_part(base, &base_lower) || !short_part(ext, &ext_lower)) return false;  // a second dot fails here
  std::memset(out, ' ', 11);
  for (std::size_t i = 0; i < base.size(); ++i) out[i] = uint8_t(to_upper(base[i]));
  for (std::size_t i = 0; i < ext.size(); ++i) out[8 + i] = uint8_t(to_upper(ext[i]));
  *nt_flags = uint8_t((base_lower ? kNtLowerBase : 0) | (ext_lower ? kNtLowerExt : 0));
  return true;
}

Result<void> generate_short_name(std::string_view name, bool (*taken)(const uint8_t candidate[11], void* context),
                                 void* context, uint8_t out[11]) {
  (void)TRY(validate_name(name));
  // The name as short-name characters: one per character of the name, spaces dropped.
  char chars[kLfnMaxUnits];
  uint32_t count = 0;
  bool lossy = false;
  std::size_t pos = 0;
  while (pos < name.size()) {
    const uint32_t cp = decode_utf8(name, &pos);
    if (cp == ' ') {
      lossy = true;
      continue;
    }
    char c = cp < 0x80 ? to_upper(char(cp)) : '_';
    if (c != '.' && !is_upper(c) && !is_digit(c) && !is_short_name_symbol(c)) c = '_';
    if (c == '_' && cp != '_') lossy = true;
    chars[count++] = c;
  }
  uint32_t start = 0;
  while (start < count && chars[start] == '.') ++start;
  if (start > 0) lossy = true;
  uint32_t last_dot = count;
  for (uint32_t i = count; i > start; --i)
    if (chars[i - 1] == '.') {
      last_dot = i - 1;
      break;
    }

  // The base: what comes before the last dot, its own dots dropped (as Windows, Linux and
  // mtools do: "a.b.c" gives "AB~1.C").
  uint8_t basis[11];
  std::memset(basis, ' ', 11);
  uint32_t base_length = 0;
  for (uint32_t i = start; i < last_dot; ++i) {
    if (chars[i] == '.') {
      lossy = true;
    } else if (base_length == 8) {
      lossy = true;
    } else {
      basis[base_length++] = uint8_t(chars[i]);
    }
  }
  if (base_length == 0) {  // nothing left before the extension
    basis[0] = '_';
    base_length = 1;
    lossy = true;
  }
  if (last_dot < count) {
    const uint32_t ext_length = std::min<uint32_t>(count - last_dot - 1, 3);
    if (count - last_dot - 1 > 3) lossy = true;
    std::memcpy(basis + 8, chars + last_dot + 1, ext_length);
  }

  if (!lossy && !taken(basis, context)) {
    std::memcpy(out, basis, 11);
    return {};
  }
  for (uint32_t n = 1; n <= 999999; ++n) {
    char tail[8];
    uint32_t tail_length = 0;
    for (uint32_t v = n; v > 0; v /= 10) tail[tail_length++] = char('0' + v % 10);
    tail[tail_length++] = '~';
    uint8_t candidate[11];
    std::memcpy(candidate, basis, 11);
    const uint32_t keep = std::min(base_length, 8 - tail_length);
    for (uint32_t i = 0; i < tail_length; ++i) candidate[keep + i] = uint8_t(tail[tail_length - 1 - i]);
    for (uint32_t i = keep + tail_length; i < 8; ++i) candidate[i] = ' ';
    if (!taken(candidate, context)) {
      std::memcpy(out, candidate, 11);
      return {};
    }
  }
  return error(Errno::kExist);
}

Result<uint32_t> encode_entries(std::string_view name, const ShortEntry& sfn,
                                std::span<uint8_t, kMaxEntrySlots * kSlotSize> out) {
  const Utf16Name units = TRY(validate_name(name));
  uint8_t exact[11];
  uint8_t flags = 0;
  uint32_t lfn_slots = 0;
  if (!fits_short_name(name, exact, &flags) || std::memcmp(exact, sfn.name, 11) != 0 || flags != sfn.nt_flags)
    lfn_slots = (units.length + kLfnUnitsPerSlot - 1) / kLfnUnitsPerSlot;
  const uint8_t checksum = lfn_checksum(sfn.name);
  for (uint32_t k = 0; k < lfn_slots; ++k) {
    const uint32_t ordinal = lfn_slots - k;  // on disk, the last part comes first
    uint16_t part[kLfnUnitsPerSlot];
    for (uint32_t i = 0; i < kLfnUnitsPerSlot; ++i) {
      const uint32_t index = (ordinal - 1) * kLfnUnitsPerSlot + i;
      part[i] = index < units.length ? units.units[index] : index == units.length ? 0x0000 : 0xFFFF;
    }
    encode_lfn_slot(out.data() + k * kSlotSize, uint8_t(ordinal | (k == 0 ? kLfnLastOrdinal : 0)), part, checksum);
  }
  encode_short_entry(sfn, std::span<uint8_t, kSlotSize>(out.data() + lfn_slots * kSlotSize, kSlotSize));
  return lfn_slots + 1;
}

bool name_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (to_lower(a[i]) != to_lower(b[i])) return false;
  return true;
}

uint32_t name_hash(std::string_view name) {
  uint32_t hash = 2166136261u;  // FNV-1a over the folded bytes
  for (char c : name) hash = (hash ^ uint8_t(to_lower(c))) * 16777619u;
  return hash;
}

}  // namespace mkh::fs::fat
