#include "stride_features.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <iterator>
#include <vector>

#include "landing_onset.hpp"
#include "placement.hpp"
#include "upper_median.hpp"

namespace gk {
namespace {
/// Fraction of the largest jump that still counts as part of the impact.
constexpr double kOnsetFraction = 0.25;
/// An impact transient rises within a few milliseconds; a longer climb is
/// the swing's own acceleration, not the contact.
constexpr int64_t kMaxOnsetLead_us = 12'000;
}  // namespace

std::pair<size_t, size_t> time_window(const GyroRows& rows, size_t begin, size_t end, int64_t t0_us,
                                      int64_t t1_us) {
  // Rows are in strictly increasing time (the segmenter admits no other), so both ends are
  // binary searches: a linear walk from the cycle's start cost a stride's rows per call.
  if (begin > end) return {1, 0};
  const auto first = rows.begin() + static_cast<std::ptrdiff_t>(begin);
  const auto stop = rows.begin() + static_cast<std::ptrdiff_t>(end) + 1;
  const auto lo =
      std::partition_point(first, stop, [&](const GyroRow& r) { return r.t_us < t0_us; });
  const auto hi = std::partition_point(lo, stop, [&](const GyroRow& r) { return r.t_us <= t1_us; });
  if (hi == lo) return {1, 0};
  return {static_cast<size_t>(lo - rows.begin()), static_cast<size_t>(hi - rows.begin()) - 1};
}

size_t argmin_pitch(const GyroRows& rows, size_t lo, size_t hi) {
  // The first minimum, in storage order by pointer (for_each_row): an index into the ring costs
  // a wrap test per access. An empty window (time_window's {1, 0}) gives lo back, as the index
  // loop did.
  assert(hi + 1 >= lo);
  if (hi < lo) return lo;
  size_t best = lo;
  size_t i = lo;
  double best_p = rows[lo].p;
  for_each_row(rows, lo, hi, [&](const GyroRow& row) {
    if (row.p < best_p) {
      best_p = row.p;
      best = i;
    }
    ++i;
    return true;
  });
  return best;
}

std::optional<IcFeature> ic_feature(const StrideSpan& span) {
  const GyroRows& rows = *span.rows;
  const auto [lo, hi] =
      time_window(rows, span.begin, span.end, span.t_begin_us, mid_cycle_us(span));
  if (lo > hi) return std::nullopt;
  const size_t k = argmin_pitch(rows, lo, hi);
  if (rows[k].p >= 0.0) return std::nullopt;
  if (span.truncated_head && k == lo) return std::nullopt;
  if (span.truncated_tail && k == span.end) return std::nullopt;
  return IcFeature{.row = k, .lo = lo, .hi = hi};
}

double refine_time_us(const GyroRows& rows, size_t k) {
  const double t = static_cast<double>(rows[k].t_us);
  if (k == 0 || k + 1 >= rows.size()) return t;
  const double y0 = rows[k - 1].p;
  const double y1 = rows[k].p;
  const double y2 = rows[k + 1].p;
  const double den = y0 - 2.0 * y1 + y2;
  if (std::abs(den) < 1e-12) return t;
  const double delta = std::clamp(0.5 * (y0 - y2) / den, -0.5, 0.5);
  const double half_span = 0.5 * static_cast<double>(rows[k + 1].t_us - rows[k - 1].t_us);
  return t + delta * half_span;
}

std::optional<double> impact_time_us(const StrideSpan& span, int64_t around_us,
                                     const ImpactSearch& search, const Eigen::Vector3d* along) {
  const GyroRows& rows = *span.rows;
  const size_t first = std::max(span.begin, size_t{1});
  if (first > span.end) return std::nullopt;
  // Every row's jump from the row before, computed once in one sequential pass (an index into
  // the ring costs a wrap test per access), kept for the window's searches below; a copy is
  // partially sorted for the stride's median. Scratch space per thread: this runs once per
  // stride on the hot path, and batch analysis runs sessions on several threads.
  // Without an axis the pass keeps squared norms: sqrt is monotonic, so the median's square
  // root is the median of the norms exactly, and only the few rows the searches below read
  // need a square root (one per row of the stride was most of this function's time).
  thread_local std::vector<double> jumps;
  thread_local std::vector<double> sorted;
  jumps.clear();
  const GyroRow* prev = &rows[first - 1];
  for_each_row(rows, first, span.end, [&](const GyroRow& cur) {
    const Eigen::Vector3d d = cur.a - prev->a;
    jumps.push_back(along ? d.dot(*along) : d.squaredNorm());
    prev = &cur;
    return true;
  });
  // Along an axis the jumps are signed; a rise is a jump up the axis.
  const auto jump = [&](size_t i) {
    const double j = jumps[i - first];
    return along ? std::abs(j) : std::sqrt(j);
  };
  const auto rise = [&](size_t i) {
    const double j = jumps[i - first];
    return along ? std::max(0.0, j) : std::sqrt(j);
  };
  sorted.assign(jumps.begin(), jumps.end());
  if (along) {
    for (double& j : sorted) j = std::abs(j);
  }
  const auto mid = sorted.begin() + static_cast<std::ptrdiff_t>(sorted.size() / 2);
  std::nth_element(sorted.begin(), mid, sorted.end());
  const double median_jump = std::max(along ? *mid : std::sqrt(*mid), 1e-6);

  const double min_ratio = search.min_ratio;
  const auto [lo, hi] =
      time_window(rows, first, span.end, around_us - static_cast<int64_t>(search.before_s * 1e6),
                  around_us + static_cast<int64_t>(search.after_s * 1e6));
  if (lo > hi) return std::nullopt;
  // With skip_hole_jumps, a jump across lost samples does not count (see ImpactSearch).
  const auto across_hole = [&](size_t i) {
    return search.skip_hole_jumps && rows[i].t_us - rows[i - 1].t_us > span.hole_us;
  };
  size_t best = lo;
  double best_jump = -1.0;
  for (size_t i = lo; i <= hi; ++i) {
    const double j = across_hole(i) ? -1.0 : jump(i);
    if (j > best_jump) {
      best_jump = j;
      best = i;
    }
  }
  if (search.later_s > search.after_s) {
    const auto [later_lo, later_hi] = time_window(
        rows, hi + 1, span.end, around_us, around_us + static_cast<int64_t>(search.later_s * 1e6));
    size_t later = later_lo;
    double later_jump = -1.0;
    for (size_t i = later_lo; i <= later_hi && later_lo <= later_hi; ++i) {
      const double j = across_hole(i) ? -1.0 : jump(i);
      if (j > later_jump) {
        later_jump = j;
        later = i;
      }
    }
    if (later_jump >= min_ratio * median_jump &&
        later_jump >= search.later_dominance * std::max(best_jump, 0.0)) {
      best_jump = later_jump;
      best = later;
    }
  }
  if (best_jump < min_ratio * median_jump) return std::nullopt;
  // The contact is the first transient, not necessarily the largest (see LandingOnsetSearch):
  // taking the largest alternated between two transients (a simulated forefoot run at 200 Hz:
  // IC 30 ms late on 3 strides in 13). A jump across lost samples is no transient; with
  // first_within_s, only jumps that close before the largest are the first one's.
  // The onset is then a share of this first jump, except for rises along an axis: there the
  // largest is often the fall after a spike the samples caught, and a share of the smaller rise
  // into it reached back into the late swing's own rise (the random sweep's 18 shank runs at
  // 200 Hz: mean IC error 1.93 ms that way, 1.72 ms this). Falls count in the walk back even for
  // rises_only: the drop after a spike the samples grazed is part of the transient (on a tibia,
  // rises only put a simulated shank's contacts 7.5 ms late at 200 Hz and 200 steps/min). The
  // walk back never goes below the background, min_ratio times the median jump.
  const int64_t best_dt_us = rows[best].t_us - rows[best - 1].t_us;
  const int64_t first_from_us =
      search.first_within_s > 0.0
          ? rows[best].t_us - static_cast<int64_t>(search.first_within_s * 1e6)
          : INT64_MIN;
  const auto first_jump = [&](size_t i) {
    if (rows[i].t_us < first_from_us) return -1.0;
    if (2 * (rows[i].t_us - rows[i - 1].t_us) > 3 * best_dt_us) return -1.0;
    return search.rises_only ? rise(i) : jump(i);
  };
  const LandingOnsetSearch onset{.first_fraction = search.first_fraction,
                                 .onset_fraction = kOnsetFraction,
                                 .onset_max_lead_us = kMaxOnsetLead_us,
                                 .level_from_largest = search.rises_only};
  const size_t k = landing_onset_row(lo, best, best_jump, lo, min_ratio * median_jump, onset,
                                     first_jump, jump, [&](size_t i) { return rows[i].t_us; });
  return 0.5 * static_cast<double>(rows[k - 1].t_us + rows[k].t_us);
}

std::optional<int64_t> predicted_landing_us(const StrideSpan& span,
                                            const std::deque<int64_t>& ic_offsets_us) {
  if (ic_offsets_us.empty()) return std::nullopt;
  return span.t_begin_us +
         upper_median(std::vector<int64_t>(ic_offsets_us.begin(), ic_offsets_us.end()));
}

bool retime_impact_beside_hole(const StrideSpan& span, std::optional<double>& impact,
                               const std::deque<int64_t>& ic_offsets_us, int64_t around_us,
                               ImpactSearch search, double margin_us,
                               const Eigen::Vector3d* along) {
  if (!impact || ic_offsets_us.empty()) return false;
  const GyroRows& rows = *span.rows;
  // The first row after the impact; the hole, if any, ends there.
  const auto after =
      std::upper_bound(rows.begin() + static_cast<std::ptrdiff_t>(span.begin),
                       rows.begin() + static_cast<std::ptrdiff_t>(span.end) + 1, *impact,
                       [](double t, const GyroRow& r) { return t < static_cast<double>(r.t_us); });
  const auto k = static_cast<size_t>(after - rows.begin());
  if (k <= span.begin || k > span.end) return false;
  const auto near_us = static_cast<double>(rows[k - 1].t_us);
  const auto far_us = static_cast<double>(rows[k].t_us);
  if (far_us - near_us <= static_cast<double>(span.hole_us) || *impact <= near_us) return false;
  const auto predicted_us = static_cast<double>(*predicted_landing_us(span, ic_offsets_us));
  if (predicted_us <= far_us + margin_us && predicted_us >= near_us - margin_us) return false;
  search.skip_hole_jumps = true;
  impact = impact_time_us(span, around_us, search, along);
  return true;
}

DetectedStep data_end_step(pb::Placement placement, double impact_us) {
  DetectedStep step;
  step.source = placement;
  step.side = side_of(placement);
  step.ic_us = static_cast<int64_t>(std::llround(impact_us));
  step.quality = 0.4;
  step.activity = GaitActivity::kRunning;
  step.contact_time_reliable = false;
  return step;
}

std::optional<double> impact_at_data_end_us(const StrideSpan& span,
                                            const std::deque<int64_t>& ic_offsets_us,
                                            const DataEndLanding& rule, ImpactSearch search,
                                            const Eigen::Vector3d* along) {
  const double cycle_us = static_cast<double>(span.t_end_us - span.t_begin_us);
  if (!span.truncated_tail || cycle_us >= rule.max_cycle_us ||
      ic_offsets_us.size() < rule.min_offsets) {
    return std::nullopt;
  }
  const int64_t predicted_us = *predicted_landing_us(span, ic_offsets_us);
  const double data_end_us = static_cast<double>((*span.rows)[span.end].t_us);
  const double min_after_us = rule.min_after_s * 1e6;
  if (static_cast<double>(predicted_us) > data_end_us - min_after_us) return std::nullopt;
  search.before_s = search.after_s = rule.tolerance * cycle_us * 1e-6;
  search.later_s = 0.0;
  const std::optional<double> impact = impact_time_us(span, predicted_us, search, along);
  if (!impact || *impact > data_end_us - min_after_us) return std::nullopt;
  return impact;
}

}  // namespace gk
