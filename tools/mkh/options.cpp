// The checks of the `mkh` command line that CLI11 does not make. Part of the `mkh` tool; calls
// CLI11, fmt, POSIX open/unlink and the public config (parse_topology, validate_topology,
// validate_bank_mib). A check that fails throws CLI::ValidationError, which CLI11 reports as
// "--option: message".
#include "options.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace mkh::tool {

namespace {

// The subcommands of `level` that have a name (CLI11's option groups have none).
std::vector<CLI::App*> commands_of(CLI::App& level) {
  return level.get_subcommands([](CLI::App* command) { return !command->get_name().empty(); });
}

std::vector<std::string> names_of(const std::vector<CLI::App*>& commands) {
  std::vector<std::string> names;
  for (const CLI::App* command : commands) names.push_back(command->get_name());
  return names;
}

}  // namespace

CLI::Option* add_bounded_option(CLI::App* command, const std::string& name, std::function<void(int64_t)> store,
                                int64_t min, int64_t max, const std::string& description,
                                std::function<Result<void, Error>(int64_t)> more, const std::string& form) {
  const std::string accepted = form.empty() ? fmt::format("a whole number in [{}, {}]", min, max) : form;
  auto check = [min, max, more, accepted](std::string& text) -> std::string {
    int64_t value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    const bool whole = !text.empty() && end == text.data() + text.size();
    if (!whole || (ec != std::errc() && ec != std::errc::result_out_of_range))
      return fmt::format("'{}' is not a whole number; expected {}", text, accepted);
    // The range in CLI11's words; the accepted form only when the range does not say it all.
    if (ec == std::errc::result_out_of_range || value < min || value > max)
      return fmt::format("Value {} not in range {} to {}{}", text, min, max, more ? "; expected " + accepted : "");
    if (more)
      if (auto checked = more(value); !checked) return fmt::format("{}; expected {}", checked.error(), accepted);
    return std::string();
  };
  return command
      ->add_option_function<int64_t>(
          name, [store](const int64_t& value) { store(value); }, description)
      ->check(CLI::Validator(check, fmt::format("INT in [{} - {}]", min, max)));
}

CLI::Option* add_topology_option(CLI::App* command, Topology& topology) {
  auto read = [&topology](const std::string& text) {
    auto parsed = parse_topology(text);
    const Result<void, Error> checked = parsed ? validate_topology(*parsed) : error(parsed.error());
    if (!checked)
      throw CLI::ValidationError(
          "--topology", fmt::format("{}; expected XxY:C with X in [1, {}], Y in [1, {}], C in [1, {}] and X*Y*C at "
                                    "most {}",
                                    checked.error(), kMaxXSize, kMaxYSize, kMaxCoresPerCluster, kMaxCores));
    topology = *parsed;
  };
  return command->add_option_function<std::string>("--topology", read, "clusters and cores, XxY:C")
      ->default_str(fmt::format("{}x{}:{}", topology.x_size, topology.y_size, topology.cores_per_cluster));
}

CLI::Option* add_bank_mib_option(CLI::App* command, uint64_t& bank_mib) {
  return add_bounded_option(
             command, "--bank-mib", [&bank_mib](int64_t value) { bank_mib = uint64_t(value); }, int64_t(kMinBankMib),
             int64_t(kMaxBankMib), "memory bank of each cluster in MiB (a power of two)",
             [](int64_t value) { return validate_bank_mib(uint64_t(value)); },
             fmt::format("a power of two in [{}, {}]", kMinBankMib, kMaxBankMib))
      ->default_str(std::to_string(bank_mib));
}

CommandWords read_command_words(CLI::App& app, int argc, const char* const* argv) {
  CLI::App* level = &app;
  std::string path = "mkh";
  for (int i = 1;; ++i) {
    const std::vector<CLI::App*> commands = commands_of(*level);
    if (commands.empty() || level->get_require_subcommand_min() == 0) return {path, {}};
    const std::string names = fmt::format("{}", fmt::join(names_of(commands), ", "));
    if (i >= argc) return {path, error(Errno::kInval, "{}: a subcommand is required (expected: {})", path, names)};
    const std::string word = argv[i];
    if (word.starts_with('-')) {
      if (level->get_option_no_throw(word.substr(0, word.find('='))) != nullptr) return {path, {}};
      std::vector<std::string> options;
      for (const CLI::Option* option : level->get_options()) options.push_back(option->get_name());
      return {path, error(Errno::kInval, "{}: unknown option '{}' (expected a subcommand: {}; or {})", path, word,
                          names, fmt::join(options, ", "))};
    }
    const auto found = std::find_if(commands.begin(), commands.end(),
                                    [&](const CLI::App* command) { return command->get_name() == word; });
    if (found == commands.end())
      return {path, error(Errno::kInval, "{}: unknown command '{}' (expected: {})", path, word, names)};
    level = *found;
    path += " " + word;
  }
}

Result<void, Error> check_writable_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (fd >= 0) {  // created by the check: removed, the writer creates it again
    ::close(fd);
    ::unlink(path.c_str());
    return {};
  }
  if (const int e = errno; e != EEXIST) return error(errno_from_host(e), "cannot create it: {}", std::strerror(e));
  // Not truncated here. O_NONBLOCK: a named pipe without a reader yet fails (ENXIO) instead of
  // blocking the check; the writer will wait for its reader.
  fd = ::open(path.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
  if (const int e = errno; fd < 0 && e != ENXIO)
    return error(errno_from_host(e), "cannot write it: {}", std::strerror(e));
  if (fd >= 0) ::close(fd);
  return {};
}

}  // namespace mkh::tool
