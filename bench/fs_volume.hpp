// The volume of `mkh bench fs` and its peer: the data (random bytes from a fixed seed), a
// work folder with the host copies of the data and a FAT32 image made by mkfs.fat and
// mcopy, the timed mcopy runs that mkh is compared with, and the untimed mtools checks and
// clean-ups between two measures. Layer: bench (host only). Calls programs.hpp; nothing of
// src/.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "mkh/result.hpp"

namespace mkh::bench {

inline constexpr uint32_t kSmallFileBytes = 1024;

// What the benchmark moves: one big file, and `files` small ones of kSmallFileBytes.
struct FsData {
  std::vector<uint8_t> big;
  std::vector<uint8_t> small;  // file i at i * kSmallFileBytes
  uint32_t files = 0;

  std::span<const uint8_t> small_file(uint32_t i) const {
    return std::span<const uint8_t>(small).subspan(std::size_t(i) * kSmallFileBytes, kSmallFileBytes);
  }
};

FsData make_fs_data(uint64_t big_bytes, uint32_t files, uint64_t seed);

// "f00042.dat": an 8.3 name, so that neither side writes long-name entries.
std::string small_file_name(uint32_t i);

// The names on the volume (root folder): the file read, the file written (removed after each
// writer), the folder of small files (removed after each creator).
inline constexpr const char* kReadPath = "/read.bin";
inline constexpr const char* kWritePath = "/write.bin";
inline constexpr const char* kTreePath = "/tree";

class Volume {
 public:
  // Makes the work folder (a new folder under $TMPDIR, else /tmp), writes the host copies of
  // the data there (src.bin, tree/), makes the image: `image_mib` MiB of zeros (every block
  // of it allocated on the host, so that no writer pays for filling a hole), FAT32 with 4 KiB
  // clusters by mkfs.fat, holding src.bin as read.bin and an empty file empty.bin (by
  // mcopy); syncs the host file system
  // and reads the image once, so that it is in the host's page cache, clean, from the start.
  static Result<std::unique_ptr<Volume>, Error> create(const FsData& data, uint64_t image_mib);
  ~Volume();  // removes the work folder
  Volume(const Volume&) = delete;
  Volume& operator=(const Volume&) = delete;

  const std::string& image() const { return m_image; }

  // The peer, each timed as a child process (wall clock, from the spawn to the end of the
  // wait), in seconds:
  // `mcopy -i IMG ::read.bin -`, its output on /dev/null (mcopy refuses /dev/null as a
  // target file: it is not a regular file);
  Result<double, Error> mcopy_read();
  // `mcopy -i IMG ::empty.bin -`, a file of 0 bytes: what the others pay to start the
  // process and read the volume's boot sector and FSInfo, whatever they copy;
  Result<double, Error> mcopy_read_empty();
  // `mcopy -o -i IMG src.bin ::write.bin`;
  Result<double, Error> mcopy_write();
  // `mcopy -s -i IMG tree ::/`: the folder and its files in one run.
  Result<double, Error> mcopy_create();

  // Untimed. What mkh wrote, read back by mtools and compared with the data: write.bin, and
  // the folder tree (every file, and nothing else in it).
  Result<void, Error> check_written(const FsData& data);
  Result<void, Error> check_tree(const FsData& data);
  // Untimed. Removes write.bin (mdel) or the folder tree (mdeltree), then flushes the image,
  // so that the next writer finds the volume as the previous one did.
  Result<void, Error> remove_written();
  Result<void, Error> remove_tree();
  // Writes the image's dirty pages back (fsync), so that no writeback of the last measure runs
  // during the next one.
  Result<void, Error> flush();
  // The referee on the whole volume: `fsck.fat -n IMG`.
  Result<void, Error> check_volume();

 private:
  struct Tools {
    std::string mkfs, fsck, mcopy, mdel, mdeltree;
  };
  Volume(std::string folder, Tools tools);
  std::string path(const char* name) const { return m_folder + "/" + name; }
  Result<double, Error> run(std::vector<std::string> argv, const std::string& out = "/dev/null");

  std::string m_folder;
  std::string m_image;
  Tools m_tools;
};

}  // namespace mkh::bench
