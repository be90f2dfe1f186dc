#include "series_window.hpp"

#include <algorithm>

namespace gk {

std::optional<StanceSummary> summarize_stance(const TimedValues& series, int64_t ic_us,
                                              int64_t end_us, int64_t slack_us, double sign) {
  auto it =
      std::lower_bound(series.begin(), series.end(), ic_us - slack_us / 2,
                       [](const std::pair<int64_t, double>& a, int64_t t) { return a.first < t; });
  if (it == series.end() || it->first > ic_us + slack_us) return std::nullopt;
  StanceSummary s;
  s.at_ic = it->second;
  s.peak = sign * it->second;
  int64_t prev = it->first;
  for (; it != series.end() && it->first <= end_us; ++it) {
    if (it->first - prev > slack_us) return std::nullopt;
    prev = it->first;
    s.peak = std::max(s.peak, sign * it->second);
  }
  if (end_us - prev > slack_us) return std::nullopt;
  return s;
}

}  // namespace gk
