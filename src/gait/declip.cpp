#include "declip.hpp"

#include <Eigen/Dense>
#include <algorithm>
#include <cassert>
#include <cmath>
#include <vector>

namespace gk {
namespace {

/// A reading within half a count of the limit is at it (a 16-bit count is limit / 32768).
constexpr double kAtLimit = 1.0 - 0.5 / 32768.0;

/// Axis c of a row: 0-2 the gyroscope, 3-5 the accelerometer.
double& reading(GyroRow& row, int c) { return c < 3 ? row.w[c] : row.a[c - 3]; }

}  // namespace

DeclipCounts declip_rows(GyroRows& rows, size_t begin, size_t end, const FullScale& limits,
                         const DeclipSettings& settings) {
  const size_t n = settings.side_rows;
  assert(begin < end && end <= rows.size() && n >= 2);
  DeclipCounts counts;
  for (int c = 0; c < 6; ++c) {
    const double limit = c < 3 ? limits.gyro_rps : limits.accel_mps2;
    if (limit <= 0.0) continue;
    const auto clipped = [&](size_t i) {
      return std::abs(reading(rows[i], c)) >= kAtLimit * limit;
    };
    for (size_t b = begin; b < end; ++b) {
      if (!clipped(b)) continue;
      size_t e = b + 1;
      while (e < end && clipped(e)) ++e;
      // [b, e): one stretch of this axis at its limit. Its neighbours: up to n unclipped readings
      // before it (fewer at the start of the rows, then it is left) and n after it.
      // Within max_run_s of the stretch: a fit reaching further reads other motion.
      const auto span_us = static_cast<int64_t>(settings.max_run_s * 1e6);
      std::vector<size_t> side;
      for (size_t i = b; i-- > 0 && side.size() < n && rows[b].t_us - rows[i].t_us <= span_us;) {
        if (!clipped(i)) side.push_back(i);
      }
      const bool enough_before = side.size() == n;
      for (size_t i = e;
           i < rows.size() && side.size() < 2 * n && rows[i].t_us - rows[e - 1].t_us <= span_us;
           ++i) {
        if (!clipped(i)) side.push_back(i);
      }
      const double run_s = static_cast<double>(rows[e - 1].t_us - rows[b].t_us) * 1e-6;
      if (!enough_before || side.size() < 2 * n || run_s > settings.max_run_s) {
        ++counts.as_read;
        b = e;
        continue;
      }
      // Times from the stretch's middle, in seconds: the normal equations stay well conditioned.
      const double t0_us =
          0.5 * static_cast<double>(rows[b].t_us) + 0.5 * static_cast<double>(rows[e - 1].t_us);
      Eigen::MatrixXd design(static_cast<Eigen::Index>(side.size()), 3);
      Eigen::VectorXd y(static_cast<Eigen::Index>(side.size()));
      for (size_t j = 0; j < side.size(); ++j) {
        const double t_s = (static_cast<double>(rows[side[j]].t_us) - t0_us) * 1e-6;
        design.row(static_cast<Eigen::Index>(j)) << 1.0, t_s, t_s * t_s;
        y[static_cast<Eigen::Index>(j)] = reading(rows[side[j]], c);
      }
      const Eigen::ColPivHouseholderQR<Eigen::MatrixXd> qr(design);
      if (qr.rank() < 3) {
        ++counts.as_read;
        b = e;
        continue;
      }
      const Eigen::Vector3d coef = qr.solve(y);
      for (size_t i = b; i < e; ++i) {
        const double t_s = (static_cast<double>(rows[i].t_us) - t0_us) * 1e-6;
        const double fit = coef[0] + t_s * (coef[1] + t_s * coef[2]);
        // The true reading was at least the limit, in the clipped reading's direction.
        double& x = reading(rows[i], c);
        x = std::copysign(std::max(std::abs(fit), limit), x);
      }
      ++counts.rebuilt;
      b = e;
    }
  }
  return counts;
}

}  // namespace gk
