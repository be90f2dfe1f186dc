// The running trunk's vertical bounce, driven by its own feet. Each contact of either foot pushes
// the trunk up with a half-sine ground force over exactly that contact (the spring-mass runner of
// Blickhan 1989, J. Biomech. 22:1217), and gravity pulls it down throughout, so the trunk's
// specific force is zero in every flight and rises from each landing, however the gait changes
// from step to step. The height is the double integral of that force, in closed form per step.
#pragma once

#include <vector>

#include "gait_timeline.hpp"

namespace gk::sim {

class TrunkBounce {
 public:
  /// Gain of the height correction per step: the share of an IC height's offset from that of a
  /// steady gait of the next step's timing that one step's impulse takes back. Each contact's
  /// impulse carries its step's weight (g times the step time) plus what brings the trunk to the
  /// steady vertical velocity of the next step and this share of its height offset, so the bounce
  /// neither drifts nor keeps a transient of a change of gait (a walk-to-run change, a cadence
  /// drift). Steady gait needs no correction and gets none.
  static constexpr double kHeightGain = 0.3;

  explicit TrunkBounce(const GaitTimeline& timeline);

  /// Vertical offset of the trunk from its mean height at t (m), as the running style has it.
  double height_m(double t_s) const;

 private:
  struct Step {
    double ic_s = 0.0;         ///< this step's contact
    double to_s = 0.0;         ///< its toe-off
    double z_m = 0.0;          ///< height at ic_s
    double v_mps = 0.0;        ///< vertical velocity at ic_s
    double impulse_mps = 0.0;  ///< the contact's impulse per unit mass
  };
  std::size_t step_at(double t_s) const;
  std::vector<Step> steps_;
};

}  // namespace gk::sim
