// Fault injection: the draws, their counts, the stall at marked points. Layer: hal.
// Calls libk/random only; the stall itself is the kernel's (fault_set_stall).
#include "hal/fault.hpp"

#include "libk/random.hpp"

namespace mkh::hal {

namespace {

struct FaultState {
  FaultConfig config;
  std::atomic<uint64_t> generator{0};  // splitmix64 state: one fetch_add per draw
  std::atomic<uint64_t> attempts[size_t(FaultSite::kCount)]{};
  std::atomic<uint64_t> injected[size_t(FaultSite::kCount)]{};
};

FaultState g_state;
std::atomic<void (*)(FaultPoint, uint32_t)> g_stall{nullptr};

const FaultRate& rate_of(FaultSite site) {
  switch (site) {
    case FaultSite::kPpmAlloc: return g_state.config.ppm;
    case FaultSite::kKcmAlloc: return g_state.config.kcm;
    case FaultSite::kRpcThreadCreate: return g_state.config.rpc_thread;
    case FaultSite::kPoint:
    case FaultSite::kCount: break;
  }
  return g_state.config.points;
}

// A uniform draw in [0, 1): splitmix64 over a shared counter, so that concurrent draws
// never repeat a value and a single host thread draws the same sequence every run.
double uniform() {
  const uint64_t state =
      g_state.generator.fetch_add(libk::kSplitMixGamma, std::memory_order_relaxed) + libk::kSplitMixGamma;
  return double(libk::splitmix64_mix(state) >> 11) * 0x1.0p-53;
}

void stall_at_point(FaultPoint point) {
  if (!detail::fault_draw(FaultSite::kPoint)) return;
  if (auto stall = g_stall.load(std::memory_order_relaxed)) stall(point, g_state.config.delay_us);
}

}  // namespace

namespace detail {

bool fault_draw(FaultSite site) {
  const FaultRate& rate = rate_of(site);
  if (!rate.on()) return false;
  const size_t i = size_t(site);
  bool fail;
  if (rate.every != 0) fail = (g_state.attempts[i].fetch_add(1, std::memory_order_relaxed) + 1) % rate.every == 0;
  else fail = uniform() < rate.probability;
  if (fail) g_state.injected[i].fetch_add(1, std::memory_order_relaxed);
  return fail;
}

}  // namespace detail

void fault_set_stall(void (*stall)(FaultPoint point, uint32_t delay_us)) { g_stall.store(stall); }

void fault_enable(const FaultConfig& config, uint64_t seed) {
  detail::g_faults_on.store(false);
  g_state.config = config;
  g_state.generator.store(seed);
  for (size_t i = 0; i < size_t(FaultSite::kCount); ++i) {
    g_state.attempts[i].store(0);
    g_state.injected[i].store(0);
  }
  if (config.points.on()) g_fault_hook.store(stall_at_point);
  detail::g_faults_on.store(config.any());
}

void fault_disable() {
  detail::g_faults_on.store(false);
  if (g_fault_hook.load() == stall_at_point) g_fault_hook.store(nullptr);
}

uint64_t fault_count(FaultSite site) { return g_state.injected[size_t(site)].load(std::memory_order_relaxed); }

FaultReport fault_counts() {
  return FaultReport{fault_count(FaultSite::kPpmAlloc), fault_count(FaultSite::kKcmAlloc),
                     fault_count(FaultSite::kRpcThreadCreate), fault_count(FaultSite::kPoint)};
}

}  // namespace mkh::hal
