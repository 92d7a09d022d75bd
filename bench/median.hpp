// The figure every benchmark reports: the median of its interleaved rounds.
#pragma once

#include <algorithm>
#include <vector>

namespace mkh::bench {

inline double median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

}  // namespace mkh::bench
