// The FAT directory decoder: a cursor over the bytes of a whole directory that yields its
// logical entries (VFAT long name assembled and checked, or the short name shown as mtools
// shows it), and the search for free slots where a new entry goes. Layer: fs (fat). Calls
// format.hpp, names.hpp and libk only; pure: the driver loads the directory and passes its bytes.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "fs/fat/format.hpp"
#include "fs/fat/names.hpp"

namespace mkh::fs::fat {

// One logical entry: a short entry and the long-name slots before it.
struct DirEntry {
  char name[kNameMax + 1];  // UTF-8, NUL-terminated: the long name, else the short one
  uint32_t name_len;
  ShortEntry sfn;
  uint32_t first_slot;  // index (32-byte units) of the first slot that belongs to the entry
  uint32_t slot_count;  // slots from first_slot to the short entry, both included
  bool lfn_broken;      // long-name slots were there but did not belong (name is the short one)
  bool dot;             // the "." or ".." entry of a subdirectory

  uint32_t sfn_slot() const { return first_slot + slot_count - 1; }
};

// Walks a directory slot by slot. Skips free slots (0xE5) and the volume label, stops at the
// end marker (first byte 0x00) or the end of the bytes. Long-name slots are checked as a run:
// ordinals n|0x40, n-1, ..., 1 in that order, one checksum that matches the short entry that
// follows, valid UTF-16 (0x0000 ends the name, 0xFFFF pads), at most 255 units. A run that
// fails any check is a broken name: the entry still comes, with its short name, lfn_broken set
// and first_slot on the first slot of the broken run (so deleting the entry frees it too); long
// slots that no short entry follows (cut by a free slot or another run) are skipped. "." and
// ".." come only when with_dots is set (the driver finds ".." to repoint it on a rename).
class DirCursor {
 public:
  explicit DirCursor(std::span<const uint8_t> directory, bool with_dots = false)
      : m_dir(directory), m_with_dots(with_dots) {}

  // The next entry, or nothing at the end of the directory.
  std::optional<DirEntry> next();

  // After next() returned nothing: the slot of the end marker, or the slot count when the
  // directory has none (every slot used or deleted).
  uint32_t end_slot() const { return m_slot; }

 private:
  std::span<const uint8_t> m_dir;
  bool m_with_dots;
  uint32_t m_slot = 0;  // the next slot to read
  bool m_ended = false;
};

// Where `count` new slots go: the first run of consecutive free slots (deleted ones, or those
// at and after the end marker) of that length, as its first slot with available == count.
// When no run is long enough, the run that reaches the end of the directory (possibly empty:
// first == the slot count, available == 0): the driver grows the directory by
// count - available slots (zero-filled clusters) and writes there. Slots written at the end
// marker must leave an end marker (a zero first byte) after them, or reach the end.
// first_unused: the first slot that is deleted or at or after the end marker (at most
// `first`; the slot count when there is none): every slot before it is in use.
// An entry of up to kSlotsPerSector slots never crosses a 512-byte sector, so that it reaches
// the disk in one sector write, whole or not at all (a crash cannot leave half of it): a run
// stops at a sector's end, and at the end marker the run may start at the next sector, the
// end-marker slots before it (from pad_from on) to be marked deleted by the caller (an entry
// after an end marker would not be seen). `base`: the directory slot of directory[0].
inline constexpr uint32_t kSlotsPerSector = 512 / kSlotSize;
struct FreeSlots {
  uint32_t first;
  uint32_t available;
  uint32_t first_unused;
  uint32_t pad_from;  // == first when there is nothing to mark
};
FreeSlots find_free_slots(std::span<const uint8_t> directory, uint32_t count, uint32_t base = 0);

// Whether a short entry of the directory (live, not a long-name slot) has these 11 bytes: what
// the `taken` callback of generate_short_name asks.
bool short_name_in_directory(std::span<const uint8_t> directory, const uint8_t name[11]);

// The "." and ".." entries that open a new directory (in its first two slots): "." names the
// directory's own first cluster, ".." its parent's, 0 when the parent is the root directory
// (as the FAT specification and fsck.fat want); both directories, with the given times.
void encode_dot_entries(std::span<uint8_t, 2 * kSlotSize> slots, uint32_t self_cluster, uint32_t parent_cluster,
                        FatTime time);

// Whether the slots hold nothing but free entries ("." and ".." aside): what rmdir checks.
bool directory_is_empty(std::span<const uint8_t> directory);

}  // namespace mkh::fs::fat
