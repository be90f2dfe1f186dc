// Training-load checks over the runner's history (pure functions). The
// history comes from the session store (a separate issue); until that
// exists the CLI cannot feed these, but the rules and their tests are here.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "gaitkeeper.pb.h"
#include "sample.hpp"  // pb:: alias

namespace gk {

/// One past (or the current) run: when it started and how long it ran.
struct RunRecord {
  int64_t start_unix_s = 0;
  double duration_s = 0.0;
};

struct TrainingLoadSettings {
  /// A single run longer than the longest of the previous 30 days by more
  /// than this share raises injury risk (Frandsen 2025, BJSM).
  double single_run_spike_pct = 10.0;
  double lookback_days = 30.0;
  /// Week-to-week change in running time above which the load is flagged.
  /// Nielsen 2014 (JOSPT): runners increasing weekly distance by more than
  /// 30 % had more injuries (patellofemoral pain among them).
  double weekly_increase_max_pct = 30.0;
};

/// Frandsen 2025: the current run against the longest run in the previous
/// lookback_days (runs starting before it). nullopt when there is no run in
/// that window (nothing to compare against) or the run is within the limit.
std::optional<pb::FormFlag> check_single_run_spike(const std::vector<RunRecord>& history,
                                                   const RunRecord& current,
                                                   const TrainingLoadSettings& settings = {});

/// Running time of the 7 days ending with the current run against the 7
/// days before. nullopt when the previous week is empty or the change is
/// within the limit.
std::optional<pb::FormFlag> check_weekly_volume_change(const std::vector<RunRecord>& history,
                                                       const RunRecord& current,
                                                       const TrainingLoadSettings& settings = {});

}  // namespace gk
