// devfs: /dev and Linux's memory devices (see fs/vfs/devfs.hpp). Layer: fs. Calls the VFS
// services.
#include "fs/vfs/devfs.hpp"

#include <sys/random.h>

#include <algorithm>
#include <cstring>
#include <ctime>
#include <string_view>

#include "fs/vfs/lookup.hpp"
#include "fs/vfs/services.hpp"
#include "hal/cpu.hpp"

namespace mkh::fs {

using hal::Xptr;

namespace {

// The devices, in name order (readdir's): Linux's memory devices (drivers/char/mem.c, major
// 1), its terminal of the caller (/dev/tty, 5:0), and the streams (major 60, one of Linux's
// numbers for local use: Linux has symbolic links to /proc/self/fd/0, 1, 2 there).
struct DeviceName {
  std::string_view name;
  uint32_t number;
};
constexpr uint32_t kMemoryMajor = 1, kTerminalMajor = 5, kStreamMajor = 60;
constexpr uint32_t kNull = 3, kZero = 5, kFull = 7, kRandom = 8, kUrandom = 9;
constexpr uint32_t memory(uint32_t minor) { return device_number(kMemoryMajor, minor); }
constexpr uint32_t stream(uint32_t fd) { return device_number(kStreamMajor, fd); }
constexpr uint32_t kTerminal = device_number(kTerminalMajor, 0);
constexpr DeviceName kDevices[] = {
    {"full", memory(kFull)}, {"null", memory(kNull)},       {"random", memory(kRandom)},
    {"stderr", stream(2)},   {"stdin", stream(0)},          {"stdout", stream(1)},
    {"tty", kTerminal},      {"urandom", memory(kUrandom)}, {"zero", memory(kZero)},
};

// A new dentry `name` in `dir` (its write lock held) naming a new inode of devfs: the folder
// (kDir) or a device. Each object is linked where the unmount finds it as soon as it is made.
Result<Xptr<Inode>> add_entry(Xptr<Inode> dir, FsType dir_fs, std::string_view name, InodeType type, uint32_t device) {
  char local_name[16];  // the server copies it from kernel memory
  std::memcpy(local_name, name.data(), name.size());
  const auto name_xptr = Xptr<const char>(hal::local_cxy(), local_name);
  const auto dentry = TRY(
      rpc::rpc_call<rpc::RPC_VFS_DENTRY_CREATE>(dir.cxy(), dir_fs, name_xptr, uint32_t(name.size()), dir.host_ptr()));
  auto inode = rpc::rpc_call<rpc::RPC_VFS_INODE_CREATE>(choose_inode_cluster(), dentry, FsType::kDevfs, type, device,
                                                        0u, 0u, 0u, 0u);
  if (!inode) {
    (void)rpc::rpc_call<rpc::RPC_VFS_DENTRY_DESTROY>(dentry.cxy(), dentry.host_ptr());
    return error(inode.error());
  }
  rstore(*inode, &Inode::m_mtime, uint64_t(std::time(nullptr)));
  rstore(dentry, &Dentry::m_child, *inode);
  table_insert(dir, dentry);
  return *inode;
}

// Copies `size` bytes of `fill` (a byte pattern made per chunk) to `buffer`.
template <typename Fill>
Result<uint64_t> fill_buffer(Xptr<void> buffer, uint64_t size, Fill fill) {
  uint8_t chunk[256];  // getrandom's most that no signal cuts short
  for (uint64_t done = 0; done < size;) {
    const auto bytes = uint32_t(std::min<uint64_t>(size - done, sizeof chunk));
    TRY(fill(chunk, bytes));
    hal::remote_memcpy(buffer + std::ptrdiff_t(done), Xptr<void>(hal::local_cxy(), chunk), bytes);
    done += bytes;
  }
  return size;
}

uint32_t number_of(Xptr<Inode> device) { return rload(device, &Inode::m_device); }

}  // namespace

Result<void> devfs_mount(Xptr<Inode> root) {
  Xptr<Inode> dev;
  {
    InodeWriteLock lock(root);
    dev = TRY(add_entry(root, FsType::kFat, "dev", InodeType::kDir, 0));
  }
  InodeWriteLock lock(dev);
  for (const DeviceName& device : kDevices)
    TRY(add_entry(dev, FsType::kDevfs, device.name, InodeType::kDev, device.number));
  return {};
}

std::optional<int32_t> devfs_stream(uint32_t device) {
  if (device == kTerminal) return kStreamTerminal;
  if (device_major(device) == kStreamMajor) return int32_t(device_minor(device));
  return std::nullopt;
}

Result<uint64_t> devfs_read(Xptr<Inode> device, Xptr<void> buffer, uint64_t size) {
  const uint32_t number = number_of(device);
  if (devfs_stream(number)) return error(Errno::kNxIo);
  switch (device_minor(number)) {
    case kZero:
    case kFull:
      return fill_buffer(buffer, size, [](uint8_t* chunk, uint32_t bytes) -> Result<void> {
        std::memset(chunk, 0, bytes);
        return {};
      });
    case kRandom:
    case kUrandom:
      return fill_buffer(buffer, size, [](uint8_t* chunk, uint32_t bytes) -> Result<void> {
        if (::getrandom(chunk, bytes, 0) != ssize_t(bytes)) return error(Errno::kIo);
        return {};
      });
    default: return uint64_t(0);  // null: at its end
  }
}

Result<uint64_t> devfs_write(Xptr<Inode> device, uint64_t size) {
  const uint32_t number = number_of(device);
  if (devfs_stream(number)) return error(Errno::kNxIo);
  if (number == memory(kFull)) return error(Errno::kNoSpc);
  return size;  // the others take everything and keep nothing
}

uint32_t devfs_readdir(uint64_t offset, DirEntry* entries, uint32_t capacity) {
  uint32_t count = 0;
  for (uint64_t at = offset; at < std::size(kDevices) && count < capacity; ++at, ++count) {
    const DeviceName& device = kDevices[at];
    DirEntry& out = entries[count];
    std::memcpy(out.name, device.name.data(), device.name.size());
    out.name[device.name.size()] = '\0';
    out.name_len = uint32_t(device.name.size());
    out.type = InodeType::kDev;
    out.size = 0;
    out.next = at + 1;
  }
  return count;
}

}  // namespace mkh::fs
