// The VFS objects and their services (10 to 17). Layer: fs. Calls mm (kmem), kern (rwlocks),
// the mapper, the FAT driver.
#include "fs/vfs/objects.hpp"

#include <algorithm>
#include <cstring>
#include <string_view>

#include "fs/fat/fatfs.hpp"
#include "fs/fat/names.hpp"
#include "fs/vfs/services.hpp"
#include "hal/cpu.hpp"
#include "hal/kdata.hpp"
#include "mm/kmem.hpp"

namespace mkh::fs {

using hal::Xptr;

static_assert(sizeof(FsCluster) <= hal::kFsDataSpan, "the fs's kernel data outgrew its span in hal/kdata.hpp");

FsCluster* fs_cluster_at(hal::cxy_t cxy) { return hal::kdata_at<FsCluster, hal::kFsDataLpa>(cxy); }
FsCluster* local_fs() { return fs_cluster_at(hal::local_cxy()); }

namespace {

// A pointer that another cluster sent as "local to the server": it must lie in this
// cluster's bank and name a live object of its type (destroy clears the magic word).
template <typename T>
bool is_live(const T* object, uint32_t magic) {
  if (object == nullptr || reinterpret_cast<uintptr_t>(object) % alignof(T) != 0) return false;
  const auto* bank = hal::bank_base(hal::local_cxy());
  const auto* at = reinterpret_cast<const uint8_t*>(object);
  if (at < bank + hal::kKernelDataEnd || at + sizeof(T) > bank + hal::g_address_space.bank_size) return false;
  return hal::local_load(object->m_magic) == magic;
}

Result<void> make_children_table(Inode* inode) {
  auto block = TRY(mm::PageBlock::alloc(0));
  auto* roots = static_cast<hal::XlistEntry*>(block.base());
  static_assert(kChildBuckets * sizeof(hal::XlistEntry) <= hal::kPageSize);
  for (uint32_t i = 0; i < kChildBuckets; ++i) hal::xlist_root_init(Xptr<hal::XlistEntry>(hal::local_cxy(), roots + i));
  inode->m_buckets = Xptr<hal::XlistEntry>(hal::local_cxy(), roots);
  (void)block.release();
  return {};
}

void free_children_table(Inode* inode) {
  if (inode->m_buckets.is_null()) return;
  mm::kmem_free_pages(mm::local_memory()->m_ppm.base_to_page(inode->m_buckets.host_ptr()));
  inode->m_buckets = {};
}

// Copies a client's name into `out` (kNameMax + 1 bytes): kNameTooLong, kInval for none.
Result<void> copy_name(Xptr<const char> name, uint32_t name_len, char* out) {
  if (name.is_null() || name_len == 0) return error(Errno::kInval);
  if (name_len > kNameMax) return error(Errno::kNameTooLong);
  hal::remote_memcpy(Xptr<void>(hal::local_cxy(), out), Xptr<void>(name.raw()), name_len);
  out[name_len] = '\0';
  return {};
}

}  // namespace

Result<Xptr<Inode>> vfs_inode_create_server(Xptr<Dentry> dentry, FsType fs_type, InodeType type, uint32_t fs_extension,
                                            uint32_t attr, uint32_t, uint32_t, uint32_t) {
  const bool fat = fs_type == FsType::kFat && (type == InodeType::kFile || type == InodeType::kDir);
  const bool devfs = fs_type == FsType::kDevfs && (type == InodeType::kDir || type == InodeType::kDev);
  if (!fat && !devfs) return error(Errno::kInval);
  auto inode = TRY(mm::KmemOwner<Inode>::make());
  const auto self = Xptr<Inode>(hal::local_cxy(), inode.get());
  inode->m_type = type;
  inode->m_fs_type = fs_type;
  inode->m_attr = attr;
  inode->m_dentry = dentry;
  kern::remote_rwlock_init(inode_lock(self));
  hal::xlist_entry_init(self.field(&Inode::m_cluster_entry));
  if (type == InodeType::kDir) TRY(make_children_table(inode.get()));
  if (devfs) {
    // In memory only: no mapper; a device's number is its extension; every name is there.
    if (type == InodeType::kDev) inode->m_device = fs_extension;
    inode->m_names_complete = 1;
  } else {
    inode->m_first_cluster = fs_extension;
    auto mapper = mapper::mapper_create(&fat::kInodeMapperOps, self.raw());
    if (!mapper) {
      free_children_table(inode.get());
      return error(mapper.error());
    }
    inode->m_mapper = Xptr<mapper::Mapper>(hal::local_cxy(), *mapper);
    // A file's pages are reached through move_buffer only: past half the bank, the mapper
    // writes back and drops them (a directory's pages stay: its entries are used in place).
    if (type == InodeType::kFile) (*mapper)->m_page_limit = mm::local_memory()->m_ppm.total_pages() / 2;
  }
  FsCluster* fs = local_fs();
  const auto list_lock = Xptr<kern::RemoteRwlock>(hal::local_cxy(), &fs->m_inodes_lock);
  kern::remote_rwlock_wr_acquire(list_lock);
  hal::xlist_add_last(Xptr<hal::XlistEntry>(hal::local_cxy(), &fs->m_inodes), self.field(&Inode::m_cluster_entry));
  kern::remote_rwlock_wr_release(list_lock);
  return Xptr<Inode>(hal::local_cxy(), inode.release());
}

Result<void> vfs_inode_destroy_server(Inode* inode) {
  if (!is_live(inode, kInodeMagic)) return error(Errno::kInval);
  if (inode->m_children_nr != 0) return error(Errno::kBusy);
  FsCluster* fs = local_fs();
  const auto list_lock = Xptr<kern::RemoteRwlock>(hal::local_cxy(), &fs->m_inodes_lock);
  kern::remote_rwlock_wr_acquire(list_lock);
  hal::xlist_unlink(Xptr<Inode>(hal::local_cxy(), inode).field(&Inode::m_cluster_entry));
  kern::remote_rwlock_wr_release(list_lock);
  if (!inode->m_mapper.is_null()) mapper::mapper_destroy(inode->m_mapper.host_ptr());
  free_children_table(inode);
  hal::local_store(inode->m_magic, 0u);
  mm::kmem_delete(inode);
  return {};
}

Result<Xptr<Dentry>> vfs_dentry_create_server(FsType fs_type, Xptr<const char> name, uint32_t name_len, Inode* parent) {
  if (!is_live(parent, kInodeMagic) || parent->m_type != InodeType::kDir || fs_type != parent->m_fs_type)
    return error(Errno::kInval);
  auto dentry = TRY(mm::KmemOwner<Dentry>::make());
  TRY(copy_name(name, name_len, dentry->m_name));
  dentry->m_name_len = name_len;
  dentry->m_hash = fat::name_hash(std::string_view(dentry->m_name, name_len));
  dentry->m_parent = Xptr<Inode>(hal::local_cxy(), parent);
  hal::xlist_entry_init(Xptr<Dentry>(hal::local_cxy(), dentry.get()).field(&Dentry::m_bucket_entry));
  return Xptr<Dentry>(hal::local_cxy(), dentry.release());
}

Result<void> vfs_dentry_destroy_server(Dentry* dentry) {
  if (!is_live(dentry, kDentryMagic)) return error(Errno::kInval);
  // In a children table: its parent's writer (the client) holds the parent's lock.
  if (dentry->m_bucket_entry.next != hal::XPTR_NULL) {
    hal::xlist_unlink(Xptr<Dentry>(hal::local_cxy(), dentry).field(&Dentry::m_bucket_entry));
    --dentry->m_parent.host_ptr()->m_children_nr;
  }
  hal::local_store(dentry->m_magic, 0u);
  mm::kmem_delete(dentry);
  return {};
}

Result<Xptr<File>> vfs_file_create_server(Inode* inode, uint32_t flags) {
  if (!is_live(inode, kInodeMagic)) return error(Errno::kInval);
  auto file = TRY(mm::KmemOwner<File>::make());
  file->m_inode = Xptr<Inode>(hal::local_cxy(), inode);
  file->m_flags = flags;
  hal::remote_atomic_add(Xptr<uint32_t>(hal::local_cxy(), &inode->m_refcount), 1u);
  return Xptr<File>(hal::local_cxy(), file.release());
}

Result<void> vfs_file_destroy_server(File* file) {
  if (!is_live(file, kFileMagic)) return error(Errno::kInval);
  Inode* inode = file->m_inode.host_ptr();
  hal::remote_atomic_add(Xptr<uint32_t>(hal::local_cxy(), &inode->m_refcount), ~0u);  // - 1: never the last (vfs_close)
  hal::local_store(file->m_magic, 0u);
  mm::kmem_delete(file);
  return {};
}

Result<void> vfs_inode_load_server(Inode* parent, Xptr<const char> name, uint32_t name_len, Xptr<Inode> child) {
  if (!is_live(parent, kInodeMagic) || parent->m_type != InodeType::kDir || parent->m_fs_type != FsType::kFat ||
      child.is_null())
    return error(Errno::kInval);
  char local_name[kNameMax + 1];
  TRY(copy_name(name, name_len, local_name));
  const auto found = TRY(fat::dir_find(Xptr<Inode>(hal::local_cxy(), parent), local_name, name_len));
  const auto context = Xptr<fat::FatContext>(local_fs()->m_fat);
  const fat::ShortEntry& entry = found.entry;
  const bool is_dir = entry.is_directory();
  const uint32_t first = entry.first_cluster;
  if (is_dir && first == 0) return error(Errno::kIo);  // a directory without a cluster
  // A folder whose entry names the folder that lists it (a damaged "." entry reads so): a
  // walk down it would never end.
  if (is_dir && first == parent->m_first_cluster) return error(Errno::kIo);
  const uint32_t clusters = TRY(fat::fat_chain_length(context, first));
  const uint32_t cluster_size = fat::fat_cluster_size(context);
  const uint64_t allocated = uint64_t(clusters) * cluster_size;
  if (!is_dir && entry.size > allocated) return error(Errno::kIo);  // the size runs past the chain
  const uint32_t last = clusters == 0 ? 0 : TRY(fat::fat_get_cluster(context, first, clusters - 1));
  rstore(child, &Inode::m_type, is_dir ? InodeType::kDir : InodeType::kFile);
  if (is_dir) rstore(rload(child, &Inode::m_mapper), &mapper::Mapper::m_page_limit, uint64_t(0));
  rstore(child, &Inode::m_first_cluster, first);
  rstore(child, &Inode::m_clusters, clusters);
  rstore(child, &Inode::m_last_cluster, last);
  rstore(child, &Inode::m_size, is_dir ? allocated : uint64_t(entry.size));
  rstore(child, &Inode::m_attr, uint32_t(entry.attr));
  rstore(child, &Inode::m_mtime, uint64_t(std::max<int64_t>(0, fat::unix_from_fat_time(entry.wdate, entry.wtime))));
  // The child's dentry is the client's new one, on this cluster: where the entry is.
  const auto dentry = rload(child, &Inode::m_dentry);
  if (dentry.cxy() == hal::local_cxy() && is_live(dentry.host_ptr(), kDentryMagic)) {
    dentry.host_ptr()->m_slot = found.slot;
    dentry.host_ptr()->m_slot_count = found.slot_count;
  }
  return {};
}

Result<void> vfs_mapper_load_all_server(Inode* inode) {
  if (!is_live(inode, kInodeMagic) || inode->m_mapper.is_null()) return error(Errno::kInval);
  if (inode->m_type == InodeType::kDir && inode->m_buckets.is_null()) TRY(make_children_table(inode));
  const auto mapper = inode->m_mapper;
  const uint64_t pages = (inode->m_size + hal::kPageSize - 1) / hal::kPageSize;
  for (uint64_t index = 0; index < pages; ++index) TRY(mapper::mapper_get_page(mapper, uint32_t(index)));
  return {};
}

}  // namespace mkh::fs
