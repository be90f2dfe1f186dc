// The stretches a joint-angle stage leaves out because its attitude filter was finding tilt
// from the motion (TimedImu::anchored false: after a gap, or data that start moving), worded for
// the stage's findings: the hole in the angle series is marked, not silent.
#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

namespace gk {

class UnanchoredStretch {
 public:
  /// `what` names the stage in its findings ("left knee", "pelvis").
  explicit UnanchoredStretch(std::string what) : what_(std::move(what)) {}

  /// One sample of the stage; returns a finding when a left-out stretch ends.
  std::optional<std::string> push(bool anchored, int64_t t_us) {
    if (!anchored) {
      if (!from_us_) {
        from_us_ = t_us;
        at_start_ = !seen_anchored_;
      }
      return std::nullopt;
    }
    seen_anchored_ = true;
    if (!from_us_) return std::nullopt;
    const int64_t from = *from_us_;
    from_us_.reset();
    return finding(from, t_us);
  }
  /// End of data inside a stretch: its finding.
  std::optional<std::string> finish(int64_t last_t_us) {
    if (!from_us_) return std::nullopt;
    const int64_t from = *from_us_;
    from_us_.reset();
    return finding(from, last_t_us);
  }
  void reset() {
    from_us_.reset();
    seen_anchored_ = false;
    at_start_ = false;
  }

 private:
  std::string finding(int64_t from_us, int64_t to_us) const {
    return fmt::format(
        "{}: no angles from {:.2f} s to {:.2f} s while its tilt was found {}", what_,
        static_cast<double>(from_us) * 1e-6, static_cast<double>(to_us) * 1e-6,
        at_start_ ? "from the motion the data started with" : "again after a gap in the data");
  }

  std::string what_;
  std::optional<int64_t> from_us_;
  bool seen_anchored_ = false;
  bool at_start_ = false;  ///< the stretch began before any anchored sample
};

}  // namespace gk
