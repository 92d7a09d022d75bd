// The VFS and the FAT32 driver on a running machine: services 10 to 18, 24 and 25 from every
// cluster to every cluster with their error paths, the POSIX errors of the operations, and
// a file larger than its mapper may hold (from every core at once: vfs_concurrency_test). Images
// are made by mkfs.fat and mcopy and judged by fsck.fat after the machine is gone.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "fs/fat/fatfs.hpp"
#include "fs/fat/services.hpp"
#include "fs/vfs/devfs.hpp"
#include "fs/vfs/lookup.hpp"
#include "fs/vfs/services.hpp"
#include "fs/vfs/vfs.hpp"
#include "kcheck.hpp"
#include "machine_fixture.hpp"
#include "mm/kmem.hpp"
#include "mm/mapper/services.hpp"
#include "vfs_fixture.hpp"

namespace mkh::test {
namespace {

using fs::InodeType;
using hal::Xptr;

// Every service from every cluster to every cluster: the file system's own use of them
// (lookups, reads and writes spread over all clusters, each driven from each cluster), then
// each service called directly with what its server must refuse.
TEST_F(VfsTest, ServicesFromEveryClusterToEveryCluster) {
  std::vector<std::pair<std::string, std::string>> files;
  for (int d = 0; d < 8; ++d) {
    files.push_back({"/d" + std::to_string(d) + "/", ""});
    for (int f = 0; f < 3; ++f)
      files.push_back({"/d" + std::to_string(d) + "/file " + std::to_string(f) + ".txt",
                       std::string(1000 + 4096 * f, char('a' + d))});
  }
  const std::string image = make_image(64, 1, files);
  boot_disk({2, 2, 1}, image);
  ASSERT_FALSE(HasFatalFailure());
  const std::vector<uint32_t> clusters = machine().clusters();
  const uint32_t io_cxy = clusters.front();
  {
    ThreadRunner runner(machine());
    for (uint32_t c = 0; c < clusters.size(); ++c)
      runner.start(clusters[c], 0, [&, c] {
        KernelBuffer buffer(2);
        KCHECK(buffer.block.has_value());
        if (!buffer.block) return;
        // Through the VFS: every file of every directory read, and one written per cluster.
        for (int d = 0; d < 8; ++d)
          for (int f = 0; f < 3; ++f) {
            const std::string path = "/d" + std::to_string(d) + "/file " + std::to_string(f) + ".txt";
            auto stat = fs::vfs_stat(path.c_str());
            KCHECK_OK(stat);
            if (stat) KCHECK_EQ(stat->size, uint64_t(1000 + 4096 * f));
            auto file = fs::vfs_open(path.c_str(), fs::O_RDONLY);
            KCHECK_OK(file);
            if (!file) continue;
            auto got = fs::vfs_read(*file, buffer.xptr(), 4 * hal::kPageSize);
            KCHECK_OK(got);
            if (got) KCHECK_EQ(*got, uint64_t(1000 + 4096 * f));
            if (got && *got > 0) KCHECK_EQ(buffer.data()[*got - 1], uint8_t('a' + d));
            KCHECK_OK(fs::vfs_close(*file));
          }
        const std::string mine = "/d" + std::to_string(c) + "/written by " + std::to_string(c);
        write_file(mine.c_str(), 3 * hal::kPageSize + 17, c);

        // Each service, to each cluster, with what its server refuses.
        auto* bogus = reinterpret_cast<void*>(buffer.data());                   // a pointer that names no object there
        char* x = reinterpret_cast<char*>(buffer.data()) + 2 * hal::kPageSize;  // a name in the bank
        x[0] = 'x';
        const auto name_x = Xptr<const char>(hal::local_cxy(), x);
        for (uint32_t t : clusters) {
          auto inode = rpc::rpc_call<rpc::RPC_VFS_INODE_CREATE>(t, Xptr<fs::Dentry>(), fs::FsType::kFat,
                                                                InodeType::kFile, 0u, 0x20u, 0u, 0u, 0u);
          KCHECK_OK(inode);
          if (!inode) continue;
          KCHECK_EQ(inode->cxy(), t);
          KCHECK_ERR(rpc::rpc_call<rpc::RPC_VFS_INODE_CREATE>(t, Xptr<fs::Dentry>(), fs::FsType(9), InodeType::kFile,
                                                              0u, 0u, 0u, 0u, 0u),
                     Errno::kInval);
          auto file = rpc::rpc_call<rpc::RPC_VFS_FILE_CREATE>(t, inode->host_ptr(), uint32_t(fs::O_RDONLY));
          KCHECK_OK(file);
          if (file) KCHECK_OK(rpc::rpc_call<rpc::RPC_VFS_FILE_DESTROY>(t, file->host_ptr()));
          KCHECK_ERR(rpc::rpc_call<rpc::RPC_VFS_FILE_CREATE>(t, static_cast<fs::Inode*>(bogus), 0u), Errno::kInval);
          KCHECK_ERR(rpc::rpc_call<rpc::RPC_VFS_FILE_DESTROY>(t, static_cast<fs::File*>(bogus)), Errno::kInval);
          KCHECK_ERR(rpc::rpc_call<rpc::RPC_VFS_DENTRY_CREATE>(t, fs::FsType::kFat, name_x, 1u,
                                                               static_cast<fs::Inode*>(bogus)),
                     Errno::kInval);
          KCHECK_ERR(rpc::rpc_call<rpc::RPC_VFS_DENTRY_DESTROY>(t, static_cast<fs::Dentry*>(bogus)), Errno::kInval);
          KCHECK_ERR(rpc::rpc_call<rpc::RPC_VFS_INODE_LOAD>(t, static_cast<fs::Inode*>(bogus), name_x, 1u, *inode),
                     Errno::kInval);
          KCHECK_ERR(rpc::rpc_call<rpc::RPC_VFS_MAPPER_LOAD_ALL>(t, static_cast<fs::Inode*>(bogus)), Errno::kInval);
          KCHECK_ERR(mapper::rpc_mapper_get_page_client(t, static_cast<mapper::Mapper*>(bogus), 0), Errno::kInval);
          KCHECK_ERR(mapper::rpc_mapper_move_buffer_client(t, static_cast<mapper::Mapper*>(bogus), true, false, 0,
                                                           buffer.xptr().raw(), 8),
                     Errno::kInval);
          // Only the FAT's cluster walks chains; elsewhere the FAT mapper pointer names nothing.
          const auto context = fs::fat_context();
          const auto fat_mapper = fs::rload(context, &fs::fat::FatContext::m_fat_mapper);
          const uint32_t root_cluster = fs::fat::fat_cluster_count(context) > 0 ? 2u : 0u;
          if (t == fat_mapper.cxy()) {
            KCHECK_OK(fs::fat::rpc_fatfs_get_cluster_client(t, fat_mapper.host_ptr(), root_cluster, 0));
            KCHECK_ERR(fs::fat::rpc_fatfs_get_cluster_client(t, fat_mapper.host_ptr(), root_cluster, 1000000),
                       Errno::kIo);
            KCHECK_ERR(fs::fat::rpc_fatfs_get_cluster_client(t, fat_mapper.host_ptr(), 1, 0), Errno::kIo);
          } else {
            KCHECK_ERR(fs::fat::rpc_fatfs_get_cluster_client(t, fat_mapper.host_ptr(), root_cluster, 0), Errno::kInval);
          }
          KCHECK_ERR(fs::fat::rpc_fatfs_get_cluster_client(t, static_cast<mapper::Mapper*>(bogus), 2, 0),
                     Errno::kInval);
          KCHECK_OK(rpc::rpc_call<rpc::RPC_VFS_INODE_DESTROY>(t, inode->host_ptr()));
          KCHECK_ERR(rpc::rpc_call<rpc::RPC_VFS_INODE_DESTROY>(t, static_cast<fs::Inode*>(bogus)), Errno::kInval);
        }
      });
  }
  const MachineReport report = machine().report();
  const char* services[] = {"VFS_INODE_CREATE",   "VFS_INODE_DESTROY", "VFS_DENTRY_CREATE", "VFS_DENTRY_DESTROY",
                            "VFS_FILE_CREATE",    "VFS_FILE_DESTROY",  "VFS_INODE_LOAD",    "VFS_MAPPER_LOAD_ALL",
                            "MAPPER_MOVE_BUFFER", "MAPPER_GET_PAGE"};
  for (uint32_t cxy : clusters)
    for (const char* name : services) {
      EXPECT_GT(served(report, cxy, name), 0u) << name << " on cluster " << cxy;
      EXPECT_GT(served(report, cxy, name, true), 0u) << name << " sent from cluster " << cxy;
    }
  EXPECT_GT(served(report, io_cxy, "FATFS_GET_CLUSTER"), 0u);
  shutdown_and_check();
  expect_fsck_clean(image);
  for (uint32_t c = 0; c < clusters.size(); ++c) {
    const std::string bytes = mcopy_out(image, "/d" + std::to_string(c) + "/written by " + std::to_string(c));
    ASSERT_EQ(bytes.size(), 3 * hal::kPageSize + 17);
    for (uint64_t i = 0; i < bytes.size(); ++i) ASSERT_EQ(uint8_t(bytes[i]), pattern(i, c)) << "byte " << i;
  }
}

// The POSIX error of each failure, and nothing changed by a failed operation.
TEST_F(VfsTest, EachFailureHasItsPosixError) {
  const std::string image =
      make_image(64, 1, {{"/dir/", ""}, {"/dir/inner.txt", "inner"}, {"/file.txt", "file"}, {"/kept.txt", "kept"}});
  boot_disk({2, 1, 1}, image);
  ASSERT_FALSE(HasFatalFailure());
  {
    ThreadRunner runner(machine());
    runner.start(machine().clusters().back(), 0, [] {
      KCHECK_ERR(fs::vfs_open("/missing", fs::O_RDONLY), Errno::kNoEnt);
      KCHECK_ERR(fs::vfs_open("/missing/x", fs::O_RDONLY | fs::O_CREAT), Errno::kNoEnt);
      KCHECK_ERR(fs::vfs_open("/file.txt/x", fs::O_RDONLY), Errno::kNotDir);
      KCHECK_ERR(fs::vfs_open("/dir", fs::O_WRONLY), Errno::kIsDir);
      KCHECK_ERR(fs::vfs_open("/file.txt", fs::O_RDONLY | fs::O_DIRECTORY), Errno::kNotDir);
      KCHECK_ERR(fs::vfs_open("/file.txt", fs::O_WRONLY | fs::O_CREAT | fs::O_EXCL), Errno::kExist);
      KCHECK_ERR(fs::vfs_mkdir("/dir"), Errno::kExist);
      KCHECK_ERR(fs::vfs_mkdir("/file.txt"), Errno::kExist);
      KCHECK_ERR(fs::vfs_rmdir("/dir"), Errno::kNotEmpty);
      KCHECK_ERR(fs::vfs_rmdir("/file.txt"), Errno::kNotDir);
      KCHECK_ERR(fs::vfs_unlink("/dir"), Errno::kIsDir);
      KCHECK_ERR(fs::vfs_unlink("/missing"), Errno::kNoEnt);
      KCHECK_ERR(fs::vfs_rename("/missing", "/other"), Errno::kNoEnt);
      KCHECK_ERR(fs::vfs_rename("/dir", "/dir/inside"), Errno::kInval);
      // Linux's answers where the kinds would say otherwise: a name over the folder holding
      // it, a folder opened to be created or truncated.
      KCHECK_ERR(fs::vfs_rename("/dir/inner.txt", "/dir"), Errno::kNotEmpty);
      KCHECK_ERR(fs::vfs_open("/dir", fs::O_RDONLY | fs::O_CREAT), Errno::kIsDir);
      KCHECK_ERR(fs::vfs_open("/dir", fs::O_RDONLY | fs::O_TRUNC), Errno::kIsDir);
      // "." and ".." where they stand, a trailing slash for a folder only (Linux's rules).
      KCHECK_ERR(fs::vfs_stat("/file.txt/.."), Errno::kNotDir);
      KCHECK_ERR(fs::vfs_stat("/missing/../dir"), Errno::kNoEnt);
      KCHECK_OK(fs::vfs_stat("/dir/../dir/./inner.txt"));
      KCHECK_ERR(fs::vfs_open("/file.txt/", fs::O_RDONLY), Errno::kNotDir);
      KCHECK_ERR(fs::vfs_open("/fresh/", fs::O_WRONLY | fs::O_CREAT), Errno::kIsDir);
      KCHECK_ERR(fs::vfs_unlink("/file.txt/"), Errno::kNotDir);
      KCHECK_ERR(fs::vfs_rename("/file.txt", "/other/"), Errno::kNotDir);
      KCHECK_ERR(fs::vfs_rename("/file.txt", "/dir", fs::kRenameNoReplace), Errno::kExist);
      KCHECK_ERR(fs::vfs_rename("/file.txt", "/other", 4), Errno::kInval);  // RENAME_WHITEOUT
      KCHECK_OK(fs::vfs_mkdir("/made/"));
      KCHECK_OK(fs::vfs_rmdir("/made/"));
      KCHECK_ERR(fs::vfs_rmdir("/dir/."), Errno::kInval);
      KCHECK_ERR(fs::vfs_rmdir("/dir/.."), Errno::kNotEmpty);
      KCHECK_ERR(fs::vfs_rmdir("/"), Errno::kBusy);
      KCHECK_ERR(fs::vfs_rename("/file.txt", "/dir/.."), Errno::kBusy);
      KCHECK_ERR(fs::vfs_rename("/file.txt", "/dir/..", fs::kRenameNoReplace), Errno::kExist);
      const std::string long_name = "/" + std::string(256, 'n');
      KCHECK_ERR(fs::vfs_open(long_name.c_str(), fs::O_WRONLY | fs::O_CREAT), Errno::kNameTooLong);
      KCHECK_ERR(fs::vfs_truncate("/dir", 0), Errno::kIsDir);
      // A name FAT cannot hold: refused, and the file keeps its own (it was lost before).
      KCHECK_ERR(fs::vfs_rename("/kept.txt", "/what?"), Errno::kInval);
      KCHECK_ERR(fs::vfs_rename("/kept.txt", long_name.c_str()), Errno::kNameTooLong);
      KCHECK_OK(fs::vfs_stat("/kept.txt"));
      // 300 bytes in 100 UTF-16 units: FAT could hold it, Linux's NAME_MAX refuses it; 255 bytes
      // are made.
      std::string wide_name = "/";
      for (int i = 0; i < 100; ++i) wide_name += "語";
      KCHECK_ERR(fs::vfs_open(wide_name.c_str(), fs::O_WRONLY | fs::O_CREAT), Errno::kNameTooLong);
      KCHECK_ERR(fs::vfs_mkdir(wide_name.c_str()), Errno::kNameTooLong);
      KCHECK_ERR(fs::vfs_rename("/kept.txt", wide_name.c_str()), Errno::kNameTooLong);
      KCHECK_OK(fs::vfs_stat("/kept.txt"));
      wide_name.resize(1 + 255);
      KCHECK_OK(fs::vfs_mkdir(wide_name.c_str()));
      KCHECK_OK(fs::vfs_rmdir(wide_name.c_str()));
      // A read-only open file refuses writes; a write-only one reads.
      auto file = fs::vfs_open("/file.txt", fs::O_RDONLY);
      KCHECK_OK(file);
      if (file) {
        KernelBuffer buffer(0);
        KCHECK_ERR(fs::vfs_write(*file, buffer.xptr(), 1), Errno::kBadF);
        KCHECK_OK(fs::vfs_close(*file));
      }
      // Rename over a file replaces it; across directories.
      KCHECK_OK(fs::vfs_rename("/file.txt", "/dir/inner.txt"));
      auto stat = fs::vfs_stat("/dir/inner.txt");
      KCHECK_OK(stat);
      if (stat) KCHECK_EQ(stat->size, 4u);
      KCHECK_ERR(fs::vfs_stat("/file.txt"), Errno::kNoEnt);
      // A new spelling of the same name (FAT compares names without case).
      KCHECK_OK(fs::vfs_rename("/dir/inner.txt", "/dir/Inner.TXT"));
      KCHECK_OK(fs::vfs_stat("/dir/INNER.txt"));
    });
  }
  shutdown_and_check();
  expect_fsck_clean(image);
  EXPECT_EQ(mcopy_out(image, "/dir/inner.txt"), "file");
  EXPECT_EQ(mcopy_out(image, "/kept.txt"), "kept");
  int status = 0;
  const std::string listing = run_command(fat_tool("mdir", "mtools") + " -b -i " + image + " ::/dir", &status);
  EXPECT_NE(listing.find("/Inner.TXT"), std::string::npos) << listing;
}

// A full volume answers ENOSPC and stays consistent; a file removed gives its space back at once.
TEST_F(VfsTest, AFullVolumeAnswersNoSpace) {
  const std::string image = make_image(33, 1);  // about 65 000 clusters of 512 B: 32 MiB
  boot_disk({1, 1, 2}, image, 128);
  ASSERT_FALSE(HasFatalFailure());
  {
    ThreadRunner runner(machine());
    runner.start(machine().clusters().front(), 1, [] {
      KernelBuffer buffer(4);
      KCHECK(buffer.block.has_value());
      if (!buffer.block) return;
      std::memset(buffer.data(), 0x5a, 16 * hal::kPageSize);
      auto file = fs::vfs_open("/big", fs::O_WRONLY | fs::O_CREAT);
      KCHECK_OK(file);
      if (!file) return;
      Errno last = Errno::kOk;
      for (int i = 0; i < 1000; ++i) {
        auto written = fs::vfs_write(*file, buffer.xptr(), 16 * hal::kPageSize);
        if (!written) {
          last = written.error();
          break;
        }
      }
      KCHECK_EQ(int(last), int(Errno::kNoSpc));
      KCHECK_OK(fs::vfs_close(*file));
      auto statfs = fs::vfs_statfs();
      KCHECK_OK(statfs);
      if (statfs) KCHECK_LE(statfs->free_clusters, 64u * 1024 / 512);
      // Removed, its space is there for the next writer at once (its chain freed by the sync
      // that the writer's first refusal runs), as on Linux.
      KCHECK_OK(fs::vfs_unlink("/big"));
      write_file("/again", 8u << 20, 3, 16 * hal::kPageSize);
      check_file("/again", 8u << 20, 3);
    });
  }
  shutdown_and_check();
  expect_fsck_clean(image);
}

// A sync frees only the chains cut before its data pass: that pass waits for the stores in
// flight (a write-behind planned before a truncation may still be writing into the cut
// chain), so a chain cut later waits for the next sync, whose pass covers it.
TEST_F(VfsTest, ASyncFreesOnlyTheChainsCutBeforeItsDataPass) {
  const std::string image = make_image(33, 1);
  boot_disk({1, 1, 1}, image);
  ASSERT_FALSE(HasFatalFailure());
  {
    ThreadRunner runner(machine());
    runner.start(machine().clusters().front(), 0, [] {
      write_file("/cut", 40 * 1024, 1);
      KCHECK_OK(fs::vfs_sync());
      const auto context = fs::fat_context();
      const uint32_t free_before = fs::fat::fat_free_clusters(context);
      const uint64_t noted = fs::fat::fat_frees_queued(context);
      KCHECK_OK(fs::vfs_truncate("/cut", 0));  // after the note: 80 clusters of 512 B queued
      KCHECK_EQ(fs::fat::fat_frees_queued(context), noted + 1);
      // The sync's last step with the note taken before the cut (this is the FAT's cluster).
      KCHECK_OK(fs::fat::fat_sync_local(context.host_ptr(), noted));
      KCHECK_EQ(fs::fat::fat_free_clusters(context), free_before);
      KCHECK_EQ(context.host_ptr()->m_pending_nr, 1u);
      KCHECK_OK(fs::vfs_sync());  // noted after the cut: freed
      KCHECK_EQ(fs::fat::fat_free_clusters(context), free_before + 80);
      KCHECK_EQ(context.host_ptr()->m_pending_nr, 0u);
    });
  }
  shutdown_and_check();
  expect_fsck_clean(image);
}

// A file larger than its mapper may hold: written back and dropped on the way, read back whole;
// its writer and reader had the write-behind and the asynchronous read-ahead working for them.
TEST_F(VfsTest, AFileLargerThanItsMapperLimit) {
  const std::string image = make_image(300, 8);  // 4 KiB clusters
  boot_disk({2, 1, 1}, image, 16);
  ASSERT_FALSE(HasFatalFailure());  // a mapper holds at most half of 16 MiB
  constexpr uint64_t kBytes = 12ull << 20;
  {
    ThreadRunner runner(machine());
    runner.start(machine().clusters().back(), 0, [&] {
      write_file("/large", kBytes, 7, 16 * hal::kPageSize);
      check_file("/large", kBytes, 7);
      auto stat = fs::vfs_stat("/large");
      KCHECK_OK(stat);
      if (!stat) return;
      const auto inode = Xptr<fs::Inode>(stat->inode);
      const mapper::MapperStats s = mapper::mapper_stats(fs::rload(inode, &fs::Inode::m_mapper));
      KCHECK(s.reclaims > 0);
      KCHECK_LE(s.pages, uint64_t(16 << 20) / hal::kPageSize / 2);
      KCHECK(s.async_stores > 0);
      KCHECK(s.async_loads > 0);
    });
  }
  shutdown_and_check();
  expect_fsck_clean(image);
  const std::string bytes = mcopy_out(image, "/large");
  ASSERT_EQ(bytes.size(), kBytes);
  for (uint64_t i = 0; i < kBytes; ++i) ASSERT_EQ(uint8_t(bytes[i]), pattern(i, 7)) << "byte " << i;
}

// A write leaves the directory entry to the file's close or the next sync: a sync writes
// the entries of files still open (more than one batch of them on each cluster), and the
// close the final ones (one file unlinked while open goes at its close).
TEST_F(VfsTest, OpenFilesEntriesAreWrittenBySyncAndClose) {
  const std::string image = make_image(64, 1);
  const std::string snapshot = m_dir.path("at-sync.img");
  boot_disk({2, 2, 1}, image);
  ASSERT_FALSE(HasFatalFailure());
  constexpr int kFiles = 150;  // about 37 inodes on each of the 4 clusters: two batches each
  auto name = [](int f) { return "/open" + std::to_string(f); };
  {
    ThreadRunner runner(machine());
    runner.start(machine().clusters().back(), 0, [&] {
      KernelBuffer buffer(0);
      KCHECK(buffer.block.has_value());
      if (!buffer.block) return;
      std::vector<Xptr<fs::File>> files;
      for (int f = 0; f < kFiles; ++f) {
        auto file = fs::vfs_open(name(f).c_str(), fs::O_RDWR | fs::O_CREAT | fs::O_EXCL);
        KCHECK_OK(file);
        if (!file) return;
        files.push_back(*file);
        std::memset(buffer.data(), 'a' + f % 26, 100);
        KCHECK_OK(fs::vfs_write(*file, buffer.xptr(), 100 + f));
      }
      KCHECK_OK(fs::vfs_sync());
      std::filesystem::copy_file(image, snapshot);
      KCHECK_OK(fs::vfs_unlink(name(0).c_str()));  // released at its close
      for (int f = 1; f < kFiles; f += 2) KCHECK_OK(fs::vfs_write(files[size_t(f)], buffer.xptr(), 1000));
      for (const auto& file : files) KCHECK_OK(fs::vfs_close(file));
    });
  }
  shutdown_and_check();
  expect_fsck_clean(snapshot);
  expect_fsck_clean(image);
  const std::string mdir = fat_tool("mdir", "mtools");
  for (const auto& [img, late] : {std::pair{snapshot, false}, std::pair{image, true}}) {
    if (late) {
      int status = 0;
      const std::string listing = run_command(mdir + " -i " + img + " ::/open0 2>&1", &status);
      EXPECT_NE(status, 0) << "the unlinked file is still listed: " << listing;
    }
    for (int f = late ? 1 : 0; f < kFiles; ++f) {
      const uint64_t size = 100 + f + (late && f % 2 == 1 ? 1000 : 0);
      EXPECT_EQ(mcopy_out(img, name(f)).size(), size) << img << " " << name(f);
    }
  }
}

// An open file keeps working when its name goes or moves, as on Linux: written after an
// unlink and the removal of its folder (their memory taken by new names meanwhile), it is
// released at its close and never listed; renamed into another folder while open, its close writes its size in the new
// entry. O_RDONLY | O_TRUNC empties a file, as Linux does.
TEST_F(VfsTest, AnOpenFileOutlivesItsNameAndFollowsARename) {
  const std::string image = make_image(64, 1, {{"/dir/", ""}, {"/sub/", ""}, {"/kept.txt", "kept bytes"}});
  boot_disk({2, 1, 1}, image);
  ASSERT_FALSE(HasFatalFailure());
  {
    ThreadRunner runner(machine());
    runner.start(machine().clusters().back(), 0, [&] {
      KernelBuffer buffer(0);
      KCHECK(buffer.block.has_value());
      if (!buffer.block) return;
      std::memset(buffer.data(), 'u', 3000);
      auto gone = fs::vfs_open("/sub/gone", fs::O_RDWR | fs::O_CREAT);
      auto moved = fs::vfs_open("/moved", fs::O_RDWR | fs::O_CREAT);
      KCHECK_OK(gone);
      KCHECK_OK(moved);
      if (!gone || !moved) return;
      KCHECK_OK(fs::vfs_write(*gone, buffer.xptr(), 100));
      KCHECK_OK(fs::vfs_unlink("/sub/gone"));
      KCHECK_OK(fs::vfs_rmdir("/sub"));  // its inode goes too
      KCHECK_OK(fs::vfs_rename("/moved", "/dir/moved"));
      for (int f = 0; f < 64; ++f) write_file(("/new" + std::to_string(f)).c_str(), 10, uint32_t(f));
      KCHECK_OK(fs::vfs_write(*gone, buffer.xptr(), 3000));
      KCHECK_OK(fs::vfs_write(*moved, buffer.xptr(), 2000));
      KCHECK_OK(fs::vfs_sync());
      KCHECK_OK(fs::vfs_lseek(*gone, 0, fs::Whence::kSet));
      std::memset(buffer.data(), 0, 3100);
      auto got = fs::vfs_read(*gone, buffer.xptr(), 3100);
      KCHECK_OK(got);
      if (got) KCHECK_EQ(*got, 3100u);
      KCHECK_EQ(buffer.data()[3099], uint8_t('u'));
      KCHECK_OK(fs::vfs_close(*gone));
      KCHECK_OK(fs::vfs_close(*moved));
      KCHECK_ERR(fs::vfs_stat("/sub"), Errno::kNoEnt);
      auto truncated = fs::vfs_open("/kept.txt", fs::O_RDONLY | fs::O_TRUNC);
      KCHECK_OK(truncated);
      if (truncated) KCHECK_OK(fs::vfs_close(*truncated));
    });
  }
  shutdown_and_check();
  expect_fsck_clean(image);
  EXPECT_EQ(mcopy_out(image, "/dir/moved").size(), 2000u);
  EXPECT_EQ(mcopy_out(image, "/kept.txt").size(), 0u);
  EXPECT_EQ(mcopy_out(image, "/new63").size(), 10u);
  int status = 0;
  const std::string listing = run_command(fat_tool("mdir", "mtools") + " -i " + image + " ::/sub 2>&1", &status);
  EXPECT_NE(status, 0) << "the removed folder is still listed: " << listing;
}

// A folder's links are Linux vfat's: its name, its ".", and each subfolder's ".." (the
// root's too, which has no "." on disk); a file has one; a removed folder none. Folders
// made by mcopy (read from the disk) and by mkh, their inodes on either cluster.
// renameat2's RENAME_EXCHANGE: two files, two folders across parents, a file and a folder;
// Linux's refusals; the disk as mtools and fsck.fat see it afterwards.
TEST_F(VfsTest, RenameExchangeSwapsWhatTwoNamesName) {
  const std::string image = make_image(64, 1,
                                       {{"/a.txt", "aaa"},
                                        {"/d/", ""},
                                        {"/d/b.txt", "bbbb"},
                                        {"/d/sub/", ""},
                                        {"/d/sub/in.txt", "inner"},
                                        {"/e/", ""},
                                        {"/e/x.txt", "x"}});
  boot_disk({2, 1, 1}, image);
  ASSERT_FALSE(HasFatalFailure());
  {
    ThreadRunner runner(machine());
    runner.start(machine().clusters().back(), 0, [] {
      const auto stat = [](const char* path) {
        auto got = fs::vfs_stat(path);
        KCHECK_OK(got);
        return got ? *got : fs::Stat{};
      };
      const uint32_t exchange = fs::kRenameExchange;
      KCHECK_OK(fs::vfs_rename("/a.txt", "/d/b.txt", exchange));
      KCHECK_EQ(stat("/a.txt").size, 4u);
      KCHECK_EQ(stat("/d/b.txt").size, 3u);
      // Two folders of different parents: each takes the other's place, ".." included.
      KCHECK_OK(fs::vfs_rename("/d/sub", "/e", exchange));
      KCHECK_OK(fs::vfs_stat("/e/in.txt"));
      KCHECK_OK(fs::vfs_stat("/d/sub/x.txt"));
      KCHECK_EQ(stat("/e/..").inode, stat("/").inode);
      KCHECK_EQ(stat("/d/sub/..").inode, stat("/d").inode);
      // A file and a folder: the root still has two subfolders.
      KCHECK_OK(fs::vfs_rename("/a.txt", "/e", exchange));
      KCHECK(stat("/a.txt").type == fs::InodeType::kDir);
      KCHECK_EQ(stat("/e").size, 4u);
      KCHECK_EQ(stat("/").links, 4u);
      KCHECK_OK(fs::vfs_rename("/d/b.txt", "/d/B.TXT", exchange));  // one entry, two spellings
      KCHECK_ERR(fs::vfs_rename("/e", "/missing", exchange), Errno::kNoEnt);
      KCHECK_ERR(fs::vfs_rename("/missing", "/e", exchange), Errno::kNoEnt);
      KCHECK_ERR(fs::vfs_rename("/e", "/a.txt", exchange | fs::kRenameNoReplace), Errno::kInval);
      KCHECK_ERR(fs::vfs_rename("/d", "/d/sub", exchange), Errno::kInval);
      KCHECK_ERR(fs::vfs_rename("/d/sub", "/d", exchange), Errno::kInval);
      KCHECK_ERR(fs::vfs_rename("/e/", "/d", exchange), Errno::kNotDir);
      KCHECK_OK(fs::vfs_sync());
    });
  }
  shutdown_and_check();
  expect_fsck_clean(image);
  EXPECT_EQ(mcopy_out(image, "/e"), "bbbb");
  EXPECT_EQ(mcopy_out(image, "/d/b.txt"), "aaa");
  EXPECT_EQ(mcopy_out(image, "/a.txt/in.txt"), "inner");
  EXPECT_EQ(mcopy_out(image, "/d/sub/x.txt"), "x");
}

TEST_F(VfsTest, LinksCountAFoldersSubfolders) {
  const std::string image = make_image(64, 1, {{"/top/", ""}, {"/top/a/", ""}, {"/top/b/", ""}, {"/top/f.txt", "f"}});
  boot_disk({2, 1, 1}, image);
  ASSERT_FALSE(HasFatalFailure());
  {
    ThreadRunner runner(machine());
    runner.start(machine().clusters().back(), 0, [] {
      const auto links = [](const char* path) -> uint32_t {
        auto stat = fs::vfs_stat(path);
        KCHECK_OK(stat);
        return stat ? stat->links : 0;
      };
      KCHECK_EQ(links("/"), 3u);  // top
      KCHECK_EQ(links("/top"), 4u);
      KCHECK_EQ(links("/top/a"), 2u);
      KCHECK_EQ(links("/top/f.txt"), 1u);
      KCHECK_OK(fs::vfs_mkdir("/top/c"));
      KCHECK_OK(fs::vfs_mkdir("/top/c/d"));
      KCHECK_EQ(links("/top"), 5u);
      KCHECK_EQ(links("/top/c"), 3u);
      KCHECK_OK(fs::vfs_rename("/top/c/d", "/d"));
      KCHECK_EQ(links("/top/c"), 2u);
      KCHECK_EQ(links("/"), 4u);
      auto gone = fs::vfs_open("/top/a", fs::O_RDONLY | fs::O_DIRECTORY);
      KCHECK_OK(gone);
      KCHECK_OK(fs::vfs_rmdir("/top/a"));
      KCHECK_EQ(links("/top"), 4u);
      if (gone) {
        auto stat = fs::vfs_fstat(*gone);
        KCHECK_OK(stat);
        if (stat) KCHECK_EQ(stat->links, 0u);
        KCHECK_OK(fs::vfs_close(*gone));
      }
    });
  }
  shutdown_and_check();
  expect_fsck_clean(image);
}

// A relative path starts from the folder open as its At, wherever that folder went: renamed,
// it is still the start; removed, nothing is found or made from it (ENOENT, as Linux).
TEST_F(VfsTest, RelativePathsStartFromTheOpenFolder) {
  const std::string image = make_image(64, 1, {{"/dir/", ""}, {"/dir/inner.txt", "inner"}, {"/gone/", ""}});
  boot_disk({2, 1, 1}, image);
  ASSERT_FALSE(HasFatalFailure());
  {
    ThreadRunner runner(machine());
    runner.start(machine().clusters().back(), 0, [] {
      auto dir = fs::vfs_open("/dir", fs::O_RDONLY | fs::O_DIRECTORY);
      auto gone = fs::vfs_open("/gone/", fs::O_RDONLY);
      KCHECK_OK(dir);
      KCHECK_OK(gone);
      if (!dir || !gone) return;
      KCHECK_OK(fs::vfs_rename("/dir", "/moved"));
      const fs::At at{*dir};
      KCHECK_OK(fs::vfs_stat(at, "inner.txt"));
      KCHECK_OK(fs::vfs_mkdir(at, "sub/"));
      KCHECK_OK(fs::vfs_rename(at, "inner.txt", at, "sub/inner.txt"));
      KCHECK_OK(fs::vfs_stat("/moved/sub/inner.txt"));
      KCHECK_OK(fs::vfs_stat(at, "sub/../sub/./inner.txt"));
      KCHECK_ERR(fs::vfs_stat(at, "sub/inner.txt/.."), Errno::kNotDir);
      KCHECK_OK(fs::vfs_stat(at, "/moved"));  // absolute: from the root
      char path[64];
      auto length = fs::vfs_dir_path(*dir, path, sizeof path);  // its name now
      KCHECK_OK(length);
      if (length) KCHECK_EQ(std::string(path, *length), std::string("/moved"));
      auto sub = fs::vfs_open(at, "sub", fs::O_RDONLY);
      KCHECK_OK(sub);
      KCHECK_OK(fs::vfs_rename("/moved", "/again"));
      if (sub) {
        length = fs::vfs_dir_path(*sub, path, sizeof path);
        if (length) KCHECK_EQ(std::string(path, *length), std::string("/again/sub"));
        KCHECK_ERR(fs::vfs_dir_path(*sub, path, 10), Errno::kNameTooLong);
        KCHECK_OK(fs::vfs_close(*sub));
      }
      length = fs::vfs_dir_path({}, path, sizeof path);
      if (length) KCHECK_EQ(std::string(path, *length), std::string("/"));
      KCHECK_OK(fs::vfs_rmdir("/gone"));
      KCHECK_ERR(fs::vfs_mkdir(fs::At{*gone}, "x"), Errno::kNoEnt);
      KCHECK_ERR(fs::vfs_dir_path(*gone, path, sizeof path), Errno::kNoEnt);
      // A folder removed keeps "." and ".." (its former parent), as on Linux.
      auto self = fs::vfs_stat(fs::At{*gone}, ".");
      KCHECK_OK(self);
      if (self) KCHECK(self->unlinked);
      auto up = fs::vfs_stat(fs::At{*gone}, "../again/sub");
      KCHECK_OK(up);
      KCHECK_OK(fs::vfs_mkdir("/gone"));  // a new folder of that name is another one
      KCHECK_ERR(fs::vfs_open(fs::At{*gone}, "y", fs::O_WRONLY | fs::O_CREAT), Errno::kNoEnt);
      KCHECK_OK(fs::vfs_close(*dir));
      KCHECK_OK(fs::vfs_close(*gone));
    });
  }
  shutdown_and_check();
  expect_fsck_clean(image);
  EXPECT_EQ(mcopy_out(image, "/again/sub/inner.txt"), "inner");
}

// devfs at /dev, from a cluster other than the root's: Linux's memory devices read and
// written, listed and stated, the streams' devices ENXIO to a kernel thread; a file opened
// again; nothing made, removed or renamed there; the volume's own "dev" folder hidden under
// the mount and left as it was.
TEST_F(VfsTest, DevicesLiveUnderDev) {
  const std::string image = make_image(64, 1, {{"/dev/", ""}, {"/dev/hidden.txt", "hidden"}, {"/x.txt", "x"}});
  boot_disk({2, 1, 1}, image);
  ASSERT_FALSE(HasFatalFailure());
  {
    ThreadRunner runner(machine());
    runner.start(machine().clusters().back(), 0, [] {
      KernelBuffer buffer(1);
      KCHECK(buffer.block.has_value());
      if (!buffer.block) return;
      const auto dev = fs::vfs_stat("/dev");
      KCHECK_OK(dev);
      if (dev) KCHECK(dev->type == fs::InodeType::kDir && dev->links == 2);
      const auto null_stat = fs::vfs_stat("/dev/null");
      KCHECK_OK(null_stat);
      if (null_stat) KCHECK(null_stat->type == fs::InodeType::kDev && null_stat->device == fs::device_number(1, 3));
      KCHECK_ERR(fs::vfs_stat("/dev/hidden.txt"), Errno::kNoEnt);  // the volume's, under the mount
      // statfs: devfs has no blocks; a path on the volume, and an open device, answer as such.
      const auto devices = fs::vfs_statfs_at({}, "/dev/zero");
      const auto volume = fs::vfs_statfs_at({}, "/x.txt");
      const auto whole = fs::vfs_statfs();
      KCHECK_OK(devices);
      KCHECK_OK(volume);
      KCHECK_OK(whole);
      if (devices) KCHECK(devices->type == fs::FsType::kDevfs && devices->clusters == 0);
      if (volume && whole)
        KCHECK(volume->type == fs::FsType::kFat && volume->clusters == whole->clusters && volume->clusters > 0 &&
               volume->free_clusters == whole->free_clusters);
      KCHECK_ERR(fs::vfs_statfs_at({}, "/dev/nothing"), Errno::kNoEnt);

      auto null = fs::vfs_open("/dev/null", fs::O_RDWR | fs::O_CREAT | fs::O_TRUNC);  // a shell's `>/dev/null`
      KCHECK_OK(null);
      auto zero = fs::vfs_open("/dev/zero", fs::O_RDWR);
      auto full = fs::vfs_open("/dev/full", fs::O_RDWR);
      auto random = fs::vfs_open("/dev/urandom", fs::O_RDONLY);
      KCHECK_OK(zero);
      KCHECK_OK(full);
      KCHECK_OK(random);
      if (!null || !zero || !full || !random) return;
      constexpr uint64_t kBytes = 5000;  // more than a chunk of the driver's, less than the buffer
      KCHECK_EQ(fs::vfs_write(*null, buffer.xptr(), kBytes).value_or(0), kBytes);
      KCHECK_EQ(fs::vfs_read(*null, buffer.xptr(), kBytes).value_or(1), 0u);
      std::memset(buffer.data(), 0xAA, kBytes);
      KCHECK_EQ(fs::vfs_read(*zero, buffer.xptr(), kBytes).value_or(0), kBytes);
      KCHECK(std::all_of(buffer.data(), buffer.data() + kBytes, [](uint8_t b) { return b == 0; }));
      KCHECK_EQ(fs::vfs_write(*zero, buffer.xptr(), 10).value_or(0), 10u);
      KCHECK_EQ(fs::vfs_lseek(*zero, 100, fs::Whence::kSet).value_or(1), 0u);
      KCHECK_ERR(fs::vfs_write(*full, buffer.xptr(), 1), Errno::kNoSpc);
      KCHECK_EQ(fs::vfs_read(*full, buffer.xptr(), 16).value_or(0), 16u);
      std::memset(buffer.data(), 0, 64);
      KCHECK_EQ(fs::vfs_read(*random, buffer.xptr(), 64).value_or(0), 64u);
      KCHECK(std::any_of(buffer.data(), buffer.data() + 64, [](uint8_t b) { return b != 0; }));
      KCHECK_ERR(fs::vfs_write(*random, buffer.xptr(), 1), Errno::kBadF);  // opened for reading
      KCHECK_ERR(fs::vfs_ftruncate(*null, 0), Errno::kInval);
      for (const auto file : {*null, *zero, *full, *random}) KCHECK_OK(fs::vfs_close(file));
      // The streams' devices: a process's open makes them its streams; a kernel thread has none.
      for (const char* path : {"/dev/tty", "/dev/stdin", "/dev/stderr"}) {
        const auto stream = fs::vfs_stat(path);
        KCHECK(stream && fs::devfs_stream(stream->device).has_value());
        auto device = fs::vfs_open(path, fs::O_RDWR);
        KCHECK_OK(device);
        if (!device) continue;
        KCHECK_ERR(fs::vfs_read(*device, buffer.xptr(), 1), Errno::kNxIo);
        KCHECK_ERR(fs::vfs_write(*device, buffer.xptr(), 1), Errno::kNxIo);
        KCHECK_OK(fs::vfs_close(*device));
      }
      KCHECK(!fs::devfs_stream(fs::device_number(1, 3)));

      // A file opened again (/proc/self/fd/N's open): its own offset and flags, O_TRUNC cutting it.
      auto first = fs::vfs_open("/y.txt", fs::O_RDWR | fs::O_CREAT);
      KCHECK_OK(first);
      if (!first) return;
      std::memcpy(buffer.data(), "yy", 2);
      KCHECK_EQ(fs::vfs_write(*first, buffer.xptr(), 2).value_or(0), 2u);
      auto again = fs::vfs_reopen(*first, fs::O_RDONLY);
      KCHECK_OK(again);
      if (again) {
        KCHECK_EQ(fs::vfs_read(*again, buffer.xptr(), 8).value_or(0), 2u);
        KCHECK_ERR(fs::vfs_write(*again, buffer.xptr(), 1), Errno::kBadF);
        KCHECK_OK(fs::vfs_close(*again));
      }
      KCHECK_ERR(fs::vfs_reopen(*first, fs::O_ACCMODE), Errno::kInval);
      auto cut = fs::vfs_reopen(*first, fs::O_WRONLY | fs::O_TRUNC);
      KCHECK_OK(cut);
      if (cut) KCHECK_OK(fs::vfs_close(*cut));
      const auto cut_stat = fs::vfs_fstat(*first);
      KCHECK(cut_stat && cut_stat->size == 0);
      KCHECK_OK(fs::vfs_close(*first));

      auto dir = fs::vfs_open("/dev", fs::O_RDONLY | fs::O_DIRECTORY);
      KCHECK_OK(dir);
      if (!dir) return;
      fs::DirEntry entries[8];
      std::string names;
      for (;;) {
        auto got = fs::vfs_readdir(*dir, entries, 2);  // in two turns and a half
        KCHECK_OK(got);
        if (!got || *got == 0) break;
        for (uint32_t i = 0; i < *got; ++i) {
          names += std::string(entries[i].name) + " ";
          KCHECK(entries[i].type == fs::InodeType::kDev);
        }
      }
      KCHECK_EQ(names, std::string("full null random stderr stdin stdout tty urandom zero "));
      char path[16];
      auto length = fs::vfs_dir_path(*dir, path, sizeof path);
      KCHECK_OK(length);
      if (length) KCHECK_EQ(std::string(path, *length), std::string("/dev"));
      KCHECK_OK(fs::vfs_stat(fs::At{*dir}, "../x.txt"));
      KCHECK_OK(fs::vfs_close(*dir));

      // Nothing made, removed or renamed in devfs; its folder is a mount point.
      KCHECK_ERR(fs::vfs_open("/dev/new", fs::O_WRONLY | fs::O_CREAT), Errno::kPerm);
      KCHECK_ERR(fs::vfs_open("/dev/hidden.txt", fs::O_RDONLY), Errno::kNoEnt);
      KCHECK_ERR(fs::vfs_mkdir("/dev/sub"), Errno::kPerm);
      KCHECK_ERR(fs::vfs_mkdir("/dev"), Errno::kExist);
      KCHECK_ERR(fs::vfs_unlink("/dev/null"), Errno::kPerm);
      KCHECK_ERR(fs::vfs_unlink("/dev/nothing"), Errno::kNoEnt);
      KCHECK_ERR(fs::vfs_rmdir("/dev"), Errno::kBusy);
      KCHECK_ERR(fs::vfs_rename("/dev/null", "/null"), Errno::kXDev);
      KCHECK_ERR(fs::vfs_rename("/x.txt", "/dev/x.txt"), Errno::kXDev);
      KCHECK_ERR(fs::vfs_rename("/dev/null", "/dev/void"), Errno::kPerm);
      KCHECK_ERR(fs::vfs_rename("/dev/nothing", "/dev/void"), Errno::kNoEnt);  // found first, as Linux
      KCHECK_ERR(fs::vfs_stat("/dev/NULL"), Errno::kNoEnt);                    // devfs's names keep their case
      KCHECK_ERR(fs::vfs_rename("/x.txt", "/dev"), Errno::kIsDir);             // the kinds before the mount point
      KCHECK_ERR(fs::vfs_rename("/x.txt", "/dev/"), Errno::kNotDir);
      KCHECK_ERR(fs::vfs_rename("/dev", "/DEV"), Errno::kBusy);
      KCHECK_ERR(fs::vfs_mkdir(std::string("/dev/" + std::string(256, 'n')).c_str()), Errno::kNameTooLong);
      KCHECK_ERR(fs::vfs_rename("/dev", "/devices"), Errno::kBusy);
      KCHECK_OK(fs::vfs_mkdir("/empty"));
      KCHECK_ERR(fs::vfs_rename("/empty", "/dev"), Errno::kBusy);
      KCHECK_ERR(fs::vfs_rename("/empty", "/dev", fs::kRenameExchange), Errno::kBusy);
      KCHECK_ERR(fs::vfs_truncate("/dev/zero", 0), Errno::kInval);
      KCHECK_OK(fs::vfs_set_mtime(fs::At{}, "/dev/zero", 1'000'000'001));  // kept in memory, to the second
      const auto zero_stat = fs::vfs_stat("/dev/zero");
      if (zero_stat) KCHECK_EQ(zero_stat->mtime, 1'000'000'001u);
      KCHECK_OK(fs::vfs_sync());
    });
  }
  shutdown_and_check();
  expect_fsck_clean(image);
  EXPECT_EQ(mcopy_out(image, "/dev/hidden.txt"), "hidden");
  EXPECT_EQ(mcopy_out(image, "/x.txt"), "x");
}

// Without devices (`mkh fs`), /dev is the volume's.
TEST_F(VfsTest, WithoutDevicesDevIsTheVolumes) {
  const std::string image = make_image(64, 1, {{"/dev/", ""}, {"/dev/hidden.txt", "hidden"}});
  MachineConfig config = quiet_config({2, 1, 1}, 16);
  config.disk_image = image;
  config.mount_devices = false;
  boot_config(config);
  ASSERT_FALSE(HasFatalFailure());
  {
    ThreadRunner runner(machine());
    runner.start(machine().clusters().back(), 0, [] {
      KCHECK_OK(fs::vfs_stat("/dev/hidden.txt"));
      KCHECK_ERR(fs::vfs_stat("/dev/null"), Errno::kNoEnt);
    });
  }
  shutdown_and_check();
}

}  // namespace
}  // namespace mkh::test
