// Path lookup: the children tables, the miss sequence of services 12, 10, 16 and 17, and
// the creation of new entries. Layer: fs. Calls the VFS services, the FAT driver.
#include "fs/vfs/lookup.hpp"

#include <cstring>
#include <ctime>
#include <string_view>
#include <utility>

#include "fs/fat/fatfs.hpp"
#include "fs/fat/names.hpp"
#include "fs/vfs/services.hpp"
#include "hal/cpu.hpp"
#include "kern/cluster.hpp"

namespace mkh::fs {

using hal::Xptr;

namespace {

constexpr FsType kFs = FsType::kFat;

Xptr<hal::XlistEntry> bucket(Xptr<Inode> dir, uint32_t hash) {
  return rload(dir, &Inode::m_buckets) + std::ptrdiff_t(hash % kChildBuckets);
}

// The dentry of `dir` named `name`, or null; under the directory's lock. FAT's names compare
// without ASCII case, devfs's exactly (as Linux's devtmpfs).
Xptr<Dentry> table_find(Xptr<Inode> dir, std::string_view name, uint32_t hash) {
  const bool exact = !on_fat(dir);
  char other[kNameMax + 1] = {};  // (GCC cannot see remote_memcpy fill it)
  XLIST_FOREACH(bucket(dir, hash), iter) {
    const auto dentry = hal::xlist_element(iter, &Dentry::m_bucket_entry);
    const uint32_t len = rload(dentry, &Dentry::m_name_len);
    if (rload(dentry, &Dentry::m_hash) != hash || len != name.size()) continue;
    hal::remote_memcpy(Xptr<void>(hal::local_cxy(), other), dentry.field(&Dentry::m_name).as<void>(), len);
    if (exact ? std::memcmp(name.data(), other, len) == 0 : fat::name_equal(name, std::string_view(other, len)))
      return dentry;
  }
  return {};
}

void destroy_dentry(Xptr<Dentry> dentry) {
  (void)rpc::rpc_call<rpc::RPC_VFS_DENTRY_DESTROY>(dentry.cxy(), dentry.host_ptr());
}

// A new inode that will not be named (its lookup or creation failed): its reference, the
// name's, dropped. Its chain, if it has one, is not its own to free.
void discard_new_inode(Xptr<Inode> inode) {
  rstore(inode, &Inode::m_dentry, Xptr<Dentry>{});
  rstore(inode, &Inode::m_first_cluster, 0u);
  rstore(inode, &Inode::m_unlinked, 1u);
  (void)drop_reference(inode);
}

// A new entry for `name` in `dir` and its new (still private) inode: a file, or a directory
// with its first cluster holding "." and "..".
Result<void> make_entry(Xptr<Inode> dir, std::string_view name, Xptr<Inode> inode, Xptr<Dentry> dentry, Create create) {
  const auto context = fat_context();
  const uint64_t now = uint64_t(std::time(nullptr));
  uint32_t cluster = 0;
  uint8_t attr = fat::kAttrArchive;
  if (create == Create::kDir) {
    forget_subfolders(dir);
    attr = fat::kAttrDirectory;
    cluster = TRY(fat::fat_extend(context, 0, 1, true)).first;
    const uint32_t parent_cluster = is_root(dir) ? 0 : rload(dir, &Inode::m_first_cluster);
    if (auto made = fat::dir_init(context, cluster, parent_cluster, now); !made) {
      (void)fat::fat_release_after(context, cluster, 0);
      return made;
    }
  }
  auto found = fat::dir_add(dir, name.data(), uint32_t(name.size()), attr, cluster, 0, now);
  if (!found) {
    if (cluster != 0) (void)fat::fat_release_after(context, cluster, 0);
    return error(found.error());
  }
  const uint32_t cluster_size = fat::fat_cluster_size(context);
  rstore(inode, &Inode::m_type, create == Create::kDir ? InodeType::kDir : InodeType::kFile);
  rstore(inode, &Inode::m_first_cluster, cluster);
  rstore(inode, &Inode::m_clusters, cluster != 0 ? 1u : 0u);
  rstore(inode, &Inode::m_last_cluster, cluster);
  rstore(inode, &Inode::m_size, create == Create::kDir ? uint64_t(cluster_size) : uint64_t(0));
  rstore(inode, &Inode::m_attr, uint32_t(attr));
  rstore(inode, &Inode::m_mtime, now);
  if (create == Create::kDir) {
    rstore(inode, &Inode::m_names_complete, 1u);
    rstore(rload(inode, &Inode::m_mapper), &mapper::Mapper::m_page_limit, uint64_t(0));  // as objects.cpp
  }
  rstore(dentry, &Dentry::m_slot, found->slot);
  rstore(dentry, &Dentry::m_slot_count, found->slot_count);
  return {};
}

}  // namespace

Xptr<fat::FatContext> fat_context() { return Xptr<fat::FatContext>(local_fs()->m_fat); }

void table_insert(Xptr<Inode> dir, Xptr<Dentry> dentry) {
  hal::xlist_add_last(bucket(dir, rload(dentry, &Dentry::m_hash)), dentry.field(&Dentry::m_bucket_entry));
  rstore(dir, &Inode::m_children_nr, rload(dir, &Inode::m_children_nr) + 1);
}

hal::cxy_t choose_inode_cluster() {
  const Topology& topology = LOCAL_CLUSTER->m_topology;
  const uint32_t clusters = topology.clusters();
  const uint32_t here = hal::cxy_x(hal::local_cxy()) * topology.y_size + hal::cxy_y(hal::local_cxy());
  const uint32_t turn = hal::remote_atomic_add(Xptr<uint32_t>(hal::local_cxy(), &local_fs()->m_next_inode), 1u);
  const uint32_t index = (here + turn) % clusters;
  return hal::make_cxy(index / topology.y_size, index % topology.y_size);
}

bool is_root(Xptr<Inode> inode) { return inode == local_fs()->m_root; }

void forget_subfolders(Xptr<Inode> dir) { rstore(dir, &Inode::m_subfolders, Inode::kSubfoldersUnknown); }

PinnedInode PinnedInode::pin(Xptr<Inode> inode) {
  hal::remote_atomic_add(inode.field(&Inode::m_refcount), 1u);
  return PinnedInode(inode);
}

PinnedInode PinnedInode::try_pin(Xptr<Inode> inode) {
  const auto refcount = inode.field(&Inode::m_refcount);
  for (uint32_t refs = hal::remote_load(refcount); refs != 0; refs = hal::remote_load(refcount))
    if (hal::remote_cas(refcount, refs, refs + 1)) return PinnedInode(inode);
  return {};
}

Result<void> PinnedInode::reset() {
  const auto inode = std::exchange(m_inode, {});
  return inode.is_null() ? Result<void>{} : drop_reference(inode);
}

// The last reference dropped: the inode's objects go, then its chain is freed. The inode goes
// first: its mapper's destruction waits for a write-behind still writing into the chain, which
// must end before the chain's clusters can be freed (at the next sync) and handed to another
// file. Nothing touches the inode after the drop but its one releaser.
Result<void> drop_reference(Xptr<Inode> inode) {
  if (hal::remote_atomic_add(inode.field(&Inode::m_refcount), ~0u) != 1) return {};  // - 1
  const uint32_t first = rload(inode, &Inode::m_first_cluster);
  const auto former_parent = rload(inode, &Inode::m_former_parent);
  TRY(rpc::rpc_call<rpc::RPC_VFS_INODE_DESTROY>(inode.cxy(), inode.host_ptr()));
  if (!former_parent.is_null()) TRY(drop_reference(former_parent));
  return first != 0 ? fat::fat_release_after(fat_context(), first, 0) : Result<void>{};
}

PinnedInode pinned_parent(Xptr<Inode> inode, EntryName* name) {
  InodeReadLock read(inode);
  const auto dentry = rload(inode, &Inode::m_dentry);
  if (dentry.is_null()) return {};
  if (name != nullptr) {
    name->length = rload(dentry, &Dentry::m_name_len);
    hal::remote_memcpy(Xptr<void>(hal::local_cxy(), name->text), dentry.field(&Dentry::m_name).as<void>(),
                       name->length);
  }
  return PinnedInode::pin(rload(dentry, &Dentry::m_parent));
}

namespace {
Result<Xptr<Dentry>> find_or_make_child(Xptr<Inode> dir, std::string_view name, Create create, bool* created) {
  if (created != nullptr) *created = false;
  if (rload(dir, &Inode::m_type) != InodeType::kDir) return error(Errno::kNotDir);
  if (rload(dir, &Inode::m_unlinked) != 0) return error(Errno::kNoEnt);  // removed while we waited
  if (name.size() > kNameMax) return error(Errno::kNameTooLong);
  const uint32_t hash = fat::name_hash(name);
  if (auto dentry = table_find(dir, name, hash)) return dentry;
  const bool complete = rload(dir, &Inode::m_names_complete) != 0;
  if (complete && create == Create::kNo) return error(Errno::kNoEnt);
  // devfs: nothing but its devices (a name too long for Linux is that first).
  if (!on_fat(dir)) return error(name.size() > kLinuxNameMax ? Errno::kNameTooLong : Errno::kPerm);

  // A miss: the dentry on the directory's cluster, the inode on a chosen one, loaded from
  // the directory's entries (or made, when asked to create).
  char local_name[kNameMax + 1];
  std::memcpy(local_name, name.data(), name.size());
  local_name[name.size()] = '\0';
  const auto name_xptr = Xptr<const char>(hal::local_cxy(), local_name);
  const auto len = uint32_t(name.size());
  const auto dentry = TRY(rpc::rpc_call<rpc::RPC_VFS_DENTRY_CREATE>(dir.cxy(), kFs, name_xptr, len, dir.host_ptr()));
  auto inode = rpc::rpc_call<rpc::RPC_VFS_INODE_CREATE>(choose_inode_cluster(), dentry, kFs, InodeType::kFile, 0u, 0u,
                                                        0u, 0u, 0u);
  if (!inode) {
    destroy_dentry(dentry);
    return error(inode.error());
  }
  Result<void> loaded = complete
                            ? Result<void>(error(Errno::kNoEnt))
                            : rpc::rpc_call<rpc::RPC_VFS_INODE_LOAD>(dir.cxy(), dir.host_ptr(), name_xptr, len, *inode);
  // Made only up to Linux's NAME_MAX bytes, as vfat and the host's file systems (a longer
  // name stays missing: ENAMETOOLONG, child_locked).
  if (!loaded && loaded.error() == Errno::kNoEnt && create != Create::kNo && name.size() <= kLinuxNameMax) {
    loaded = make_entry(dir, name, *inode, dentry, create);
    if (loaded && created != nullptr) *created = true;
  }
  if (loaded && rload(*inode, &Inode::m_type) == InodeType::kDir)
    loaded = rpc::rpc_call<rpc::RPC_VFS_MAPPER_LOAD_ALL>(inode->cxy(), inode->host_ptr());
  if (!loaded) {
    discard_new_inode(*inode);
    destroy_dentry(dentry);
    return error(loaded.error());
  }
  rstore(dentry, &Dentry::m_child, *inode);
  table_insert(dir, dentry);
  return dentry;
}
}  // namespace

Result<Xptr<Dentry>> child_locked(Xptr<Inode> dir, std::string_view name, Create create, bool* created) {
  auto dentry = find_or_make_child(dir, name, create, created);
  // A name of more than Linux's NAME_MAX bytes that is not there: ENAMETOOLONG, as Linux's
  // file systems answer before they look, and none is made (one that is there, up to FAT's
  // 255 UTF-16 units as mtools may write, is found).
  if (!dentry && dentry.error() == Errno::kNoEnt && name.size() > kLinuxNameMax) return error(Errno::kNameTooLong);
  return dentry;
}

Result<PinnedInode> lookup_child(Xptr<Inode> dir, std::string_view name) {
  if (rload(dir, &Inode::m_type) != InodeType::kDir) return error(Errno::kNotDir);
  if (name == ".") return PinnedInode::pin(dir);
  if (name == "..") {
    auto parent = pinned_parent(dir);
    if (!parent.get().is_null()) return parent;
    const auto former_parent = rload(dir, &Inode::m_former_parent);          // set once, at its removal
    return PinnedInode::pin(former_parent.is_null() ? dir : former_parent);  // the root's ".." is the root
  }
  {
    InodeReadLock read(dir);
    if (auto dentry = table_find(dir, name, fat::name_hash(name)))
      return PinnedInode::pin(rload(dentry, &Dentry::m_child));
  }
  InodeWriteLock write(dir);
  const auto dentry = TRY(child_locked(dir, name, Create::kNo, nullptr));
  return PinnedInode::pin(rload(dentry, &Dentry::m_child));
}

Result<PinnedInode> walk_parent(At at, const char* path, PathLast* last) {
  if (path == nullptr) return error(Errno::kInval);
  if (path[0] == '\0') return error(Errno::kNoEnt);
  const std::string_view whole(path);
  if (local_fs()->m_root.is_null()) return error(Errno::kNoDev);
  // A reference to the start, beside the mount's to the root or the open folder's own.
  PinnedInode dir = PinnedInode::pin(local_fs()->m_root);
  if (path[0] != '/' && !at.dir.is_null()) {
    // A folder removed still has "." and ".." (Linux); a name in it is ENOENT (child_locked).
    dir = PinnedInode::pin(rload(at.dir, &File::m_inode));
    if (rload(dir.get(), &Inode::m_type) != InodeType::kDir) return error(Errno::kNotDir);
  }
  std::size_t cursor = 0;
  std::string_view pending;
  while (cursor < whole.size()) {
    while (cursor < whole.size() && whole[cursor] == '/') ++cursor;
    const std::size_t end = std::min(whole.find('/', cursor), whole.size());
    if (end == cursor) break;
    const std::string_view component = whole.substr(cursor, end - cursor);
    if (component.size() > kNameMax) return error(Errno::kNameTooLong);
    if (!pending.empty()) dir = TRY(lookup_child(dir.get(), pending));
    pending = component;
    cursor = end;
  }
  if (!pending.empty() && rload(dir.get(), &Inode::m_type) != InodeType::kDir) return error(Errno::kNotDir);
  // "." and ".." as the last component: resolve them, so the caller gets a plain name or none.
  if (pending == "." || pending == "..") {
    dir = TRY(lookup_child(dir.get(), pending));
    last->dots = pending == "." ? PathLast::Dots::kDot : PathLast::Dots::kDotDot;
    pending = {};
  }
  last->len = uint32_t(pending.size());
  if (!pending.empty()) std::memcpy(last->name, pending.data(), pending.size());
  last->name[pending.size()] = '\0';  // empty: the path names `dir` itself
  last->slash = !pending.empty() && whole.back() == '/';
  return dir;
}

Result<PinnedInode> resolve(At at, const char* path) {
  PathLast last;
  auto dir = TRY(walk_parent(at, path, &last));
  if (last.len == 0) return dir;
  auto inode = TRY(lookup_child(dir.get(), last.view()));
  if (last.slash && rload(inode.get(), &Inode::m_type) != InodeType::kDir) return error(Errno::kNotDir);
  return inode;
}

}  // namespace mkh::fs
