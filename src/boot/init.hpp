// The boot of every cluster in the order of the layers: each layer's cluster hook runs on
// every cluster before the next layer's, then each layer's core hook on every core (as
// Zircon's init levels). Layer: boot. A lower layer never calls a higher one to boot: the
// order is written here, once.
#pragma once

#include <cstdint>
#include <vector>

#include "libk/result.hpp"
#include "mkh/config.hpp"

namespace mkh::boot {

// Boots the kernel instance of every cluster: mm, kern, rpc, dev; then every core; kNoMem
// (no message) when a bank cannot hold what the layers need; a layer's refusal with its
// message (dev: a disk image that cannot be used).
[[nodiscard]] Result<void, Error> boot_clusters(const std::vector<uint32_t>& clusters, const MachineConfig& config);

}  // namespace mkh::boot
