// ioc: the block device, a disk-image file of the host seen as sectors of 512 bytes.
// Layer: dev. Calls the chdev queue (dev/chdev.hpp) and the host's pread/pwrite(v).
// The IOC chdev and its DEV thread live on the I/O cluster; any cluster reaches them through
// its local chdev directory. A kernel thread's request is queued and served by the DEV
// thread (the client blocks on cause IO); a host thread outside the machine (boot code,
// unit tests) does the host I/O itself.
#pragma once

#include <cstdint>

#include "hal/xptr.hpp"
#include "libk/result.hpp"

namespace mkh::dev {

inline constexpr uint32_t kSectorSize = 512;

// Reads / writes `count` sectors from sector `lba` to / from `buffer` (memory of any cluster). Callers: kernel threads (they block, cause
// IO, while the DEV thread of the IOC chdev runs the command) or host threads outside the machine (done directly).
// kNoDev when the machine has no disk; kIo for a range past the end of the disk or a host I/O error (counted).
[[nodiscard]] Result<void> ioc_read(uint64_t lba, hal::Xptr<void> buffer, uint32_t count);
[[nodiscard]] Result<void> ioc_write(uint64_t lba, hal::Xptr<void> buffer, uint32_t count);
// Vectored: `n` buffers of `bytes_each` bytes (a multiple of kSectorSize) each, consecutive on the disk from `lba`; `buffers` is an array
// in the caller's cluster. One host preadv/pwritev.
// kInval for bytes_each not a positive multiple of kSectorSize, n == 0 or n > kIocMaxBuffers.
[[nodiscard]] Result<void> ioc_readv(uint64_t lba, const hal::Xptr<void>* buffers, uint32_t n, uint32_t bytes_each);
[[nodiscard]] Result<void> ioc_writev(uint64_t lba, const hal::Xptr<void>* buffers, uint32_t n, uint32_t bytes_each);
uint64_t ioc_sector_count();  // the disk's size in sectors; 0 when the machine has no disk

// The most buffers of one vectored request (the host's IOV_MAX is 1024).
inline constexpr uint32_t kIocMaxBuffers = 1024;
// The most buffers one command to the DEV thread carries: a longer request is split. 256: a
// mapper's read-ahead window or write-behind run (1 MiB) is one command, so its mover thread
// queues all of it at once (each further part would wait for the mover to be scheduled
// again, behind the reader or writer it runs beside).
inline constexpr uint32_t kIocBuffersPerCommand = 256;

}  // namespace mkh::dev
