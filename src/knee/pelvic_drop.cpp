#include "pelvic_drop.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numbers>

#include "knee_sleeve.hpp"

namespace gk {

PelvicDropSettings::PelvicDropSettings()
    : orientation(KneeSleeveSettings::knee_orientation_settings()) {}

PelvicDrop::PelvicDrop(const PelvicDropSettings& settings)
    : settings_(settings),
      decimator_(settings.output_rate_hz),
      unanchored_("pelvis"),
      filter_(make_orientation_filter(OrientationMethod::kMahony, settings.orientation)) {}

PelvicDrop::~PelvicDrop() = default;

void PelvicDrop::reset() {
  filter_->reset();
  buffer_.clear();
  steps_.clear();
  last_t_us_ = INT64_MIN;
  frame_.reset();
  calibrated_at_us_.reset();
  decimator_.reset();
  history_.clear();
  finished_ = false;
  poses_.clear();
  unanchored_.reset();
  findings_.clear();
}

int64_t PelvicDrop::end_of(int64_t ic_us, std::optional<int64_t> to_us) const {
  if (to_us && *to_us > ic_us) return *to_us;
  return ic_us + static_cast<int64_t>(settings_.default_stance_ms * 1e3);
}

void PelvicDrop::push(const ImuSample& sample) {
  const std::optional<TimedImu> s = filter_sample(*filter_, sample);
  if (!s) return;
  last_t_us_ = s->t_us;
  if (frame_) {
    track(*s);
    return;
  }
  buffer_.push_back(*s);
  keep_latest(buffer_, settings_.max_buffer_s);
  maybe_calibrate();
}

void PelvicDrop::add_step(pb::Side side, int64_t ic_us, std::optional<int64_t> to_us) {
  if (frame_ || side == pb::SIDE_UNKNOWN) return;
  if (steps_.size() < settings_.calibration_steps)
    steps_.push_back({side, ic_us, end_of(ic_us, to_us)});
  maybe_calibrate();
}

void PelvicDrop::maybe_calibrate() {
  // Calibrate once the steps are in and the pelvis data have passed the last
  // of them: the same data whatever order the streams arrived in.
  if (frame_ || steps_.size() < settings_.calibration_steps) return;
  const int64_t due = steps_.back().end_us;
  if (last_t_us_ < due && !finished_) return;
  std::vector<TimedImu> data;
  for (const TimedImu& s : buffer_) {
    if (s.t_us <= due) data.push_back(s);
  }
  if (data.empty()) return;
  const std::optional<Eigen::Vector3d> standing = static_up(data, settings_.calibration);
  Eigen::Vector3d up = Eigen::Vector3d::Zero();
  if (standing) {
    up = *standing;
  } else {
    for (const TimedImu& s : data) up += s.acc_mps2;
    up.normalize();
  }
  // Braking: the horizontal specific force (gravity removed with the filter's
  // attitude) over the first part of each contact points backward.
  Eigen::Vector3d braking = Eigen::Vector3d::Zero();
  for (const Step& st : steps_) {
    const auto until = st.ic_us + static_cast<int64_t>(settings_.braking_share *
                                                       static_cast<double>(st.end_us - st.ic_us));
    for (const TimedImu& s : data) {
      if (s.t_us < st.ic_us || s.t_us > until || !s.anchored) continue;
      const Eigen::Vector3d gravity = kGravity_mps2 * up_in_sensor(s.q_ws);
      braking += s.acc_mps2 - gravity;
    }
  }
  Eigen::Vector3d forward = -(braking - braking.dot(up) * up);
  if (forward.norm() < 1e-6) return;
  forward.normalize();
  Eigen::Matrix3d f;
  f.col(0) = forward;
  f.col(1) = up.cross(forward);
  f.col(2) = up;
  frame_ = f;
  calibrated_at_us_ = due;
  findings_.push_back(fmt::format(
      "pelvis: frame calibrated at {:.1f} s from {} steps{}", static_cast<double>(due) * 1e-6,
      steps_.size(),
      standing ? " and a standing pose"
               : " without a standing pose (pelvic drop relative to the running average)"));
  std::vector<TimedImu> replay;
  replay.swap(buffer_);
  for (const TimedImu& s : replay) track(s);
}

void PelvicDrop::track(const TimedImu& s) {
  // Tilt being found again after a gap: no obliquity, and the stretch is said.
  if (std::optional<std::string> f = unanchored_.push(s.anchored, s.t_us)) {
    findings_.push_back(std::move(*f));
  }
  if (!s.anchored || !decimator_.pass(s.t_us)) return;
  const Eigen::Matrix3d r = s.q_ws.toRotationMatrix() * *frame_;
  // Z-Y-X Cardan: R = Rz(heading) Ry(tilt) Rx(obliquity); R(2,1) = cos(tilt) sin(obliquity).
  const double obliquity = std::atan2(r(2, 1), r(2, 2)) * 180.0 / std::numbers::pi;
  history_.emplace_back(s.t_us, obliquity);
  poses_.push_back({s.t_us, r});
  const auto keep = static_cast<int64_t>(settings_.history_s * 1e6);
  while (history_.back().first - history_.front().first > keep) history_.pop_front();
}

void PelvicDrop::finish() {
  if (finished_) return;
  finished_ = true;
  maybe_calibrate();
  if (std::optional<std::string> f = unanchored_.finish(last_t_us_)) {
    findings_.push_back(std::move(*f));
  }
  if (!frame_) {
    findings_.push_back(fmt::format(
        "pelvis: no pelvic drop: {} steps with a known side (from foot or shank sensors) were "
        "seen, {} are needed to find the pelvis' forward direction",
        steps_.size(), settings_.calibration_steps));
  }
}

std::vector<SegmentPose> PelvicDrop::take_poses() {
  std::vector<SegmentPose> out;
  out.swap(poses_);
  return out;
}

int64_t PelvicDrop::resolved_until_us() const { return finished_ ? INT64_MAX : last_t_us_; }

std::optional<double> PelvicDrop::drop_for(pb::Side side, int64_t ic_us,
                                           std::optional<int64_t> to_us) const {
  if (!frame_ || side == pb::SIDE_UNKNOWN || ic_us < *calibrated_at_us_) return std::nullopt;
  const int64_t end = end_of(ic_us, to_us);
  const auto slack = static_cast<int64_t>(2e6 / settings_.output_rate_hz);
  // Left stance: the right side drops, obliquity +; right stance: obliquity -.
  const std::optional<StanceSummary> s =
      summarize_stance(history_, ic_us, end, slack, side == pb::LEFT ? 1.0 : -1.0);
  if (!s) return std::nullopt;
  return s->peak;
}

}  // namespace gk
