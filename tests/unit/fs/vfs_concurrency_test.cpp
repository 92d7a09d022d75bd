// ctest-label: concurrency
// The VFS from every core at once: creators in one directory and each in its own, path walks
// racing the removal and the move of the folders they pass through, and folders moved across
// each other. Run under ThreadSanitizer too.
#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <map>
#include <sstream>
#include <string>

#include "fs/vfs/objects.hpp"
#include "fs/vfs/vfs.hpp"
#include "kcheck.hpp"
#include "kern/rwlock.hpp"
#include "kern/sched.hpp"
#include "machine_fixture.hpp"
#include "vfs_fixture.hpp"

namespace mkh::test {
namespace {

using hal::Xptr;

// Creators on every core, in one directory and each in its own, then every file checked.
TEST_F(VfsTest, ConcurrentCreatorsFromEveryCore) {
  const std::string image = make_image(64, 1, {{"/shared/", ""}});
  boot_disk({2, 2, 2}, image);
  ASSERT_FALSE(HasFatalFailure());
  constexpr uint32_t kFilesEach = 12;
  {
    ThreadRunner runner(machine());
    runner.start_on_every_core([&](uint32_t, uint32_t, uint32_t id) {
      const std::string own = "/own " + std::to_string(id);
      KCHECK_OK(fs::vfs_mkdir(own.c_str()));
      for (uint32_t f = 0; f < kFilesEach; ++f) {
        const std::string shared = "/shared/file " + std::to_string(id) + "-" + std::to_string(f);
        write_file(shared.c_str(), 700 * f + 1, id * 100 + f, 333);
        write_file((own + "/f" + std::to_string(f)).c_str(), 5000 + f, id + f);
      }
      for (uint32_t f = 0; f < kFilesEach; f += 2) KCHECK_OK(fs::vfs_unlink((own + "/f" + std::to_string(f)).c_str()));
    });
  }
  {
    ThreadRunner runner(machine());
    runner.start_on_every_core([&](uint32_t, uint32_t, uint32_t id) {
      for (uint32_t f = 0; f < kFilesEach; ++f) {
        check_file(("/shared/file " + std::to_string(id) + "-" + std::to_string(f)).c_str(), 700 * f + 1, id * 100 + f);
        const std::string own = "/own " + std::to_string(id) + "/f" + std::to_string(f);
        if (f % 2 == 0) KCHECK_ERR(fs::vfs_stat(own.c_str()), Errno::kNoEnt);
        else check_file(own.c_str(), 5000 + f, id + f);
      }
    });
  }
  shutdown_and_check();
  expect_fsck_clean(image);
  int status = 0;
  const std::string listing = run_command(fat_tool("mdir", "mtools") + " -b -i " + image + " ::/shared", &status);
  EXPECT_EQ(status, 0);
  EXPECT_EQ(std::count(listing.begin(), listing.end(), '\n'), 8 * long(kFilesEach)) << listing;  // 2x2:2
}

// The inodes on every cluster's list (a kernel thread's count), after looking `path` up.
uint64_t live_inodes(Machine& machine, const char* path) {
  std::atomic<uint64_t> count{0};
  ThreadRunner runner(machine);
  runner.start(machine.clusters().front(), 0, [&machine, &count, path] {
    KCHECK_OK(fs::vfs_stat(path));
    for (uint32_t cxy : machine.clusters()) {
      fs::FsCluster* fs = fs::fs_cluster_at(cxy);
      const auto lock = Xptr<kern::RemoteRwlock>(cxy, &fs->m_inodes_lock);
      kern::remote_rwlock_rd_acquire(lock);
      XLIST_FOREACH(Xptr<hal::XlistEntry>(cxy, &fs->m_inodes), iter) count.fetch_add(1);
      kern::remote_rwlock_rd_release(lock);
    }
  });
  EXPECT_TRUE(runner.wait());
  return count.load();
}

// Path walks racing the removal and the move of the folders they pass through, from every
// core, with files written and unlinked while open in those folders and syncs visiting the
// inodes on their way out: a walk holds each folder it stands in (a reference), so a folder
// removed under it goes at the walk's end, never before; a move across folders is checked
// against the folders' tree while no other such move runs. Nothing is lost: every folder and
// file removed is released (the inode count comes back), and fsck.fat finds the volume clean.
TEST_F(VfsTest, WalksRaceRemovalsAndMoves) {
  const std::string image = make_image(64, 1, {{"/t/", ""}});
  boot_disk({2, 2, 2}, image);
  ASSERT_FALSE(HasFatalFailure());
  const uint64_t inodes_before = live_inodes(machine(), "/t");
  constexpr uint32_t kMovers = 4;
  constexpr uint32_t kRounds = 60;
  {
    ThreadRunner runner(machine());
    runner.start_on_every_core([&](uint32_t, uint32_t, uint32_t id) {
      auto ok_or_gone = [](const auto& result) {
        if (!result && result.error() != Errno::kNoEnt) KCHECK_FAIL("{}", ::mkh::errno_name(result.error()));
      };
      auto rmdir_when_empty = [](const std::string& path) {
        for (;;) {  // a walker's folder inside goes soon
          auto removed = fs::vfs_rmdir(path.c_str());
          if (removed || removed.error() != Errno::kNotEmpty) {
            KCHECK_OK(removed);
            return;
          }
          kern::sched_yield();
        }
      };
      if (id < kMovers) {
        const std::string base = "/t/d" + std::to_string(id);
        const std::string away = "/t/x" + std::to_string(id);
        for (uint32_t round = 0; round < kRounds; ++round) {
          KCHECK_OK(fs::vfs_mkdir(base.c_str()));
          KCHECK_OK(fs::vfs_mkdir((base + "/e").c_str()));
          KCHECK_OK(fs::vfs_mkdir((base + "/e/f").c_str()));
          // Into itself, or over the folder holding it: refused (EINVAL, ENOTEMPTY).
          KCHECK_ERR(fs::vfs_rename((base + "/e").c_str(), (base + "/e/f/g").c_str()), Errno::kInval);
          KCHECK_ERR(fs::vfs_rename((base + "/e/f").c_str(), base.c_str()), Errno::kNotEmpty);
          std::string e = base + "/e";
          if (round % 2 == 1) {
            KCHECK_OK(fs::vfs_rename(e.c_str(), away.c_str()));
            e = away;
          }
          rmdir_when_empty(e + "/f");
          rmdir_when_empty(e);
          rmdir_when_empty(base);
        }
        return;
      }
      const std::string own = "w" + std::to_string(id);
      KernelBuffer buffer(0);
      KCHECK(buffer.block.has_value());
      if (!buffer.block) return;
      for (uint32_t round = 0; round < kRounds * 4; ++round) {
        const std::string k = std::to_string(round % kMovers);
        ok_or_gone(fs::vfs_stat(("/t/d" + k + "/e/f/../f/.").c_str()));
        ok_or_gone(fs::vfs_stat(("/t/x" + k + "/f/..").c_str()));
        auto dir = fs::vfs_open(("/t/d" + k + "/e").c_str(), fs::O_RDONLY | fs::O_DIRECTORY);
        ok_or_gone(dir);
        if (!dir) continue;
        const fs::At at{*dir};
        ok_or_gone(fs::vfs_stat(at, "f/../.."));
        auto made = fs::vfs_mkdir(at, own.c_str());
        ok_or_gone(made);
        if (made) KCHECK_OK(fs::vfs_rmdir(at, own.c_str()));
        // A file written, unlinked while open (its folder may go too), then closed.
        const std::string file_name = own + ".f";
        auto file = fs::vfs_open(at, file_name.c_str(), fs::O_WRONLY | fs::O_CREAT);
        ok_or_gone(file);
        if (file) {
          KCHECK_OK(fs::vfs_write(*file, buffer.xptr(), 600));
          KCHECK_OK(fs::vfs_unlink(at, file_name.c_str()));
          KCHECK_OK(fs::vfs_write(*file, buffer.xptr(), 600));
          KCHECK_OK(fs::vfs_close(*file));
        }
        KCHECK_OK(fs::vfs_close(*dir));
        if (id == kMovers && round % 8 == 0) KCHECK_OK(fs::vfs_sync());  // visits inodes on their way out
      }
    });
  }
  EXPECT_EQ(live_inodes(machine(), "/t"), inodes_before);
  shutdown_and_check();
  expect_fsck_clean(image);
  int status = 0;
  const std::string listing = run_command(fat_tool("mdir", "mtools") + " -b -i " + image + " ::/t", &status);
  EXPECT_EQ(status, 0);
  EXPECT_EQ(listing, "") << listing;
}

// Folders moved across each other from every core: a into b's subtree while b goes into a's,
// moves of a folder below itself, and exchanges (RENAME_EXCHANGE) of two folders. The renames
// across folders take the rename lock one at a time and check the traps under it, so no move
// makes a loop or loses a folder: each of the four is found once at the end, the tree
// fsck.fat reads is clean.
TEST_F(VfsTest, CrossedMovesNeverMakeALoop) {
  const std::string image = make_image(64, 1, {{"/a/", ""}, {"/b/", ""}, {"/a/x/", ""}, {"/b/y/", ""}});
  boot_disk({2, 2, 2}, image);
  ASSERT_FALSE(HasFatalFailure());
  struct Move {
    const char* from;
    const char* to;
    uint32_t flags;
  };
  constexpr uint32_t kExchange = fs::kRenameExchange;
  static constexpr std::array<Move, 16> kMoves = {{
      {"/a", "/b/y/a", 0},
      {"/b/y/a", "/a", 0},
      {"/b", "/a/x/b", 0},
      {"/a/x/b", "/b", 0},
      {"/a/x", "/b/x", 0},
      {"/b/x", "/a/x", 0},
      {"/b/y", "/a/y", 0},
      {"/a/y", "/b/y", 0},
      {"/b", "/b/y/a/x/b", 0},  // into itself when a is below b: EINVAL
      {"/a", "/a/x/b/y/a", 0},
      {"/b/y/a/x", "/x", 0},
      {"/x", "/b/y/a/x", 0},
      {"/a", "/b", kExchange},
      {"/a/x", "/b/y", kExchange},
      {"/b/y/a", "/x", kExchange},  // with the folder that holds it when x is above: EINVAL
      {"/a/x/b", "/a", kExchange},
  }};
  std::atomic<uint32_t> moved{0};
  {
    ThreadRunner runner(machine());
    runner.start_on_every_core([&](uint32_t, uint32_t, uint32_t id) {
      uint32_t state = id * 2654435761u + 1;
      for (uint32_t round = 0; round < 150; ++round) {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        const auto& [from, to, flags] = kMoves[state % kMoves.size()];
        const auto renamed = fs::vfs_rename(from, to, flags);
        if (renamed) moved.fetch_add(1);
        else if (renamed.error() != Errno::kNoEnt && renamed.error() != Errno::kInval)
          KCHECK_FAIL("rename {} {}: {}", from, to, ::mkh::errno_name(renamed.error()));
      }
    });
  }
  // Of 1 200 tries most find their folder elsewhere (ENOENT): 9 to 196 succeeded in 12 runs.
  EXPECT_GT(moved.load(), 0u);
  shutdown_and_check();
  expect_fsck_clean(image);
  int status = 0;
  const std::string listing = run_command(fat_tool("mdir", "mtools") + " -/ -b -i " + image + " ::/", &status);
  EXPECT_EQ(status, 0);
  // One line per folder, "::/b/y/a/"; each name once.
  std::map<std::string, int> names;
  std::istringstream lines(listing);
  for (std::string line; std::getline(lines, line);) {
    if (line.size() < 2 || line.back() != '/') continue;
    line.pop_back();
    names[line.substr(line.rfind('/') + 1)]++;
  }
  EXPECT_EQ(names, (std::map<std::string, int>{{"a", 1}, {"b", 1}, {"x", 1}, {"y", 1}})) << listing;
}

}  // namespace
}  // namespace mkh::test
