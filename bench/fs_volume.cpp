// The volume of `mkh bench fs`, its data and its mtools peer. Layer: bench (host only).
#include "fs_volume.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <random>
#include <system_error>

#include <fmt/format.h>

#include "libk/result.hpp"
#include "programs.hpp"

namespace mkh::bench {

namespace {

constexpr std::size_t kHostChunk = std::size_t(1) << 20;

Error host_error(const std::string& what, int host_errno) {
  return Error(errno_from_host(host_errno), fmt::format("{}: {}", what, std::strerror(host_errno)));
}

Result<void, Error> write_host_file(const std::string& path, std::span<const uint8_t> bytes) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return error(host_error(path, errno));
  for (std::size_t done = 0; done < bytes.size();) {
    const ssize_t n = ::write(fd, bytes.data() + done, std::min(kHostChunk, bytes.size() - done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int e = n < 0 ? errno : EIO;
      ::close(fd);
      return error(host_error(path, e));
    }
    done += std::size_t(n);
  }
  if (::close(fd) != 0) return error(host_error(path, errno));
  return {};
}

Result<std::vector<uint8_t>, Error> read_host_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) return error(host_error(path, errno));
  std::vector<uint8_t> bytes;
  std::vector<uint8_t> chunk(kHostChunk);
  for (;;) {
    const ssize_t n = ::read(fd, chunk.data(), chunk.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int e = errno;
      ::close(fd);
      return error(host_error(path, e));
    }
    if (n == 0) break;
    bytes.insert(bytes.end(), chunk.data(), chunk.data() + n);
  }
  ::close(fd);
  return bytes;
}

// kIo naming the first byte where `got` is not `expected`, or a value when they are equal.
Result<void, Error> compare(const std::string& what, std::span<const uint8_t> got, std::span<const uint8_t> expected) {
  if (got.size() != expected.size())
    return error(Errno::kIo, "{} holds {} bytes, {} were written", what, got.size(), expected.size());
  const auto [g, e] = std::mismatch(got.begin(), got.end(), expected.begin());
  if (g != got.end())
    return error(Errno::kIo, "{}: byte {} is {:#04x}, {:#04x} was written", what, g - got.begin(), *g, *e);
  return {};
}

Result<void, Error> fsync_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDWR);
  if (fd < 0) return error(host_error(path, errno));
  const int synced = ::fsync(fd);
  const int e = errno;
  ::close(fd);
  if (synced != 0) return error(host_error(fmt::format("fsync {}", path), e));
  return {};
}

}  // namespace

FsData make_fs_data(uint64_t big_bytes, uint32_t files, uint64_t seed) {
  std::mt19937_64 random(seed);
  auto fill = [&](std::vector<uint8_t>& bytes, std::size_t size) {
    bytes.resize(size);
    for (std::size_t i = 0; i < size; i += 8) {
      const uint64_t word = random();
      std::memcpy(bytes.data() + i, &word, std::min<std::size_t>(8, size - i));
    }
  };
  FsData data;
  fill(data.big, big_bytes);
  fill(data.small, std::size_t(files) * kSmallFileBytes);
  data.files = files;
  return data;
}

std::string small_file_name(uint32_t i) { return fmt::format("f{:05}.dat", i); }

Volume::Volume(std::string folder, Tools tools)
    : m_folder(std::move(folder)), m_image(m_folder + "/volume.img"), m_tools(std::move(tools)) {}

Volume::~Volume() {
  std::error_code ignored;  // a folder left behind in the temporary folder is no failure of the run
  std::filesystem::remove_all(m_folder, ignored);
}

Result<std::unique_ptr<Volume>, Error> Volume::create(const FsData& data, uint64_t image_mib) {
  Tools tools{
      .mkfs = TRY(find_program("mkfs.fat", "dosfstools")),
      .fsck = TRY(find_program("fsck.fat", "dosfstools")),
      .mcopy = TRY(find_program("mcopy", "mtools")),
      .mdel = TRY(find_program("mdel", "mtools")),
      .mdeltree = TRY(find_program("mdeltree", "mtools")),
  };
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern = fmt::format("{}/mkh-bench-fs.XXXXXX", tmp != nullptr && *tmp != '\0' ? tmp : "/tmp");
  if (::mkdtemp(pattern.data()) == nullptr) return error(host_error(pattern, errno));
  std::unique_ptr<Volume> volume(new Volume(pattern, std::move(tools)));

  TRY(write_host_file(volume->path("src.bin"), data.big));
  std::error_code made;
  if (!std::filesystem::create_directory(volume->path("tree"), made))
    return error(host_error(volume->path("tree"), made ? made.value() : EEXIST));
  for (uint32_t i = 0; i < data.files; ++i)
    TRY(write_host_file(volume->path("tree") + "/" + small_file_name(i), data.small_file(i)));
  const std::vector<uint8_t> zeros(kHostChunk);
  {
    const int fd = ::open(volume->m_image.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return error(host_error(volume->m_image, errno));
    for (uint64_t mib = 0; mib < image_mib; ++mib)
      if (::write(fd, zeros.data(), zeros.size()) != ssize_t(zeros.size())) {
        const int e = errno;
        ::close(fd);
        return error(host_error(volume->m_image, e));
      }
    ::close(fd);
  }
  TRY(volume->run(
      {volume->m_tools.mkfs, "-F", "32", "-s", "8", "-S", "512", "-i", "4D4B4846", "-n", "MKHBENCH", volume->m_image}));
  TRY(volume->run({volume->m_tools.mcopy, "-i", volume->m_image, volume->path("src.bin"), "::read.bin"}));
  TRY(write_host_file(volume->path("empty.bin"), {}));
  TRY(volume->run({volume->m_tools.mcopy, "-i", volume->m_image, volume->path("empty.bin"), "::empty.bin"}));

  // Everything written back, then the image read once: it is in the page cache, clean.
  const int folder = ::open(volume->m_folder.c_str(), O_RDONLY | O_DIRECTORY);
  if (folder < 0) return error(host_error(volume->m_folder, errno));
  const int synced = ::syncfs(folder);
  const int sync_errno = errno;
  ::close(folder);
  if (synced != 0) return error(host_error(fmt::format("syncfs {}", volume->m_folder), sync_errno));
  const int fd = ::open(volume->m_image.c_str(), O_RDONLY);
  if (fd < 0) return error(host_error(volume->m_image, errno));
  std::vector<uint8_t> chunk(kHostChunk);
  while (::read(fd, chunk.data(), chunk.size()) > 0) {}
  ::close(fd);
  return volume;
}

Result<double, Error> Volume::run(std::vector<std::string> argv, const std::string& out) {
  return run_program(argv, ChildFiles{.out = out, .err = path("child.err")});
}

Result<double, Error> Volume::mcopy_read() { return run({m_tools.mcopy, "-i", m_image, "::read.bin", "-"}); }

Result<double, Error> Volume::mcopy_read_empty() { return run({m_tools.mcopy, "-i", m_image, "::empty.bin", "-"}); }

Result<double, Error> Volume::mcopy_write() {
  return run({m_tools.mcopy, "-o", "-i", m_image, path("src.bin"), "::write.bin"});
}

Result<double, Error> Volume::mcopy_create() { return run({m_tools.mcopy, "-s", "-i", m_image, path("tree"), "::/"}); }

Result<void, Error> Volume::check_written(const FsData& data) {
  const std::string copy = path("readback.bin");
  TRY(run({m_tools.mcopy, "-o", "-i", m_image, "::write.bin", copy}));
  const std::vector<uint8_t> bytes = TRY(read_host_file(copy));
  std::filesystem::remove(copy);
  return compare(fmt::format("{} (read back by mcopy)", kWritePath), bytes, data.big);
}

Result<void, Error> Volume::check_tree(const FsData& data) {
  const std::string folder = path("check");
  std::error_code ignored;
  std::filesystem::remove_all(folder, ignored);
  std::filesystem::create_directory(folder, ignored);
  TRY(run({m_tools.mcopy, "-s", "-i", m_image, "::tree", folder}));
  std::error_code listed;
  uint32_t entries = 0;
  for (const auto& entry : std::filesystem::directory_iterator(folder + "/tree", listed)) {
    (void)entry;
    ++entries;
  }
  if (listed) return error(host_error(folder + "/tree (copied back by mcopy)", listed.value()));
  if (entries != data.files)
    return error(Errno::kIo, "{} holds {} entries, {} files were created", kTreePath, entries, data.files);
  for (uint32_t i = 0; i < data.files; ++i) {
    const std::string name = small_file_name(i);
    const std::vector<uint8_t> bytes = TRY(read_host_file(folder + "/tree/" + name));
    TRY(compare(fmt::format("{}/{} (read back by mcopy)", kTreePath, name), bytes, data.small_file(i)));
  }
  std::filesystem::remove_all(folder, ignored);
  return {};
}

Result<void, Error> Volume::remove_written() {
  TRY(run({m_tools.mdel, "-i", m_image, "::write.bin"}));
  return flush();
}

Result<void, Error> Volume::remove_tree() {
  TRY(run({m_tools.mdeltree, "-i", m_image, "::tree"}));
  return flush();
}

Result<void, Error> Volume::flush() { return fsync_file(m_image); }

Result<void, Error> Volume::check_volume() {
  TRY(run({m_tools.fsck, "-n", m_image}, path("fsck.out")));
  return {};
}

}  // namespace mkh::bench
