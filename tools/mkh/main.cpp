// The `mkh` command: boot the hosted machine, run benchmarks, soak the RPC layer.
// Layer: tools. Uses the public API (include/mkh/) only.
// Exit codes: 0 success, 1 runtime failure, 2 bad usage (the message names the option).
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "mkh/bench.hpp"
#include "mkh/exec.hpp"
#include "mkh/files.hpp"
#include "mkh/machine.hpp"
#include "mkh/soak.hpp"
#include "mkh/trace.hpp"
#include "mkh/workload.hpp"
#include "options.hpp"
#include "report.hpp"

namespace {

constexpr int kExitRuntime = 1;
constexpr int kExitUsage = 2;

using mkh::tool::add_bounded;

// Adds the options that describe the machine to a subcommand; each value is checked against
// the machine's limits as it is read, so a message names its option.
void add_machine_options(CLI::App* command, mkh::MachineConfig& config) {
  mkh::tool::add_topology_option(command, config.topology);
  mkh::tool::add_bank_mib_option(command, config.bank_mib);
  command->add_flag("--pin", config.pin, "pin core host threads round-robin on host CPUs");
  command->add_flag("--populate-banks,!--no-populate-banks", config.populate_banks,
                    "commit every bank's host memory at boot (no host fault at a page's first touch)");
  add_bounded(command, "--idle-spin-us", config.idle_spin_us, 0, mkh::kMaxIdleSpinUs,
              "an idle core polls this long before it sleeps");
  add_bounded(command, "--translate-after", config.translate_after, 0, mkh::kMaxTranslateAfter,
              "entries of a user code block before it is translated to host code (0: never)");
}

// The path of `name` in the mkh binary's folder (where the build puts it), or empty.
std::string beside_binary(std::string_view name) {
  char self[4096];
  const ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) return {};
  const std::string path(self, std::size_t(n));
  return path.substr(0, path.rfind('/') + 1) + std::string(name);
}

// The default disk: disk.img beside the mkh binary (the build makes it there), or empty.
std::string default_disk() {
  std::string path = beside_binary("disk.img");
  return !path.empty() && access(path.c_str(), R_OK | W_OK) == 0 ? path : std::string();
}

// --disk IMAGE, checked as it is read: a file mkh can read and write.
void add_disk_option(CLI::App* command, std::string& disk) {
  command->add_option("--disk", disk, "the FAT32 image to mount (default: disk.img beside the mkh binary)")
      ->check([](const std::string& path) -> std::string {
        if (access(path.c_str(), R_OK | W_OK) != 0)
          return fmt::format("--disk {}: {}; expected a FAT32 image file mkh can read and write", path,
                             std::strerror(errno));
        if (struct stat st{}; stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
          return fmt::format("--disk {}: a folder; expected a FAT32 image file mkh can read and write", path);
        return {};
      });
}

struct BootOptions {
  mkh::WorkloadOptions workload;
  bool stats = false;
  bool json = false;
  std::string trace_path;
};

int run_boot(mkh::MachineConfig config, const BootOptions& options) {
  if (config.disk_image.empty()) config.disk_image = default_disk();
  auto machine = mkh::Machine::boot(config);
  if (!machine) {
    fmt::print(stderr, "mkh: boot: {}\n", machine.error());
    return kExitRuntime;
  }
  const auto& t = config.topology;
  if (!options.json)
    fmt::print("mkh {}: booted {}x{}:{} ({} clusters, {} cores, {} MiB banks)\n", MKH_VERSION, t.x_size, t.y_size,
               t.cores_per_cluster, t.clusters(), t.cores(), config.bank_mib);
  if (!options.trace_path.empty()) mkh::rpc_trace_start(1u << 16);
  auto figures = mkh::run_boot_workload(**machine, options.workload);
  mkh::Result<mkh::TourFigures, mkh::Error> tour = mkh::error(mkh::Errno::kCanceled, "not run");
  if (figures) tour = mkh::run_rpc_tour(**machine);
  const mkh::MachineReport report = (*machine)->shutdown();
  if (!figures || !tour) {
    fmt::print(stderr, "mkh: {}\n", !figures ? figures.error().context("workload") : tour.error().context("RPC tour"));
    mkh::tool::print_report(stderr, report);
    return kExitRuntime;
  }
  const uint64_t errors = mkh::tool::report_error_count(report) + figures->pattern_errors + figures->alloc_errors +
                          figures->ring_errors + tour->wrong_answers;
  if (options.json) {
    mkh::tool::print_json(
        stdout, report,
        fmt::format("\"topology\": \"{}x{}:{}\", \"bank_mib\": {}, \"workload\": {{\"workers\": {}, "
                    "\"page_blocks\": {}, \"objects\": {}, \"token_hops\": {}, \"cross_cluster_hops\": {}, "
                    "\"ring_errors\": {}, \"seconds\": {:.6f}}}, "
                    "\"rpc_tour\": {{\"calls\": {}, \"wrong_answers\": {}, \"displays\": {}}}, \"total_errors\": {}",
                    t.x_size, t.y_size, t.cores_per_cluster, config.bank_mib, figures->workers,
                    figures->pages_allocated, figures->objects_allocated, figures->token_hops,
                    figures->cross_cluster_hops, figures->ring_errors, figures->seconds, tour->calls,
                    tour->wrong_answers, tour->displays, errors));
  } else {
    fmt::print(
        "workload: {} workers, {} page blocks and {} objects allocated and freed, {} token hops ({} across "
        "clusters), {:.3f} s\n",
        figures->workers, figures->pages_allocated, figures->objects_allocated, figures->token_hops,
        figures->cross_cluster_hops, figures->seconds);
    fmt::print(
        "RPC tour: {} calls from every cluster to every other one and a multicast to all, {} wrong answers; "
        "{} SCHED_DISPLAY outputs, the first:\n{}\n",
        tour->calls, tour->wrong_answers, tour->displays, tour->sample_display);
    mkh::tool::print_report(stdout, report);
    if (options.stats) mkh::tool::print_rpc_stats(stdout, report);
    fmt::print("\nerrors: {}\n", errors);
  }
  if (!options.trace_path.empty()) {
    auto written = mkh::rpc_trace_write(options.trace_path);
    mkh::rpc_trace_stop();
    if (!written) {
      fmt::print(stderr, "mkh: --trace {}: {}\n", options.trace_path, written.error());
      return kExitRuntime;
    }
  }
  return errors == 0 ? 0 : kExitRuntime;
}

struct FsCli {
  mkh::MachineConfig config;
  bool stats = false;
  std::string write_trace;  // --disk-write-trace FILE
};

// A host file descriptor, closed when it goes.
class HostFd {
 public:
  explicit HostFd(int fd) : m_fd(fd) {}
  ~HostFd() {
    if (m_fd >= 0) ::close(m_fd);
  }
  HostFd(const HostFd&) = delete;
  HostFd& operator=(const HostFd&) = delete;
  int get() const { return m_fd; }

 private:
  int m_fd;
};

// mkh fs: the command words after the options (a script, or one command).
// Boots a machine that prints nothing of its own, with the given disk or the default one, for
// `mkh COMMAND`; nullptr after saying why, with the exit code (usage: no disk; runtime: the boot).
std::unique_ptr<mkh::Machine> boot_quiet_with_disk(mkh::MachineConfig& config, const char* command, int* exit_code) {
  if (config.disk_image.empty()) config.disk_image = default_disk();
  if (config.disk_image.empty()) {
    fmt::print(stderr, "mkh: {}: no disk: give --disk IMAGE (no disk.img beside the mkh binary)\n", command);
    *exit_code = kExitUsage;
    return nullptr;
  }
  config.quiet = true;
  auto machine = mkh::Machine::boot(config);
  if (!machine) {
    fmt::print(stderr, "mkh: {}: {}\n", command, machine.error());
    *exit_code = kExitRuntime;
    return nullptr;
  }
  return std::move(*machine);
}

int run_fs_command(FsCli& cli, const std::vector<std::string>& words) {
  std::vector<mkh::FsCommand> commands;
  if (words.empty()) {
    fmt::print(stderr,
               "mkh: fs: a command is required (ls, tree, cat, get, put, mkdir, rmdir, rm, mv, stat, df, "
               "write, append, truncate, sync, script)\n");
    return kExitUsage;
  }
  if (words[0] == "script") {
    if (words.size() != 2) {
      fmt::print(stderr, "mkh: fs: script takes one argument: script FILE\n");
      return kExitUsage;
    }
    auto script = mkh::read_fs_script(words[1]);
    if (!script) {
      fmt::print(stderr, "mkh: fs: script {}\n", script.error());
      return kExitUsage;
    }
    commands = std::move(*script);
  } else {
    commands.push_back(mkh::FsCommand{.words = words, .origin = {}});
    if (auto checked = mkh::check_fs_command(commands.back()); !checked) {
      fmt::print(stderr, "mkh: fs: {}\n", checked.error());
      return kExitUsage;
    }
  }
  const HostFd trace(
      cli.write_trace.empty() ? -1 : ::open(cli.write_trace.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!cli.write_trace.empty() && trace.get() < 0) {
    fmt::print(stderr, "mkh: --disk-write-trace {}: {}; expected the path of a file that can be written\n",
               cli.write_trace, std::strerror(errno));
    return kExitUsage;
  }
  cli.config.disk_write_trace_fd = trace.get();
  cli.config.mount_devices = false;  // the image's own /dev, if it has one
  int exit_code = 0;
  const auto machine = boot_quiet_with_disk(cli.config, "fs", &exit_code);
  if (!machine) return exit_code;
  const auto ran = mkh::run_fs_commands(*machine, commands, stdout);
  const mkh::MachineReport report = machine->shutdown();
  if (cli.stats) {  // on stderr: stdout is the commands' output
    mkh::tool::print_rpc_stats(stderr, report);
    mkh::tool::print_devices(stderr, report);
  }
  if (!ran) {
    fmt::print(stderr, "mkh: fs: {}\n", ran.error());
    return kExitRuntime;
  }
  if (!report.disk_error.empty()) {
    fmt::print(stderr, "mkh: fs: {}\n", report.disk_error);
    return kExitRuntime;
  }
  return 0;
}

struct ExecCli {
  mkh::MachineConfig config;
  std::vector<std::string> env;
  bool stats = false;
  bool strace = false;
  bool faults = false;
};

// The host's SIGINT, SIGQUIT and SIGTSTP (Ctrl-C, Ctrl-\ and Ctrl-Z on the terminal) as the
// machine's terminal's, which sends them to its foreground process group: mkh exec goes on,
// its programs decide (an interactive /bin/sh ignores them, the job it runs ends with 130 or
// 131, or stops). They are blocked in every host thread (block_interrupts, before the
// machine's threads are made: they inherit the mask) and a relay thread takes them by
// sigwait, so no handler runs in a core's thread. (The host's numbers are Linux's generic
// ones, which mkh's processes use.)
class InterruptRelay {
 public:
  // SIGINT, SIGQUIT and SIGTSTP blocked in the calling thread, and so in the threads it makes
  // from now on.
  static sigset_t block_interrupts() {
    sigset_t interrupt;
    sigemptyset(&interrupt);
    for (const int signal : {SIGINT, SIGQUIT, SIGTSTP}) sigaddset(&interrupt, signal);
    pthread_sigmask(SIG_BLOCK, &interrupt, nullptr);
    return interrupt;
  }

  // Each to the terminal's foreground group. A suspend while no process of the machine does
  // job control (no shell gave the terminal a foreground group) stops mkh on the host, as it
  // stops any program run from the host's shell.
  InterruptRelay(mkh::Machine& machine, sigset_t interrupt)
      : m_thread([this, &machine, interrupt] {
          for (int signal = 0; sigwait(&interrupt, &signal) == 0 && !m_stop.load();) {
            const auto sent = mkh::signal_terminal(machine, uint32_t(signal));
            if (!sent)
              fmt::print(stderr, "mkh: exec: the terminal's signal {} reached no process: {}\n", signal,
                         mkh::errno_name(sent.error()));
            else if (*sent == mkh::TerminalSignal::kNoJobControl) ::kill(::getpid(), SIGSTOP);
          }
        }) {}
  ~InterruptRelay() {
    m_stop.store(true);
    pthread_kill(m_thread.native_handle(), SIGINT);  // its sigwait returns (SIGINT stays blocked)
    m_thread.join();
  }
  InterruptRelay(const InterruptRelay&) = delete;
  InterruptRelay& operator=(const InterruptRelay&) = delete;

 private:
  std::atomic<bool> m_stop{false};
  std::thread m_thread;
};

// The modes of the host's terminal (the first of stdin, stdout and stderr that is one) as mkh
// exec found them, put back as it ends: a program may change them (a shell's raw mode while it
// edits a line: TCSETS passes to the host) and end, or be killed, before it puts them back.
class TerminalModes {
 public:
  TerminalModes() {
    for (const int fd : {STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO})
      if (::isatty(fd) && ::tcgetattr(fd, &m_modes) == 0) {
        m_fd = fd;
        break;
      }
  }
  // Only when a program changed them, and with SIGTTOU blocked: mkh run in the background of
  // the host's shell would otherwise be stopped by its own tcsetattr (Linux sends SIGTTOU to a
  // background process that sets a terminal's modes, unless it blocks or ignores it).
  ~TerminalModes() {
    termios now{};
    if (m_fd < 0 || (::tcgetattr(m_fd, &now) == 0 && std::memcmp(&now, &m_modes, sizeof now) == 0)) return;
    sigset_t ttou, before;
    sigemptyset(&ttou);
    sigaddset(&ttou, SIGTTOU);
    pthread_sigmask(SIG_BLOCK, &ttou, &before);
    (void)::tcsetattr(m_fd, TCSADRAIN, &m_modes);
    pthread_sigmask(SIG_SETMASK, &before, nullptr);
  }
  TerminalModes(const TerminalModes&) = delete;
  TerminalModes& operator=(const TerminalModes&) = delete;

 private:
  int m_fd = -1;
  termios m_modes{};
};

// mkh exec: the program's status is mkh's; mkh prints nothing of its own on stdout.
int run_exec_command(ExecCli& cli, const std::vector<std::string>& words) {
  if (words.empty()) {
    fmt::print(stderr, "mkh: exec: a program is required: mkh exec [OPTIONS] PATH [ARG...]\n");
    return kExitUsage;
  }
  if (words[0].empty() || words[0][0] != '/') {
    fmt::print(stderr, "mkh: exec: {}: expected an absolute path on the machine's disk, e.g. /bin/hello\n", words[0]);
    return kExitUsage;
  }
  for (const std::string& variable : cli.env)
    if (variable.find('=') == std::string::npos || variable[0] == '=') {
      fmt::print(stderr, "mkh: exec: --env {}: expected KEY=VALUE\n", variable);
      return kExitUsage;
    }
  cli.config.console_fd = 2;  // the kernel console (a program's display calls) apart from its stdout
  // A deterministic machine is driven by this thread alone: there, SIGINT and SIGQUIT end mkh
  // and SIGTSTP stops it.
  const bool relay_interrupts = !cli.config.deterministic;
  const sigset_t interrupt = relay_interrupts ? InterruptRelay::block_interrupts() : sigset_t{};
  int exit_code = 0;
  const TerminalModes terminal_modes;
  const auto machine = boot_quiet_with_disk(cli.config, "exec", &exit_code);
  if (!machine) return exit_code;
  const mkh::ExecRequest request{
      .path = words[0], .argv = words, .env = cli.env, .trace_syscalls = cli.strace, .trace_faults = cli.faults};
  const auto outcome = [&] {
    std::unique_ptr<InterruptRelay> relay;
    if (relay_interrupts) relay = std::make_unique<InterruptRelay>(*machine, interrupt);
    return mkh::run_exec(*machine, request);
  }();
  const mkh::MachineReport report = machine->shutdown();
  if (cli.stats) mkh::tool::print_rpc_stats(stderr, report);  // stdout is the program's
  if (!outcome) {
    fmt::print(stderr, "mkh: exec: {}\n", outcome.error());
    return kExitRuntime;
  }
  if (!report.disk_error.empty()) fmt::print(stderr, "mkh: exec: {}\n", report.disk_error);
  for (const mkh::ClusterReport& cluster : report.clusters)
    if (cluster.pages_leaked != 0)
      fmt::print(stderr, "mkh: exec: cluster {:#x}: {} pages leaked (not back in its ppm at shutdown)\n", cluster.cxy,
                 cluster.pages_leaked);
  if (outcome->signal != 0) fmt::print(stderr, "mkh: exec: {}: killed by signal {}\n", words[0], outcome->signal);
  return outcome->status();
}

struct SoakCli {
  mkh::soak::SoakOptions options;
  std::string faults;
  bool json = false;
};

// The command line that replays a soak: the same workload per worker, and with
// --deterministic the same interleaving. A timed run has no exact replay: the line asks for
// as many operations, which the workers share evenly rather than as the clock cut them.
std::string soak_replay(const SoakCli& cli, uint64_t ops_done) {
  const mkh::MachineConfig& config = cli.options.config;
  const mkh::Topology& t = config.topology;
  std::string line = fmt::format("mkh soak --ops {} --seed {} --topology {}x{}:{} --bank-mib {}",
                                 cli.options.ops != 0 ? cli.options.ops : std::max<uint64_t>(ops_done, 1), config.seed,
                                 t.x_size, t.y_size, t.cores_per_cluster, config.bank_mib);
  if (!cli.faults.empty()) line += fmt::format(" --faults {}", cli.faults);
  if (config.idle_spin_us != mkh::MachineConfig{}.idle_spin_us)
    line += fmt::format(" --idle-spin-us {}", config.idle_spin_us);
  if (config.pin) line += " --pin";
  if (config.deterministic) line += " --deterministic";
  return line;
}

int run_soak_command(const SoakCli& cli) {
  auto figures = mkh::soak::run_soak(cli.options);
  if (!figures) {
    fmt::print(stderr, "mkh: soak: {}\n", figures.error());
    return kExitRuntime;
  }
  const mkh::MachineConfig& config = cli.options.config;
  const mkh::Topology& t = config.topology;
  const std::string replay = soak_replay(cli, figures->counts.ops_total());
  if (cli.json) {
    mkh::tool::print_soak_json(
        stdout, *figures,
        fmt::format("\"topology\": \"{}x{}:{}\", \"bank_mib\": {}, \"seed\": {}, \"faults\": {}, "
                    "\"deterministic\": {}, \"replay\": {}",
                    t.x_size, t.y_size, t.cores_per_cluster, config.bank_mib, config.seed,
                    mkh::tool::json_string(cli.faults.empty() ? "none" : cli.faults), config.deterministic,
                    mkh::tool::json_string(replay)));
  } else {
    fmt::print("soak: {}x{}:{} ({} workers), seed {}, {}, faults {}{}\n", t.x_size, t.y_size, t.cores_per_cluster,
               t.cores(), config.seed,
               cli.options.ops != 0 ? fmt::format("{} ops", cli.options.ops) : fmt::format("{} s", cli.options.seconds),
               cli.faults.empty() ? "none" : cli.faults, config.deterministic ? ", deterministic" : "");
    mkh::tool::print_soak(stdout, *figures);
  }
  std::fflush(stdout);
  if (figures->ok()) {
    if (!cli.json) fmt::print("soak: OK\n");
    return 0;
  }
  if (!figures->core_displays.empty()) fmt::print(stderr, "{}", figures->core_displays);
  for (const std::string& violation : figures->violations) fmt::print(stderr, "mkh: soak FAILED: {}\n", violation);
  if (figures->invariant_failures > figures->violations.size())
    fmt::print(stderr, "mkh: soak FAILED: ... and {} more violations\n",
               figures->invariant_failures - figures->violations.size());
  fmt::print(stderr, "{}: {}\n", cli.options.ops != 0 ? "replay" : "replay a similar workload (a timed run)", replay);
  if (!cli.json) fmt::print("soak: FAILED ({} violations)\n", figures->invariant_failures);
  return kExitRuntime;
}

// Checks what the options alone cannot: one of --seconds and --ops, the fault specification
// (applied to the configuration), the deterministic mode's needs. The error (kInval) names
// the options.
mkh::Result<void, mkh::Error> finish_soak_options(SoakCli& cli, const CLI::Option* seconds, const CLI::Option* ops,
                                                  bool deterministic) {
  if (seconds->count() + ops->count() != 1)
    return mkh::error(mkh::Errno::kInval, "soak: give exactly one of --seconds N and --ops N ({})",
                      seconds->count() != 0 ? "both given" : "neither given");
  if (deterministic && seconds->count() != 0)
    return mkh::error(mkh::Errno::kInval,
                      "soak: --deterministic needs --ops N, not --seconds (a run bounded by time "
                      "does not replay)");
  mkh::MachineConfig& config = cli.options.config;
  if (!cli.faults.empty())
    if (auto applied = mkh::parse_fault_spec(cli.faults, config); !applied)
      return mkh::error(applied.error().context("--faults"));
  config.deterministic = deterministic;
  return {};
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"mkh — a multi-kernel operating-system core, hosted in one Linux process"};
  app.set_version_flag("--version", std::string("mkh ") + MKH_VERSION);
  app.require_subcommand(1);

  mkh::MachineConfig boot_config;
  BootOptions boot_options;
  CLI::App* boot = app.add_subcommand(
      "boot", "boot the machine, run the built-in kernel workload and the RPC tour, report, shut down");
  add_machine_options(boot, boot_config);
  add_bounded(boot, "--rounds", boot_options.workload.memory_rounds, 0, 1'000'000, "alloc/free rounds per worker");
  add_bounded(boot, "--laps", boot_options.workload.ring_laps, 0, 1'000'000, "laps of the token ring");
  add_bounded(boot, "--seed", boot_options.workload.seed, 0, INT64_MAX, "seed of the workload");
  add_disk_option(boot, boot_config.disk_image);
  boot->add_flag("--stats", boot_options.stats, "print the RPC statistics table");
  boot->add_flag("--json", boot_options.json, "print the report and statistics as one JSON object");
  boot->add_option("--trace", boot_options.trace_path,
                   "write a Chrome trace-event JSON of the RPCs to FILE (Perfetto)");

  FsCli fs_cli;
  CLI::App* fs = app.add_subcommand(
      "fs", "boot, mount a FAT32 image, run a file command (or a script of them) through the VFS, sync, shut down");
  add_machine_options(fs, fs_cli.config);
  add_disk_option(fs, fs_cli.config.disk_image);
  fs->add_flag("--stats", fs_cli.stats, "print the RPC statistics table and the devices on stderr after the shutdown");
  add_bounded(fs, "--disk-write-limit", fs_cli.config.disk_write_limit, 0, INT64_MAX,
              "the disk keeps the first N sectors written and drops the rest, as a power cut there would "
              "(crash tests; --stats shows the bytes written, 512 a sector)")
      ->default_str("unlimited");
  fs->add_option("--disk-write-trace", fs_cli.write_trace,
                 "write a line per disk write to FILE: its first sector and its sectors, in the order they run");
  fs->prefix_command();
  fs->footer("Commands: " + mkh::fs_command_forms() + ", script FILE (one command a line).");

  ExecCli exec_cli;
  CLI::App* exec = app.add_subcommand(
      "exec", "boot, run a static RV32 Linux program of the disk as the first process, exit with its status");
  add_machine_options(exec, exec_cli.config);
  add_disk_option(exec, exec_cli.config.disk_image);
  exec->add_option("--env", exec_cli.env, "KEY=VALUE: a variable of the program's environment (repeatable)")
      ->allow_extra_args(false);
  exec->add_flag("--stats", exec_cli.stats, "print the RPC statistics table on stderr after the shutdown");
  exec->add_flag("--strace", exec_cli.strace,
                 "a line on stderr per system call of the program and of the processes it forks: the caller, the "
                 "call, its answer, its time");
  exec->add_flag("--faults", exec_cli.faults,
                 "a line on stderr per page fault of the program and of the processes it forks: the address, what the "
                 "VMM did (zero-filled, read from the file, copy-on-write, asked of the reference), the page's "
                 "cluster, its time");
  exec->add_flag("--deterministic", exec_cli.config.deterministic,
                 "every core on one host thread, switched in an order drawn from --seed (a seed replays its run)");
  add_bounded(exec, "--seed", exec_cli.config.seed, 0, INT64_MAX, "seed of the deterministic order");
  exec->prefix_command();
  exec->footer("PATH is absolute on the machine's disk (e.g. /bin/hello); ARG... are the program's arguments.");

  mkh::bench::BenchCoreOptions bench_options;
  CLI::App* bench = app.add_subcommand("bench", "measure the machine (medians of interleaved rounds)");
  bench->require_subcommand(1);
  mkh::bench::BenchRpcOptions bench_rpc_options;
  CLI::App* bench_rpc = bench->add_subcommand("rpc", "RPC round trips and throughput against baselines");
  bench_rpc->add_flag("--json", bench_rpc_options.json, "print one JSON object");
  add_bounded(bench_rpc, "--rounds", bench_rpc_options.rounds, 1, 1000, "interleaved rounds");
  add_bounded(bench_rpc, "--spin-us", bench_rpc_options.spin_us, 0, 1'000'000,
              "idle spin budget of the polling measures");
  CLI::App* bench_core = bench->add_subcommand("core", "fiber switch, block→unblock→run, ppm and kcm");
  bench_core->add_flag("--json", bench_options.json, "print one JSON object");
  add_bounded(bench_core, "--rounds", bench_options.rounds, 1, 1000, "rounds per measure");
  mkh::bench::BenchFsOptions bench_fs_options;
  CLI::App* bench_fs = bench->add_subcommand(
      "fs", "the VFS against mcopy on a FAT32 image: sequential read and write, small files, random reads");
  bench_fs->add_flag("--json", bench_fs_options.json, "print one JSON object");
  add_bounded(bench_fs, "--rounds", bench_fs_options.rounds, 1, 1000, "interleaved rounds");
  add_bounded(bench_fs, "--mib", bench_fs_options.mib, 1, 1024, "size of the file read and written, in MiB");
  add_bounded(bench_fs, "--files", bench_fs_options.files, 1, 10000, "files of 1 KiB created in one folder");
  add_machine_options(bench_fs, bench_fs_options.machine);
  mkh::bench::BenchUserOptions bench_user_options;
  CLI::App* bench_user = bench->add_subcommand(
      "user", "user mode: /bin/bench against qemu-riscv32, the zero-fill page fault against its floor, exec+exit");
  bench_user->add_flag("--json", bench_user_options.json, "print one JSON object");
  add_bounded(bench_user, "--rounds", bench_user_options.rounds, 1, 1000, "interleaved rounds");
  add_bounded(bench_user, "--bench-rounds", bench_user_options.bench_rounds, 1, 100000, "the argument of /bin/bench");
  add_bounded(bench_user, "--fault-pages", bench_user_options.fault_pages, 1, 8192, "pages per fault measure");
  add_bounded(bench_user, "--execs", bench_user_options.execs, 1, 100000, "exec+exit of /bin/true per round");
  bench_user->add_option("--programs", bench_user_options.programs,
                         "the host copies of the disk's /bin programs (default: user/bin beside the mkh binary)");
  add_machine_options(bench_user, bench_user_options.machine);
  add_disk_option(bench_user, bench_user_options.machine.disk_image);

  SoakCli soak_cli;
  bool soak_deterministic = false;
  CLI::App* soak = app.add_subcommand(
      "soak", "random concurrent RPC workloads with invariant checks; exit 1 on a violation, with the replay line");
  add_machine_options(soak, soak_cli.options.config);
  CLI::Option* soak_seconds = add_bounded(soak, "--seconds", soak_cli.options.seconds, 1, 86'400, "run this long");
  CLI::Option* soak_ops =
      add_bounded(soak, "--ops", soak_cli.options.ops, 1, 1'000'000'000, "run this many operations machine-wide");
  add_bounded(soak, "--seed", soak_cli.options.config.seed, 0, INT64_MAX,
              "seed of the workload, the faults and the deterministic order")
      ->required();
  soak->add_option("--faults", soak_cli.faults,
                   "faults to inject: KEY=VALUE,... with ppm, kcm, rpc-thread, points = P or 1/N; delay-us, fifo, "
                   "pool = N; or none");
  soak->add_flag("--deterministic", soak_deterministic,
                 "every core on one host thread, switched in an order drawn from the seed (needs --ops)");
  soak->add_flag("--json", soak_cli.json, "print the figures as one JSON object");

  // CLI11 would only say "a subcommand is required": name the word it did not know, and the
  // commands it expected.
  const mkh::tool::CommandWords words = mkh::tool::read_command_words(app, argc, argv);
  const std::string help_hint = fmt::format("Run '{} --help' for the accepted forms.", words.path);
  if (!words.checked) {
    fmt::print(stderr, "{}\n{}\n", words.checked.error(), help_hint);
    return kExitUsage;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    fmt::print(stderr, "mkh: {}\n{}\n", e.what(), help_hint);
    return kExitUsage;
  }

  if (boot->parsed()) {
    // Before the boot: the trace is written only after the whole run and its report.
    if (!boot_options.trace_path.empty())
      if (auto writable = mkh::tool::check_writable_file(boot_options.trace_path); !writable) {
        fmt::print(stderr, "mkh: --trace {}: {}; expected the path of a file that can be written\n",
                   boot_options.trace_path, writable.error());
        return kExitUsage;
      }
    return run_boot(boot_config, boot_options);
  }
  if (fs->parsed()) return run_fs_command(fs_cli, fs->remaining());
  if (exec->parsed()) return run_exec_command(exec_cli, exec->remaining());
  if (soak->parsed()) {
    if (auto finished = finish_soak_options(soak_cli, soak_seconds, soak_ops, soak_deterministic); !finished) {
      fmt::print(stderr, "mkh: {}\n", finished.error());
      return kExitUsage;
    }
    return run_soak_command(soak_cli);
  }
  if (bench_core->parsed()) return mkh::bench::run_bench_core(bench_options);
  if (bench_rpc->parsed()) return mkh::bench::run_bench_rpc(bench_rpc_options);
  if (bench_fs->parsed()) return mkh::bench::run_bench_fs(bench_fs_options);
  if (bench_user->parsed()) {
    if (bench_user_options.machine.disk_image.empty()) bench_user_options.machine.disk_image = default_disk();
    // The host copies of the default disk's /bin programs (the build's user/bin).
    if (bench_user_options.programs.empty()) bench_user_options.programs = beside_binary("user/bin");
    return mkh::bench::run_bench_user(bench_user_options);
  }
  return kExitUsage;
}
