// Host programs as peers and referees: find, spawn, wait, time. Layer: bench (host only).
#include "programs.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>

#include <fmt/format.h>

extern char** environ;

namespace mkh::bench {

Result<std::string, Error> find_program(std::string_view name, std::string_view package) {
  std::vector<std::string> folders;
  const char* path = std::getenv("PATH");
  for (std::string_view rest = path != nullptr ? path : ""; !rest.empty();) {
    const std::size_t colon = rest.find(':');
    folders.emplace_back(rest.substr(0, colon));
    rest = colon == std::string_view::npos ? std::string_view() : rest.substr(colon + 1);
  }
  folders.emplace_back("/usr/sbin");
  folders.emplace_back("/sbin");
  for (const std::string& folder : folders) {
    if (folder.empty()) continue;
    std::string candidate = fmt::format("{}/{}", folder, name);
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return error(Errno::kNoEnt, "{} is not installed (Debian package {})", name, package);
}

namespace {

std::string first_line(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

}  // namespace

Result<double, Error> run_program(const std::vector<std::string>& argv, const ChildFiles& files) {
  std::string command;
  for (const std::string& word : argv) command += fmt::format("{}{}", command.empty() ? "" : " ", word);
  std::vector<char*> args;
  for (const std::string& word : argv) args.push_back(const_cast<char*>(word.c_str()));
  args.push_back(nullptr);
  std::vector<char*> env;
  for (char** e = environ; *e != nullptr; ++e)
    if (std::strncmp(*e, "MTOOLS_SKIP_CHECK=", 18) != 0) env.push_back(*e);
  std::string skip_check = "MTOOLS_SKIP_CHECK=1";  // the images are mkfs.fat's; say so once
  env.push_back(skip_check.data());
  env.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, files.out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, 2, files.err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  const auto start = std::chrono::steady_clock::now();
  pid_t pid = 0;
  const int spawned = posix_spawn(&pid, args[0], &actions, nullptr, args.data(), env.data());
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) return error(Errno::kIo, "{}: cannot start it: {}", command, std::strerror(spawned));
  int status = 0;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return error(Errno::kIo, "{}: cannot wait for it: {}", command, std::strerror(errno));
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return seconds;
  const std::string why =
      WIFEXITED(status) ? fmt::format("exit {}", WEXITSTATUS(status)) : fmt::format("signal {}", WTERMSIG(status));
  std::string said = files.err == "/dev/null" ? std::string() : first_line(files.err);
  if (said.empty() && files.out != "/dev/null") said = first_line(files.out);
  return error(Errno::kIo, "{}: {}{}{}", command, why, said.empty() ? "" : ": ", said);
}

}  // namespace mkh::bench
