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

}  // namespace

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

std::optional<std::string> validate_config(const MachineConfig& config) {
  const Topology& t = config.topology;
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
  if (config.bank_mib < kMinBankMib || config.bank_mib > kMaxBankMib)
    return fmt::format("bank size {} MiB is out of range [{}, {}] MiB", config.bank_mib, kMinBankMib,
                       kMaxBankMib);
  if ((config.bank_mib & (config.bank_mib - 1)) != 0)
    return fmt::format("bank size {} MiB is not a power-of-two number of pages", config.bank_mib);
  if (config.rpc_fifo_slots < 2 || config.rpc_fifo_slots > kMaxRpcFifoSlots ||
      (config.rpc_fifo_slots & (config.rpc_fifo_slots - 1)) != 0)
    return fmt::format("RPC FIFO of {} slots: must be a power of two in [2, {}]", config.rpc_fifo_slots,
                       kMaxRpcFifoSlots);
  if (config.rpc_pool_bound < 1 || config.rpc_pool_bound > kMaxRpcPoolBound)
    return fmt::format("RPC pool bound {} is out of range [1, {}]", config.rpc_pool_bound, kMaxRpcPoolBound);
  if (config.rpc_batch < 1) return std::string("RPC batch must be at least 1");
  if (config.idle_spin_us > 1'000'000)
    return fmt::format("idle spin {} us exceeds one second", config.idle_spin_us);
  return std::nullopt;
}

}  // namespace mkh
