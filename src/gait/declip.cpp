#include "declip.hpp"

#include <Eigen/Dense>
#include <algorithm>
#include <cassert>
#include <cmath>

#include "packetizer.hpp"

namespace gk {
namespace {

double& reading(ImuSample& s, int c) { return c < 3 ? s.gyr_rps[c] : s.acc_mps2[c - 3]; }
double reading(const ImuSample& s, int c) { return c < 3 ? s.gyr_rps[c] : s.acc_mps2[c - 3]; }

}  // namespace

SampleDeclipper::SampleDeclipper(const FullScale& limits, const DeclipSettings& settings)
    : limits_(limits),
      settings_(settings),
      gyro_lsb_rps_(limits.gyro_rps / kFullScaleCounts),
      accel_lsb_mps2_(limits.accel_mps2 / kFullScaleCounts),
      buf_(64) {
  assert(settings.side_samples >= 2);
}

void SampleDeclipper::reset() {
  buf_.clear();
  held_ = 0;
  after_ = 0;
  counts_ = {};
}

bool SampleDeclipper::at_limit(const ImuSample& s, int c) const {
  const double lsb = c < 3 ? (s.has_gyro ? gyro_lsb_rps_ : 0.0) : accel_lsb_mps2_;
  return lsb > 0.0 && reading_at_limit(reading(s, c), lsb);
}

void SampleDeclipper::push(const ImuSample& sample, std::vector<ImuSample>& out) {
  assert(sample.t_us > newest_t_us());
  if (buf_.full()) buf_.set_capacity(2 * buf_.capacity());
  buf_.push_back(sample);
  if (sample.saturated) {
    // A second clip among the samples that were to close the first: one hold.
    held_ += 1;
    after_ = 0;
    const ImuSample& first = buf_[buf_.size() - held_];
    if (static_cast<double>(sample.t_us - first.t_us) * 1e-6 > settings_.max_hold_s) release(out);
  } else if (held_ > 0) {
    ++held_;
    if (++after_ >= settings_.side_samples) release(out);
  } else {
    out.push_back(sample);
  }
  while (buf_.size() > held_ + settings_.side_samples) buf_.pop_front();
}

void SampleDeclipper::flush(std::vector<ImuSample>& out) {
  if (held_ == 0) return;
  release(out);
}

void SampleDeclipper::release(std::vector<ImuSample>& out) {
  const size_t n = settings_.side_samples;
  const size_t begin = buf_.size() - held_;
  const auto span_us = static_cast<int64_t>(settings_.max_run_s * 1e6);
  for (int c = 0; c < 6; ++c) {
    for (size_t b = begin; b < buf_.size(); ++b) {
      if (!at_limit(buf_[b], c)) continue;
      size_t e = b + 1;
      while (e < buf_.size() && at_limit(buf_[e], c)) ++e;
      // [b, e): one stretch of this axis at its limit, and its clean neighbours of that axis
      // within max_run_s: n before it (the samples kept, or held before it) and n after it.
      std::vector<size_t>& side = side_;
      side.clear();
      for (size_t i = b; i-- > 0 && side.size() < n && buf_[b].t_us - buf_[i].t_us <= span_us;) {
        if (!at_limit(buf_[i], c)) side.push_back(i);
      }
      const bool enough_before = side.size() == n;
      for (size_t i = e;
           i < buf_.size() && side.size() < 2 * n && buf_[i].t_us - buf_[e - 1].t_us <= span_us;
           ++i) {
        if (!at_limit(buf_[i], c)) side.push_back(i);
      }
      const double run_s = static_cast<double>(buf_[e - 1].t_us - buf_[b].t_us) * 1e-6;
      bool rebuilt = false;
      if (enough_before && side.size() == 2 * n && run_s <= settings_.max_run_s) {
        // Times from the stretch's middle, in seconds: the least squares stay well conditioned.
        const double t0_us =
            0.5 * static_cast<double>(buf_[b].t_us) + 0.5 * static_cast<double>(buf_[e - 1].t_us);
        Eigen::MatrixXd design(static_cast<Eigen::Index>(side.size()), 3);
        Eigen::VectorXd y(static_cast<Eigen::Index>(side.size()));
        for (size_t j = 0; j < side.size(); ++j) {
          const double t_s = (static_cast<double>(buf_[side[j]].t_us) - t0_us) * 1e-6;
          design.row(static_cast<Eigen::Index>(j)) << 1.0, t_s, t_s * t_s;
          y[static_cast<Eigen::Index>(j)] = reading(buf_[side[j]], c);
        }
        const Eigen::ColPivHouseholderQR<Eigen::MatrixXd> qr(design);
        if (qr.rank() == 3) {
          const Eigen::Vector3d coef = qr.solve(y);
          const double limit = c < 3 ? limits_.gyro_rps : limits_.accel_mps2;
          for (size_t i = b; i < e; ++i) {
            const double t_s = (static_cast<double>(buf_[i].t_us) - t0_us) * 1e-6;
            const double fit = coef[0] + t_s * (coef[1] + t_s * coef[2]);
            // The true reading was at least the limit, in the clipped reading's direction.
            double& x = reading(buf_[i], c);
            x = std::copysign(std::max(std::abs(fit), limit), x);
          }
          rebuilt = true;
        }
      }
      if (c < 3) ++counts_.gyro_stretches;
      if (rebuilt) {
        ++counts_.rebuilt;
      } else {
        ++counts_.as_read;
        if (counts_.first_as_read_t_us < 0) counts_.first_as_read_t_us = buf_[b].t_us;
      }
      b = e;
    }
  }
  for (size_t i = begin; i < buf_.size(); ++i) out.push_back(buf_[i]);
  held_ = 0;
  after_ = 0;
}

}  // namespace gk
