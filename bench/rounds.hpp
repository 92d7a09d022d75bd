// Interleaved rounds against a peer program: the order of each round's pair and the JSON of
// the medians with every round's figures (mkh bench fs and mkh bench user).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "median.hpp"

namespace mkh::bench {

// Every figure's value in each round, in round order.
using Samples = std::map<std::string, std::vector<double>, std::less<>>;

// Runs mkh's side and the peer's side of one measure: mkh first in even rounds, the peer first
// in odd ones, so that neither always runs on a cache or a CPU frequency the other left.
template <typename Mkh, typename Peer>
auto run_pair(uint32_t round, Mkh mkh, Peer peer) -> decltype(mkh()) {
  if (round % 2 == 0) {
    if (auto ran = mkh(); !ran) return ran;
    return peer();
  }
  if (auto ran = peer(); !ran) return ran;
  return mkh();
}

// Closes the JSON object whose opening fields are `head`: each figure's median, then
// "per_round" with each figure's values.
inline std::string json_with_medians(std::string head, std::span<const std::string_view> figures,
                                     const Samples& samples) {
  std::string per_round;
  for (std::string_view name : figures) {
    const auto found = samples.find(name);
    const std::vector<double> values = found == samples.end() ? std::vector<double>{} : found->second;
    head += fmt::format(", \"{}\": {:.6g}", name, median(values));
    per_round += fmt::format("{}\"{}\": [{:.6g}]", per_round.empty() ? "" : ", ", name, fmt::join(values, ", "));
  }
  return fmt::format("{}, \"per_round\": {{{}}}}}", head, per_round);
}

}  // namespace mkh::bench
