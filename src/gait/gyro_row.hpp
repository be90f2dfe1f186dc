// The rows a gyro segment's detectors buffer: one sample each, with its pitch rate.
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <boost/circular_buffer.hpp>
#include <cassert>
#include <cstdint>
#include <optional>

namespace gk {

/// One buffered sample with its projection on the pitch axis.
struct GyroRow {
  int64_t t_us = 0;
  Eigen::Vector3d w = Eigen::Vector3d::Zero();  ///< rad/s, sensor frame
  Eigen::Vector3d a = Eigen::Vector3d::Zero();  ///< m/s^2, sensor frame
  double p = 0.0;                               ///< pitch rate, + = swing direction
};

/// The segmenter's window of rows: a ring buffer (Boost.CircularBuffer), not
/// a deque. Every sample indexes it several times and a deque index costs a
/// block lookup (eight 64-byte rows per libstdc++ block); the ring's is an
/// add and a compare. Its capacity is grown by the owner before it fills
/// (a full circular_buffer would overwrite its oldest row).
using GyroRows = boost::circular_buffer<GyroRow>;

/// Calls f(row) for rows [lo, hi] of the ring in order, until f returns false. The rows lie in
/// at most two contiguous arrays (the ring's storage before and after its wrap); walking those
/// by pointer costs no wrap test per step, which the scans over every row of a stride (the
/// strapdown integration, the pitch-rate minimum) notice at 1 kHz. Returns false if f stopped
/// the walk.
template <typename F>
bool for_each_row(const GyroRows& rows, size_t lo, size_t hi, F&& f) {
  assert(lo > hi || hi < rows.size());
  const auto one = rows.array_one();
  const auto two = rows.array_two();
  for (size_t i = lo; i <= hi && i < one.second; ++i) {
    if (!f(one.first[i])) return false;
  }
  const size_t from = lo > one.second ? lo - one.second : 0;
  if (hi < one.second) return true;
  for (size_t i = from; i <= hi - one.second && i < two.second; ++i) {
    if (!f(two.first[i])) return false;
  }
  return true;
}

/// Index of the row at exactly t_us (the rows are in time order); nullopt when no row is.
inline std::optional<size_t> row_at_time(const GyroRows& rows, int64_t t_us) {
  const auto it = std::lower_bound(rows.begin(), rows.end(), t_us,
                                   [](const GyroRow& r, int64_t t) { return r.t_us < t; });
  if (it == rows.end() || it->t_us != t_us) return std::nullopt;
  return static_cast<size_t>(it - rows.begin());
}

}  // namespace gk
