#include "trunk_bounce.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <numbers>

#include "sample.hpp"

namespace gk::sim {
namespace {

constexpr double kPi = std::numbers::pi;

/// One contact's ground force per unit impulse is pi / (2 C) sin(pi tau / C) over [0, C); its
/// integral is the velocity it has given at tau, its double integral the height.
struct Pulse {
  double contact_s;
  double velocity(double tau) const {
    if (tau <= 0.0) return 0.0;
    if (tau >= contact_s) return 1.0;
    return 0.5 * (1.0 - std::cos(kPi * tau / contact_s));
  }
  double height(double tau) const {
    if (tau <= 0.0) return 0.0;
    if (tau >= contact_s) return tau - 0.5 * contact_s;
    return 0.5 * (tau - contact_s / kPi * std::sin(kPi * tau / contact_s));
  }
  /// What the push still adds from d after its start over the next tau, beyond the velocity it
  /// had given by d: to the height ...
  double height_after(double d, double tau) const {
    return height(d + tau) - height(d) - velocity(d) * tau;
  }
  /// ... and to the velocity.
  double velocity_after(double d, double tau) const { return velocity(d + tau) - velocity(d); }
};

/// A contact's force, from anything with its IC and toe-off.
template <class Contact>
Pulse pulse_of(const Contact& c) {
  return {c.to_s - c.ic_s};
}

/// IC height and velocity of the steady bounce (zero mean height over the step) of a gait whose
/// steps last step_s with contacts `pulse`: the periodic solution of z'' = F - g, F the sum of
/// the contacts' forces, each carrying g times a step. In units of a step (s = phase, c =
/// contact share, 0 < c < 2) the height is -s^2/2 + G(s) + G(s + 1) + v0 s with G the height of
/// a unit impulse and v0 = c/2 - 3/2 for periodicity; its mean over the step is
/// c^2 (1/4 - 1 / pi^2) - 3c/4 + 13/12.
struct SteadyStart {
  double z_m, v_mps;
};
SteadyStart steady_start(double step_s, const Pulse& pulse) {
  const double c = pulse.contact_s / step_s;
  assert(c > 0.0 && c < 2.0);
  const Pulse unit{c};
  const double mean = c * c * (0.25 - 1.0 / (kPi * kPi)) - 0.75 * c + 13.0 / 12.0;
  const double g = kGravity_mps2;
  return {g * step_s * step_s * (unit.height(1.0) - mean),
          g * step_s * (unit.velocity(1.0) + 0.5 * c - 1.5)};
}

}  // namespace

TrunkBounce::TrunkBounce(const GaitTimeline& timeline) {
  for (const pb::Side side : {pb::LEFT, pb::RIGHT}) {
    for (const Contact& c : timeline.contacts(side)) steps_.push_back({c.ic_s, c.to_s});
  }
  std::sort(steps_.begin(), steps_.end(),
            [](const Step& a, const Step& b) { return a.ic_s < b.ic_s; });
  assert(steps_.size() >= 3);
  const auto step_s = [this](std::size_t k) {
    const std::size_t n = steps_.size();
    return k + 1 < n ? steps_[k + 1].ic_s - steps_[k].ic_s
                     : steps_[n - 1].ic_s - steps_[n - 2].ic_s;
  };
  const double g = kGravity_mps2;
  const SteadyStart first = steady_start(step_s(0), pulse_of(steps_[0]));
  steps_[0].z_m = first.z_m;
  steps_[0].v_mps = first.v_mps;
  for (std::size_t k = 0; k < steps_.size(); ++k) {
    Step& s = steps_[k];
    const double t = step_s(k);
    // Where the trunk would be at the next contact without this one's push: gravity, and what
    // the contacts before it still push after its landing (a double support).
    double z = s.z_m + s.v_mps * t - 0.5 * g * t * t;
    double v = s.v_mps - g * t;
    for (std::size_t j = k; j-- > 0 && steps_[j].to_s > s.ic_s;) {
      const Pulse p = pulse_of(steps_[j]);
      const double d = s.ic_s - steps_[j].ic_s;
      z += steps_[j].impulse_mps * p.height_after(d, t);
      v += steps_[j].impulse_mps * p.velocity_after(d, t);
    }
    const Pulse own = pulse_of(s);
    const double next_s = step_s(std::min(k + 1, steps_.size() - 1));
    const std::size_t next = std::min(k + 1, steps_.size() - 1);
    const SteadyStart target = steady_start(next_s, pulse_of(steps_[next]));
    // Impulse that reaches the steady velocity less the height correction at the next contact;
    // both are linear in it.
    const double a = own.height(t), b = own.velocity(t);
    s.impulse_mps = (target.v_mps - v - kHeightGain * (z - target.z_m) / next_s) /
                    (b + kHeightGain * a / next_s);
    if (k + 1 < steps_.size()) {
      steps_[k + 1].z_m = z + s.impulse_mps * a;
      steps_[k + 1].v_mps = v + s.impulse_mps * b;
    }
  }
}

std::size_t TrunkBounce::step_at(double t_s) const {
  const auto it = std::upper_bound(steps_.begin(), steps_.end(), t_s,
                                   [](double t, const Step& s) { return t < s.ic_s; });
  return it == steps_.begin() ? 0 : static_cast<std::size_t>(it - steps_.begin()) - 1;
}

double TrunkBounce::height_m(double t_s) const {
  const std::size_t k = step_at(t_s);
  const Step& s = steps_[k];
  const double tau = t_s - s.ic_s;
  double z = s.z_m + s.v_mps * tau - 0.5 * kGravity_mps2 * tau * tau;
  for (std::size_t j = k + 1; j-- > 0;) {
    const Step& c = steps_[j];
    if (j < k && c.to_s <= s.ic_s) break;
    const Pulse p = pulse_of(c);
    const double d = s.ic_s - c.ic_s;
    z += c.impulse_mps * p.height_after(d, tau);
  }
  return z;
}

}  // namespace gk::sim
