// Foot contacts without a sagittal swing: turning, pivoting and shuffling
// steps, found from the foot coming to rest after it was lifted.
//
// The stride segmenter cuts the pitch rate at mid-swing peaks, which a step
// taken while turning does not have: the foot swings mostly about the
// vertical (an ipol-walking U-turn step: yaw 5 rad/s, pitch 1.4 rad/s).
// What every step does have is a lift and a landing between two moments at
// rest. So: the foot is at rest (slow rotation, the accelerometer reading
// gravity alone) for a while, moves, and comes to rest again; the motion is a
// step when zero-velocity-updated strapdown integration (Foxlin 2005, IEEE
// CG&A 25:38; the same integration as the stride length) puts the foot
// above its start by at least a centimetre on the way. A foot turning on the
// ground stays there. Its initial contact is the landing impact: the largest
// jerk shortly before the foot comes to rest.
//
// The finder proposes; FootStepDetector keeps a proposal only where the
// segmenter reported no contact. It keeps no samples of its own: the caller
// passes the window of rows it already holds (the segmenter's), which must
// reach back over the current move (see push()).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "gyro_stride_segmenter.hpp"
#include "sample.hpp"

namespace gk {

struct TurnStepSettings {
  double still_rate_rps = 0.8;    ///< at rest: rotating slower than this ...
  double still_accel_mps2 = 2.0;  ///< ... with |a| this close to 1 g ...
  double still_min_s = 0.12;      ///< ... for at least this long
  double motion_min_s = 0.15;     ///< a lift and landing take at least this
  double motion_max_s = 2.0;      ///< longer moves are not one step
  double clearance_min_m = 0.01;  ///< the foot rose at least this high
  double impact_search_s = 0.3;   ///< the landing is looked for this long before rest
  double gap_s = 0.1;             ///< a longer hole in the data ends the move
};

struct TurnStepProposal {
  int64_t lift_us = 0;  ///< last moment at rest before the move
  int64_t ic_us = 0;    ///< landing impact
  int64_t rest_us = 0;  ///< first moment at rest after it
  double clearance_m = 0.0;
};

class TurnStepFinder {
 public:
  explicit TurnStepFinder(const TurnStepSettings& settings = {});

  /// `rows` ends with this sample (when it is usable) and holds every row
  /// since the last moment at rest, with a few before it: the integration
  /// and the impact search read them when the foot comes to rest.
  void push(const ImuSample& sample, const GyroRows& rows) {
    // Inline fast path, as this sees every foot sample: outside a possible
    // turn step a sample that is not at rest changes nothing but the clock.
    // (last_t_us_ starts at INT64_MIN: adding the gap cannot overflow,
    // subtracting it from a sample time could.)
    if ((state_ == State::kSwing || state_ == State::kUnknown) && sample.t_us > last_t_us_ &&
        sample.t_us <= last_t_us_ + gap_us_ && !at_rest(sample)) {
      last_t_us_ = sample.t_us;
      rest_start_us_.reset();
      return;
    }
    push_slow(sample, rows);
  }
  /// A sagittal mid-swing was seen at t_us: the move that holds it is a
  /// swing the segmenter cuts, so it is not integrated here (that halves
  /// the integration work of ordinary walking).
  void note_mid_swing(int64_t t_us) { last_mid_swing_us_ = t_us; }
  void reset();
  bool has_proposals() const { return !ready_.empty(); }
  /// Moves out the proposals made so far (in time order).
  std::vector<TurnStepProposal> take();
  /// No proposal with an earlier IC will come: a proposal's IC lies inside
  /// a move, after its lift; while no move is under way the next one cannot
  /// start before the data's end.
  int64_t horizon_us() const { return state_ == State::kMoving ? lift_us_ : last_t_us_; }

 private:
  enum class State {
    kUnknown,  ///< not seen at rest yet (or lost: a gap, a long move)
    kAtRest,
    kMoving,  ///< lifted from rest, no mid-swing yet: may be a turn step
    kSwing,   ///< a move with a mid-swing: the segmenter's stride
  };
  void push_slow(const ImuSample& sample, const GyroRows& rows);
  void at_rest_again(int64_t rest_us, const GyroRows& rows);
  /// Slow rotation and the accelerometer reading gravity alone (compared
  /// squared; false for non-finite values).
  bool at_rest(const ImuSample& s) const {
    const double a2 = s.acc_mps2.squaredNorm();
    return s.gyr_rps.squaredNorm() < still_rate2_ && a2 > still_a2_lo_ && a2 < still_a2_hi_;
  }

  TurnStepSettings settings_;
  double still_rate2_, still_a2_lo_, still_a2_hi_;  ///< the rest test, squared
  int64_t gap_us_;
  State state_ = State::kUnknown;
  std::optional<int64_t> rest_start_us_;
  int64_t last_rest_us_ = 0;  ///< last sample at rest
  int64_t lift_us_ = 0;
  int64_t last_t_us_ = INT64_MIN;
  int64_t last_mid_swing_us_ = INT64_MIN;
  std::vector<TurnStepProposal> ready_;
};

}  // namespace gk
