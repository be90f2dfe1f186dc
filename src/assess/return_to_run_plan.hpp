// Return-to-run plan after an episode of runner's knee. The guidance: return
// over four to eight weeks, raise the load by only 5-10 % a week, and watch
// for pain or stiffness; a week that hurt, or that ran over the plan, is
// repeated instead of progressed. The plan is a ladder of weekly steps
// (run/walk intervals and running minutes per week, each step at most
// max_weekly_increase_pct above the one before); follow_plan() walks the
// athlete's stored weeks up that ladder.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "pain_check.hpp"

namespace gk {

struct ReturnPlanSettings {
  int weeks = 8;              ///< 4 to 8 weeks of progression
  int sessions_per_week = 3;  ///< runs per week, on alternate days
  double first_week_run_min = 30.0;
  double max_weekly_increase_pct = 10.0;
  /// Running minutes a week may exceed the plan by before it counts as over.
  double over_plan_tolerance_pct = 5.0;
  /// Run/walk intervals: the first week runs this long between walks...
  double first_run_interval_min = 1.0;
  /// ...walking this long; both progress until the last week runs continuously.
  double walk_interval_min = 2.0;
};

struct PlanWeek {
  int step = 0;                 ///< 1-based rung of the ladder
  double run_min_per_week = 0;  ///< running minutes in the week
  double run_min_per_session = 0;
  double run_interval_min = 0;   ///< run this long...
  double walk_interval_min = 0;  ///< ...then walk this long (0 = continuous)
  int repeats = 0;               ///< run/walk cycles per session
  std::optional<double> cadence_target_spm;
};

struct ReturnPlan {
  int64_t start_utc_us = 0;  ///< Monday-independent: weeks count from here
  ReturnPlanSettings settings;
  std::vector<PlanWeek> steps;
};

/// One step in plain words, e.g. "33.0 min running a week: 6 x (run 2 min,
/// walk 1.5 min), at 176 steps/min".
std::string describe(const PlanWeek& step);

/// Throws std::invalid_argument for settings out of range (weeks outside
/// 4-8, increase above 10 %, non-positive minutes).
ReturnPlan build_return_plan(int64_t start_utc_us, const ReturnPlanSettings& settings,
                             std::optional<double> cadence_target_spm);

/// One stored session as the plan sees it.
struct PlanRun {
  int64_t start_utc_us = 0;
  double running_s = 0.0;
  std::optional<PainEntry> pain;
};

/// One calendar week of the plan (7 days from start + 7 k).
struct PlanWeekStatus {
  int week = 0;  ///< 1-based calendar week since the plan started
  int64_t week_start_utc_us = 0;
  PlanWeek planned;  ///< the rung this week was meant to run
  double run_min = 0.0;
  int sessions = 0;
  bool over_plan = false;
  bool pain = false;        ///< a logged session beyond the safe zone or rising
  bool progressed = false;  ///< the next week moves up a rung
  bool finished = false;    ///< the week is over (before now)
  std::string note;         ///< plain words: why the plan held or moved
};

struct PlanProgress {
  std::vector<PlanWeekStatus> weeks;  ///< up to and including the current week
  PlanWeek next;                      ///< what the current (or next) week should run
  bool complete = false;              ///< the last rung was run without a hold
};

/// runs in time order. Weeks with no stored run hold the plan (nothing to
/// progress from).
PlanProgress follow_plan(const ReturnPlan& plan, const std::vector<PlanRun>& runs,
                         int64_t now_utc_us, const PainSettings& pain = {});

}  // namespace gk
