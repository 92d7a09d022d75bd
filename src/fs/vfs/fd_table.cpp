// The file-descriptor table of kernel threads (FdTable, fs/vfs/vfs.hpp): small integers naming
// open files of the VFS (a process's descriptors are proc's UserFd). Layer: fs.
#include "fs/vfs/vfs.hpp"

namespace mkh::fs {

using hal::Xptr;

Result<int32_t> fd_open(FdTable* table, const char* path, uint32_t flags) {
  const auto file = TRY(vfs_open(path, flags));
  {
    hal::BusylockGuard guard(table->m_lock);
    for (uint32_t fd = 0; fd < kMaxFds; ++fd)
      if (table->m_files[fd].is_null()) {
        table->m_files[fd] = file;
        return int32_t(fd);
      }
  }
  (void)vfs_close(file);
  return error(Errno::kMFile);
}

Result<Xptr<File>> fd_get(FdTable* table, int32_t fd) {
  if (fd < 0 || uint32_t(fd) >= kMaxFds) return error(Errno::kBadF);
  hal::BusylockGuard guard(table->m_lock);
  if (table->m_files[fd].is_null()) return error(Errno::kBadF);
  return table->m_files[fd];
}

Result<void> fd_close(FdTable* table, int32_t fd) {
  if (fd < 0 || uint32_t(fd) >= kMaxFds) return error(Errno::kBadF);
  Xptr<File> file;
  {
    hal::BusylockGuard guard(table->m_lock);
    file = table->m_files[fd];
    table->m_files[fd] = {};
  }
  if (file.is_null()) return error(Errno::kBadF);
  return vfs_close(file);
}

}  // namespace mkh::fs
