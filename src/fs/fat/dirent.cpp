// The FAT directory decoder and the search for free slots. Layer: fs (fat). Calls format.hpp,
// names.hpp and libk only.
#include "fs/fat/dirent.hpp"

#include <algorithm>

#include <cstring>

namespace mkh::fs::fat {

namespace {

constexpr uint8_t kLfnUnitOffsets[kLfnUnitsPerSlot] = {1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30};

bool is_dot_name(const uint8_t name[11]) {
  static constexpr uint8_t kDot[11] = {'.', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' '};
  static constexpr uint8_t kDotDot[11] = {'.', '.', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' '};
  return std::memcmp(name, kDot, 11) == 0 || std::memcmp(name, kDotDot, 11) == 0;
}

}  // namespace

std::optional<DirEntry> DirCursor::next() {
  // The long-name run being assembled.
  bool in_run = false;
  bool run_broken = false;
  uint32_t run_start = 0;
  uint32_t run_parts = 0;     // its ordinal count (the first slot's ordinal)
  uint32_t next_ordinal = 0;  // the ordinal the next slot must carry
  uint8_t run_checksum = 0;
  uint16_t units[kLfnMaxSlots * kLfnUnitsPerSlot];

  const uint32_t slots = uint32_t(m_dir.size() / kSlotSize);
  for (; !m_ended && m_slot < slots; ++m_slot) {
    const std::span<const uint8_t, kSlotSize> slot(m_dir.data() + uint64_t(m_slot) * kSlotSize, kSlotSize);
    if (slot[0] == kSlotEnd) {
      m_ended = true;
      break;
    }
    if (slot[0] == kSlotDeleted) {
      in_run = false;
      continue;
    }
    if (is_lfn_slot(slot)) {
      const uint32_t ordinal = slot[0] & kLfnOrdinalMask;
      if (slot[0] & kLfnLastOrdinal) {
        in_run = true;
        run_start = m_slot;
        run_parts = ordinal;
        run_checksum = slot[13];
        run_broken = ordinal == 0 || ordinal > kLfnMaxSlots;
      } else if (!in_run) {
        in_run = true;  // a run without its first part: broken from here to its short entry
        run_start = m_slot;
        run_broken = true;
      } else if (!run_broken && (ordinal == 0 || ordinal != next_ordinal || slot[13] != run_checksum)) {
        run_broken = true;
      }
      if (!run_broken) {
        for (uint32_t i = 0; i < kLfnUnitsPerSlot; ++i)
          units[(ordinal - 1) * kLfnUnitsPerSlot + i] = load_le16(slot.data() + kLfnUnitOffsets[i]);
        next_ordinal = ordinal - 1;
      }
      continue;
    }
    if ((slot[11] & kAttrVolumeId) != 0) {  // the volume label (a short entry of its own)
      in_run = false;
      continue;
    }

    DirEntry entry;
    entry.sfn = decode_short_entry(slot);
    entry.first_slot = m_slot;
    entry.slot_count = 1;
    entry.lfn_broken = false;
    entry.dot = is_dot_name(entry.sfn.name);
    entry.name_len = 0;
    bool named = false;
    if (in_run) {
      entry.first_slot = run_start;
      entry.slot_count = m_slot - run_start + 1;
      if (!run_broken && next_ordinal == 0 && run_checksum == lfn_checksum(entry.sfn.name)) {
        uint32_t length = 0;
        while (length < run_parts * kLfnUnitsPerSlot && units[length] != 0x0000) ++length;
        if (length > 0 && length <= kLfnMaxUnits) {
          auto converted =
              utf16_to_utf8(std::span<const uint16_t>(units, length), std::span<char>(entry.name, kNameMax));
          if (converted) {
            entry.name_len = *converted;
            named = true;
          }
        }
      }
      entry.lfn_broken = !named;
    }
    if (entry.dot && !m_with_dots) {
      in_run = false;
      continue;
    }
    ++m_slot;
    if (!named)
      entry.name_len = short_name_to_utf8(entry.sfn.name, entry.sfn.nt_flags,
                                          std::span<char, kShortNameUtf8Max>(entry.name, kShortNameUtf8Max));
    entry.name[entry.name_len] = '\0';
    return entry;
  }
  return std::nullopt;
}

FreeSlots find_free_slots(std::span<const uint8_t> directory, uint32_t count, uint32_t base) {
  const uint32_t slots = uint32_t(directory.size() / kSlotSize);
  const bool one_sector = count <= kSlotsPerSector;
  // Whether a run from `start` would cross a sector.
  auto crosses = [&](uint32_t start) {
    return one_sector && (base + start) % kSlotsPerSector + count > kSlotsPerSector;
  };
  // The next sector's first slot after `slot` (relative to directory[0]).
  auto next_sector = [&](uint32_t slot) {
    return (base + slot + kSlotsPerSector - 1) / kSlotsPerSector * kSlotsPerSector - base;
  };
  uint32_t run_start = 0, run_length = 0;
  uint32_t first_unused = slots;
  for (uint32_t i = 0; i < slots; ++i) {
    if (one_sector && (base + i) % kSlotsPerSector == 0) run_length = 0;  // runs stop at a sector's end
    const uint8_t first = directory[uint64_t(i) * kSlotSize];
    if (first == kSlotEnd || first == kSlotDeleted) first_unused = std::min(first_unused, i);
    if (first == kSlotEnd) {
      if (run_length == 0) run_start = i;
      // Free from here to the end: start at the next sector if the run would cross this one.
      const uint32_t start = crosses(run_start) ? std::min(next_sector(i), slots) : run_start;
      const uint32_t available = start == run_start ? run_length + (slots - i) : slots - start;
      return {start, std::min(available, count), first_unused, start == run_start ? start : i};
    }
    if (first == kSlotDeleted) {
      if (run_length == 0) run_start = i;
      if (++run_length == count) return {run_start, count, first_unused, run_start};
    } else {
      run_length = 0;
    }
  }
  // Deleted slots to the end: the directory grows after them, unless the run would cross a
  // sector into the new cluster.
  if (run_length == 0 || crosses(run_start)) run_start = slots, run_length = 0;
  return {run_start, run_length, first_unused, run_start};
}

bool short_name_in_directory(std::span<const uint8_t> directory, const uint8_t name[11]) {
  const uint32_t slots = uint32_t(directory.size() / kSlotSize);
  for (uint32_t i = 0; i < slots; ++i) {
    const std::span<const uint8_t, kSlotSize> slot(directory.data() + uint64_t(i) * kSlotSize, kSlotSize);
    if (slot[0] == kSlotEnd) break;
    if (slot[0] == kSlotDeleted || is_lfn_slot(slot)) continue;
    if (std::memcmp(slot.data(), name, 11) == 0) return true;
  }
  return false;
}

void encode_dot_entries(std::span<uint8_t, 2 * kSlotSize> slots, uint32_t self_cluster, uint32_t parent_cluster,
                        FatTime time) {
  ShortEntry e{};
  e.attr = kAttrDirectory;
  e.ctime_tenth = time.tenth;
  e.ctime = e.wtime = time.time;
  e.cdate = e.wdate = e.adate = time.date;
  std::memcpy(e.name, ".          ", 11);
  e.first_cluster = self_cluster;
  encode_short_entry(e, slots.first<kSlotSize>());
  std::memcpy(e.name, "..         ", 11);
  e.first_cluster = parent_cluster;
  encode_short_entry(e, slots.last<kSlotSize>());
}

bool directory_is_empty(std::span<const uint8_t> directory) { return !DirCursor(directory).next().has_value(); }

}  // namespace mkh::fs::fat
