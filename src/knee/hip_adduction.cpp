#include "hip_adduction.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace gk {

HipAdduction::HipAdduction(pb::Side side, const HipAdductionSettings& settings)
    : side_(side), settings_(settings) {}

void HipAdduction::reset() {
  thigh_.clear();
  pelvis_.clear();
  heading_sum_.setZero();
  heading_started_ = false;
  last_t_us_ = INT64_MIN;
  processed_until_us_ = INT64_MIN;
  history_.clear();
}

void HipAdduction::push_thigh(const SegmentPose& pose) {
  thigh_.push_back(pose);
  drain();
}

void HipAdduction::push_pelvis(const SegmentPose& pose) {
  pelvis_.push_back(pose);
  drain();
}

void HipAdduction::drain() {
  while (!thigh_.empty() && !pelvis_.empty()) {
    const SegmentPose& t = thigh_.front();
    // Pelvis poses wholly before this thigh pose are done with.
    while (pelvis_.size() >= 2 &&
           std::abs(pelvis_[1].t_us - t.t_us) <= std::abs(pelvis_[0].t_us - t.t_us)) {
      pelvis_.pop_front();
    }
    const SegmentPose& p = pelvis_.front();
    if (p.t_us < t.t_us - settings_.max_pair_gap_us) {
      if (pelvis_.size() < 2) return;  // a closer one may still come
      pelvis_.pop_front();
      continue;
    }
    if (p.t_us > t.t_us + settings_.max_pair_gap_us) {
      processed_until_us_ = t.t_us;  // no pelvis near this thigh pose: skipped
      thigh_.pop_front();
      continue;
    }
    if (pelvis_.size() < 2 && p.t_us < t.t_us) return;  // the next pelvis pose may be closer

    const double dt_s =
        last_t_us_ == INT64_MIN ? 0.0 : static_cast<double>(t.t_us - last_t_us_) * 1e-6;
    last_t_us_ = t.t_us;
    const Eigen::Vector3d a1 = p.world.col(1);
    const Eigen::Vector3d a2 = t.world.col(1);
    const Eigen::Vector2d obs(a2.x() * a1.x() + a2.y() * a1.y(), a2.x() * a1.y() - a2.y() * a1.x());
    if (!heading_started_) {
      heading_sum_ = obs;
      heading_started_ = obs.norm() > 1e-3;
    } else {
      heading_sum_ +=
          std::min(1.0, dt_s / settings_.heading_time_constant_s) * (obs - heading_sum_);
    }
    const double offset = std::atan2(heading_sum_.y(), heading_sum_.x());
    const Eigen::Matrix3d thigh =
        Eigen::AngleAxisd(offset, Eigen::Vector3d::UnitZ()).toRotationMatrix() * t.world;
    const Eigen::Matrix3d r = p.world.transpose() * thigh;
    // Left: a rotation about +x swings the knee laterally (abduction), so
    // adduction is its negative; the right leg mirrors.
    const double mirror = side_ == pb::RIGHT ? -1.0 : 1.0;
    const double adduction =
        -mirror * std::asin(std::clamp(-r(1, 2), -1.0, 1.0)) * 180.0 / std::numbers::pi;
    history_.emplace_back(t.t_us, adduction);
    const auto keep = static_cast<int64_t>(settings_.history_s * 1e6);
    while (history_.back().first - history_.front().first > keep) history_.pop_front();
    processed_until_us_ = t.t_us;
    thigh_.pop_front();
  }
}

std::optional<double> HipAdduction::peak(int64_t ic_us, int64_t end_us) const {
  constexpr int64_t kSlack_us = 25'000;
  const std::optional<StanceSummary> s = summarize_stance(history_, ic_us, end_us, kSlack_us);
  if (!s) return std::nullopt;
  return s->peak;
}

}  // namespace gk
