// The file system as an embedder sees it: the commands of `mkh fs`, run through the VFS by
// a kernel thread of the machine. Public API (implemented in src/boot/).
#pragma once

#include <cstdio>
#include <string>
#include <vector>

#include "mkh/machine.hpp"
#include "mkh/result.hpp"

namespace mkh {

// One command and its arguments, e.g. {"put", "notes.txt", "/docs/notes.txt"}; `origin` is
// where it came from ("script.txt:12"), or empty.
struct FsCommand {
  std::vector<std::string> words;
  std::string origin;
};

// A value when `command` is one of the commands with the right number of arguments; else
// kInval with the message a person needs ("ls takes one path: ls PATH").
Result<void, Error> check_fs_command(const FsCommand& command);

// Every command's form, comma-separated ("ls PATH, tree [PATH], ..."): the help's list.
std::string fs_command_forms();

// Reads a script: one command a line, words separated by spaces, a word with spaces in double
// quotes (\" and \\ inside them), '#' comments and blank lines skipped. Every line is checked
// (check_fs_command); the error names the file and line.
Result<std::vector<FsCommand>, Error> read_fs_script(const std::string& path);

// Runs the commands in order, from one kernel thread on the last cluster (not the root
// inode's), then syncs. Output (ls, tree, cat, stat, df) goes to `out`. Stops at the first
// failure: the error names the command's origin, its path and the POSIX error
// ("/a/b: ENOENT (No such file or directory)"). The machine must have a disk mounted.
Result<void, Error> run_fs_commands(Machine& machine, const std::vector<FsCommand>& commands, std::FILE* out);

}  // namespace mkh
