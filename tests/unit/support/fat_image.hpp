// Test support for the FAT tests: a temporary directory, the referee tools (dosfstools'
// mkfs.fat and fsck.fat, mtools) found or reported missing, commands run with their output,
// image bytes read back. Layer: tests. Calls the host (std::system, popen) and fs/fat/format.
#pragma once

#include <gtest/gtest.h>

#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "fs/fat/format.hpp"

namespace mkh::test {

// A directory under $TMPDIR (or /tmp), removed with everything in it.
class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string pattern = std::string(base != nullptr ? base : "/tmp") + "/mkh-fat-XXXXXX";
    if (mkdtemp(pattern.data()) == nullptr) ADD_FAILURE() << "mkdtemp " << pattern << " failed";
    m_path = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(m_path, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string path(const std::string& name) const { return m_path + "/" + name; }

 private:
  std::string m_path;
};

// The full path of a referee tool, searched in $PATH then /usr/sbin and /sbin; a test failure
// naming the package when it is absent (the tests need it: `make deps` installs it).
inline std::string fat_tool(const std::string& name, const char* package) {
  std::string dirs = std::getenv("PATH") != nullptr ? std::getenv("PATH") : "";
  dirs += ":/usr/sbin:/sbin:/usr/bin";
  std::size_t start = 0;
  while (start <= dirs.size()) {
    std::size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    const std::string candidate = dirs.substr(start, end - start) + "/" + name;
    if (end > start && access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  ADD_FAILURE() << name << " is missing: the FAT tests need Debian's " << package << " (make deps installs it)";
  return {};
}

// Runs a shell command; its standard output, and its exit status in *status.
inline std::string run_command(const std::string& command, int* status) {
  std::string output;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) {
    *status = -1;
    return output;
  }
  char buffer[4096];
  std::size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) output.append(buffer, n);
  const int raw = pclose(pipe);
  *status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  return output;
}

// Runs a command that must succeed (a test failure naming it otherwise); its output.
inline std::string must_run(const std::string& command) {
  int status = 0;
  std::string output = run_command(command + " 2>&1", &status);
  EXPECT_EQ(status, 0) << command << " failed:\n" << output;
  return output;
}

// A shell word: the string in single quotes.
inline std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// A file's bytes, read whole in one call (a byte-by-byte iterator costs seconds per image in
// the sanitizer builds); empty when it cannot be read.
inline std::vector<uint8_t> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  const std::streamoff size = in ? std::streamoff(in.tellg()) : -1;
  if (size < 0) return {};
  std::vector<uint8_t> bytes(static_cast<std::size_t>(size));
  in.seekg(0);
  in.read(reinterpret_cast<char*>(bytes.data()), std::streamsize(bytes.size()));
  bytes.resize(std::size_t(in.gcount()));
  return bytes;
}

// The bytes of the chain that starts at `first`, cluster after cluster, read from an image
// through its first FAT; a test failure if the chain leaves the volume or loops.
inline std::vector<uint8_t> read_chain(const std::vector<uint8_t>& image, const fs::fat::Geometry& g, uint32_t first) {
  std::vector<uint8_t> bytes;
  const std::span<const uint8_t> fat(image.data() + g.fat_offset, g.fat_bytes());
  uint32_t cluster = first;
  for (uint32_t steps = 0; !fs::fat::is_end(cluster); ++steps) {
    if (!fs::fat::is_valid_cluster(g, cluster) || steps > g.cluster_count) {
      ADD_FAILURE() << "chain from " << first << " reaches cluster " << cluster;
      break;
    }
    const uint8_t* data = image.data() + g.cluster_offset(cluster);
    bytes.insert(bytes.end(), data, data + g.cluster_size);
    cluster = fs::fat::fat_entry_load(fat, cluster);
  }
  return bytes;
}

}  // namespace mkh::test
