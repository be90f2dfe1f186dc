#include "hinge_axis.hpp"

#include <Eigen/Eigenvalues>
#include <algorithm>
#include <cassert>
#include <cmath>

namespace gk {
namespace {

bool informative(const GyroPair& p, double min_rate_rps) {
  const double min2 = min_rate_rps * min_rate_rps;  // squared norms: no square roots
  return p.thigh_rps.squaredNorm() >= min2 || p.shank_rps.squaredNorm() >= min2;
}

/// Dominant rotation axis (largest eigenvector of sum w w^T): for a leg
/// segment in running this is within a few degrees of the flexion axis, a
/// starting point the Gauss-Newton iterations then refine.
Eigen::Vector3d principal_axis(const std::vector<const GyroPair*>& pairs, bool thigh) {
  Eigen::Matrix3d m = Eigen::Matrix3d::Zero();
  for (const GyroPair* p : pairs) {
    const Eigen::Vector3d& w = thigh ? p->thigh_rps : p->shank_rps;
    m += w * w.transpose();
  }
  Eigen::SelfAdjointEigenSolver<Eigen::Matrix3d> eig(m);
  return eig.eigenvectors().col(2).normalized();
}

/// Two unit vectors spanning the plane perpendicular to unit j.
Eigen::Matrix<double, 3, 2> tangent_basis(const Eigen::Vector3d& j) {
  Eigen::Vector3d a = std::abs(j.x()) < 0.9 ? Eigen::Vector3d::UnitX() : Eigen::Vector3d::UnitY();
  Eigen::Vector3d b1 = j.cross(a).normalized();
  Eigen::Matrix<double, 3, 2> b;
  b.col(0) = b1;
  b.col(1) = j.cross(b1);
  return b;
}

/// |w x j| for unit j: what the hinge constraint compares.
double perp_norm(const Eigen::Vector3d& w, const Eigen::Vector3d& j) {
  return gk::perp_norm(w.squaredNorm(), w.dot(j));
}

/// |w x j|^2 = |w|^2 - (w.j)^2 for unit j, and its gradient along the
/// sphere, -2 (w.j) w. The fit uses the squared form of the constraint: it is
/// a smooth quadratic in j, whereas |w x j| has a kink wherever w passes
/// through j, which leaves the plain form with local minima a few degrees
/// from the true axis on real gait data.
double perp_sq(const Eigen::Vector3d& w, const Eigen::Vector3d& j, Eigen::Vector3d* grad) {
  const double wj = w.dot(j);
  if (grad) *grad = -2.0 * wj * w;
  return w.squaredNorm() - wj * wj;
}

}  // namespace

HingeResidual hinge_residual(const std::vector<GyroPair>& pairs, const Eigen::Vector3d& thigh_axis,
                             const Eigen::Vector3d& shank_axis, double min_rate_rps) {
  HingeResidual r;
  double sum_e2 = 0.0;
  double sum_w2 = 0.0;
  for (const GyroPair& p : pairs) {
    if (!informative(p, min_rate_rps)) continue;
    const double f1 = perp_norm(p.thigh_rps, thigh_axis);
    const double f2 = perp_norm(p.shank_rps, shank_axis);
    sum_e2 += (f1 - f2) * (f1 - f2);
    // The knee's own angular speed: what a hinge turns about its axis.
    const double flex = p.shank_rps.dot(shank_axis) - p.thigh_rps.dot(thigh_axis);
    sum_w2 += flex * flex;
    ++r.pairs;
  }
  if (r.pairs == 0) return r;
  r.rms_rps = std::sqrt(sum_e2 / static_cast<double>(r.pairs));
  const double rms_w = std::sqrt(sum_w2 / static_cast<double>(r.pairs));
  r.relative = rms_w > 1e-9 ? r.rms_rps / rms_w : 0.0;
  return r;
}

HingeAxes estimate_hinge_axes(const std::vector<GyroPair>& pairs,
                              const HingeAxisSettings& settings) {
  assert(settings.max_pairs > 0);
  std::vector<const GyroPair*> used;
  for (const GyroPair& p : pairs) {
    if (informative(p, settings.min_rate_rps)) used.push_back(&p);
  }
  if (used.size() > settings.max_pairs) {
    std::vector<const GyroPair*> thinned;
    thinned.reserve(settings.max_pairs);
    const double step = static_cast<double>(used.size()) / static_cast<double>(settings.max_pairs);
    for (size_t i = 0; i < settings.max_pairs; ++i) {
      thinned.push_back(used[static_cast<size_t>(static_cast<double>(i) * step)]);
    }
    used.swap(thinned);
  }
  HingeAxes out;
  out.pairs_used = used.size();
  if (used.size() < 50) return out;

  Eigen::Vector3d j1 = principal_axis(used, true);
  Eigen::Vector3d j2 = principal_axis(used, false);
  out.converged = true;
  const size_t n = settings.refine_with_constraint ? used.size() : 0;
  Eigen::VectorXd e(n);
  Eigen::MatrixXd jac(n, 4);

  auto evaluate = [&](const Eigen::Vector3d& a1, const Eigen::Vector3d& a2, bool with_jacobian,
                      const Eigen::Matrix<double, 3, 2>& b1,
                      const Eigen::Matrix<double, 3, 2>& b2) {
    double cost = 0.0;
    for (size_t i = 0; i < n; ++i) {
      Eigen::Vector3d g1;
      Eigen::Vector3d g2;
      const double f1 = perp_sq(used[i]->thigh_rps, a1, with_jacobian ? &g1 : nullptr);
      const double f2 = perp_sq(used[i]->shank_rps, a2, with_jacobian ? &g2 : nullptr);
      e(static_cast<Eigen::Index>(i)) = f1 - f2;
      cost += (f1 - f2) * (f1 - f2);
      if (with_jacobian) {
        const auto row = static_cast<Eigen::Index>(i);
        jac.block<1, 2>(row, 0) = g1.transpose() * b1;
        jac.block<1, 2>(row, 2) = -g2.transpose() * b2;
      }
    }
    return cost;
  };

  // Levenberg-Marquardt on the product of two spheres: each iteration moves
  // j1 and j2 in their tangent planes and renormalises.
  double lambda = 1e-3;
  Eigen::Matrix<double, 3, 2> b1 = tangent_basis(j1);
  Eigen::Matrix<double, 3, 2> b2 = tangent_basis(j2);
  double cost = evaluate(j1, j2, true, b1, b2);
  for (int it = 0; n > 0 && it < settings.max_iterations; ++it) {
    const Eigen::Matrix4d jtj = jac.transpose() * jac;
    const Eigen::Vector4d jte = jac.transpose() * e;
    Eigen::Matrix4d a = jtj;
    a.diagonal() += lambda * jtj.diagonal().cwiseMax(1e-12);
    const Eigen::Vector4d delta = a.ldlt().solve(-jte);
    const Eigen::Vector3d c1 = (j1 + b1 * delta.head<2>()).normalized();
    const Eigen::Vector3d c2 = (j2 + b2 * delta.tail<2>()).normalized();
    const double trial = evaluate(c1, c2, false, b1, b2);
    if (trial < cost) {
      j1 = c1;
      j2 = c2;
      lambda = std::max(lambda * 0.3, 1e-9);
      b1 = tangent_basis(j1);
      b2 = tangent_basis(j2);
      cost = evaluate(j1, j2, true, b1, b2);
      if (delta.norm() < settings.tolerance_rad) break;
    } else {
      lambda *= 10.0;
      if (lambda > 1e8) break;  // no descent direction left: at the minimum
      evaluate(j1, j2, true, b1, b2);
    }
  }

  // Same direction for both: the thigh and shank pitch together in the
  // sagittal plane, so their rates about a common axis correlate positively.
  double corr = 0.0;
  for (const GyroPair* p : used) corr += p->thigh_rps.dot(j1) * p->shank_rps.dot(j2);
  if (corr < 0.0) j2 = -j2;

  out.thigh_axis = j1;
  out.shank_axis = j2;
  const HingeResidual r = hinge_residual(pairs, j1, j2, settings.min_rate_rps);
  out.residual_rps = r.rms_rps;
  out.relative_residual = r.relative;
  return out;
}

}  // namespace gk
