// The `mkh` command: boot the hosted machine, run benchmarks, soak the RPC layer.
// Exit codes: 0 success, 1 runtime failure, 2 bad usage (the message names the option).
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <string>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "bench_core.hpp"
#include "bench_rpc.hpp"
#include "kern/boot_workload.hpp"
#include "rpc/catalog.hpp"
#include "rpc/tour.hpp"
#include "rpc/trace.hpp"
#include "mkh/machine.hpp"
#include "report.hpp"
#include "soak/soak.hpp"

namespace {

constexpr int kExitRuntime = 1;
constexpr int kExitUsage = 2;

// An unsigned option read as a signed number and range-checked, so that "-1" is refused
// with the option's name instead of wrapping around.
template <typename T>
CLI::Option* add_bounded(CLI::App* command, const std::string& name, T& target, int64_t min, int64_t max,
                         const std::string& description) {
  return command
      ->add_option_function<int64_t>(name, [&target](const int64_t& value) { target = T(value); }, description)
      ->check(CLI::Range(min, max))
      ->default_str(std::to_string(target));
}

// Adds the options that describe the machine to a subcommand.
void add_machine_options(CLI::App* command, mkh::MachineConfig& config, std::string& topology) {
  command->add_option("--topology", topology, "clusters and cores, XxY:C")->default_str("2x2:2");
  add_bounded(command, "--bank-mib", config.bank_mib, int64_t(mkh::kMinBankMib), int64_t(mkh::kMaxBankMib),
              "memory bank of each cluster in MiB (a power of two)");
  command->add_flag("--pin", config.pin, "pin core host threads round-robin on host CPUs");
  add_bounded(command, "--idle-spin-us", config.idle_spin_us, 0, 1'000'000,
              "an idle core polls this long before it sleeps");
}

// Fills config.topology and validates the whole configuration; false after printing why.
bool finish_machine_options(mkh::MachineConfig& config, const std::string& topology) {
  auto parsed = mkh::parse_topology(topology);
  if (!parsed) {
    fmt::print(stderr, "mkh: --topology: {}\n", parsed.error());
    return false;
  }
  config.topology = *parsed;
  if (auto problem = mkh::validate_config(config)) {
    fmt::print(stderr, "mkh: {}\n", *problem);
    return false;
  }
  return true;
}

struct BootOptions {
  mkh::kern::WorkloadOptions workload;
  bool stats = false;
  bool json = false;
  std::string trace_path;
};

int run_boot(const mkh::MachineConfig& config, const BootOptions& options) {
  auto machine = mkh::Machine::boot(config);
  if (!machine) {
    fmt::print(stderr, "mkh: boot: {}\n", machine.error());
    return kExitRuntime;
  }
  const auto& t = config.topology;
  if (!options.json)
    fmt::print("mkh {}: booted {}x{}:{} ({} clusters, {} cores, {} MiB banks)\n", MKH_VERSION, t.x_size, t.y_size,
               t.cores_per_cluster, t.clusters(), t.cores(), config.bank_mib);
  if (!options.trace_path.empty()) mkh::rpc::trace_enable(1u << 16);
  auto figures = mkh::kern::run_boot_workload(**machine, options.workload);
  tl::expected<mkh::rpc::TourFigures, std::string> tour = tl::unexpected(std::string("not run"));
  if (figures) tour = mkh::rpc::run_rpc_tour(**machine);
  const mkh::MachineReport report = (*machine)->shutdown();
  if (!figures || !tour) {
    fmt::print(stderr, "mkh: {}\n", !figures ? "workload: " + figures.error() : "RPC tour: " + tour.error());
    mkh::tool::print_report(stderr, report);
    return kExitRuntime;
  }
  const uint64_t errors = mkh::tool::report_error_count(report) + figures->pattern_errors + figures->alloc_errors +
                          tour->wrong_answers;
  if (options.json) {
    mkh::tool::print_json(
        stdout, report,
        fmt::format("\"topology\": \"{}x{}:{}\", \"bank_mib\": {}, \"workload\": {{\"workers\": {}, "
                    "\"page_blocks\": {}, \"objects\": {}, \"token_hops\": {}, \"seconds\": {:.6f}}}, "
                    "\"rpc_tour\": {{\"calls\": {}, \"wrong_answers\": {}, \"displays\": {}}}, \"total_errors\": {}",
                    t.x_size, t.y_size, t.cores_per_cluster, config.bank_mib, figures->workers,
                    figures->pages_allocated, figures->objects_allocated, figures->token_hops, figures->seconds,
                    tour->calls, tour->wrong_answers, tour->displays, errors));
  } else {
    fmt::print("workload: {} workers, {} page blocks and {} objects allocated and freed, {} token hops across "
               "clusters, {:.3f} s\n",
               figures->workers, figures->pages_allocated, figures->objects_allocated, figures->token_hops,
               figures->seconds);
    fmt::print("RPC tour: {} calls from every cluster to every other one and a multicast to all, {} wrong answers; "
               "{} SCHED_DISPLAY outputs, the first:\n{}\n",
               tour->calls, tour->wrong_answers, tour->displays, tour->sample_display);
    mkh::tool::print_report(stdout, report);
    if (options.stats) mkh::tool::print_rpc_stats(stdout, report);
    fmt::print("\nerrors: {}\n", errors);
  }
  if (!options.trace_path.empty()) {
    auto failed = mkh::rpc::trace_write_chrome_json(options.trace_path,
                                                    [](uint16_t index) { return std::string(mkh::rpc::rpc_name(index)); });
    mkh::rpc::trace_disable();
    if (failed) {
      fmt::print(stderr, "mkh: --trace {}: {}\n", options.trace_path, *failed);
      return kExitRuntime;
    }
  }
  return errors == 0 ? 0 : kExitRuntime;
}

struct SoakCli {
  mkh::soak::SoakOptions options;
  std::string topology = "2x2:2";
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
  if (config.idle_spin_us != mkh::MachineConfig{}.idle_spin_us) line += fmt::format(" --idle-spin-us {}", config.idle_spin_us);
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

// Checks what CLI11 cannot: one of --seconds and --ops, the fault specification (applied
// to the configuration), the deterministic mode's needs. False after printing why.
bool finish_soak_options(SoakCli& cli, const CLI::Option* seconds, const CLI::Option* ops, bool deterministic) {
  if (seconds->count() + ops->count() != 1) {
    fmt::print(stderr, "mkh: soak: give exactly one of --seconds N and --ops N ({})\n",
               seconds->count() != 0 ? "both given" : "neither given");
    return false;
  }
  if (deterministic && seconds->count() != 0) {
    fmt::print(stderr, "mkh: soak: --deterministic needs --ops N, not --seconds (a run bounded by time does not "
                       "replay)\n");
    return false;
  }
  mkh::MachineConfig& config = cli.options.config;
  if (!finish_machine_options(config, cli.topology)) return false;
  if (!cli.faults.empty())
    if (auto problem = mkh::parse_fault_spec(cli.faults, config)) {
      fmt::print(stderr, "mkh: --faults: {}\n", *problem);
      return false;
    }
  config.deterministic = deterministic;
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"mkh — a multi-kernel operating-system core, hosted in one Linux process"};
  app.set_version_flag("--version", std::string("mkh ") + MKH_VERSION);
  app.require_subcommand(1);

  mkh::MachineConfig boot_config;
  std::string boot_topology = "2x2:2";
  BootOptions boot_options;
  CLI::App* boot = app.add_subcommand(
      "boot", "boot the machine, run the built-in kernel workload and the RPC tour, report, shut down");
  add_machine_options(boot, boot_config, boot_topology);
  add_bounded(boot, "--rounds", boot_options.workload.memory_rounds, 0, 1'000'000, "alloc/free rounds per worker");
  add_bounded(boot, "--laps", boot_options.workload.ring_laps, 0, 1'000'000, "laps of the token ring");
  add_bounded(boot, "--seed", boot_options.workload.seed, 0, INT64_MAX, "seed of the workload");
  boot->add_flag("--stats", boot_options.stats, "print the RPC statistics table");
  boot->add_flag("--json", boot_options.json, "print the report and statistics as one JSON object");
  boot->add_option("--trace", boot_options.trace_path, "write a Chrome trace-event JSON of the RPCs to FILE (Perfetto)");

  mkh::tool::BenchOptions bench_options;
  CLI::App* bench = app.add_subcommand("bench", "measure the machine (medians of interleaved rounds)");
  bench->require_subcommand(1);
  mkh::tool::BenchRpcOptions bench_rpc_options;
  CLI::App* bench_rpc = bench->add_subcommand("rpc", "RPC round trips and throughput against baselines");
  bench_rpc->add_flag("--json", bench_rpc_options.json, "print one JSON object");
  add_bounded(bench_rpc, "--rounds", bench_rpc_options.rounds, 1, 1000, "interleaved rounds");
  add_bounded(bench_rpc, "--spin-us", bench_rpc_options.spin_us, 0, 1'000'000, "idle spin budget of the polling measures");
  CLI::App* bench_core = bench->add_subcommand("core", "fiber switch, block→unblock→run, ppm and kcm");
  bench_core->add_flag("--json", bench_options.json, "print one JSON object");
  add_bounded(bench_core, "--rounds", bench_options.rounds, 1, 1000, "rounds per measure");

  SoakCli soak_cli;
  bool soak_deterministic = false;
  CLI::App* soak = app.add_subcommand(
      "soak", "random concurrent RPC workloads with invariant checks; exit 1 on a violation, with the replay line");
  add_machine_options(soak, soak_cli.options.config, soak_cli.topology);
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

  // CLI11 would only say "a subcommand is required": name the word it did not know.
  const auto commands = app.get_subcommands([](CLI::App*) { return true; });
  const auto is_command = [&](const char* word) {
    return std::any_of(commands.begin(), commands.end(), [&](CLI::App* c) { return c->get_name() == word; });
  };
  if (argc > 1 && argv[1][0] != '-' && !is_command(argv[1])) {
    fmt::print(stderr, "mkh: unknown command '{}' (expected: boot, bench, soak)\nRun 'mkh --help' for the accepted forms.\n",
               argv[1]);
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
    fmt::print(stderr, "mkh: {}\nRun 'mkh --help' for the accepted forms.\n", e.what());
    return kExitUsage;
  }

  if (boot->parsed()) {
    if (!finish_machine_options(boot_config, boot_topology)) return kExitUsage;
    return run_boot(boot_config, boot_options);
  }
  if (soak->parsed()) {
    if (!finish_soak_options(soak_cli, soak_seconds, soak_ops, soak_deterministic)) return kExitUsage;
    return run_soak_command(soak_cli);
  }
  if (bench_core->parsed()) return mkh::tool::run_bench_core(bench_options);
  if (bench_rpc->parsed()) return mkh::tool::run_bench_rpc(bench_rpc_options);
  return kExitUsage;
}
