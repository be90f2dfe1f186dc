// Landings lost in a bridged hole, found from the rhythm of the landings either side.
//
// A radio link drops whole packets: 20 samples are 0.2 s at 100 Hz, 40 ms at 500 Hz. The
// detectors bridge such a hole (they do not start over; nothing is filled in), but where the hole
// swallows what a detector times a landing by (the impact spike of a shank without a gyroscope,
// a trunk's loading peak, a shoe's rest, a foot's swing), that landing is not reported: one
// stride's report then spans two, and a 10-step cadence window over it reads a tenth low (a
// simulated accelerometer-only shank at 500 Hz with 3 % of the packets lost: 8 of 170 landings,
// cadence error 6.2 steps/min).
//
// Where a sensor's own reports run at a steady rhythm, the next report comes two intervals after
// the last (within a tenth of one), and a bridged hole lies where the landing between them was
// due, that landing is reported at the middle of the two: the time both neighbours agree on, as
// a runner's stride varies by a few percent from one to the next (Nakayama et al. 2010, Gait
// Posture 31:331). It is flagged `ic_in_hole` with a low quality, so any other sensor's report of
// the same contact is taken over it (StepMerger), and it has no toe-off. No sample is made up,
// and nothing is reported across a gap longer than a bridged hole, where the detectors start
// over.
//
// Seen only when the next landing is reported: such a landing leaves a stride later than the
// others. The sensor's horizon is held at the earliest time it could be placed while a hole that
// may hold one is still undecided, so every step still leaves the merger in IC order.
#pragma once

#include <algorithm>
#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

#include "step.hpp"

namespace gk {

struct LostLandingSettings {
  /// A hole: samples further apart than this many sample periods and hole_min_s ...
  double hole_min_periods = 3.5;
  double hole_min_s = 0.02;
  /// ... and not longer than this (the detectors' bridge: a longer one is a gap, across which
  /// they start over and nothing is reported).
  double hole_max_s = kDropoutBridgeMax_s;
  /// The rhythm: this many intervals between the sensor's reports before the pair, each within
  /// rhythm_tolerance of their median.
  size_t rhythm_intervals = 4;
  double rhythm_tolerance = 0.1;
  /// The pair of reports around the lost landing: two intervals apart within this share of one.
  double pair_tolerance = 0.1;
  /// The hole must overlap the stretch from this share of an interval before the middle to
  /// window_after after it: the landing and what a detector times it by, its leg's swing before
  /// it (a foot's and a shank's cycles run from mid-swing to mid-swing: at 100 Hz a 0.2 s hole
  /// over a foot's swing, 0.13-0.34 s before the landing, lost that landing) and a trunk's
  /// loading peak, up to a third of a step after the contact.
  double window_before = 0.5;
  double window_after = 0.3;
  double quality = 0.3;
};

class LostLandingFinder {
 public:
  explicit LostLandingFinder(const LostLandingSettings& settings = {}) : settings_(settings) {
    set_period(0);
  }

  /// The sensor's sample period (0: not known yet): a hole is a step between samples of more
  /// than hole_min_periods of it (and hole_min_s).
  void set_period(int64_t period_us) {
    hole_min_us_ =
        std::max(static_cast<int64_t>(settings_.hole_min_s * 1e6),
                 static_cast<int64_t>(settings_.hole_min_periods * static_cast<double>(period_us)));
  }
  /// Every sample's time, in order (the engine's check that it is after the last comes first).
  void push_sample(int64_t t_us) {
    if (last_t_us_ != INT64_MIN && t_us - last_t_us_ > hole_min_us_) [[unlikely]]
      note_hole(last_t_us_, t_us);
    last_t_us_ = t_us;
  }
  /// The detector's next report, in IC order; appended to out after the landing lost before it,
  /// if any.
  void push_step(const DetectedStep& step, std::vector<DetectedStep>& out);
  /// The sensor's horizon for the merger, given its detector's.
  int64_t horizon_us(int64_t detector_horizon_us) const {
    if (!hold_us_ || detector_horizon_us > hold_until_us_) return detector_horizon_us;
    return std::min(detector_horizon_us, *hold_us_);
  }
  void reset();
  /// Landings reported from the rhythm.
  uint64_t found() const { return found_; }
  std::optional<int64_t> first_found_us() const { return first_found_us_; }

 private:
  struct Hole {
    int64_t from_us;
    int64_t to_us;
    bool gap;  ///< longer than hole_max_s: the detectors started over after it
  };
  [[gnu::noinline]] void note_hole(int64_t from_us, int64_t to_us);
  /// The steady interval of the recent reports, if they have one.
  std::optional<int64_t> steady_interval_us() const;
  /// Where in [earliest, latest] a landing lost in this hole could be placed (the middle of the
  /// pair must lie there), if anywhere.
  std::optional<std::pair<int64_t, int64_t>> placeable(const Hole& hole, int64_t interval_us) const;
  void update_hold();

  LostLandingSettings settings_;
  int64_t last_t_us_ = INT64_MIN;
  int64_t hole_min_us_ = INT64_MAX;    ///< see set_period()
  std::deque<Hole> holes_;             ///< holes and gaps since the last report
  std::deque<int64_t> intervals_us_;   ///< between the recent reports
  std::optional<DetectedStep> last_;   ///< the last report passed on
  std::optional<int64_t> hold_us_;     ///< see horizon_us()
  int64_t hold_until_us_ = INT64_MIN;  ///< the latest the next report can pair with the last
  uint64_t found_ = 0;
  std::optional<int64_t> first_found_us_;
};

}  // namespace gk
