// devfs: the devices' folder, mounted at /dev (the reference's devfs, with Linux's memory
// devices, its /dev/tty and the streams). Layer: fs. Calls the VFS services.
//
// The folder and its devices live in memory only, made at the mount and gone at the unmount:
// /dev is a dentry of the root's children table that names devfs's folder (FsType::kDevfs), so
// a lookup finds it before the FAT's entries and a "dev" folder of the volume, if there is one,
// is hidden, as under a Linux mount. The folder holds one inode per device (InodeType::kDev,
// its number in Inode::m_device), spread over the clusters as the VFS's other inodes. Nothing is
// made, removed or renamed in it (EPERM), the folder itself is busy (EBUSY) and no rename
// crosses its edge (EXDEV). What a device does with a read or a write is its driver's, below.
#pragma once

#include <cstdint>
#include <optional>

#include "fs/vfs/objects.hpp"
#include "fs/vfs/vfs.hpp"
#include "hal/xptr.hpp"
#include "libk/result.hpp"

namespace mkh::fs {

// Makes /dev and its devices in `root` (the root's inode, on this cluster); from the mount,
// before any lookup.
Result<void> devfs_mount(hal::Xptr<Inode> root);
// The devices that stand for a process's streams, which its open turns into one of them
// (syscall/files.cpp): for the device numbered `device`, /dev/tty's kStreamTerminal (its
// terminal), /dev/stdin's, /dev/stdout's or /dev/stderr's descriptor (0, 1, 2); none for
// another.
inline constexpr int32_t kStreamTerminal = -1;
std::optional<int32_t> devfs_stream(uint32_t device);
// A read or a write of `size` bytes of kernel memory at `buffer` by the device's driver:
// null (nothing read, all written), zero (zeros read, all written), full (zeros read, ENOSPC
// written), random and urandom (the host's random bytes read, all written). ENXIO for a
// stream's device (a kernel thread has no streams).
Result<uint64_t> devfs_read(hal::Xptr<Inode> device, hal::Xptr<void> buffer, uint64_t size);
Result<uint64_t> devfs_write(hal::Xptr<Inode> device, uint64_t size);
// The devices from the place `offset` (an index), as vfs_readdir gives them.
uint32_t devfs_readdir(uint64_t offset, DirEntry* entries, uint32_t capacity);

}  // namespace mkh::fs
