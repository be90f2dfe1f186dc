#include "zupt_integrator.hpp"

#include <Eigen/Geometry>
#include <algorithm>
#include <array>
#include <cmath>
#include <iterator>
#include <utility>
#include <vector>

#include "quaternion_product.hpp"
#include "sample.hpp"

namespace gk {

namespace {

/// Longest time step integrated. A dropout of a few samples is integrated
/// across with one coarse trapezoid step (the length it costs is within the
/// stride's other errors at 100 Hz and above); a longer hole would turn the
/// stride length into a guess, so the stride gets none.
constexpr double kMaxStrapdownStep_s = 0.1;

/// Rows [i0, i1] of the interval, if both ends are rows.
std::optional<std::pair<size_t, size_t>> row_span(const GyroRows& rows, int64_t t0_us,
                                                  int64_t t1_us) {
  if (t1_us <= t0_us) return std::nullopt;
  const std::optional<size_t> first = row_at_time(rows, t0_us);
  const std::optional<size_t> last = row_at_time(rows, t1_us);
  if (!first || !last) return std::nullopt;
  return std::make_pair(*first, *last);
}

/// Strapdown integration of rows [i0, i1] from rest, level at i0; calls
/// on_sample(t_us, position) after each step and returns the end velocity
/// and position (uncorrected), or nullopt without a usable start.
/// The level frame at rest row i0: the rotation taking the sensor frame to
/// one whose z points up, from the specific force (which points up at
/// rest) averaged over a few rows around i0 to soften noise.
std::optional<Eigen::Quaterniond> level_at(const GyroRows& rows, size_t i0) {
  Eigen::Vector3d f = Eigen::Vector3d::Zero();
  const size_t lo = i0 >= 2 ? i0 - 2 : 0;
  const size_t hi = std::min(i0 + 2, rows.size() - 1);
  for (size_t i = lo; i <= hi; ++i) f += rows[i].a;
  if (f.norm() < 1e-6) return std::nullopt;
  return Eigen::Quaterniond::FromTwoVectors(f, Eigen::Vector3d::UnitZ());
}

template <typename OnSample>
std::optional<std::pair<Eigen::Vector3d, Eigen::Vector3d>> strapdown(const GyroRows& rows,
                                                                     size_t i0, size_t i1,
                                                                     OnSample&& on_sample) {
  const std::optional<Eigen::Quaterniond> level = level_at(rows, i0);
  if (!level) return std::nullopt;
  const Eigen::Quaterniond& q = *level;

  // The loop below is written on scalars, not Eigen's small vectors and quaternions: GCC packs
  // pairs of their coefficients through stack memory (8-byte stores read back as one 16-byte
  // load), and such a load cannot be forwarded from the store buffer. perf put the loop's
  // hottest instruction (~11 % of its time) on one such reload, on the orientation's
  // sample-to-sample dependency chain; the product itself is quaternion_product.hpp's.
  double qw = q.w(), qx = q.x(), qy = q.y(), qz = q.z();
  // a_world = q a q* - g, as a + w t + u x t - g with t = 2 u x a (u the vector part).
  const auto world_accel = [&](const Eigen::Vector3d& a) {
    const double tx = 2.0 * (qy * a.z() - qz * a.y());
    const double ty = 2.0 * (qz * a.x() - qx * a.z());
    const double tz = 2.0 * (qx * a.y() - qy * a.x());
    return std::array<double, 3>{a.x() + qw * tx + (qy * tz - qz * ty),
                                 a.y() + qw * ty + (qz * tx - qx * tz),
                                 a.z() + qw * tz + (qx * ty - qy * tx) - kGravity_mps2};
  };
  double vx = 0.0, vy = 0.0, vz = 0.0;
  Eigen::Vector3d p = Eigen::Vector3d::Zero();
  // In storage order by pointer (for_each_row): this loop is the detector's hottest.
  const GyroRow* prev = &rows[i0];
  std::array<double, 3> a_prev = world_accel(prev->a);
  const bool whole = for_each_row(rows, i0 + 1, i1, [&](const GyroRow& row) {
    const GyroRow* cur = &row;
    const double dt = static_cast<double>(cur->t_us - prev->t_us) * 1e-6;
    // A longer hole (lost packets the segmenter bridged) hides how the foot
    // moved: integrating across it would report a length that was never
    // measured, so the stride gets none.
    if (dt > kMaxStrapdownStep_s) [[unlikely]]
      return false;
    // Rotation over the interval from the mean rate (second-order accurate).
    const double hx = 0.25 * dt * (cur->w.x() + prev->w.x());
    const double hy = 0.25 * dt * (cur->w.y() + prev->w.y());
    const double hz = 0.25 * dt * (cur->w.z() + prev->w.z());
    // Rotation by the exponential map, cos and sin by their series (exact to
    // ~1e-9 at the 0.1 rad per sample of a fast swing at 100 Hz): avoids
    // trigonometry on the hot path.
    // Reciprocals as constants: strict IEEE keeps a division by 6.0 a division, and four of
    // them per sample were a third of this loop.
    constexpr double k2 = 1.0 / 2.0, k6 = 1.0 / 6.0, k24 = 1.0 / 24.0, k120 = 1.0 / 120.0;
    const double h2 = hx * hx + hy * hy + hz * hz;
    const double c = 1.0 - h2 * k2 + h2 * h2 * k24;
    const double s = 1.0 - h2 * k6 + h2 * h2 * k120;
    // The increment is unit to ~1e-9; one Newton step for 1/sqrt (error 3/8 e^2) makes it unit
    // to rounding without a square root or a division. Normalising the increment rather than
    // the product keeps the scaling off q's sample-to-sample dependency chain, which (not the
    // arithmetic) bounds this loop's speed. q then leaves unit length by rounding only, at most
    // ~2e-16 per step: under 1e-12 after the 3000 samples of a 3 s stride at 1 kHz, a relative
    // error of that size in the rotated acceleration, so it is not renormalised at all.
    const double n = 1.5 - 0.5 * (c * c + s * s * h2);
    const Eigen::Quaterniond q1 =
        hamilton_product(Eigen::Quaterniond(qw, qx, qy, qz),
                         Eigen::Quaterniond(n * c, n * s * hx, n * s * hy, n * s * hz));
    qw = q1.w(), qx = q1.x(), qy = q1.y(), qz = q1.z();
    // Trapezoids on acceleration and velocity. Halving is exact in floating point, so taking
    // it once on dt gives the same roundings as halving each sum.
    const double half_dt = 0.5 * dt;
    const std::array<double, 3> acc = world_accel(cur->a);
    const double vx1 = vx + (acc[0] + a_prev[0]) * half_dt;
    const double vy1 = vy + (acc[1] + a_prev[1]) * half_dt;
    const double vz1 = vz + (acc[2] + a_prev[2]) * half_dt;
    p.x() += (vx + vx1) * half_dt;
    p.y() += (vy + vy1) * half_dt;
    p.z() += (vz + vz1) * half_dt;
    vx = vx1, vy = vy1, vz = vz1;
    a_prev = acc;
    on_sample(cur->t_us, p);
    prev = cur;
    return true;
  });
  if (!whole) return std::nullopt;
  const Eigen::Vector3d v(vx, vy, vz);
  return std::make_pair(v, p);
}

}  // namespace

std::optional<ZuptStride> integrate_stride(const GyroRows& rows, int64_t t0_us, int64_t t1_us) {
  const auto span = row_span(rows, t0_us, t1_us);
  if (!span) return std::nullopt;
  const auto end =
      strapdown(rows, span->first, span->second, [](int64_t, const Eigen::Vector3d&) {});
  if (!end) return std::nullopt;
  const auto& [v, p_raw] = *end;
  // Zero velocity at the end too: the residual is integration drift, taken
  // as growing linearly over the stride, so its displacement is v_end*T/2.
  const double T = static_cast<double>(t1_us - t0_us) * 1e-6;
  const Eigen::Vector3d p = p_raw - 0.5 * v * T;
  ZuptStride out;
  out.length_m = std::hypot(p.x(), p.y());
  out.speed_mps = out.length_m / T;
  out.vertical_m = p.z();
  return out;
}

std::optional<double> foot_clearance_m(const GyroRows& rows, int64_t t0_us, int64_t t1_us) {
  const auto span = row_span(rows, t0_us, t1_us);
  if (!span) return std::nullopt;
  std::vector<std::pair<double, double>> heights;  // (time since t0 s, raw height m)
  heights.reserve(span->second - span->first);
  const auto end =
      strapdown(rows, span->first, span->second, [&](int64_t t_us, const Eigen::Vector3d& p) {
        heights.emplace_back(static_cast<double>(t_us - t0_us) * 1e-6, p.z());
      });
  if (!end) return std::nullopt;
  // The velocity drift, linear in time, displaces the path by v_end t^2 / 2T.
  const double T = static_cast<double>(t1_us - t0_us) * 1e-6;
  const double vz_end = end->first.z();
  double top = 0.0;
  for (const auto& [t, z] : heights) top = std::max(top, z - 0.5 * vz_end * t * t / T);
  return top;
}

std::optional<RestToRestPath> rest_to_rest_path(const GyroRows& rows, size_t i0, size_t i1) {
  if (i1 <= i0 || i1 >= rows.size()) return std::nullopt;
  const auto end = strapdown(rows, i0, i1, [](int64_t, const Eigen::Vector3d&) {});
  if (!end) return std::nullopt;
  const double T = static_cast<double>(rows[i1].t_us - rows[i0].t_us) * 1e-6;
  const Eigen::Vector3d p = end->second - 0.5 * end->first * T;
  return RestToRestPath{level_at(rows, i0)->conjugate() * p, end->first.norm()};
}

}  // namespace gk
