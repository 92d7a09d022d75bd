// Parsing and validation of the machine's shape (topology, bank size, idle spin).
// Layer: hal. Pure functions, no machine state; every message names the bad value.
#include <charconv>

#include <fmt/format.h>

#include "mkh/config.hpp"

namespace mkh {

namespace {

tl::expected<uint32_t, std::string> parse_count(std::string_view text, std::string_view what,
                                                std::string_view whole) {
  uint32_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec == std::errc::result_out_of_range)
    return tl::unexpected(fmt::format("topology '{}': {} '{}' is far too large", whole, what, text));
  if (text.empty() || ec != std::errc() || end != text.data() + text.size())
    return tl::unexpected(fmt::format("topology '{}': {} '{}' is not a whole number", whole, what, text));
  if (value == 0) return tl::unexpected(fmt::format("topology '{}': {} must be at least 1", whole, what));
  return value;
}

// "0.05" (a probability) or "1/N" (every N-th).
std::optional<std::string> parse_rate(std::string_view text, FaultRate& rate) {
  if (text.starts_with("1/")) {
    uint32_t every = 0;
    const std::string_view digits = text.substr(2);
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), every);
    if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size() || every == 0)
      return fmt::format("'{}' is not 1/N with N a whole number of at least 1", text);
    rate = FaultRate{every, 0.0};
    return std::nullopt;
  }
  double probability = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), probability);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size())
    return fmt::format("'{}' is neither a probability (e.g. 0.01) nor 1/N", text);
  if (!(probability >= 0.0 && probability <= 1.0)) return fmt::format("probability {} is not in [0, 1]", text);
  rate = FaultRate{0, probability};
  return std::nullopt;
}

std::optional<std::string> parse_whole(std::string_view text, uint32_t max, uint32_t& value) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value > max)
    return fmt::format("'{}' is not a whole number in [0, {}]", text, max);
  return std::nullopt;
}

}  // namespace

std::optional<std::string> parse_fault_spec(std::string_view spec, MachineConfig& config) {
  if (spec == "none") return std::nullopt;
  if (spec.empty()) return std::string("empty fault specification (use KEY=VALUE,... or none)");
  MachineConfig result = config;
  while (!spec.empty()) {
    const std::string_view item = spec.substr(0, spec.find(','));
    const bool more = item.size() < spec.size();
    spec = more ? spec.substr(item.size() + 1) : std::string_view();
    if (more && spec.empty()) return std::string("fault specification ends with a comma");
    const auto equal = item.find('=');
    if (equal == std::string_view::npos)
      return fmt::format("fault item '{}' is not KEY=VALUE", item);
    const std::string_view key = item.substr(0, equal);
    const std::string_view value = item.substr(equal + 1);
    std::optional<std::string> problem;
    if (key == "ppm") problem = parse_rate(value, result.faults.ppm);
    else if (key == "kcm") problem = parse_rate(value, result.faults.kcm);
    else if (key == "rpc-thread") problem = parse_rate(value, result.faults.rpc_thread);
    else if (key == "points") problem = parse_rate(value, result.faults.points);
    else if (key == "delay-us") problem = parse_whole(value, 100'000, result.faults.delay_us);
    else if (key == "fifo") problem = parse_whole(value, kMaxRpcFifoSlots, result.rpc_fifo_slots);
    else if (key == "pool") problem = parse_whole(value, kMaxRpcPoolBound, result.rpc_pool_bound);
    else
      return fmt::format("unknown fault '{}' (known: ppm, kcm, rpc-thread, points, delay-us, fifo, pool)", key);
    if (problem) return fmt::format("fault '{}': {}", key, *problem);
  }
  if (auto problem = validate_config(result)) return problem;
  config = result;
  return std::nullopt;
}

tl::expected<Topology, std::string> parse_topology(std::string_view text) {
  const auto x_pos = text.find('x');
  const auto colon = text.find(':');
  if (x_pos == std::string_view::npos || colon == std::string_view::npos || colon < x_pos)
    return tl::unexpected(fmt::format("topology '{}' is not of the form XxY:C (e.g. 2x2:2)", text));
  Topology t;
  auto x = parse_count(text.substr(0, x_pos), "X (clusters per row)", text);
  if (!x) return tl::unexpected(x.error());
  auto y = parse_count(text.substr(x_pos + 1, colon - x_pos - 1), "Y (clusters per column)", text);
  if (!y) return tl::unexpected(y.error());
  auto c = parse_count(text.substr(colon + 1), "C (cores per cluster)", text);
  if (!c) return tl::unexpected(c.error());
  t.x_size = *x;
  t.y_size = *y;
  t.cores_per_cluster = *c;
  return t;
}

std::optional<std::string> validate_topology(const Topology& t) {
  if (t.x_size == 0 || t.y_size == 0 || t.cores_per_cluster == 0)
    return fmt::format("topology {}x{}:{}: every size must be at least 1", t.x_size, t.y_size,
                       t.cores_per_cluster);
  if (t.x_size > kMaxXSize)
    return fmt::format("topology X = {} exceeds {} (the cxy field holds {} bits of x)", t.x_size,
                       kMaxXSize, kXWidth);
  if (t.y_size > kMaxYSize)
    return fmt::format("topology Y = {} exceeds {} (the cxy field holds {} bits of y)", t.y_size,
                       kMaxYSize, kYWidth);
  if (t.cores_per_cluster > kMaxCoresPerCluster)
    return fmt::format("topology C = {} exceeds {} cores per cluster", t.cores_per_cluster,
                       kMaxCoresPerCluster);
  if (uint64_t(t.clusters()) * t.cores_per_cluster > kMaxCores)
    return fmt::format("topology {}x{}:{} has {} virtual cores; at most {} are allowed (one host thread each)",
                       t.x_size, t.y_size, t.cores_per_cluster,
                       uint64_t(t.clusters()) * t.cores_per_cluster, kMaxCores);
  return std::nullopt;
}

std::optional<std::string> validate_bank_mib(uint64_t bank_mib) {
  if (bank_mib < kMinBankMib || bank_mib > kMaxBankMib)
    return fmt::format("bank size {} MiB is out of range [{}, {}] MiB", bank_mib, kMinBankMib, kMaxBankMib);
  if ((bank_mib & (bank_mib - 1)) != 0)
    return fmt::format("bank size {} MiB is not a power-of-two number of pages", bank_mib);
  return std::nullopt;
}

std::optional<std::string> validate_config(const MachineConfig& config) {
  if (auto problem = validate_topology(config.topology)) return problem;
  if (auto problem = validate_bank_mib(config.bank_mib)) return problem;
  if (config.rpc_fifo_slots < 2 || config.rpc_fifo_slots > kMaxRpcFifoSlots ||
      (config.rpc_fifo_slots & (config.rpc_fifo_slots - 1)) != 0)
    return fmt::format("RPC FIFO of {} slots: must be a power of two in [2, {}]", config.rpc_fifo_slots,
                       kMaxRpcFifoSlots);
  if (config.rpc_pool_bound < 1 || config.rpc_pool_bound > kMaxRpcPoolBound)
    return fmt::format("RPC pool bound {} is out of range [1, {}]", config.rpc_pool_bound, kMaxRpcPoolBound);
  if (config.rpc_batch < 1) return std::string("RPC batch must be at least 1");
  if (config.idle_spin_us > kMaxIdleSpinUs)
    return fmt::format("idle spin {} us exceeds one second", config.idle_spin_us);
  return std::nullopt;
}

}  // namespace mkh
