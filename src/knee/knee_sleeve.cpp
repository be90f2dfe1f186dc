#include "knee_sleeve.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numbers>

namespace gk {
namespace {

double seconds(int64_t t_us) { return static_cast<double>(t_us) * 1e-6; }

/// Fewest moving samples the probe behind the flexion sign and zero decides from (settle_sign).
constexpr size_t kMinProbeSamples = 10;

/// Knee flexion at its most extended in a running stride (see settle_sign).
constexpr double kRunningMinFlexion_deg = 7.0;

const char* side_name(pb::Side side) { return side == pb::RIGHT ? "right" : "left"; }

/// Linear interpolation of the thigh between two samples (slerp for the
/// attitude), at time t.
TimedImu interpolate(const TimedImu& a, const TimedImu& b, int64_t t) {
  // Sensors of one sleeve often share the sample clock: then the pair needs no interpolation,
  // and slerp (an acos and three sines) is skipped.
  if (t == a.t_us || b.t_us <= a.t_us) {
    TimedImu out = a;
    out.t_us = t;
    return out;
  }
  const double w = static_cast<double>(t - a.t_us) / static_cast<double>(b.t_us - a.t_us);
  TimedImu out;
  out.t_us = t;
  out.q_ws = a.q_ws.slerp(w, b.q_ws);
  out.gyr_rps = (1.0 - w) * a.gyr_rps + w * b.gyr_rps;
  out.acc_mps2 = (1.0 - w) * a.acc_mps2 + w * b.acc_mps2;
  return out;
}

}  // namespace

OrientationSettings KneeSleeveSettings::knee_orientation_settings() {
  OrientationSettings s;
  // Tilt time constant 10 s and a slow integral: over that time the stride's
  // accelerations average out (orientation_filter.hpp, unnormalised_accel).
  // Measured on simulated running: tilt within a degree, where the default
  // gating filter drifts by several (docs/ACCURACY.md, knee section).
  s.mahony_kp_rps = 0.1;
  s.mahony_ki_rps2 = 0.01;
  s.mahony_error_average_us = 3'000'000;
  s.unnormalised_accel = true;
  s.accel_rejection_mps2 = 1e3;  // every sample contributes: the mean is what counts
  // After a gap a limb's single accelerometer sample is tens of degrees off gravity, which this
  // small gain would take most of a minute to forget; two seconds of motion give it to a degree.
  s.gap_reanchor_us = 2'000'000;
  // One lost radio packet of 20 samples at 200 Hz (a 0.105 s interval) is a hole to integrate
  // across and re-check, not a gap that costs the knee 4 s of angles. At 100 Hz the same packet
  // (0.21 s) is still a gap: integrated across, so long a hole would leave the attitude tens of
  // degrees off while it is in use.
  s.max_dt_us = 150'000;
  return s;
}

KneeSleeve::KneeSleeve(pb::Side side, const KneeSleeveSettings& settings)
    : side_(side),
      settings_(settings),
      decimator_(settings.output_rate_hz),
      unanchored_(fmt::format("{} knee", side_name(side))),
      thigh_filter_(make_orientation_filter(OrientationMethod::kMahony, settings.orientation)),
      shank_filter_(make_orientation_filter(OrientationMethod::kMahony, settings.orientation)) {}

KneeSleeve::~KneeSleeve() = default;

void KneeSleeve::reset() {
  thigh_filter_->reset();
  shank_filter_->reset();
  thigh_buffer_.clear();
  shank_buffer_.clear();
  motion_s_ = 0.0;
  calibration_due_us_.reset();
  last_shank_t_us_ = INT64_MIN;
  last_thigh_t_us_ = INT64_MIN;
  thigh_queue_.clear();
  shank_queue_.clear();
  calibration_.reset();
  tracker_.reset();
  calibrated_at_us_.reset();
  decimator_.reset();
  last_tracked_t_us_ = INT64_MIN;
  finished_ = false;
  thigh_stopped_reported_ = false;
  monitor_thigh_.clear();
  monitor_shank_.clear();
  monitor_motion_s_ = 0.0;
  out_.clear();
  unanchored_.reset();
  unanchored_pairs_ = false;
  settle_until_us_ = INT64_MIN;
  findings_.clear();
}

void KneeSleeve::push_thigh(const ImuSample& sample) { push(true, sample); }
void KneeSleeve::push_shank(const ImuSample& sample) { push(false, sample); }

void KneeSleeve::push(bool thigh, const ImuSample& sample) {
  // A sample the filter refused (NaN, time not advancing) never reaches the
  // angles; no gyro means no knee either.
  const std::optional<TimedImu> s = filter_sample(thigh ? *thigh_filter_ : *shank_filter_, sample);
  if (!s) return;
  int64_t& last = thigh ? last_thigh_t_us_ : last_shank_t_us_;
  const int64_t dt = last == INT64_MIN ? 0 : s->t_us - last;
  last = s->t_us;

  if (!calibration_) {
    std::vector<TimedImu>& buffer = thigh ? thigh_buffer_ : shank_buffer_;
    buffer.push_back(*s);
    if (!thigh && s->gyr_rps.norm() > settings_.motion_rate_rps && dt < settings_.max_pair_gap_us) {
      motion_s_ += seconds(dt);
    }
    // The latest max_buffer_s: a long stand before the run keeps its end.
    keep_latest(buffer, settings_.max_buffer_s);
    if (!calibration_due_us_ && motion_s_ >= settings_.calibration_motion_s) {
      calibration_due_us_ = last_shank_t_us_;
    }
    if (calibration_due_us_ &&
        last_thigh_t_us_ >= *calibration_due_us_ + settings_.calibration.max_lag_us) {
      try_calibrate(false);
    }
    return;
  }
  (thigh ? thigh_queue_ : shank_queue_).push_back(*s);
  drain_pairs();
}

std::vector<double> KneeSleeve::probe_flexion(const KneeCalibration& cal,
                                              const std::vector<TimedImu>& thigh,
                                              const std::vector<TimedImu>& shank,
                                              bool skip_rechecking) const {
  KneeTracker probe(side_, cal, settings_.tracker);
  std::vector<double> flexion;
  size_t k = 0;
  for (const TimedImu& s : shank) {
    const int64_t t = s.t_us + cal.thigh_lag_us;
    while (k + 1 < thigh.size() && thigh[k + 1].t_us <= t) ++k;
    if (k + 1 >= thigh.size() || thigh[k].t_us > t) continue;
    // Lost thigh packets: an angle interpolated across them is no knee angle (as drain_pairs).
    if (thigh[k + 1].t_us - thigh[k].t_us > settings_.max_pair_gap_us) continue;
    // A segment still finding its tilt (data that started moving, a gap) or re-checking it after
    // lost packets would bend the sign and zero the probe looks for: the zero comes from an
    // extreme percentile, which one such stretch moves by its whole error for the rest of the
    // session (two lost shank packets 0.3 s apart moved it by 10 deg).
    if (!s.anchored || !thigh[k].anchored || !thigh[k + 1].anchored) continue;
    if (skip_rechecking && (s.rechecking || thigh[k].rechecking || thigh[k + 1].rechecking)) {
      continue;
    }
    const TimedImu th = interpolate(thigh[k], thigh[k + 1], t);
    const double f =
        probe.update(s.t_us, th.q_ws, s.q_ws, th.gyr_rps, s.gyr_rps).angles.flexion_deg;
    if (s.gyr_rps.norm() >= settings_.motion_rate_rps) flexion.push_back(f);
  }
  std::sort(flexion.begin(), flexion.end());
  return flexion;
}

void KneeSleeve::settle_sign(KneeCalibration& cal, const std::vector<TimedImu>& thigh,
                             const std::vector<TimedImu>& shank) {
  // Which way the flexion axis points (lateral or medial) is the one thing
  // the gyros cannot tell: flip it and flexion changes sign. A knee flexes,
  // so: with a standing reference (0 deg), flexion during motion is mostly
  // positive; without one, a running knee spends its time near the extended
  // end of its range (stance 15-45 deg, swing peak ~90-100 deg), so the
  // extended end is the one closer to the median.
  // Packet loss so heavy that little motion is left outside the re-checks: those samples are
  // better than no sign at all (a flipped flexion), and the findings say so.
  bool skip_rechecking = true;
  std::vector<double> flexion = probe_flexion(cal, thigh, shank, skip_rechecking);
  if (flexion.size() < kMinProbeSamples) {
    skip_rechecking = false;
    flexion = probe_flexion(cal, thigh, shank, skip_rechecking);
    if (flexion.size() >= kMinProbeSamples) {
      findings_.push_back(fmt::format(
          "{} knee: lost packets left too little motion outside their re-checks to settle the "
          "flexion sign and zero; samples after lost packets used, flexion less certain",
          side_name(side_)));
    }
  }
  if (flexion.size() < kMinProbeSamples) {
    findings_.push_back(fmt::format(
        "{} knee: too little steady motion to settle the flexion sign and zero; flexion may read "
        "inverted or offset",
        side_name(side_)));
    return;
  }
  auto percentile = [&](double p) {
    return flexion[static_cast<size_t>(p * static_cast<double>(flexion.size() - 1))];
  };
  const double median = percentile(0.5);
  const bool flip =
      cal.static_pose ? median < 0.0 : (percentile(0.98) - median) < (median - percentile(0.02));
  if (flip) {
    cal.axes.thigh_axis = -cal.axes.thigh_axis;
    cal.axes.shank_axis = -cal.axes.shank_axis;
    // Turning the frame half a turn about its long axis flips y and x.
    cal.thigh_segment.col(0) = -cal.thigh_segment.col(0);
    cal.thigh_segment.col(1) = -cal.thigh_segment.col(1);
    cal.shank_segment.col(0) = -cal.shank_segment.col(0);
    cal.shank_segment.col(1) = -cal.shank_segment.col(1);
  }
  if (cal.static_pose) return;
  // No standing reference for 0 deg: both long axes came from the mean over
  // strides, which puts the stride's mean knee angle at zero. Instead the
  // knee's most extended moment is taken at the running population's value:
  // the knee comes closest to extension, about 5-10 deg, in terminal swing
  // (Novacheck 1998, Gait Posture 7:77, fig. 7). Turning the thigh frame
  // about its flexion axis by -d adds exactly d to flexion (R -> Ry(d) R).
  flexion = probe_flexion(cal, thigh, shank, skip_rechecking);
  if (flexion.size() < kMinProbeSamples) return;
  const double shift_deg = kRunningMinFlexion_deg - percentile(0.02);
  cal.thigh_segment = cal.thigh_segment * Eigen::AngleAxisd(-shift_deg * std::numbers::pi / 180.0,
                                                            Eigen::Vector3d::UnitY())
                                              .toRotationMatrix();
}

void KneeSleeve::try_calibrate(bool at_end) {
  std::vector<TimedImu> thigh = thigh_buffer_;
  std::vector<TimedImu> shank = shank_buffer_;
  if (calibration_due_us_) {
    const int64_t due = *calibration_due_us_;
    const int64_t thigh_due = due + settings_.calibration.max_lag_us;
    std::erase_if(shank, [&](const TimedImu& x) { return x.t_us > due; });
    std::erase_if(thigh, [&](const TimedImu& x) { return x.t_us > thigh_due; });
  }
  KneeCalibration cal = calibrate_knee(thigh, shank, settings_.calibration);
  if (!cal.valid) {
    if (at_end) {
      findings_.push_back(fmt::format("{} knee: not calibrated ({}); no knee angles",
                                      side_name(side_), cal.problem));
    }
    return;
  }
  settle_sign(cal, thigh, shank);
  const int64_t now = shank.empty() ? 0 : shank.back().t_us;
  findings_.push_back(fmt::format(
      "{} knee: calibrated at {:.1f} s from {:.0f} s of leg motion{}; flexion-axis residual "
      "{:.3f}, "
      "expected frontal-plane error {:.1f} deg",
      side_name(side_), seconds(now),
      calibration_due_us_ ? settings_.calibration_motion_s : motion_s_,
      cal.static_pose ? " and a standing pose"
                      : " without a standing pose (flexion zero approximate: stand still for 2 s "
                        "before running)",
      cal.axes.relative_residual, cal.frontal_error_deg));
  if (!cal.problem.empty()) {
    findings_.push_back(fmt::format("{} knee: {}", side_name(side_), cal.problem));
  }
  if (cal.thigh_lag_us != 0) {
    findings_.push_back(fmt::format(
        "{} knee: thigh and shank clocks differ by {:.0f} ms; compensated, confidence lowered",
        side_name(side_), static_cast<double>(cal.thigh_lag_us) * 1e-3));
    cal.frontal_error_deg = std::hypot(cal.frontal_error_deg, 1.0);
  }
  calibration_ = cal;
  tracker_.emplace(side_, cal, settings_.tracker);
  calibrated_at_us_ = now;
  thigh_queue_.assign(thigh_buffer_.begin(), thigh_buffer_.end());
  shank_queue_.assign(shank_buffer_.begin(), shank_buffer_.end());
  thigh_buffer_.clear();
  thigh_buffer_.shrink_to_fit();
  shank_buffer_.clear();
  shank_buffer_.shrink_to_fit();
  drain_pairs();
}

void KneeSleeve::drain_pairs() {
  const int64_t lag = calibration_->thigh_lag_us;
  while (!shank_queue_.empty()) {
    const TimedImu& s = shank_queue_.front();
    const int64_t t = s.t_us + lag;
    // Thigh samples wholly before this shank time are no longer needed.
    while (thigh_queue_.size() >= 2 && thigh_queue_[1].t_us <= t) thigh_queue_.pop_front();
    if (thigh_queue_.empty() || thigh_queue_.back().t_us < t) {
      // The thigh has not reached this time yet; unless it stopped, wait.
      const bool stopped = last_shank_t_us_ - last_thigh_t_us_ > settings_.stream_timeout_us;
      if (!stopped && !finished_) break;
      if (stopped && !thigh_stopped_reported_) {
        thigh_stopped_reported_ = true;
        findings_.push_back(
            fmt::format("{} knee: thigh stream stopped at {:.1f} s; no knee angles "
                        "while it is silent",
                        side_name(side_), seconds(last_thigh_t_us_)));
      }
      last_tracked_t_us_ = s.t_us;
      shank_queue_.pop_front();
      continue;
    }
    if (thigh_queue_.front().t_us > t ||
        (thigh_queue_.size() >= 2 &&
         thigh_queue_[1].t_us - thigh_queue_[0].t_us > settings_.max_pair_gap_us)) {
      // No thigh data around this time (before its first sample, or a gap).
      last_tracked_t_us_ = s.t_us;
      shank_queue_.pop_front();
      continue;
    }
    thigh_stopped_reported_ = false;
    const TimedImu th = thigh_queue_.size() >= 2 ? interpolate(thigh_queue_[0], thigh_queue_[1], t)
                                                 : thigh_queue_[0];
    // Either segment's tilt being found again after a gap: its attitude is off by whatever the
    // gap hid, so the pair gives no angle and does not move the heading mean or the monitor.
    const bool anchored = s.anchored && thigh_queue_[0].anchored &&
                          (thigh_queue_.size() < 2 || thigh_queue_[1].anchored);
    if (!anchored) {
      unanchored_pairs_ = true;
    } else if (unanchored_pairs_) {
      // Both headings moved by what the gap hid, differently: the heading mean starts again
      // here (reset) and gives angles once it has averaged over its time constant.
      unanchored_pairs_ = false;
      tracker_->reset();
      settle_until_us_ =
          s.t_us + static_cast<int64_t>(settings_.tracker.heading_time_constant_s * 1e6);
    }
    const bool settled = anchored && s.t_us >= settle_until_us_;
    if (std::optional<std::string> f = unanchored_.push(settled, s.t_us)) {
      findings_.push_back(std::move(*f));
    }
    if (!anchored) {
      last_tracked_t_us_ = s.t_us;
      shank_queue_.pop_front();
      continue;
    }
    tracker_->observe(s.t_us, th.q_ws, s.q_ws, th.gyr_rps, s.gyr_rps);
    last_tracked_t_us_ = s.t_us;
    if (settled) {
      if (decimator_.pass(s.t_us)) out_.push_back(tracker_->angles(s.t_us, th.q_ws, s.q_ws));
      monitor(th, s);
    }
    shank_queue_.pop_front();
  }
}

void KneeSleeve::monitor(const TimedImu& thigh, const TimedImu& shank) {
  monitor_thigh_.push_back(thigh);
  monitor_shank_.push_back(shank);
  if (monitor_shank_.size() >= 2 && shank.gyr_rps.norm() > settings_.motion_rate_rps) {
    const int64_t dt = shank.t_us - monitor_shank_[monitor_shank_.size() - 2].t_us;
    if (dt < settings_.max_pair_gap_us) monitor_motion_s_ += seconds(dt);
  }
  if (monitor_motion_s_ < settings_.monitor_motion_s) return;
  // The thigh here is already on the shank's clock: check it at zero lag.
  const std::vector<GyroPair> pairs = pair_gyros(monitor_thigh_, monitor_shank_, 0, 1);
  const KneeCalibration& cal = *calibration_;
  const HingeResidual r = hinge_residual(pairs, cal.axes.thigh_axis, cal.axes.shank_axis,
                                         settings_.calibration.hinge.min_rate_rps);
  const double limit = std::max(settings_.monitor_min_relative,
                                settings_.slip_residual_ratio * cal.axes.relative_residual);
  if (r.relative > limit) {
    KneeCalibrationSettings cs = settings_.calibration;
    KneeCalibration next = calibrate_knee(monitor_thigh_, monitor_shank_, cs, &cal);
    if (next.valid) {
      // Lag found here is relative to the lag already applied.
      next.thigh_lag_us += cal.thigh_lag_us;
      const HingeResidual after = hinge_residual(
          pair_gyros(monitor_thigh_, monitor_shank_, next.thigh_lag_us - cal.thigh_lag_us, 1),
          next.axes.thigh_axis, next.axes.shank_axis, settings_.calibration.hinge.min_rate_rps);
      findings_.push_back(fmt::format(
          "{} knee: the calibration stopped fitting between {:.1f} s and {:.1f} s (flexion-axis "
          "residual {:.3f}, was {:.3f}): the sleeve moved{}; recalibrated (residual now {:.3f}), "
          "angles in that stretch carry low confidence",
          side_name(side_), seconds(monitor_shank_.front().t_us), seconds(shank.t_us), r.relative,
          cal.axes.relative_residual,
          next.thigh_lag_us != cal.thigh_lag_us
              ? fmt::format(" or the clocks drifted (offset now {:.0f} ms)",
                            static_cast<double>(next.thigh_lag_us) * 1e-3)
              : std::string(),
          after.relative));
      next.frontal_error_deg = std::hypot(next.frontal_error_deg, 1.0);  // a second fit: less sure
      calibration_ = next;
      tracker_->recalibrate(next);
    }
  }
  monitor_thigh_.clear();
  monitor_shank_.clear();
  monitor_motion_s_ = 0.0;
}

void KneeSleeve::finish() {
  if (finished_) return;
  finished_ = true;
  if (!calibration_) {
    if (motion_s_ >= 0.3 * settings_.calibration_motion_s) {
      try_calibrate(true);
    } else if (!shank_buffer_.empty() || !thigh_buffer_.empty()) {
      findings_.push_back(fmt::format(
          "{} knee: only {:.1f} s of leg motion, {:.0f} s needed to calibrate; no knee angles",
          side_name(side_), motion_s_, 0.3 * settings_.calibration_motion_s));
    }
  }
  if (calibration_) drain_pairs();
  if (std::optional<std::string> f = unanchored_.finish(last_tracked_t_us_)) {
    findings_.push_back(std::move(*f));
  }
}

std::vector<KneeAngleSample> KneeSleeve::take() {
  std::vector<KneeAngleSample> out;
  out.swap(out_);
  return out;
}

int64_t KneeSleeve::resolved_until_us() const {
  if (finished_) return INT64_MAX;
  if (!calibration_) {
    // Nothing before the calibration gets step metrics, so all that is
    // decided is "not yet": up to the data seen, it is resolved (as none).
    return std::min(last_shank_t_us_,
                    last_thigh_t_us_ == INT64_MIN ? last_shank_t_us_ : last_thigh_t_us_);
  }
  return last_tracked_t_us_;
}

}  // namespace gk
