#include "knee_calibration.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numbers>

#include "sample.hpp"

namespace gk {
namespace {

constexpr double kDeg = 180.0 / std::numbers::pi;

/// Frontal-plane RMSE of a good calibration (standing pose, snug sleeve),
/// as measured on simulated running with 30 deg mounting error, noise and
/// bias (docs/ACCURACY.md, knee section): the floor of the expected error.
constexpr double kGoodCalibrationError_deg = 1.0;
/// Without a standing pose the long axes come from the mean over strides,
/// some 10 deg off, which tilts the frames and offsets valgus by a few deg.
constexpr double kNoStaticPoseError_deg = 3.0;

/// Rest: gyro quiet and the specific force steady (within rest_accel_mps2 of
/// the stretch's mean so far). Its magnitude is only loosely checked
/// against g: accelerometer bias and scale error of a few percent are
/// common and do not make a sensor move.
bool still(const TimedImu& s, const Eigen::Vector3d& anchor, const KneeCalibrationSettings& c) {
  return s.gyr_rps.norm() < c.rest_gyro_rps && (s.acc_mps2 - anchor).norm() < c.rest_accel_mps2 &&
         std::abs(s.acc_mps2.norm() - kGravity_mps2) < 0.2 * kGravity_mps2;
}

double residual_at_lag(const std::vector<TimedImu>& thigh, const std::vector<TimedImu>& shank,
                       int64_t lag_us, const HingeAxes& axes, size_t stride, double min_rate) {
  const std::vector<GyroPair> pairs = pair_gyros(thigh, shank, lag_us, stride);
  return hinge_residual(pairs, axes.thigh_axis, axes.shank_axis, min_rate).rms_rps;
}

}  // namespace

std::optional<TimedImu> filter_sample(OrientationFilter& filter, const ImuSample& sample) {
  const OrientationFlags before = filter.flags();
  filter.update(sample);
  const OrientationFlags after = filter.flags();
  if (after.nonfinite_skipped != before.nonfinite_skipped ||
      after.bad_dt_skipped != before.bad_dt_skipped || !filter.initialised() || !sample.has_gyro) {
    return std::nullopt;
  }
  return TimedImu{sample.t_us,     filter.orientation(), sample.gyr_rps - filter.gyro_bias_rps(),
                  sample.acc_mps2, !after.reanchoring,   after.rechecking};
}

void keep_latest(std::vector<TimedImu>& buffer, double max_s) {
  if (buffer.empty() ||
      static_cast<double>(buffer.back().t_us - buffer.front().t_us) * 1e-6 <= 1.25 * max_s) {
    return;
  }
  const int64_t keep_from = buffer.back().t_us - static_cast<int64_t>(max_s * 1e6);
  buffer.erase(buffer.begin(), std::find_if(buffer.begin(), buffer.end(), [&](const TimedImu& x) {
                 return x.t_us >= keep_from;
               }));
}

std::optional<Eigen::Vector3d> static_up(const std::vector<TimedImu>& samples,
                                         const KneeCalibrationSettings& settings) {
  std::optional<Eigen::Vector3d> best;
  constexpr size_t kNone = SIZE_MAX;
  size_t start = kNone;
  Eigen::Vector3d sum = Eigen::Vector3d::Zero();
  auto close_run = [&](size_t end) {
    const double span_s = static_cast<double>(samples[end - 1].t_us - samples[start].t_us) * 1e-6;
    if (span_s >= settings.rest_min_s) best = sum.normalized();  // the latest one wins
    start = kNone;
  };
  for (size_t i = 0; i < samples.size(); ++i) {
    if (start != kNone && !still(samples[i], sum / static_cast<double>(i - start), settings)) {
      close_run(i);
    }
    if (start == kNone) {
      if (!still(samples[i], samples[i].acc_mps2, settings)) continue;
      start = i;
      sum.setZero();
    }
    sum += samples[i].acc_mps2;
  }
  if (start != kNone) close_run(samples.size());
  return best;
}

std::vector<GyroPair> pair_gyros(const std::vector<TimedImu>& thigh,
                                 const std::vector<TimedImu>& shank, int64_t thigh_lag_us,
                                 size_t stride) {
  std::vector<GyroPair> out;
  if (thigh.size() < 2 || stride == 0) return out;
  out.reserve(shank.size() / stride + 1);
  size_t k = 0;
  for (size_t i = 0; i < shank.size(); i += stride) {
    const int64_t t = shank[i].t_us + thigh_lag_us;
    while (k + 1 < thigh.size() && thigh[k + 1].t_us < t) ++k;
    if (k + 1 >= thigh.size() || thigh[k].t_us > t) continue;
    const int64_t span = thigh[k + 1].t_us - thigh[k].t_us;
    if (span <= 0 || span > 50'000) continue;  // a gap: nothing to interpolate
    const double w = static_cast<double>(t - thigh[k].t_us) / static_cast<double>(span);
    out.push_back({(1.0 - w) * thigh[k].gyr_rps + w * thigh[k + 1].gyr_rps, shank[i].gyr_rps});
  }
  return out;
}

Eigen::Matrix3d segment_frame(const Eigen::Vector3d& flexion_axis, const Eigen::Vector3d& up,
                              bool up_exact) {
  Eigen::Vector3d y = flexion_axis.normalized();
  Eigen::Vector3d z = up.normalized();
  if (up_exact) {
    y = (y - y.dot(z) * z).normalized();
  } else {
    z = (z - z.dot(y) * y).normalized();
  }
  Eigen::Matrix3d m;
  m.col(0) = y.cross(z);
  m.col(1) = y;
  m.col(2) = z;
  return m;
}

KneeCalibration calibrate_knee(const std::vector<TimedImu>& thigh,
                               const std::vector<TimedImu>& shank,
                               const KneeCalibrationSettings& settings,
                               const KneeCalibration* previous) {
  KneeCalibration cal;
  // The lag search uses a thinned set: the residual curve over lag is smooth.
  const size_t stride = std::max<size_t>(1, shank.size() / 3000);
  HingeAxes axes = estimate_hinge_axes(pair_gyros(thigh, shank, 0, 1), settings.hinge);
  if (!axes.converged) {
    cal.problem = "too little knee movement to find the flexion axis";
    return cal;
  }
  // Clock offset: the lag where the two gyros best obey the hinge. Searched
  // coarse to fine so that a lag far from zero is found with zero-lag axes,
  // then the axes are refitted there.
  int64_t best_lag = 0;
  const double at_zero =
      residual_at_lag(thigh, shank, 0, axes, stride, settings.hinge.min_rate_rps);
  double best = at_zero;
  for (int64_t lag = -settings.max_lag_us; lag <= settings.max_lag_us;
       lag += 5 * settings.lag_step_us) {
    const double r = residual_at_lag(thigh, shank, lag, axes, stride, settings.hinge.min_rate_rps);
    if (r < best) {
      best = r;
      best_lag = lag;
    }
  }
  if (best_lag != 0) {
    axes = estimate_hinge_axes(pair_gyros(thigh, shank, best_lag, 1), settings.hinge);
    const int64_t centre = best_lag;
    for (int64_t lag = centre - 5 * settings.lag_step_us; lag <= centre + 5 * settings.lag_step_us;
         lag += settings.lag_step_us) {
      const double r =
          residual_at_lag(thigh, shank, lag, axes, stride, settings.hinge.min_rate_rps);
      if (r < best) {
        best = r;
        best_lag = lag;
      }
    }
    axes = estimate_hinge_axes(pair_gyros(thigh, shank, best_lag, 1), settings.hinge);
  }
  // A real clock offset leaves the constraint badly broken at zero lag; a
  // knee with a lot of ab/adduction leaves a shallow residual curve whose
  // minimum can sit off zero by itself. Only a clear improvement is an offset.
  if (std::abs(best_lag) < settings.min_applied_lag_us ||
      best > settings.lag_min_improvement * at_zero) {
    best_lag = 0;
    axes = estimate_hinge_axes(pair_gyros(thigh, shank, 0, 1), settings.hinge);
  }
  if (previous != nullptr && previous->valid) {
    if (axes.thigh_axis.dot(previous->axes.thigh_axis) < 0.0) {
      axes.thigh_axis = -axes.thigh_axis;
      axes.shank_axis = -axes.shank_axis;
    }
  }
  cal.thigh_lag_us = best_lag;
  cal.axes = axes;

  const std::optional<Eigen::Vector3d> thigh_up = static_up(thigh, settings);
  const std::optional<Eigen::Vector3d> shank_up = static_up(shank, settings);
  Eigen::Vector3d up1;
  Eigen::Vector3d up2;
  if (thigh_up && shank_up) {
    cal.static_pose = true;
    up1 = *thigh_up;
    up2 = *shank_up;
    const double tilt1 = std::asin(std::min(1.0, std::abs(up1.dot(axes.thigh_axis)))) * kDeg;
    const double tilt2 = std::asin(std::min(1.0, std::abs(up2.dot(axes.shank_axis)))) * kDeg;
    cal.axis_tilt_deg = std::max(tilt1, tilt2);
  } else if (previous != nullptr && previous->valid) {
    cal.static_pose = previous->static_pose;
    up1 = previous->thigh_segment.col(2);
    up2 = previous->shank_segment.col(2);
  } else {
    // Over whole strides the mean acceleration of a segment is zero, so the
    // mean specific force points along the segment's mean "up": within
    // about the mean segment angle over the stride (~10 deg) of its long axis.
    Eigen::Vector3d s1 = Eigen::Vector3d::Zero();
    Eigen::Vector3d s2 = Eigen::Vector3d::Zero();
    for (const TimedImu& s : thigh) s1 += s.acc_mps2;
    for (const TimedImu& s : shank) s2 += s.acc_mps2;
    up1 = s1.normalized();
    up2 = s2.normalized();
  }
  // Standing, gravity is the long axis exactly and the flexion axis is level,
  // so gravity settles the frame's tilt and the axis fit only its heading
  // about the long axis. That matters: a tilt of the fitted axis (ab/adduction
  // and hip motion during running pull it by several degrees) about the
  // segment's forward axis would otherwise read as a constant valgus offset.
  // Without a standing pose the same holds for the mean "up": its error lies
  // mostly in the sagittal plane (segments swing fore and aft), about the
  // flexion axis itself, which leaves the axis made level by it unchanged.
  cal.thigh_segment = segment_frame(axes.thigh_axis, up1, true);
  cal.shank_segment = segment_frame(axes.shank_axis, up2, true);
  // The principal axes lean by the hip's ab/adduction and the knee's own
  // frontal motion, 5-8 deg on simulated running; the standing pose removes
  // that lean from the frames. Far beyond it, the axis and the pose disagree
  // (a sleeve moved between standing and running): count the excess.
  const double tilt_excess = std::max(0.0, cal.axis_tilt_deg - 10.0);
  cal.frontal_error_deg = std::hypot(std::hypot(kGoodCalibrationError_deg, tilt_excess),
                                     cal.static_pose ? 0.0 : kNoStaticPoseError_deg);
  if (cal.axis_tilt_deg > settings.max_axis_tilt_deg) {
    cal.problem =
        "the flexion axis found is not level in the standing pose; the sensors may "
        "have moved between standing and running";
  }
  cal.valid = true;
  return cal;
}

}  // namespace gk
