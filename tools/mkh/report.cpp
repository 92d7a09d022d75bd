// The per-cluster report of `mkh boot`: pages, objects per kcm type, threads, switches, IPIs;
// the figures of `mkh soak`. Part of the `mkh` tool; reads the public MachineReport and the
// soak's figures.
#include "report.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace mkh::tool {

void print_report(std::FILE* out, const MachineReport& report) {
  fmt::print(out, "{:>6} {:>5} | {:>8} {:>8} {:>8} {:>6} | {:>7} {:>7} {:>5} | {:>9} {:>8} {:>8} {:>7} {:>6} | {:>6}\n",
             "cxy", "(x,y)", "pages", "free", "used", "leaked", "created", "ended", "alive", "switches", "ipi-sent",
             "ipi-recv", "sleeps", "timers", "errors");
  for (const ClusterReport& c : report.clusters) {
    fmt::print(
        out, "{:>#6x} {:>5} | {:>8} {:>8} {:>8} {:>6} | {:>7} {:>7} {:>5} | {:>9} {:>8} {:>8} {:>7} {:>6} | {:>6}\n",
        c.cxy, fmt::format("({},{})", c.x, c.y), c.pages_total, c.pages_free, c.pages_used,
        report.shut_down ? fmt::format("{}", c.pages_leaked) : std::string("-"), c.threads_created, c.threads_destroyed,
        c.threads_alive, c.switches, c.ipis_sent, c.ipis_received, c.sleeps, c.timers_fired, c.errors);
  }
  fmt::print(out, "\nkcm objects per type (in use / allocated / freed / refused), per cluster:\n");
  for (const ClusterReport& c : report.clusters) {
    std::string line = fmt::format("  {:#04x}:", c.cxy);
    for (const KcmReport& k : c.kcm)
      line += fmt::format("  {}[{}B] {}/{}/{}/{}", k.type, k.object_size, k.in_use, k.allocs, k.frees, k.failures);
    fmt::print(out, "{}\n", line);
  }
  print_devices(out, report);
  if (report.shut_down) fmt::print(out, "\nthreads left at shutdown: {}\n", report.threads_left);
  if (!report.disk_error.empty()) fmt::print(out, "disk: {}\n", report.disk_error);
}

uint64_t latency_percentile_ns(const std::vector<uint64_t>& buckets, double fraction) {
  uint64_t total = 0;
  for (uint64_t count : buckets) total += count;
  if (total == 0) return 0;
  const auto wanted = uint64_t(double(total) * fraction + 0.5);
  uint64_t seen = 0;
  for (std::size_t bucket = 0; bucket < buckets.size(); ++bucket) {
    seen += buckets[bucket];
    if (seen >= wanted && seen != 0) return uint64_t(2) << bucket;  // upper bound of the bucket
  }
  return uint64_t(2) << (buckets.size() - 1);
}

void print_devices(std::FILE* out, const MachineReport& report) {
  // When the machine has a disk or a device did any work (TXT0 is always there).
  bool any_device = false;
  for (const DeviceReport& d : report.devices) any_device = any_device || d.name.starts_with("ioc") || d.commands != 0;
  if (!any_device) return;
  fmt::print(out,
             "\ndevices (chdev on its cluster: commands, bytes, errors, queue high-water, run by their caller):\n");
  for (const DeviceReport& d : report.devices) {
    std::string line = fmt::format("  {:<6} {:#04x}: {} commands, {} bytes, {} errors, queue {}, direct {}", d.name,
                                   d.cxy, d.commands, d.bytes, d.errors, d.queue_high_water, d.direct);
    if (d.name.starts_with("ioc")) line += fmt::format(", written {} bytes ({} dropped)", d.written, d.dropped);
    fmt::print(out, "{}\n", line);
  }
}

void print_rpc_stats(std::FILE* out, const MachineReport& report) {
  fmt::print(out, "\nRPC statistics (sent and latency by the client's cluster, served and errors by the server's):\n");
  // Latency is sampled (one blocking call in 8 per core): "-" where no call was timed.
  auto percentile = [](const std::vector<uint64_t>& latency, double fraction) {
    const uint64_t ns = latency_percentile_ns(latency, fraction);
    return ns == 0 ? std::string("-") : fmt::format("{}", ns);
  };
  fmt::print(out, "{:>6} {:>5} {:<22} | {:>8} {:>8} {:>6} {:>6} {:>7} {:>6} | {:>9} {:>9}\n", "cxy", "index", "service",
             "sent", "served", "direct", "errors", "retries", "failed", "p50 (ns)", "p99 (ns)");
  for (const ClusterReport& c : report.clusters)
    for (const RpcIndexReport& r : c.rpc)
      fmt::print(out, "{:>#6x} {:>5} {:<22} | {:>8} {:>8} {:>6} {:>6} {:>7} {:>6} | {:>9} {:>9}\n", c.cxy,
                 r.index == ~0u ? std::string("-") : fmt::format("{}", r.index), r.name, r.sent, r.served, r.direct,
                 r.errors, r.fifo_full_retries, r.send_failures, percentile(r.latency, 0.5),
                 percentile(r.latency, 0.99));
  fmt::print(out, "\n{:>6} | {:>12} {:>12} {:>14} {:>15}\n", "cxy", "rpc threads", "reclaimed", "pool exhausted",
             "FIFO high-water");
  for (const ClusterReport& c : report.clusters)
    fmt::print(out, "{:>#6x} | {:>12} {:>12} {:>14} {:>15}\n", c.cxy, c.rpc_threads_created, c.rpc_threads_reclaimed,
               c.rpc_pool_exhausted, c.rpc_fifo_high_water);
  fmt::print(out, "\n{:>6} | {:>9} {:>9} {:>9} {:>7} {:>12} {:>10} {:>16} {:>17}\n", "cxy", "processes", "ended",
             "killed", "execve", "user threads", "syscalls", "unknown (ENOSYS)", "blocks translated");
  for (const ClusterReport& c : report.clusters)
    fmt::print(out, "{:>#6x} | {:>9} {:>9} {:>9} {:>7} {:>12} {:>10} {:>16} {:>17}\n", c.cxy, c.processes_created,
               c.processes_ended, c.processes_killed, c.processes_execs, c.user_threads, c.syscalls, c.unknown_syscalls,
               c.blocks_translated);
}

std::string json_string(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) < 0x20) {
      out += fmt::format("\\u{:04x}", int(c));
      continue;
    }
    out += c;
  }
  return out + "\"";
}

void print_json(std::FILE* out, const MachineReport& report, const std::string& extra) {
  std::string json = "{";
  if (!extra.empty()) json += extra + ", ";
  json += fmt::format("\"errors\": {}, \"threads_left\": {}, \"clusters\": [", report_error_count(report),
                      report.threads_left);
  for (std::size_t i = 0; i < report.clusters.size(); ++i) {
    const ClusterReport& c = report.clusters[i];
    json += fmt::format(
        "{}{{\"cxy\": {}, \"x\": {}, \"y\": {}, \"pages_total\": {}, \"pages_free\": {}, \"pages_used\": {}, "
        "\"pages_leaked\": {}, \"threads_created\": {}, \"threads_destroyed\": {}, \"switches\": {}, "
        "\"ipis_sent\": {}, \"ipis_received\": {}, \"sleeps\": {}, \"timers_fired\": {}, \"errors\": {}, "
        "\"rpc_threads_created\": {}, "
        "\"rpc_threads_reclaimed\": {}, \"rpc_pool_exhausted\": {}, \"rpc_fifo_high_water\": {}, "
        "\"processes_created\": {}, "
        "\"processes_ended\": {}, \"processes_killed\": {}, \"processes_execs\": {}, \"user_threads\": {}, "
        "\"syscalls\": {}, "
        "\"unknown_syscalls\": {}, \"blocks_translated\": {}, \"kcm\": [",
        i == 0 ? "" : ", ", c.cxy, c.x, c.y, c.pages_total, c.pages_free, c.pages_used, c.pages_leaked,
        c.threads_created, c.threads_destroyed, c.switches, c.ipis_sent, c.ipis_received, c.sleeps, c.timers_fired,
        c.errors, c.rpc_threads_created, c.rpc_threads_reclaimed, c.rpc_pool_exhausted, c.rpc_fifo_high_water,
        c.processes_created, c.processes_ended, c.processes_killed, c.processes_execs, c.user_threads, c.syscalls,
        c.unknown_syscalls, c.blocks_translated);
    for (std::size_t k = 0; k < c.kcm.size(); ++k)
      json += fmt::format(
          "{}{{\"type\": {}, \"object_size\": {}, \"in_use\": {}, \"allocs\": {}, \"frees\": {}, "
          "\"failures\": {}}}",
          k == 0 ? "" : ", ", json_string(c.kcm[k].type), c.kcm[k].object_size, c.kcm[k].in_use, c.kcm[k].allocs,
          c.kcm[k].frees, c.kcm[k].failures);
    json += "], \"rpc\": [";
    for (std::size_t r = 0; r < c.rpc.size(); ++r) {
      const RpcIndexReport& x = c.rpc[r];
      json += fmt::format(
          "{}{{\"index\": {}, \"name\": {}, \"sent\": {}, \"served\": {}, \"direct\": {}, "
          "\"errors\": {}, \"fifo_full_retries\": {}, \"send_failures\": {}, \"latency_p50_ns\": {}, "
          "\"latency_p99_ns\": {}, \"latency_log2_ns\": [{}]}}",
          r == 0 ? "" : ", ", x.index == ~0u ? std::string("null") : fmt::format("{}", x.index), json_string(x.name),
          x.sent, x.served, x.direct, x.errors, x.fifo_full_retries, x.send_failures,
          latency_percentile_ns(x.latency, 0.5), latency_percentile_ns(x.latency, 0.99), fmt::join(x.latency, ", "));
    }
    json += "]}";
  }
  json += "]}";
  fmt::print(out, "{}\n", json);
}

uint64_t report_error_count(const MachineReport& report) {
  uint64_t errors = report.threads_left + (report.disk_error.empty() ? 0 : 1);
  for (const ClusterReport& c : report.clusters) {
    errors += c.errors + c.page_failures;
    for (const RpcIndexReport& r : c.rpc) errors += r.errors + r.send_failures;
    if (report.shut_down) {
      errors += uint64_t(c.pages_leaked < 0 ? -c.pages_leaked : c.pages_leaked);
      for (const KcmReport& k : c.kcm) errors += k.in_use + k.failures;
    }
  }
  return errors;
}

namespace {

std::string errors_text(const std::vector<soak::SoakErrorCount>& errors) {
  if (errors.empty()) return "none";
  std::string text;
  for (const soak::SoakErrorCount& e : errors)
    text += fmt::format("{}{} {}", text.empty() ? "" : ", ", errno_name(e.error), e.count);
  return text;
}

}  // namespace

void print_soak(std::FILE* out, const soak::SoakFigures& figures) {
  const soak::SoakCounts& c = figures.counts;
  std::string ops;
  for (uint32_t kind = 0; kind < soak::kOpKinds; ++kind)
    ops += fmt::format("{}{} {}", kind == 0 ? "" : ", ", soak::op_kind_name(soak::OpKind(kind)), c.ops[kind]);
  fmt::print(out, "ops: {} ({})\n", c.ops_total(), ops);
  fmt::print(out,
             "requests: window {}, multicast posts {}, chain levels {} ({} chains without a pool token), "
             "threads {} ({} finished, {} killed, {} pings), page blocks {}, objects {}\n",
             c.window_requests, c.multicast_posts, c.chain_levels, c.chains_without_token, c.children_created,
             c.children_finished, c.children_killed, c.child_pings, c.pages_allocated, c.objects_allocated);
  fmt::print(out, "rpcs: sent {} served {} (send failures {}, direct local calls {})\n", c.rpc_sent, c.rpc_served,
             c.rpc_send_failures, c.rpc_direct);
  for (const soak::SoakRpcFigures& r : c.rpc)
    fmt::print(out, "  {:<22} sent {:>9} served {:>9} direct {:>7} errors {:>7} refused {:>6} retries {:>8}\n", r.name,
               r.sent, r.served, r.direct, r.errors, r.send_failures, r.fifo_full_retries);
  fmt::print(out, "errors returned: {}\n", errors_text(c.errors_returned));
  fmt::print(out, "faults injected: ppm {} kcm {} rpc-thread {} points {} ({} total)\n", c.faults.ppm, c.faults.kcm,
             c.faults.rpc_thread, c.faults.points, c.faults.total());
  fmt::print(out, "fifo-full retries: {}\n", c.fifo_full_retries);
  const uint64_t passed = figures.invariant_checks - figures.invariant_failures;
  if (figures.invariant_failures == 0) fmt::print(out, "invariant checks: {} passed\n", passed);
  else fmt::print(out, "invariant checks: {} passed, {} failed\n", passed, figures.invariant_failures);
  fmt::print(out, "time: {:.3f} s, {:.0f} ops/s\n", figures.seconds,
             figures.seconds > 0 ? double(c.ops_total()) / figures.seconds : 0.0);
}

void print_soak_json(std::FILE* out, const soak::SoakFigures& figures, const std::string& extra) {
  const soak::SoakCounts& c = figures.counts;
  std::string json = "{";
  if (!extra.empty()) json += extra + ", ";
  json += fmt::format("\"ok\": {}, \"workers\": {}, \"ops\": {{\"total\": {}", figures.ok(), c.workers, c.ops_total());
  for (uint32_t kind = 0; kind < soak::kOpKinds; ++kind)
    json += fmt::format(", \"{}\": {}", soak::op_kind_name(soak::OpKind(kind)), c.ops[kind]);
  json += fmt::format(
      "}}, \"requests\": {{\"window\": {}, \"multicast_posts\": {}, \"chain_levels\": {}, "
      "\"chains_without_token\": {}, \"threads_created\": {}, \"threads_finished\": {}, \"threads_killed\": {}, "
      "\"thread_pings\": {}, \"page_blocks\": {}, \"objects\": {}}}",
      c.window_requests, c.multicast_posts, c.chain_levels, c.chains_without_token, c.children_created,
      c.children_finished, c.children_killed, c.child_pings, c.pages_allocated, c.objects_allocated);
  json +=
      fmt::format(", \"rpcs\": {{\"sent\": {}, \"served\": {}, \"send_failures\": {}, \"direct\": {}, \"by_index\": [",
                  c.rpc_sent, c.rpc_served, c.rpc_send_failures, c.rpc_direct);
  for (std::size_t i = 0; i < c.rpc.size(); ++i) {
    const soak::SoakRpcFigures& r = c.rpc[i];
    json += fmt::format(
        "{}{{\"index\": {}, \"name\": {}, \"sent\": {}, \"served\": {}, \"errors\": {}, "
        "\"send_failures\": {}, \"direct\": {}, \"fifo_full_retries\": {}}}",
        i == 0 ? "" : ", ", r.index == ~0u ? std::string("null") : fmt::format("{}", r.index), json_string(r.name),
        r.sent, r.served, r.errors, r.send_failures, r.direct, r.fifo_full_retries);
  }
  json += "]}, \"errors_returned\": {";
  for (std::size_t i = 0; i < c.errors_returned.size(); ++i)
    json += fmt::format("{}\"{}\": {}", i == 0 ? "" : ", ", errno_name(c.errors_returned[i].error),
                        c.errors_returned[i].count);
  json += fmt::format(
      "}}, \"faults_injected\": {{\"ppm\": {}, \"kcm\": {}, \"rpc_thread\": {}, \"points\": {}, "
      "\"total\": {}}}, \"fifo_full_retries\": {}, \"invariant_checks\": {{\"passed\": {}, "
      "\"failed\": {}}}, \"violations\": [",
      c.faults.ppm, c.faults.kcm, c.faults.rpc_thread, c.faults.points, c.faults.total(), c.fifo_full_retries,
      figures.invariant_checks - figures.invariant_failures, figures.invariant_failures);
  for (std::size_t i = 0; i < figures.violations.size(); ++i)
    json += fmt::format("{}{}", i == 0 ? "" : ", ", json_string(figures.violations[i]));
  json += fmt::format("], \"seconds\": {:.6f}}}", figures.seconds);
  fmt::print(out, "{}\n", json);
}

}  // namespace mkh::tool
