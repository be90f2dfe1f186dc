#include "session_distance.hpp"

namespace gk {

std::optional<double> session_distance_m(const std::vector<StepResult>& steps,
                                         std::optional<double> treadmill_speed_mps,
                                         const DistanceSettings& settings) {
  double from_steps = 0.0;
  double on_foot_s = 0.0;
  bool any_speed = false;
  for (size_t i = 1; i < steps.size(); ++i) {
    const int64_t dt = steps[i].event.ic_us - steps[i - 1].event.ic_us;
    if (dt <= 0 || dt > settings.max_step_gap_us) continue;
    const double dt_s = static_cast<double>(dt) * 1e-6;
    on_foot_s += dt_s;
    // The speed of the stride that ends at this step covers the time since
    // the previous step (of either foot).
    if (const std::optional<double>& v = steps[i].event.speed_mps) {
      from_steps += *v * dt_s;
      any_speed = true;
    }
  }
  if (any_speed) return from_steps;
  if (treadmill_speed_mps && *treadmill_speed_mps > 0.0) return *treadmill_speed_mps * on_foot_s;
  return std::nullopt;
}

}  // namespace gk
