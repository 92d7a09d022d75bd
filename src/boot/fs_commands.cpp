// The commands of `mkh fs`, run through the VFS by a kernel thread. Layer: boot
// (implements include/mkh/files.hpp). Calls fs; host files are read and written by the
// kernel thread itself (the harness's side of `get` and `put`).
#include "mkh/files.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <ctime>
#include <fstream>
#include <string_view>

#include <fmt/format.h>

#include "boot/files.hpp"
#include "fs/vfs/vfs.hpp"
#include "hal/cpu.hpp"
#include "mm/kmem.hpp"

namespace mkh {

namespace {

using hal::Xptr;

struct CommandShape {
  std::string_view name;
  uint32_t min_args;
  uint32_t max_args;
  std::string_view form;
};
constexpr CommandShape kCommands[] = {
    {"ls", 1, 1, "ls PATH"},
    {"tree", 0, 1, "tree [PATH]"},
    {"cat", 1, 1, "cat PATH"},
    {"get", 2, 2, "get PATH HOSTFILE"},
    {"put", 2, 2, "put HOSTFILE PATH"},
    {"mkdir", 1, 1, "mkdir PATH"},
    {"rmdir", 1, 1, "rmdir PATH"},
    {"rm", 1, 1, "rm PATH"},
    {"mv", 2, 2, "mv OLD NEW"},
    {"exchange", 2, 2, "exchange PATH1 PATH2"},
    {"stat", 1, 1, "stat PATH"},
    {"df", 0, 0, "df"},
    {"write", 3, 3, "write PATH OFFSET HOSTFILE"},
    {"append", 2, 2, "append PATH HOSTFILE"},
    {"truncate", 2, 2, "truncate PATH SIZE"},
    {"sync", 0, 0, "sync"},
};

Result<uint64_t, Error> parse_size(std::string_view text, std::string_view what) {
  uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size())
    return error(Errno::kInval, "{} '{}' is not a whole number", what, text);
  return value;
}

// "PATH: ENOENT (No such file or directory)"
Error fs_error(std::string_view path, Errno code) {
  return Error(code, fmt::format("{}: {} ({})", path, errno_name(code), std::strerror(int(code))));
}

constexpr uint32_t kBufferOrder = 4;    // 64 KiB moves between the host and the VFS
constexpr std::size_t kPathMax = 4096;  // Linux's PATH_MAX: tree goes no deeper
constexpr uint64_t kBufferBytes = hal::kPageSize << kBufferOrder;

// Runs in the kernel thread: one command.
class Session {
 public:
  Session(std::FILE* out, mm::PageBlock buffer) : m_out(out), m_buffer(std::move(buffer)) {}

  Result<void, Error> run(const FsCommand& command) {
    const auto& w = command.words;
    const std::string_view name = w[0];
    if (name == "ls") return ls(w[1]);
    if (name == "tree") return tree(w.size() > 1 ? w[1] : "/");
    if (name == "cat") return copy_out(w[1], nullptr);
    if (name == "get") return get(w[1], w[2]);
    if (name == "put") return copy_in(w[1], w[2], fs::O_WRONLY | fs::O_CREAT | fs::O_TRUNC, 0);
    if (name == "mkdir") return check(w[1], fs::vfs_mkdir(w[1].c_str()));
    if (name == "rmdir") return check(w[1], fs::vfs_rmdir(w[1].c_str()));
    if (name == "rm") return check(w[1], fs::vfs_unlink(w[1].c_str()));
    if (name == "mv") return check(w[1], fs::vfs_rename(w[1].c_str(), w[2].c_str()));
    if (name == "exchange") return check(w[1], fs::vfs_rename(w[1].c_str(), w[2].c_str(), fs::kRenameExchange));
    if (name == "stat") return stat(w[1]);
    if (name == "df") return df();
    if (name == "write") return copy_in(w[3], w[1], fs::O_WRONLY | fs::O_CREAT, TRY(parse_size(w[2], "the offset")));
    if (name == "append") return copy_in(w[2], w[1], fs::O_WRONLY | fs::O_CREAT | fs::O_APPEND, 0);
    if (name == "truncate") return check(w[1], fs::vfs_truncate(w[1].c_str(), TRY(parse_size(w[2], "the size"))));
    if (name == "sync") return check("sync", fs::vfs_sync());
    return error(Errno::kInval, "unknown command '{}'", name);
  }

 private:
  template <typename T>
  static Result<T, Error> check(std::string_view path, Result<T> result) {
    if (!result) return error(fs_error(path, result.error()));
    if constexpr (std::is_void_v<T>) return {};
    else return *result;
  }

  Xptr<void> buffer() const { return Xptr<void>(hal::local_cxy(), m_buffer.base()); }

  // Every entry of a directory, sorted by name.
  Result<std::vector<fs::DirEntry>, Error> list(const std::string& path) {
    const auto dir = TRY(check(path, fs::vfs_open(path.c_str(), fs::O_RDONLY | fs::O_DIRECTORY)));
    std::vector<fs::DirEntry> entries;
    auto* chunk = static_cast<fs::DirEntry*>(m_buffer.base());
    const auto capacity = uint32_t(kBufferBytes / sizeof(fs::DirEntry));
    for (;;) {
      auto count = fs::vfs_readdir(dir, chunk, capacity);
      if (!count) {
        (void)fs::vfs_close(dir);  // reading failed already: that error is the one to tell
        return error(fs_error(path, count.error()));
      }
      if (*count == 0) break;
      entries.insert(entries.end(), chunk, chunk + *count);
    }
    TRY(check(path, fs::vfs_close(dir)));
    std::sort(entries.begin(), entries.end(), [](const fs::DirEntry& a, const fs::DirEntry& b) {
      return std::string_view(a.name, a.name_len) < std::string_view(b.name, b.name_len);
    });
    return entries;
  }

  Result<void, Error> ls(const std::string& path) {
    const auto stat = TRY(check(path, fs::vfs_stat(path.c_str())));
    if (stat.type == fs::InodeType::kFile) {
      fmt::print(m_out, "- {} {}\n", stat.size, path);
      return {};
    }
    for (const fs::DirEntry& e : TRY(list(path)))
      fmt::print(m_out, "{} {} {}\n", e.type == fs::InodeType::kDir ? 'd' : '-', e.size,
                 std::string_view(e.name, e.name_len));
    return {};
  }

  Result<void, Error> tree(const std::string& root) {
    TRY(check(root, fs::vfs_stat(root.c_str())));
    std::vector<std::pair<std::string, const fs::DirEntry*>> lines;
    std::vector<std::vector<fs::DirEntry>> held;
    std::vector<std::string> pending{root};
    while (!pending.empty()) {
      const std::string dir = pending.back();
      pending.pop_back();
      held.push_back(TRY(list(dir)));
      const std::string prefix = dir.back() == '/' ? dir : dir + "/";
      for (const fs::DirEntry& e : held.back()) {
        std::string full = prefix + std::string(e.name, e.name_len);
        // A damaged volume may hold a folder inside one of its own: the walk stops where a
        // path would pass Linux's PATH_MAX, as Linux's tools do.
        if (e.type == fs::InodeType::kDir && full.size() >= kPathMax)
          return error(fs_error(full.substr(0, 80) + "...", Errno::kNameTooLong));
        if (e.type == fs::InodeType::kDir) pending.push_back(full);
        lines.emplace_back(std::move(full), &e);
      }
    }
    std::sort(lines.begin(), lines.end());
    for (const auto& [path, e] : lines) {
      if (e->type == fs::InodeType::kDir) fmt::print(m_out, "0 {}/\n", path);
      else fmt::print(m_out, "{} {}\n", e->size, path);
    }
    return {};
  }

  // cat (host == nullptr: to the output) and get.
  Result<void, Error> copy_out(const std::string& path, std::FILE* host) {
    const auto file = TRY(check(path, fs::vfs_open(path.c_str(), fs::O_RDONLY)));
    Result<void, Error> copied = {};
    for (;;) {
      auto count = fs::vfs_read(file, buffer(), kBufferBytes);
      if (!count) {
        copied = error(fs_error(path, count.error()));
        break;
      }
      if (*count == 0) break;
      if (std::fwrite(m_buffer.base(), 1, *count, host != nullptr ? host : m_out) != *count) {
        copied =
            error(Errno::kIo, "writing {}: {}", host != nullptr ? "the host file" : "the output", std::strerror(errno));
        break;
      }
    }
    if (auto closed = check(path, fs::vfs_close(file)); copied && !closed) copied = error(closed.error());
    return copied;
  }

  Result<void, Error> get(const std::string& path, const std::string& host_path) {
    std::FILE* host = std::fopen(host_path.c_str(), "wb");
    if (host == nullptr) return error(errno_from_host(errno), "{}: {}", host_path, std::strerror(errno));
    auto copied = copy_out(path, host);
    if (std::fclose(host) != 0 && copied) return error(Errno::kIo, "{}: {}", host_path, std::strerror(errno));
    return copied;
  }

  Result<void, Error> copy_in(const std::string& host_path, const std::string& path, uint32_t flags, uint64_t offset) {
    std::FILE* host = std::fopen(host_path.c_str(), "rb");
    if (host == nullptr) return error(errno_from_host(errno), "{}: {}", host_path, std::strerror(errno));
    auto file = check(path, fs::vfs_open(path.c_str(), flags));
    if (!file) {
      std::fclose(host);
      return error(file.error());
    }
    Result<void, Error> copied = {};
    if (offset != 0)
      if (auto sought = fs::vfs_lseek(*file, int64_t(offset), fs::Whence::kSet); !sought)
        copied = error(fs_error(path, sought.error()));
    while (copied) {
      const std::size_t got = std::fread(m_buffer.base(), 1, kBufferBytes, host);
      if (got == 0) {
        if (std::ferror(host)) copied = error(Errno::kIo, "{}: {}", host_path, std::strerror(errno));
        break;
      }
      if (auto wrote = fs::vfs_write(*file, buffer(), got); !wrote) copied = error(fs_error(path, wrote.error()));
    }
    std::fclose(host);
    if (auto closed = check(path, fs::vfs_close(*file)); copied && !closed) copied = error(closed.error());
    return copied;
  }

  Result<void, Error> stat(const std::string& path) {
    const auto s = TRY(check(path, fs::vfs_stat(path.c_str())));
    char when[32] = "-";
    const std::time_t mtime = std::time_t(s.mtime);
    std::tm utc{};
    if (gmtime_r(&mtime, &utc) != nullptr) std::strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &utc);
    fmt::print(m_out,
               "path: {}\ntype: {}\nsize: {}\nlinks: {}\nclusters: {}\nfirst_cluster: {}\nattributes: {:#04x}\n"
               "modified: {} UTC\ninode: cluster {:#x}\n",
               path, s.type == fs::InodeType::kDir ? "directory" : "file", s.size, s.links, s.clusters, s.first_cluster,
               s.attr, when, hal::GET_CXY(s.inode));
    return {};
  }

  Result<void, Error> df() {
    const auto s = TRY(check("/", fs::vfs_statfs()));
    fmt::print(m_out, "cluster_size: {}\nclusters: {}\nfree_clusters: {}\nfree_bytes: {}\n", s.cluster_size, s.clusters,
               s.free_clusters, uint64_t(s.free_clusters) * s.cluster_size);
    return {};
  }

  std::FILE* m_out;
  mm::PageBlock m_buffer;
};

}  // namespace

Result<void, Error> check_fs_command(const FsCommand& command) {
  if (command.words.empty()) return error(Errno::kInval, "an empty command");
  for (const CommandShape& shape : kCommands)
    if (shape.name == command.words[0]) {
      const auto args = uint32_t(command.words.size() - 1);
      if (args < shape.min_args || args > shape.max_args)
        return error(Errno::kInval, "{} takes {} argument{}: {}", shape.name,
                     shape.min_args == shape.max_args ? fmt::format("{}", shape.min_args)
                                                      : fmt::format("{} to {}", shape.min_args, shape.max_args),
                     shape.max_args == 1 ? "" : "s", shape.form);
      for (std::size_t i = 1; i < command.words.size(); ++i)
        if (command.words[i].empty()) return error(Errno::kInval, "{}: argument {} is empty", shape.name, i);
      // A number that is not one is a usage error too, found before the boot.
      if (shape.name == "write") TRY(parse_size(command.words[2], "write: the offset"));
      if (shape.name == "truncate") TRY(parse_size(command.words[2], "truncate: the size"));
      return {};
    }
  std::string known;
  for (const CommandShape& shape : kCommands) known += fmt::format("{}{}", known.empty() ? "" : ", ", shape.name);
  return error(Errno::kInval, "unknown command '{}' (expected one of {})", command.words[0], known);
}

std::string fs_command_forms() {
  std::string forms;
  for (const CommandShape& shape : kCommands) forms += fmt::format("{}{}", forms.empty() ? "" : ", ", shape.form);
  return forms;
}

Result<std::vector<FsCommand>, Error> read_fs_script(const std::string& path) {
  std::ifstream in(path);
  if (!in) return error(errno_from_host(errno), "{}: {}", path, std::strerror(errno));
  std::vector<FsCommand> commands;
  std::string line;
  for (uint32_t number = 1; std::getline(in, line); ++number) {
    FsCommand command;
    command.origin = fmt::format("{}:{}", path, number);
    std::string word;
    bool in_word = false;
    bool quoted = false;
    for (std::size_t i = 0; i < line.size(); ++i) {
      const char c = line[i];
      if (quoted) {
        if (c == '\\' && i + 1 < line.size() && (line[i + 1] == '"' || line[i + 1] == '\\')) word += line[++i];
        else if (c == '"') quoted = false;
        else word += c;
      } else if (c == '"') {
        quoted = in_word = true;
      } else if (c == ' ' || c == '\t' || c == '\r') {
        if (in_word) command.words.push_back(std::move(word));
        word.clear();
        in_word = false;
      } else if (c == '#' && !in_word) {
        break;
      } else {
        word += c;
        in_word = true;
      }
    }
    if (quoted) return error(Errno::kInval, "{}: a double quote is not closed", command.origin);
    if (in_word) command.words.push_back(std::move(word));
    if (command.words.empty()) continue;
    if (auto checked = check_fs_command(command); !checked) return error(checked.error().context(command.origin));
    commands.push_back(std::move(command));
  }
  return commands;
}

Result<void, Error> run_fs_commands(Machine& machine, const std::vector<FsCommand>& commands, std::FILE* out) {
  for (const FsCommand& command : commands)
    if (auto checked = check_fs_command(command); !checked)
      return error(command.origin.empty() ? checked.error() : checked.error().context(command.origin));
  const uint32_t cxy = machine.clusters().back();
  if (!boot::disk_mounted(cxy)) return error(Errno::kNoDev, "no disk is mounted");
  Result<void, Error> outcome = {};
  auto ran = boot::run_in_kernel(cxy, [&] {
    auto buffer = mm::PageBlock::alloc(kBufferOrder);
    if (!buffer) {
      outcome = error(buffer.error(), "no memory for the copy buffer");
      return;
    }
    Session session(out, std::move(*buffer));
    for (const FsCommand& command : commands) {
      outcome = session.run(command);
      if (!outcome) {
        if (!command.origin.empty()) outcome = error(outcome.error().context(command.origin));
        return;
      }
    }
    if (auto synced = fs::vfs_sync(); !synced) outcome = error(fs_error("sync", synced.error()));
  });
  if (!ran) return error(ran.error(), "cannot start the kernel thread of the commands");
  std::fflush(out);
  return outcome;
}

}  // namespace mkh
