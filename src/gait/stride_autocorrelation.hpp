// A segment's stride period from the autocorrelation of its acceleration, independent of which
// impacts were caught.
//
// A leg's motion repeats every stride, so the acceleration magnitude of a sensor on it correlates
// with itself one stride later (Moe-Nilssen and Helbostad 2004, J. Biomech. 37:121, eq. 1, the
// unbiased autocorrelation of trunk acceleration, whose first dominant peak is the stride). The
// estimate needs no detected step: where a walker's heel strikes sample too weakly to be taken
// for impacts, the gaps between the ones that were span whole multiples of the stride, and the
// autocorrelation says which.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>

namespace gk {

struct StrideAutocorrelationSettings {
  double bin_s = 0.02;     ///< the signal is averaged over bins of this length (50 Hz)
  double window_s = 6.0;   ///< span the autocorrelation is taken over: two strides of 3 s
  double min_lag_s = 0.4;  ///< shortest stride looked for (300 steps/min)
  double max_lag_s = 2.5;  ///< longest stride looked for (48 steps/min)
  /// A period is reported only where the correlation at it reaches this (Pearson's r over the
  /// overlapping bins): a walk or a run correlates at 0.6-0.95 a stride apart, standing and noise
  /// near 0.
  double min_correlation = 0.5;
  /// The shortest lag whose correlation peak reaches this share of the largest is the stride:
  /// two and three strides apart correlate nearly as well as one.
  double multiple_share = 0.85;
  /// Overlap needed at a lag, in bins, for its correlation to count.
  size_t min_overlap_bins = 50;
  /// The window starts after the last stretch of still_s whose signal varied by less than
  /// still_max_std (standard deviation of the bins; the signal's unit, g for an acceleration):
  /// a walk that began inside the window after standing is measured on its own, as the standing
  /// bins would dilute its correlation (a shank's first 2.6 s of walking after a stand, with 3.4
  /// s of standing before them in the window: r 0.45 at its stride).
  double still_s = 1.0;
  double still_max_std = 0.1;
};

class StrideAutocorrelation {
 public:
  explicit StrideAutocorrelation(const StrideAutocorrelationSettings& settings = {});

  /// One sample of the signal (an acceleration magnitude) at t_us. Samples go into bins of
  /// bin_s; a bin with none (a hole in the data) is left out of every product that needs it.
  void push(int64_t t_us, double value);
  /// Forgets the signal (a gap: the stretch before it is another bout).
  void reset();
  /// The stride period in microseconds over the window, nullopt where no lag correlates at
  /// min_correlation. Computed on each call (about 10^4 multiply-adds).
  std::optional<double> period_us() const;

 private:
  struct Bin {
    double sum = 0.0;
    size_t n = 0;
  };
  StrideAutocorrelationSettings settings_;
  int64_t bin_us_ = 0;
  size_t window_bins_ = 0;
  std::deque<Bin> bins_;
  int64_t first_bin_index_ = 0;  ///< index (t_us / bin_us_) of bins_.front()
};

}  // namespace gk
