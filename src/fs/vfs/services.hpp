// Services 10 to 17, the VFS's: inodes, dentries and open files created and destroyed on
// their clusters, an inode loaded from its parent directory, a mapper loaded whole.
// Layer: fs. The servers validate what arrives: a local pointer from another cluster must
// name a live object of its type here (its magic word), a name must fit.
#pragma once

#include <cstdint>

#include "fs/vfs/objects.hpp"
#include "rpc/marshal.hpp"

namespace mkh::fs {

// 10: an inode on the server cluster; `dentry` names it (null: the root). FAT's: a file or a
// folder with its mapper, `fs_extension` its first cluster. devfs's: a folder or a device,
// in memory only, `fs_extension` a device's number. rights, uid and gid are kept by neither.
Result<hal::Xptr<Inode>> vfs_inode_create_server(hal::Xptr<Dentry> dentry, FsType fs_type, InodeType type,
                                                 uint32_t fs_extension, uint32_t attr, uint32_t rights, uint32_t uid,
                                                 uint32_t gid);
// 11: releases an inode, its mapper (no write-back) and, for a directory, its children table
// (which must hold no dentry any more).
Result<void> vfs_inode_destroy_server(Inode* inode);
// 12: a dentry of `parent` (a folder of the server cluster, of the file system `fs_type`)
// named by the client's `name` (name_len bytes), not yet in the parent's children table.
Result<hal::Xptr<Dentry>> vfs_dentry_create_server(FsType fs_type, hal::Xptr<const char> name, uint32_t name_len,
                                                   Inode* parent);
// 13: releases a dentry (taken out of its parent's children table if it is in it).
Result<void> vfs_dentry_destroy_server(Dentry* dentry);
// 14: an open file of `inode`; the inode counts it.
Result<hal::Xptr<File>> vfs_file_create_server(Inode* inode, uint32_t flags);
// 15: releases an open file; the inode stops counting it.
Result<void> vfs_file_destroy_server(File* file);
// 16: finds `name` in the directory `parent` and fills `child` (type, size, chain,
// attributes, time) and the child's dentry (where its entries are). kNoEnt when absent; a
// folder of the FAT volume only.
Result<void> vfs_inode_load_server(Inode* parent, hal::Xptr<const char> name, uint32_t name_len,
                                   hal::Xptr<Inode> child);
// 17: loads every page of the inode's mapper (directories are read whole on first access);
// a directory also gets its children table here. An inode of the FAT volume only.
Result<void> vfs_mapper_load_all_server(Inode* inode);

}  // namespace mkh::fs

namespace mkh::rpc {
template <>
struct RpcService<RPC_VFS_INODE_CREATE> {
  static constexpr auto kServer = &fs::vfs_inode_create_server;
};
template <>
struct RpcService<RPC_VFS_INODE_DESTROY> {
  static constexpr auto kServer = &fs::vfs_inode_destroy_server;
};
template <>
struct RpcService<RPC_VFS_DENTRY_CREATE> {
  static constexpr auto kServer = &fs::vfs_dentry_create_server;
  static constexpr bool kLocalDirect = true;  // allocates or frees, never blocks
};
template <>
struct RpcService<RPC_VFS_DENTRY_DESTROY> {
  static constexpr auto kServer = &fs::vfs_dentry_destroy_server;
  static constexpr bool kLocalDirect = true;  // allocates or frees, never blocks
};
template <>
struct RpcService<RPC_VFS_FILE_CREATE> {
  static constexpr auto kServer = &fs::vfs_file_create_server;
  static constexpr bool kLocalDirect = true;  // allocates or frees, never blocks
};
template <>
struct RpcService<RPC_VFS_FILE_DESTROY> {
  static constexpr auto kServer = &fs::vfs_file_destroy_server;
  static constexpr bool kLocalDirect = true;  // allocates or frees, never blocks
};
template <>
struct RpcService<RPC_VFS_INODE_LOAD> {
  static constexpr auto kServer = &fs::vfs_inode_load_server;
};
template <>
struct RpcService<RPC_VFS_MAPPER_LOAD_ALL> {
  static constexpr auto kServer = &fs::vfs_mapper_load_all_server;
};
}  // namespace mkh::rpc
