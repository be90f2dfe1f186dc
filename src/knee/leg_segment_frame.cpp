#include "leg_segment_frame.hpp"

#include <fmt/format.h>

#include <Eigen/Eigenvalues>
#include <algorithm>
#include <cmath>
#include <numbers>

#include "knee_sleeve.hpp"

namespace gk {

LegSegmentSettings::LegSegmentSettings()
    : orientation(KneeSleeveSettings::knee_orientation_settings()) {}

std::optional<double> tibial_inclination_deg(const Eigen::Matrix3d& shank_world, pb::Side side) {
  Eigen::Vector3d lateral = shank_world.col(1);
  lateral.z() = 0.0;
  if (lateral.norm() < 1e-3) return std::nullopt;
  lateral.normalize();
  // For the left leg (y = lateral) "toward the midline" is the long axis
  // leaning to -y; the right leg mirrors.
  const double mirror = side == pb::RIGHT ? -1.0 : 1.0;
  const double lean = std::asin(std::clamp(shank_world.col(2).dot(lateral), -1.0, 1.0));
  return -mirror * lean * 180.0 / std::numbers::pi;
}

LegSegmentFrame::LegSegmentFrame(pb::Side side, std::string name,
                                 const LegSegmentSettings& settings)
    : side_(side),
      name_(std::move(name)),
      settings_(settings),
      decimator_(settings.output_rate_hz),
      unanchored_(fmt::format("{} {}", side == pb::RIGHT ? "right" : "left", name_)),
      filter_(make_orientation_filter(OrientationMethod::kMahony, settings.orientation)) {}

LegSegmentFrame::~LegSegmentFrame() = default;

void LegSegmentFrame::reset() {
  filter_->reset();
  buffer_.clear();
  motion_s_ = 0.0;
  last_t_us_ = INT64_MIN;
  segment_.reset();
  calibrated_at_us_.reset();
  decimator_.reset();
  finished_ = false;
  out_.clear();
  unanchored_.reset();
  findings_.clear();
}

void LegSegmentFrame::push(const ImuSample& sample) {
  const std::optional<TimedImu> s = filter_sample(*filter_, sample);
  if (!s) return;
  const int64_t dt = last_t_us_ == INT64_MIN ? 0 : s->t_us - last_t_us_;
  last_t_us_ = s->t_us;
  if (segment_) {
    track(*s);
    return;
  }
  buffer_.push_back(*s);
  if (s->gyr_rps.norm() > settings_.motion_rate_rps && dt < 50'000) {
    motion_s_ += static_cast<double>(dt) * 1e-6;
  }
  keep_latest(buffer_, settings_.max_buffer_s);
  if (motion_s_ >= settings_.calibration_motion_s) calibrate();
}

void LegSegmentFrame::calibrate() {
  Eigen::Matrix3d m = Eigen::Matrix3d::Zero();
  for (const TimedImu& s : buffer_) {
    if (s.gyr_rps.norm() > settings_.motion_rate_rps) m += s.gyr_rps * s.gyr_rps.transpose();
  }
  Eigen::Vector3d y = Eigen::SelfAdjointEigenSolver<Eigen::Matrix3d>(m).eigenvectors().col(2);
  // The fastest rotation of a running leg segment is its forward swing (see
  // the header): about -y for y left.
  double extreme = 0.0;
  for (const TimedImu& s : buffer_) {
    const double w = s.gyr_rps.dot(y);
    if (std::abs(w) > std::abs(extreme)) extreme = w;
  }
  if (extreme > 0.0) y = -y;
  const std::optional<Eigen::Vector3d> up = static_up(buffer_, settings_.calibration);
  Eigen::Vector3d mean_up = Eigen::Vector3d::Zero();
  for (const TimedImu& s : buffer_) mean_up += s.acc_mps2;
  segment_ = segment_frame(y, up ? *up : Eigen::Vector3d(mean_up.normalized()), true);
  calibrated_at_us_ = buffer_.back().t_us;
  findings_.push_back(fmt::format(
      "{} {}: segment frame calibrated at {:.1f} s{}", side_ == pb::RIGHT ? "right" : "left", name_,
      static_cast<double>(*calibrated_at_us_) * 1e-6,
      up ? " with a standing pose" : " without a standing pose (zero approximate)"));
  std::vector<TimedImu> replay;
  replay.swap(buffer_);
  for (const TimedImu& s : replay) track(s);
}

void LegSegmentFrame::track(const TimedImu& s) {
  // Tilt being found again after a gap: no pose, and the stretch is said.
  if (std::optional<std::string> f = unanchored_.push(s.anchored, s.t_us)) {
    findings_.push_back(std::move(*f));
  }
  if (!s.anchored || !decimator_.pass(s.t_us)) return;
  out_.push_back({s.t_us, s.q_ws.toRotationMatrix() * *segment_});
}

void LegSegmentFrame::finish() {
  if (finished_) return;
  finished_ = true;
  if (!segment_ && motion_s_ >= 0.3 * settings_.calibration_motion_s) calibrate();
  if (std::optional<std::string> f = unanchored_.finish(last_t_us_)) {
    findings_.push_back(std::move(*f));
  }
}

std::vector<SegmentPose> LegSegmentFrame::take() {
  std::vector<SegmentPose> out;
  out.swap(out_);
  return out;
}

int64_t LegSegmentFrame::resolved_until_us() const { return finished_ ? INT64_MAX : last_t_us_; }

}  // namespace gk
