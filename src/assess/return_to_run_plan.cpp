#include "return_to_run_plan.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace gk {
namespace {

constexpr int64_t kWeek_us = int64_t{7} * 86400 * 1'000'000;

}  // namespace

std::string describe(const PlanWeek& w) {
  const std::string intervals =
      w.walk_interval_min > 0.0 ? fmt::format("{} x (run {:.0f} min, walk {:.1f} min)", w.repeats,
                                              w.run_interval_min, w.walk_interval_min)
                                : fmt::format("run {:.0f} min continuously", w.run_min_per_session);
  return fmt::format("{:.1f} min running a week: {}{}", w.run_min_per_week, intervals,
                     w.cadence_target_spm
                         ? fmt::format(", at {:.0f} steps/min", *w.cadence_target_spm)
                         : std::string());
}

ReturnPlan build_return_plan(int64_t start_utc_us, const ReturnPlanSettings& s,
                             std::optional<double> cadence_target_spm) {
  if (s.weeks < 4 || s.weeks > 8) {
    throw std::invalid_argument("a return-to-run plan runs over 4 to 8 weeks");
  }
  if (s.max_weekly_increase_pct <= 0.0 || s.max_weekly_increase_pct > 10.0) {
    throw std::invalid_argument("the weekly increase must be above 0 and at most 10 %");
  }
  if (s.first_week_run_min <= 0.0 || s.sessions_per_week < 1 || s.first_run_interval_min <= 0.0 ||
      s.walk_interval_min < 0.0) {
    throw std::invalid_argument("plan minutes and sessions must be positive");
  }
  ReturnPlan plan;
  plan.start_utc_us = start_utc_us;
  plan.settings = s;
  const double growth = 1.0 + s.max_weekly_increase_pct / 100.0;
  for (int k = 0; k < s.weeks; ++k) {
    PlanWeek w;
    w.step = k + 1;
    // Each step from the one before, rounded down to a tenth of a minute so
    // rounding never pushes a step past the allowed increase.
    w.run_min_per_week =
        k == 0 ? s.first_week_run_min
               : std::floor(plan.steps.back().run_min_per_week * growth * 10.0) / 10.0;
    w.run_min_per_session = w.run_min_per_week / s.sessions_per_week;
    // Intervals lengthen and walks shorten linearly; the last week is one
    // continuous run.
    const double f = s.weeks > 1 ? static_cast<double>(k) / (s.weeks - 1) : 1.0;
    if (k == s.weeks - 1) {
      w.run_interval_min = w.run_min_per_session;
      w.walk_interval_min = 0.0;
      w.repeats = 1;
    } else {
      w.run_interval_min =
          std::min(w.run_min_per_session,
                   std::round(s.first_run_interval_min +
                              f * (w.run_min_per_session / 2.0 - s.first_run_interval_min)));
      w.run_interval_min = std::max(w.run_interval_min, s.first_run_interval_min);
      w.walk_interval_min = std::max(0.5, std::round(2.0 * s.walk_interval_min * (1.0 - f)) / 2.0);
      w.repeats = static_cast<int>(std::ceil(w.run_min_per_session / w.run_interval_min));
    }
    w.cadence_target_spm = cadence_target_spm;
    plan.steps.push_back(w);
  }
  return plan;
}

PlanProgress follow_plan(const ReturnPlan& plan, const std::vector<PlanRun>& runs,
                         int64_t now_utc_us, const PainSettings& pain) {
  PlanProgress out;
  if (plan.steps.empty()) return out;
  size_t rung = 0;
  const PainEntry* previous_pain = nullptr;
  for (int week = 0;; ++week) {
    const int64_t from = plan.start_utc_us + week * kWeek_us;
    if (from > now_utc_us) break;
    const int64_t to = from + kWeek_us;
    PlanWeekStatus st;
    st.week = week + 1;
    st.week_start_utc_us = from;
    st.planned = plan.steps[rung];
    st.finished = to <= now_utc_us;
    for (const PlanRun& r : runs) {
      if (r.start_utc_us < from || r.start_utc_us >= to) continue;
      st.run_min += r.running_s / 60.0;
      ++st.sessions;
      if (r.pain) {
        if (pain_holds_progress(*r.pain, previous_pain, pain)) st.pain = true;
        previous_pain = &*r.pain;
      }
    }
    st.over_plan = st.run_min > st.planned.run_min_per_week *
                                    (1.0 + plan.settings.over_plan_tolerance_pct / 100.0);
    if (st.finished) {
      st.progressed = st.sessions > 0 && !st.over_plan && !st.pain;
      if (st.pain) {
        st.note = "pain reported: repeat this step next week";
      } else if (st.over_plan) {
        st.note = fmt::format("ran {:.0f} min against {:.0f} planned: repeat this step", st.run_min,
                              st.planned.run_min_per_week);
      } else if (st.sessions == 0) {
        st.note = "no run stored this week: repeat this step";
      } else if (rung + 1 == plan.steps.size()) {
        st.note = "last step done without pain: the plan is complete";
        out.complete = true;
      } else {
        st.note = "on plan without pain: move up a step";
      }
    } else {
      st.note = "this week";
    }
    out.weeks.push_back(st);
    if (st.progressed && rung + 1 < plan.steps.size()) ++rung;
    if (out.complete) break;
  }
  out.next = plan.steps[rung];
  return out;
}

}  // namespace gk
