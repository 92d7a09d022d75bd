// The per-cluster report of `mkh boot`: pages, objects per kcm type, threads, switches, IPIs.
// Part of the `mkh` tool; reads only the public MachineReport.
#include "report.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace mkh::tool {

void print_report(std::FILE* out, const MachineReport& report) {
  fmt::print(out, "{:>6} {:>5} | {:>8} {:>8} {:>8} {:>6} | {:>7} {:>7} {:>5} | {:>9} {:>8} {:>8} {:>7} | {:>6}\n",
             "cxy", "(x,y)", "pages", "free", "used", "leaked", "created", "ended", "alive", "switches",
             "ipi-sent", "ipi-recv", "sleeps", "errors");
  for (const ClusterReport& c : report.clusters) {
    fmt::print(out, "{:>#6x} {:>5} | {:>8} {:>8} {:>8} {:>6} | {:>7} {:>7} {:>5} | {:>9} {:>8} {:>8} {:>7} | {:>6}\n",
               c.cxy, fmt::format("({},{})", c.x, c.y), c.pages_total, c.pages_free, c.pages_used,
               report.shut_down ? fmt::format("{}", c.pages_leaked) : std::string("-"), c.threads_created,
               c.threads_destroyed, c.threads_alive, c.switches, c.ipis_sent, c.ipis_received, c.sleeps, c.errors);
  }
  fmt::print(out, "\nkcm objects per type (in use / allocated / freed / refused), per cluster:\n");
  for (const ClusterReport& c : report.clusters) {
    std::string line = fmt::format("  {:#04x}:", c.cxy);
    for (const KcmReport& k : c.kcm)
      line += fmt::format("  {}[{}B] {}/{}/{}/{}", k.type, k.object_size, k.in_use, k.allocs, k.frees, k.failures);
    fmt::print(out, "{}\n", line);
  }
  if (report.shut_down) fmt::print(out, "\nthreads left at shutdown: {}\n", report.threads_left);
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

void print_rpc_stats(std::FILE* out, const MachineReport& report) {
  fmt::print(out, "\nRPC statistics (sent and latency by the client's cluster, served and errors by the server's):\n");
  fmt::print(out, "{:>6} {:>5} {:<22} | {:>8} {:>8} {:>6} {:>7} {:>6} | {:>9} {:>9}\n", "cxy", "index", "service",
             "sent", "served", "errors", "retries", "failed", "p50 (ns)", "p99 (ns)");
  for (const ClusterReport& c : report.clusters)
    for (const RpcIndexReport& r : c.rpc)
      fmt::print(out, "{:>#6x} {:>5} {:<22} | {:>8} {:>8} {:>6} {:>7} {:>6} | {:>9} {:>9}\n", c.cxy,
                 r.index == ~0u ? std::string("-") : fmt::format("{}", r.index), r.name, r.sent, r.served, r.errors,
                 r.fifo_full_retries, r.send_failures, latency_percentile_ns(r.latency, 0.5),
                 latency_percentile_ns(r.latency, 0.99));
  fmt::print(out, "\n{:>6} | {:>12} {:>12} {:>14} {:>15}\n", "cxy", "rpc threads", "reclaimed", "pool exhausted",
             "FIFO high-water");
  for (const ClusterReport& c : report.clusters)
    fmt::print(out, "{:>#6x} | {:>12} {:>12} {:>14} {:>15}\n", c.cxy, c.rpc_threads_created, c.rpc_threads_reclaimed,
               c.rpc_pool_exhausted, c.rpc_fifo_high_water);
}

namespace {
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
}  // namespace

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
        "\"ipis_sent\": {}, \"ipis_received\": {}, \"sleeps\": {}, \"errors\": {}, \"rpc_threads_created\": {}, "
        "\"rpc_threads_reclaimed\": {}, \"rpc_pool_exhausted\": {}, \"rpc_fifo_high_water\": {}, \"kcm\": [",
        i == 0 ? "" : ", ", c.cxy, c.x, c.y, c.pages_total, c.pages_free, c.pages_used, c.pages_leaked,
        c.threads_created, c.threads_destroyed, c.switches, c.ipis_sent, c.ipis_received, c.sleeps, c.errors,
        c.rpc_threads_created, c.rpc_threads_reclaimed, c.rpc_pool_exhausted, c.rpc_fifo_high_water);
    for (std::size_t k = 0; k < c.kcm.size(); ++k)
      json += fmt::format("{}{{\"type\": {}, \"object_size\": {}, \"in_use\": {}, \"allocs\": {}, \"frees\": {}, "
                          "\"failures\": {}}}",
                          k == 0 ? "" : ", ", json_string(c.kcm[k].type), c.kcm[k].object_size, c.kcm[k].in_use,
                          c.kcm[k].allocs, c.kcm[k].frees, c.kcm[k].failures);
    json += "], \"rpc\": [";
    for (std::size_t r = 0; r < c.rpc.size(); ++r) {
      const RpcIndexReport& x = c.rpc[r];
      json += fmt::format("{}{{\"index\": {}, \"name\": {}, \"sent\": {}, \"served\": {}, \"errors\": {}, "
                          "\"fifo_full_retries\": {}, \"send_failures\": {}, \"latency_p50_ns\": {}, "
                          "\"latency_p99_ns\": {}, \"latency_log2_ns\": [{}]}}",
                          r == 0 ? "" : ", ", x.index == ~0u ? std::string("null") : fmt::format("{}", x.index),
                          json_string(x.name), x.sent, x.served, x.errors, x.fifo_full_retries, x.send_failures,
                          latency_percentile_ns(x.latency, 0.5), latency_percentile_ns(x.latency, 0.99),
                          fmt::join(x.latency, ", "));
    }
    json += "]}";
  }
  json += "]}";
  fmt::print(out, "{}\n", json);
}

uint64_t report_error_count(const MachineReport& report) {
  uint64_t errors = report.threads_left;
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

}  // namespace mkh::tool
