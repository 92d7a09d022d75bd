// The per-cluster report of `mkh boot`: pages, objects per kcm type, threads, switches, IPIs.
// Part of the `mkh` tool; reads only the public MachineReport.
#include "report.hpp"

#include <fmt/format.h>

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

uint64_t report_error_count(const MachineReport& report) {
  uint64_t errors = report.threads_left;
  for (const ClusterReport& c : report.clusters) {
    errors += c.errors + c.page_failures;
    if (report.shut_down) {
      errors += uint64_t(c.pages_leaked < 0 ? -c.pages_leaked : c.pages_leaked);
      for (const KcmReport& k : c.kcm) errors += k.in_use + k.failures;
    }
  }
  return errors;
}

}  // namespace mkh::tool
