// `mkh bench user`: user mode against qemu-riscv32 and against its floors, in interleaved
// rounds on one machine booted once (on a scratch copy of the disk). Each round runs, back
// to back, /bin/bench under run_exec then the same binary under qemu-riscv32 (odd rounds:
// qemu first), then the fault measures (user_faults.hpp), the host's own minor fault, and
// exec+exit of /bin/true under run_exec and under qemu-riscv32, then fork+exit+wait by
// /bin/forks (plain, then with the child writing pages its parent had: copies on write) under
// run_exec and under qemu-riscv32, then bytes through a pipe from a child to its parent by
// /bin/pipes (each pair alternating as well). Both
// sides of the CPU measure must print the same bytes. Every ratio is the median of the
// per-round ratios; the JSON also gives every round's figures and the host it ran on.
// Layer: bench. Calls the public API (Machine, run_exec), programs.hpp, user_faults.hpp.
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "libk/result.hpp"
#include "mkh/bench.hpp"
#include "mkh/exec.hpp"
#include "programs.hpp"
#include "rounds.hpp"
#include "user_faults.hpp"

namespace mkh::bench {

namespace {

using Clock = std::chrono::steady_clock;

constexpr double kTargetOverQemu = 0.5;
constexpr double kTargetFaultOverZero = 3.0;
constexpr uint32_t kQemuStarts = 20;  // qemu-riscv32 /bin/true per round
constexpr uint32_t kForks = 100;      // /bin/forks' children per run
constexpr uint32_t kForkPages = 256;  // the pages each child writes in the copy-on-write run
constexpr uint32_t kPipeMib = 256;    // /bin/pipes' mebibytes per run, in writes of 4 KiB

// The figures in the order they are printed; the ratios come last.
constexpr std::string_view kFigures[] = {
    "mips",
    "qemu_mips",
    "fault_ns",
    "fault_remote_ns",
    "fault_copy_ns",
    "copy_hit_ns",
    "page_zero_ns",
    "rpc_ping_ns",
    "host_fault_ns",
    "exec_per_s",
    "qemu_exec_per_s",
    "empty_kernel_call_us",
    "fork_us",
    "qemu_fork_us",
    "fork_cow_us",
    "qemu_fork_cow_us",
    "pipe_mibs",
    "qemu_pipe_mibs",
    "bench_seconds",
    "qemu_bench_seconds",
    "ratio_over_qemu",
    "ratio_fault_over_zero",
    "ratio_remote_over_local",
    "ratio_copy_over_remote",
    "ratio_fork_over_qemu",
    "ratio_pipe_over_qemu",
};

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The host: its CPU model, its CPU count, its load (1-minute average).
std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);)
    if (line.starts_with("model name"))
      if (const auto colon = line.find(": "); colon != std::string::npos) return line.substr(colon + 2);
  return "unknown";
}
double load_1min() {
  double load[1] = {0};
  return getloadavg(load, 1) == 1 ? load[0] : -1;
}

// A scratch folder under $TMPDIR (or /tmp), removed with what it holds.
class Scratch {
 public:
  static Result<Scratch, Error> create() {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern = std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/mkh-bench-user.XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr)
      return error(Errno::kIo, "cannot make a scratch folder {}: {}", pattern, std::strerror(errno));
    return Scratch(pattern);
  }
  Scratch(Scratch&& other) noexcept : m_path(std::exchange(other.m_path, {})) {}
  Scratch& operator=(Scratch&&) = delete;
  ~Scratch() {
    std::error_code ignored;
    if (!m_path.empty()) std::filesystem::remove_all(m_path, ignored);
  }
  std::string path(std::string_view name) const { return fmt::format("{}/{}", m_path, name); }

 private:
  explicit Scratch(std::string path) : m_path(std::move(path)) {}
  std::string m_path;
};

// Runs `work` with this process's standard output (where run_exec's programs write) going
// to the file `path`; restored after.
template <typename F>
auto with_stdout_in(const std::string& path, F&& work) -> decltype(work()) {
  std::fflush(stdout);
  const int saved = ::dup(1);
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (saved < 0 || fd < 0 || ::dup2(fd, 1) < 0) {
    const int cause = errno;
    if (saved >= 0) ::close(saved);
    if (fd >= 0) ::close(fd);
    return error(Errno::kIo, "cannot send the standard output to {}: {}", path, std::strerror(cause));
  }
  ::close(fd);
  auto result = work();
  ::dup2(saved, 1);
  ::close(saved);
  return result;
}

// The host's minor fault: `pages` fresh pages of an anonymous mapping (no huge pages), one
// byte written in each.
Result<double, Error> host_fault_ns(uint32_t pages) {
  const std::size_t bytes = std::size_t(pages) * 4096;
  void* memory = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (memory == MAP_FAILED)
    return error(Errno::kNoMem, "host fault: mmap of {} bytes: {}", bytes, std::strerror(errno));
  (void)::madvise(memory, bytes, MADV_NOHUGEPAGE);
  auto* bytes_of = static_cast<volatile char*>(memory);
  const auto start = Clock::now();
  for (std::size_t offset = 0; offset < bytes; offset += 4096) bytes_of[offset] = 1;
  const double ns = seconds_since(start) * 1e9 / double(pages);
  ::munmap(memory, bytes);
  return ns;
}

class Round {
 public:
  struct Context {
    Machine& machine;
    const BenchUserOptions& options;
    const Scratch& scratch;
    std::string qemu;        // qemu-riscv32's path
    std::string host_bench;  // the host copies of /bin/bench, /bin/true and /bin/forks
    std::string host_true;
    std::string host_forks;
    std::string host_pipes;
    uint64_t instructions = 0;  // /bin/bench's, from the first run under mkh
  };

  Round(Context& context, uint32_t index, Samples& samples) : m_c(context), m_index(index), m_samples(samples) {}

  Result<void, Error> run() {
    TRY(run_pair(
        m_index, [&] { return mkh_bench(); }, [&] { return qemu_bench(); }));
    TRY(check_same_output());
    const FaultFigures faults = TRY(fault_round(m_c.machine, m_c.options.fault_pages, m_index % 2 == 0));
    add("fault_ns", faults.fault_ns);
    add("fault_remote_ns", faults.fault_remote_ns);
    add("fault_copy_ns", faults.fault_copy_ns);
    add("copy_hit_ns", faults.copy_hit_ns);
    add("page_zero_ns", faults.page_zero_ns);
    add("rpc_ping_ns", faults.rpc_ping_ns);
    add("host_fault_ns", TRY(host_fault_ns(m_c.options.fault_pages)));
    TRY(run_pair(
        m_index, [&] { return mkh_execs(); }, [&] { return qemu_starts(); }));
    for (const uint32_t pages : {0u, kForkPages})
      TRY(run_pair(
          m_index, [&] { return mkh_forks(pages); }, [&] { return qemu_forks(pages); }));
    TRY(run_pair(
        m_index, [&] { return mkh_pipes(); }, [&] { return qemu_pipes(); }));
    add("ratio_over_qemu", last("mips") / last("qemu_mips"));
    add("ratio_pipe_over_qemu", last("pipe_mibs") / last("qemu_pipe_mibs"));
    add("ratio_fork_over_qemu", last("fork_us") / last("qemu_fork_us"));
    add("ratio_fault_over_zero", last("fault_ns") / last("page_zero_ns"));
    add("ratio_remote_over_local", last("fault_remote_ns") / last("fault_ns"));
    add("ratio_copy_over_remote", last("fault_copy_ns") / last("fault_remote_ns"));
    return {};
  }

 private:
  void add(const char* name, double value) { m_samples[name].push_back(value); }
  double last(const char* name) { return m_samples[name].back(); }
  std::string rounds() const { return std::to_string(m_c.options.bench_rounds); }

  // /bin/bench under run_exec: the exec, the run and the end of the process, timed by the host.
  Result<void, Error> mkh_bench() {
    const ExecRequest request{.path = "/bin/bench", .argv = {"/bin/bench", rounds()}, .env = {}};
    const auto start = Clock::now();
    const ExecOutcome outcome =
        TRY(with_stdout_in(m_c.scratch.path("mkh.out"), [&] { return run_exec(m_c.machine, request); }));
    const double seconds = seconds_since(start);
    if (outcome.status() != 0) return error(Errno::kIo, "mkh exec /bin/bench: status {}", outcome.status());
    if (m_c.instructions == 0) m_c.instructions = outcome.instructions;
    if (outcome.instructions != m_c.instructions)
      return error(Errno::kIo, "mkh exec /bin/bench: {} instructions, {} in the first round", outcome.instructions,
                   m_c.instructions);
    add("bench_seconds", seconds);
    add("mips", double(outcome.instructions) / seconds / 1e6);
    return {};
  }

  // The same binary under qemu-riscv32, timed from the spawn to the end of the wait; the
  // instructions are those mkh counted (the program is deterministic; round 0 runs mkh first).
  Result<void, Error> qemu_bench() {
    const double seconds = TRY(run_program({m_c.qemu, m_c.host_bench, rounds()},
                                           ChildFiles{.out = m_c.scratch.path("qemu.out"), .err = "/dev/null"}));
    add("qemu_bench_seconds", seconds);
    add("qemu_mips", double(m_c.instructions) / seconds / 1e6);
    return {};
  }

  Result<void, Error> check_same_output() {
    const std::string mkh = read_file(m_c.scratch.path("mkh.out")), qemu = read_file(m_c.scratch.path("qemu.out"));
    if (mkh.empty() || mkh != qemu)
      return error(Errno::kIo, "/bin/bench printed '{}' under mkh, '{}' under qemu-riscv32", mkh, qemu);
    return {};
  }

  Result<void, Error> mkh_execs() {
    const ExecRequest request{.path = "/bin/true", .argv = {"/bin/true"}, .env = {}};
    const auto start = Clock::now();
    for (uint32_t i = 0; i < m_c.options.execs; ++i) {
      const ExecOutcome outcome = TRY(run_exec(m_c.machine, request));
      if (outcome.status() != 0) return error(Errno::kIo, "mkh exec /bin/true: status {}", outcome.status());
    }
    add("exec_per_s", double(m_c.options.execs) / seconds_since(start));
    add("empty_kernel_call_us", TRY(empty_kernel_call_us(m_c.machine, m_c.options.execs)));
    return {};
  }

  Result<void, Error> qemu_starts() {
    double seconds = 0;
    for (uint32_t i = 0; i < kQemuStarts; ++i) seconds += TRY(run_program({m_c.qemu, m_c.host_true}));
    add("qemu_exec_per_s", double(kQemuStarts) / seconds);
    return {};
  }

  // /bin/forks under run_exec: kForks children forked, ended and waited for, each writing
  // `pages` pages; per child, with the exec and the end of /bin/forks itself spread over the
  // children (about 0.3 ms of 25 in all; qemu's start, a few ms, is in qemu's figure likewise).
  Result<void, Error> mkh_forks(uint32_t pages) {
    const ExecRequest request{
        .path = "/bin/forks", .argv = {"/bin/forks", std::to_string(kForks), std::to_string(pages)}, .env = {}};
    const auto start = Clock::now();
    const ExecOutcome outcome =
        TRY(with_stdout_in(m_c.scratch.path("forks.out"), [&] { return run_exec(m_c.machine, request); }));
    const double seconds = seconds_since(start);
    if (outcome.status() != 0) return error(Errno::kIo, "mkh exec /bin/forks: status {}", outcome.status());
    add(pages == 0 ? "fork_us" : "fork_cow_us", seconds * 1e6 / kForks);
    return {};
  }

  Result<void, Error> qemu_forks(uint32_t pages) {
    const double seconds = TRY(run_program({m_c.qemu, m_c.host_forks, std::to_string(kForks), std::to_string(pages)}));
    add(pages == 0 ? "qemu_fork_us" : "qemu_fork_cow_us", seconds * 1e6 / kForks);
    return {};
  }

  // /bin/pipes under run_exec: kPipeMib MiB from a child (on another cluster) to its parent,
  // with the exec, the fork and the ends of both processes in the time.
  Result<void, Error> mkh_pipes() {
    const ExecRequest request{.path = "/bin/pipes", .argv = {"/bin/pipes", std::to_string(kPipeMib)}, .env = {}};
    const auto start = Clock::now();
    const ExecOutcome outcome =
        TRY(with_stdout_in(m_c.scratch.path("pipes.out"), [&] { return run_exec(m_c.machine, request); }));
    const double seconds = seconds_since(start);
    if (outcome.status() != 0) return error(Errno::kIo, "mkh exec /bin/pipes: status {}", outcome.status());
    add("pipe_mibs", kPipeMib / seconds);
    return {};
  }

  Result<void, Error> qemu_pipes() {
    const double seconds = TRY(run_program({m_c.qemu, m_c.host_pipes, std::to_string(kPipeMib)}));
    add("qemu_pipe_mibs", kPipeMib / seconds);
    return {};
  }

  Context& m_c;
  uint32_t m_index;
  Samples& m_samples;
};

Result<std::string, Error> host_program(const std::string& folder, std::string_view name) {
  std::string path = fmt::format("{}/{}", folder, name);
  if (::access(path.c_str(), R_OK) != 0)
    return error(Errno::kNoEnt,
                 "no host copy of /bin/{} at {} (the build's user/bin: it needs riscv64-unknown-elf-gcc and "
                 "picolibc; give --programs DIR)",
                 name, path);
  return path;
}

struct Measured {
  Samples samples;
  uint64_t instructions = 0;  // /bin/bench's
};

Result<Measured, Error> measure(const BenchUserOptions& options, MachineConfig& config) {
  if (config.disk_image.empty())
    return error(Errno::kNoEnt, "no disk: give --disk IMAGE (no disk.img beside the mkh binary)");
  std::string qemu = TRY(find_program("qemu-riscv32", "qemu-user"));
  std::string host_bench = TRY(host_program(options.programs, "bench"));
  std::string host_true = TRY(host_program(options.programs, "true"));
  std::string host_forks = TRY(host_program(options.programs, "forks"));
  std::string host_pipes = TRY(host_program(options.programs, "pipes"));
  Scratch scratch = TRY(Scratch::create());
  // A copy: the rounds never write to the build's image.
  std::error_code copied;
  std::filesystem::copy_file(config.disk_image, scratch.path("disk.img"), copied);
  if (copied) return error(Errno::kIo, "cannot copy {}: {}", config.disk_image, copied.message());
  config.disk_image = scratch.path("disk.img");
  config.quiet = true;

  auto booted = Machine::boot(config);
  if (!booted) return error(booted.error().context("boot"));
  std::unique_ptr<Machine> machine = std::move(*booted);
  // Every bank page a round's fault measures may take, touched once before the first.
  if (auto warmed = warm_pages(*machine, 4 * options.fault_pages); !warmed) return error(warmed.error());
  Round::Context context{*machine, options, scratch, qemu, host_bench, host_true, host_forks, host_pipes};
  Samples samples;
  for (uint32_t index = 0; index < options.rounds; ++index)
    if (auto ran = Round(context, index, samples).run(); !ran)
      return error(ran.error().context(fmt::format("round {}", index + 1)));
  const MachineReport report = machine->shutdown();
  if (report.threads_left != 0) return error(Errno::kBusy, "shutdown: {} kernel threads left", report.threads_left);
  for (const ClusterReport& cluster : report.clusters)
    if (cluster.pages_leaked != 0)
      return error(Errno::kIo, "cluster {:#x}: {} pages not back in its ppm at shutdown", cluster.cxy,
                   cluster.pages_leaked);
  return Measured{std::move(samples), context.instructions};
}

}  // namespace

int run_bench_user(const BenchUserOptions& options) {
  MachineConfig config = options.machine;
  const double load_before = load_1min();
  auto measured = measure(options, config);
  if (!measured) {
    fmt::print(stderr, "mkh: bench user: {}\n", measured.error());
    return 1;
  }
  Samples& samples = measured->samples;
  const double load_after = load_1min();
  const std::string cpu = cpu_model();
  const unsigned cpus = std::thread::hardware_concurrency();
  const Topology& t = config.topology;
  const uint64_t instructions = measured->instructions;

  if (options.json) {
    std::string json = fmt::format(
        "{{\"rounds\": {}, \"bench_rounds\": {}, \"instructions\": {}, \"fault_pages\": {}, \"execs\": {}, "
        "\"qemu_starts\": {}, \"topology\": \"{}x{}:{}\", \"bank_mib\": {}, \"populate_banks\": {}, "
        "\"host_cpu\": \"{}\", \"host_cpus\": {}, \"load_before\": {:.2f}, \"load_after\": {:.2f}, "
        "\"target_ratio_over_qemu\": {:.1f}, \"target_ratio_fault_over_zero\": {:.1f}",
        options.rounds, options.bench_rounds, instructions, options.fault_pages, options.execs, kQemuStarts, t.x_size,
        t.y_size, t.cores_per_cluster, config.bank_mib, config.populate_banks, cpu, cpus, load_before, load_after,
        kTargetOverQemu, kTargetFaultOverZero);
    fmt::print("{}\n", json_with_medians(std::move(json), kFigures, samples));
    return 0;
  }
  fmt::print(
      "mkh bench user: medians of {} interleaved rounds; /bin/bench {} ({} instructions), {} pages per fault "
      "measure, {} exec+exit per round; machine {}x{}:{}, {} MiB banks{}; host {} x{}, load {:.2f} before, {:.2f} "
      "after\n",
      options.rounds, options.bench_rounds, instructions, options.fault_pages, options.execs, t.x_size, t.y_size,
      t.cores_per_cluster, config.bank_mib, config.populate_banks ? " (populated)" : "", cpu, cpus, load_before,
      load_after);
  for (std::string_view name : kFigures) {
    const double value = median(samples[std::string(name)]);
    std::string target;
    if (name == "ratio_over_qemu")
      target = fmt::format("  (target >= {:.1f}: {})", kTargetOverQemu, value >= kTargetOverQemu ? "met" : "not met");
    if (name == "ratio_fault_over_zero")
      target = fmt::format("  (target <= {:.1f}: {})", kTargetFaultOverZero,
                           value <= kTargetFaultOverZero ? "met" : "not met");
    fmt::print("  {:<26} {:>12.6g}{}\n", name, value, target);
  }
  return 0;
}

}  // namespace mkh::bench
