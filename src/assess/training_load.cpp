#include "training_load.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace gk {
namespace {

constexpr int64_t kDay_s = 86400;

void add_evidence(pb::FormFlag& f, const char* name, double value, const char* unit) {
  pb::Evidence* e = f.add_evidence();
  e->set_name(name);
  e->set_value(value);
  e->set_unit(unit);
}

}  // namespace

std::optional<pb::FormFlag> check_single_run_spike(const std::vector<RunRecord>& history,
                                                   const RunRecord& current,
                                                   const TrainingLoadSettings& settings) {
  const int64_t from = current.start_unix_s - static_cast<int64_t>(settings.lookback_days * kDay_s);
  std::optional<double> longest;
  for (const RunRecord& r : history) {
    if (r.start_unix_s < from || r.start_unix_s >= current.start_unix_s) continue;
    longest = std::max(longest.value_or(0.0), r.duration_s);
  }
  if (!longest || *longest <= 0.0) return std::nullopt;
  const double limit = *longest * (1.0 + settings.single_run_spike_pct / 100.0);
  if (current.duration_s <= limit) return std::nullopt;
  pb::FormFlag f;
  f.set_kind(pb::TRAINING_LOAD);
  f.set_severity(pb::CAUTION);
  add_evidence(f, "this run", current.duration_s / 60.0, "min");
  add_evidence(f, "longest run of the previous 30 days", *longest / 60.0, "min");
  add_evidence(f, "increase", (current.duration_s / *longest - 1.0) * 100.0, "%");
  f.set_threshold(settings.single_run_spike_pct);
  f.set_threshold_unit("% above the longest run of the previous 30 days");
  f.set_reference("Frandsen 2025, Br J Sports Med: single-run spikes > 10 % and injury risk");
  f.set_advice(
      fmt::format("This run was much longer than anything in the last month. Build long runs up in "
                  "small steps: keep the next long run within about {:.0f} min.",
                  limit / 60.0));
  f.set_t_start_us(current.start_unix_s * 1000000);
  return f;
}

std::optional<pb::FormFlag> check_weekly_volume_change(const std::vector<RunRecord>& history,
                                                       const RunRecord& current,
                                                       const TrainingLoadSettings& settings) {
  // Weeks are the 7 x 24 h ending at the current run's start + duration
  // (it counts in this week), and the 7 days before that.
  const int64_t end = current.start_unix_s + static_cast<int64_t>(current.duration_s);
  double this_week = current.duration_s;
  double last_week = 0.0;
  for (const RunRecord& r : history) {
    if (r.start_unix_s == current.start_unix_s) continue;  // the current run itself
    const int64_t age = end - r.start_unix_s;
    if (age <= 0) continue;  // after the current run
    if (age <= 7 * kDay_s) {
      this_week += r.duration_s;
    } else if (age <= 14 * kDay_s) {
      last_week += r.duration_s;
    }
  }
  if (last_week <= 0.0) return std::nullopt;
  const double change_pct = (this_week / last_week - 1.0) * 100.0;
  if (change_pct <= settings.weekly_increase_max_pct) return std::nullopt;
  pb::FormFlag f;
  f.set_kind(pb::TRAINING_LOAD);
  f.set_severity(pb::INFO);
  add_evidence(f, "running time, last 7 days", this_week / 60.0, "min");
  add_evidence(f, "running time, the 7 days before", last_week / 60.0, "min");
  add_evidence(f, "weekly change", change_pct, "%");
  f.set_threshold(settings.weekly_increase_max_pct);
  f.set_threshold_unit("% weekly increase");
  f.set_reference("Nielsen 2014, JOSPT: > 30 % weekly increases and running injuries");
  f.set_advice(
      "Your weekly running time rose steeply. Hold this week's volume for a week or two "
      "before adding more.");
  f.set_t_start_us(current.start_unix_s * 1000000);
  return f;
}

}  // namespace gk
