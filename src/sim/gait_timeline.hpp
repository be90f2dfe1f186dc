// The runner's schedule over time: how much it is standing, walking or
// running (blended), its cadence and speed, and the gait phase
// Phi(t) = integral of the stride frequency, in strides. Phi is tabulated once
// so any time maps to a phase, and contact events are exact roots of it
// rather than sample-quantised.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "placement.hpp"
#include "runner_settings.hpp"

namespace gk::sim {

/// Stance share of a walking stride (Perry & Burnfield 2010, Gait Analysis,
/// ch. 1: ~60-62 % stance).
inline constexpr double kWalkDutyFactor = 0.61;

/// 0 = left, 1 = right (throws for anything else).
int side_index(pb::Side side);
pb::Side side_at(int index);

struct SideState {
  double phase = 0.0;  ///< strides of this side; initial contacts at integers
  int64_t stride = 0;  ///< floor(phase)
  double cycle = 0.0;  ///< phase - stride, in [0, 1): 0 = IC, duty = toe-off
  double duty = 0.0;   ///< stance share of this side's stride
  /// Amplitude of this leg's gait motion (thigh, shank, foot): 1 through every
  /// step, 0 while the leg stands. A leg starts moving through the stance
  /// before its first swing (to half) and the first half of that swing, and
  /// stops through the stance after its last landing, so every landing the
  /// truth counts ends a whole swing.
  double gait = 0.0;
  double peak_valgus_deg = 0.0;
};

struct GaitState {
  double t_s = 0.0;
  double motion = 0.0;  ///< schedule blend: 0 = standing still, 1 = walking or running
  /// Amplitude of the trunk's gait motion (pelvis bounce, sway, tilt): the
  /// mean over the legs of SideState::gait, except that a starting leg adds
  /// its share from toe-off to mid-swing rather than during its push-off; 0
  /// exactly when both legs stand.
  double gait = 0.0;
  double run = 0.0;  ///< style: 0 = walking gait, 1 = running gait
  double stride_hz = 0.0;
  double speed_mps = 0.0;
  double distance_m = 0.0;    ///< forward travel since t = 0
  double run_progress = 0.0;  ///< share of the running time elapsed (fatigue drift)
  double duty = 0.0;          ///< mean stance share of both sides
  std::array<SideState, 2> sides;
};

/// One ground contact of one foot (times on the sensor clock).
struct Contact {
  int64_t stride = 0;
  double ic_s = 0.0;
  double to_s = 0.0;
  double foothold_m = 0.0;  ///< forward position of the heel while the foot is flat
  double motion = 0.0;      ///< GaitState::motion at IC
  /// The swing that ends in this contact is a step: the schedule is moving
  /// (motion >= 0.5) at its middle. The truth counts exactly these contacts;
  /// the others are a standing foot's, which never left the ground.
  bool stepped = false;
  double gait = 0.0;       ///< this side's SideState::gait at IC (1 when stepped)
  double run = 0.0;        ///< GaitState::run at IC
  double speed_mps = 0.0;  ///< at IC
};

class GaitTimeline {
 public:
  explicit GaitTimeline(const RunnerSettings& settings);

  double duration_s() const { return duration_s_; }
  GaitState state(double t_s) const;

  /// Contact `stride` of a side (clamped to the contacts computed, which
  /// cover a few seconds beyond both ends of the session).
  const Contact& contact(pb::Side side, int64_t stride) const;
  const std::vector<Contact>& contacts(pb::Side side) const { return contacts_[side_index(side)]; }
  /// Unique to each timeline built (copies share it, as they share every value): what
  /// per-stride results computed from it can be kept under (foot_pose's swing plans).
  uint64_t id() const { return id_; }

 private:
  struct Blend {
    double motion, run, run_weight, speed_mps, cadence_spm;
  };
  struct Knot {
    double phase, distance_m, run_time_s;     ///< integrals at the knot
    double stride_hz, speed_mps, run_weight;  ///< integrands at the knot
  };

  Blend blend(double t_s) const;
  /// Weight of stretch i in the travel speed at t, given its blend weights
  /// rise and fall: next to a stand the speed ramps at a bounded acceleration.
  double speed_weight(std::size_t i, double t_s, double rise, double fall) const;
  double stride_hz_at(double t_s, double run_time_s) const;
  double run_progress_at(double run_time_s) const;
  /// Integrals at t by cubic Hermite interpolation between knots.
  void integrals(double t_s, double& phase, double& distance_m, double& run_time_s) const;
  double phase_at(double t_s) const;
  double duty_at(int side, double run) const;
  struct LegAmplitude {
    double leg;    ///< SideState::gait
    double trunk;  ///< this leg's share of GaitState::gait (times 2)
  };
  /// The amplitudes of `side` at its stride, cycle and duty.
  LegAmplitude side_gait(int side, int64_t stride, double cycle, double duty) const;
  double time_at_phase(double phase) const;
  void build_contacts();

  RunnerSettings settings_;
  uint64_t id_ = 0;
  double duration_s_ = 0.0;
  std::vector<double> boundaries_s_;  ///< stretch starts, plus the end
  std::vector<double> style_;         ///< per stretch: 1 run, 0 walk (standing inherits)
  std::vector<double> cadence_spm_;   ///< per stretch (standing inherits)
  double total_run_s_ = 0.0;
  double t0_s_ = 0.0;
  double dt_s_ = 0.0;
  double phase_offset_ = 0.0;
  std::vector<Knot> knots_;
  std::array<std::vector<Contact>, 2> contacts_;
  std::array<int64_t, 2> first_stride_{};
};

}  // namespace gk::sim
