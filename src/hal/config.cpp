// Parsing and validation of the machine's shape (topology, bank size, idle spin).
// Layer: hal. Pure functions, no machine state; every message names the bad value.
#include <charconv>

#include <fmt/format.h>

#include "libk/result.hpp"
#include "mkh/config.hpp"

namespace mkh {

namespace {

Result<uint32_t, Error> parse_count(std::string_view text, std::string_view what, std::string_view whole) {
  uint32_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec == std::errc::result_out_of_range)
    return error(Errno::kInval, "topology '{}': {} '{}' is far too large", whole, what, text);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size())
    return error(Errno::kInval, "topology '{}': {} '{}' is not a whole number", whole, what, text);
  if (value == 0) return error(Errno::kInval, "topology '{}': {} must be at least 1", whole, what);
  return value;
}

// "0.05" (a probability) or "1/N" (every N-th).
Result<FaultRate, Error> parse_rate(std::string_view text) {
  if (text.starts_with("1/")) {
    uint32_t every = 0;
    const std::string_view digits = text.substr(2);
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), every);
    if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size() || every == 0)
      return error(Errno::kInval, "'{}' is not 1/N with N a whole number of at least 1", text);
    return FaultRate{every, 0.0};
  }
  double probability = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), probability);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size())
    return error(Errno::kInval, "'{}' is neither a probability (e.g. 0.01) nor 1/N", text);
  if (!(probability >= 0.0 && probability <= 1.0)) return error(Errno::kInval, "probability {} is not in [0, 1]", text);
  return FaultRate{0, probability};
}

Result<uint32_t, Error> parse_whole(std::string_view text, uint32_t max) {
  uint32_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value > max)
    return error(Errno::kInval, "'{}' is not a whole number in [0, {}]", text, max);
  return value;
}

// A parsed value stored in `target`, or its error passed on.
template <typename T>
Result<void, Error> store(T& target, Result<T, Error> parsed) {
  target = TRY(std::move(parsed));
  return {};
}

}  // namespace

Result<void, Error> parse_fault_spec(std::string_view spec, MachineConfig& config) {
  if (spec == "none") return {};
  if (spec.empty()) return error(Errno::kInval, "empty fault specification (use KEY=VALUE,... or none)");
  MachineConfig result = config;
  while (!spec.empty()) {
    const std::string_view item = spec.substr(0, spec.find(','));
    const bool more = item.size() < spec.size();
    spec = more ? spec.substr(item.size() + 1) : std::string_view();
    if (more && spec.empty()) return error(Errno::kInval, "fault specification ends with a comma");
    const auto equal = item.find('=');
    if (equal == std::string_view::npos) return error(Errno::kInval, "fault item '{}' is not KEY=VALUE", item);
    const std::string_view key = item.substr(0, equal);
    const std::string_view value = item.substr(equal + 1);
    Result<void, Error> stored;
    if (key == "ppm") stored = store(result.faults.ppm, parse_rate(value));
    else if (key == "kcm") stored = store(result.faults.kcm, parse_rate(value));
    else if (key == "rpc-thread") stored = store(result.faults.rpc_thread, parse_rate(value));
    else if (key == "points") stored = store(result.faults.points, parse_rate(value));
    else if (key == "delay-us") stored = store(result.faults.delay_us, parse_whole(value, 100'000));
    else if (key == "fifo") stored = store(result.rpc_fifo_slots, parse_whole(value, kMaxRpcFifoSlots));
    else if (key == "pool") stored = store(result.rpc_pool_bound, parse_whole(value, kMaxRpcPoolBound));
    else
      return error(Errno::kInval, "unknown fault '{}' (known: ppm, kcm, rpc-thread, points, delay-us, fifo, pool)",
                   key);
    if (!stored) return error(stored.error().context(fmt::format("fault '{}'", key)));
  }
  TRY(validate_config(result));
  config = result;
  return {};
}

Result<Topology, Error> parse_topology(std::string_view text) {
  const auto x_pos = text.find('x');
  const auto colon = text.find(':');
  if (x_pos == std::string_view::npos || colon == std::string_view::npos || colon < x_pos)
    return error(Errno::kInval, "topology '{}' is not of the form XxY:C (e.g. 2x2:2)", text);
  Topology t;
  t.x_size = TRY(parse_count(text.substr(0, x_pos), "X (clusters per row)", text));
  t.y_size = TRY(parse_count(text.substr(x_pos + 1, colon - x_pos - 1), "Y (clusters per column)", text));
  t.cores_per_cluster = TRY(parse_count(text.substr(colon + 1), "C (cores per cluster)", text));
  return t;
}

Result<void, Error> validate_topology(const Topology& t) {
  if (t.x_size == 0 || t.y_size == 0 || t.cores_per_cluster == 0)
    return error(Errno::kInval, "topology {}x{}:{}: every size must be at least 1", t.x_size, t.y_size,
                 t.cores_per_cluster);
  if (t.x_size > kMaxXSize)
    return error(Errno::kInval, "topology X = {} exceeds {} (the cxy field holds {} bits of x)", t.x_size, kMaxXSize,
                 kXWidth);
  if (t.y_size > kMaxYSize)
    return error(Errno::kInval, "topology Y = {} exceeds {} (the cxy field holds {} bits of y)", t.y_size, kMaxYSize,
                 kYWidth);
  if (t.cores_per_cluster > kMaxCoresPerCluster)
    return error(Errno::kInval, "topology C = {} exceeds {} cores per cluster", t.cores_per_cluster,
                 kMaxCoresPerCluster);
  if (uint64_t(t.clusters()) * t.cores_per_cluster > kMaxCores)
    return error(Errno::kInval, "topology {}x{}:{} has {} virtual cores; at most {} are allowed (one host thread each)",
                 t.x_size, t.y_size, t.cores_per_cluster, uint64_t(t.clusters()) * t.cores_per_cluster, kMaxCores);
  return {};
}

Result<void, Error> validate_bank_mib(uint64_t bank_mib) {
  if (bank_mib < kMinBankMib || bank_mib > kMaxBankMib)
    return error(Errno::kInval, "bank size {} MiB is out of range [{}, {}] MiB", bank_mib, kMinBankMib, kMaxBankMib);
  if ((bank_mib & (bank_mib - 1)) != 0)
    return error(Errno::kInval, "bank size {} MiB is not a power-of-two number of pages", bank_mib);
  return {};
}

Result<void, Error> validate_config(const MachineConfig& config) {
  TRY(validate_topology(config.topology));
  TRY(validate_bank_mib(config.bank_mib));
  if (config.rpc_fifo_slots < 2 || config.rpc_fifo_slots > kMaxRpcFifoSlots ||
      (config.rpc_fifo_slots & (config.rpc_fifo_slots - 1)) != 0)
    return error(Errno::kInval, "RPC FIFO of {} slots: must be a power of two in [2, {}]", config.rpc_fifo_slots,
                 kMaxRpcFifoSlots);
  if (config.rpc_pool_bound < 1 || config.rpc_pool_bound > kMaxRpcPoolBound)
    return error(Errno::kInval, "RPC pool bound {} is out of range [1, {}]", config.rpc_pool_bound, kMaxRpcPoolBound);
  if (config.rpc_batch < 1) return error(Errno::kInval, "RPC batch must be at least 1");
  if (config.idle_spin_us > kMaxIdleSpinUs)
    return error(Errno::kInval, "idle spin {} us exceeds one second", config.idle_spin_us);
  if (config.translate_after > kMaxTranslateAfter)
    return error(Errno::kInval, "translate after {} entries: at most {}", config.translate_after, kMaxTranslateAfter);
  if (config.load_period_ms < 1 || config.load_period_ms > 3'600'000)
    return error(Errno::kInval, "load period {} ms is out of range [1, 3600000]", config.load_period_ms);
  return {};
}

}  // namespace mkh
