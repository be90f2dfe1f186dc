#include "flag_debounce.hpp"

namespace gk {

FlagDebouncer::Change FlagDebouncer::update(int64_t t_us, double value, double raise_above,
                                            double clear_below) {
  // Raising needs value above the threshold; clearing needs it below the
  // hysteresis margin. Anything in between keeps the current state and
  // restarts the pending timer.
  const bool toward_other = active_ ? value < clear_below : value > raise_above;
  if (!toward_other) {
    pending_since_us_.reset();
    return Change::kNone;
  }
  if (!pending_since_us_) pending_since_us_ = t_us;
  if (t_us - *pending_since_us_ < min_duration_us_) return Change::kNone;
  active_ = !active_;
  if (active_) onset_us_ = *pending_since_us_;
  pending_since_us_.reset();
  return active_ ? Change::kRaised : Change::kCleared;
}

void FlagDebouncer::reset() {
  active_ = false;
  onset_us_ = 0;
  pending_since_us_.reset();
}

}  // namespace gk
