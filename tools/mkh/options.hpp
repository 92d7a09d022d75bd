// The checks of the `mkh` command line that CLI11 does not make: each message names the option
// or the word that is wrong and the accepted form (bounded numbers, the topology, the command
// words, an output file). Part of the `mkh` tool; calls CLI11, fmt, POSIX and the public config.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include <CLI/CLI.hpp>

#include "mkh/config.hpp"
#include "mkh/result.hpp"

namespace mkh::tool {

// Adds `name`, a whole number in [min, max] for an unsigned target. The text is checked before
// CLI11 converts it: "abc" and "1.5" are not whole numbers, "-1" and "99999999999999999999" are
// out of range (instead of wrapping around or being clamped). `more`, if given, checks what the
// range does not (its error's message is shown), and `form` is then the accepted form the
// messages name, e.g. "a power of two in [4, 16384]" (by default "a whole number in [min, max]").
CLI::Option* add_bounded_option(CLI::App* command, const std::string& name, std::function<void(int64_t)> store,
                                int64_t min, int64_t max, const std::string& description,
                                std::function<Result<void, Error>(int64_t)> more = {}, const std::string& form = {});

template <typename T>
CLI::Option* add_bounded(CLI::App* command, const std::string& name, T& target, int64_t min, int64_t max,
                         const std::string& description) {
  return add_bounded_option(
             command, name, [&target](int64_t value) { target = T(value); }, min, max, description)
      ->default_str(std::to_string(target));
}

// Adds --topology XxY:C, parsed and checked against the machine's limits (validate_topology)
// as CLI11 reads it. Not given, `topology` keeps its value.
CLI::Option* add_topology_option(CLI::App* command, Topology& topology);

// Adds --bank-mib: a power of two in [kMinBankMib, kMaxBankMib] (validate_bank_mib).
CLI::Option* add_bank_mib_option(CLI::App* command, uint64_t& bank_mib);

// The command words of argv (e.g. "bench rpc") read down the tree of `app`'s subcommands, as
// far as they go. `path` is "mkh" and the words that were commands; `checked` fails (kInval)
// with the whole message of a word that is not a command of its level, of an option where
// only a command or --help is expected, or of a missing command. Options of the last level
// are left to CLI11.
struct CommandWords {
  std::string path;
  Result<void, Error> checked;
};
CommandWords read_command_words(CLI::App& app, int argc, const char* const* argv);

// A value when a file can be written at `path`; else the host's errno and why not (e.g.
// "cannot create it: No such file or directory"). Neither truncates an existing file nor
// leaves a new one behind.
Result<void, Error> check_writable_file(const std::string& path);

}  // namespace mkh::tool
