// The `mkh` command: boot the hosted machine, run benchmarks.
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

  // CLI11 would only say "a subcommand is required": name the word it did not know.
  const auto commands = app.get_subcommands([](CLI::App*) { return true; });
  const auto is_command = [&](const char* word) {
    return std::any_of(commands.begin(), commands.end(), [&](CLI::App* c) { return c->get_name() == word; });
  };
  if (argc > 1 && argv[1][0] != '-' && !is_command(argv[1])) {
    fmt::print(stderr, "mkh: unknown command '{}' (expected: boot, bench)\nRun 'mkh --help' for the accepted forms.\n",
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
  if (bench_core->parsed()) return mkh::tool::run_bench_core(bench_options);
  if (bench_rpc->parsed()) return mkh::tool::run_bench_rpc(bench_rpc_options);
  return kExitUsage;
}
