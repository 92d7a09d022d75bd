// mkh's side of `mkh bench fs`: the measures through the VFS, each run by one kernel thread
// on the last cluster of a machine booted on the bench volume (the root inode is on the
// first), with a kernel buffer of kChunkBytes in that cluster's bank. The kernel thread times
// the VFS work with the steady clock; every byte read is compared with the data (the
// comparison is not timed), and what is written is checked by mtools after the shutdown.
// Layer: bench. Calls boot (run_in_kernel), fs (the VFS), mm (the buffer).
#pragma once

#include <cstdint>
#include <memory>
#include <span>

#include "fs_volume.hpp"
#include "mkh/machine.hpp"
#include "mkh/result.hpp"

namespace mkh::bench {

// The size of one vfs_read / vfs_write of the sequential measures (as `mkh fs get` and
// `put` move files).
inline constexpr uint64_t kChunkBytes = uint64_t(64) << 10;
// The size and the alignment of one random read.
inline constexpr uint64_t kRandomReadBytes = uint64_t(4) << 10;

// Boots a machine on `config` (its disk_image the bench volume, mounted at boot).
Result<std::unique_ptr<Machine>, Error> boot_on_volume(const MachineConfig& config);
// Shuts the machine down (which syncs and unmounts the volume); the error says why the
// volume could not be synced or unmounted.
Result<void, Error> shut_down(std::unique_ptr<Machine> machine);

// Seconds of vfs_open(O_RDONLY), vfs_read of the whole file in chunks, vfs_close. Every
// chunk is compared with `expected` (the whole file).
Result<double, Error> vfs_read_seconds(Machine& machine, const char* path, std::span<const uint8_t> expected);

// Reads per second: `reads` times vfs_lseek to a page drawn from `seed` then vfs_read of
// kRandomReadBytes, on a file opened beforehand (the open and the close are not timed). Every
// read is compared with `expected` (the whole file, a whole number of pages long).
Result<double, Error> vfs_random_reads_per_s(Machine& machine, const char* path, std::span<const uint8_t> expected,
                                             uint32_t reads, uint64_t seed);

// Seconds of vfs_open(O_WRONLY | O_CREAT | O_EXCL), for each chunk a copy of the data from
// host memory into the kernel buffer and vfs_write, vfs_close, then vfs_sync (the bytes are
// in the image file when it returns).
Result<double, Error> vfs_write_seconds(Machine& machine, const char* path, std::span<const uint8_t> data);

// Seconds of vfs_mkdir(folder), then for each small file of `data` (named small_file_name)
// vfs_open(O_WRONLY | O_CREAT | O_EXCL), a copy of its bytes into the kernel buffer,
// vfs_write, vfs_close; then vfs_sync.
Result<double, Error> vfs_create_seconds(Machine& machine, const char* folder, const FsData& data);

}  // namespace mkh::bench
