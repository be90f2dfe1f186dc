// Where a stride's landing lies between its samples, from the whole shape of the signal around
// it: the stride is aligned to a template of this segment's recent strides.
//
// A sharp impact sampled at 100 Hz is known only to the pair of samples it fell between, and a
// shock of a few milliseconds can be missed. The smooth parts around it (the late swing's
// deceleration before the landing, the stance loading after it) move the samples' values
// continuously with the sampling phase, so they do carry where between two samples the stride
// lies. Aligning the stride's samples to a template by least squares reads that out. Strides of
// one segment sample its waveform at phases that drift from stride to stride, so the template,
// kept on a grid finer than the sampling, fills in the waveform between the samples as the
// strides come (equivalent-time sampling: the waveform repeats, the sampling phase does not).
#pragma once

#include <Eigen/Core>
#include <cstddef>
#include <optional>
#include <vector>

namespace gk {

struct StrideTemplateSettings {
  double before_s = 0.060;  ///< a stride's samples are taken this long before its rough landing
  double after_s = 0.100;   ///< ... and this long after it
  /// Shift searched either side of the rough landing: a missed shock puts the rough landing
  /// up to 15 ms late (the loading rise after it), a late swing's jump 25 ms early.
  double search_s = 0.025;
  /// Shift searched either side of where the recent strides' rhythm puts the origin.
  double rhythm_search_s = 0.012;
  /// Template grid step, as a share of the sample period (at least min_bin_s).
  double bin_periods = 0.125;
  double min_bin_s = 0.00025;
  /// Weight of each new stride in the template: it follows a change of pace within a few
  /// strides.
  double new_weight = 0.25;
  /// A stride whose least-squares residual exceeds this share of its own variance does not
  /// have the template's shape (see StrideTemplate::Alignment).
  double max_residual_share = 0.25;
};

class StrideTemplate {
 public:
  struct Sample {
    double t_us = 0.0;
    Eigen::Vector3d value = Eigen::Vector3d::Zero();
  };

  explicit StrideTemplate(const StrideTemplateSettings& settings = {}) : settings_(settings) {}

  /// Strides added since the reset.
  size_t strides() const { return strides_; }
  /// Where the template's origin lies in this stride (samples around its rough landing, within
  /// the settings' window), by least squares over shifts within search_us of center_us and a
  /// parabola through the best three; nullopt before a stride was added, with too few samples,
  /// or with the best shift at the search's edge.
  struct Alignment {
    double origin_us = 0.0;
    /// The least squares' residual as a share of the stride's own variance about its mean:
    /// near 0 where the stride has the template's shape, near 1 or above where it has not.
    double residual_share = 0.0;
  };
  std::optional<Alignment> align(const std::vector<Sample>& samples, double center_us,
                                 double search_us) const;
  /// Adds a stride whose template origin lies at origin_us; period_us is its sample period
  /// (sets the grid on the first stride).
  void add(const std::vector<Sample>& samples, double origin_us, double period_us);
  void reset();

 private:
  /// The template at t_us after its origin, linear between grid points.
  Eigen::Vector3d at(double t_us) const;
  /// Fills the grid points no stride has reached from their populated neighbours.
  void fill();

  StrideTemplateSettings settings_;
  size_t strides_ = 0;
  double bin_us_ = 0.0;
  double from_us_ = 0.0;  ///< the grid's first point, relative to the origin
  std::vector<Eigen::Vector3d> sum_;
  std::vector<double> weight_;
  std::vector<Eigen::Vector3d> dense_;  ///< the template on every grid point (fill())
};

}  // namespace gk
