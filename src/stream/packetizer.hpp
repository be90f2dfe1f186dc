// Conversion between SI samples and the int16 FIFO packets of the schema.
#pragma once

#include <cmath>
#include <cstdint>
#include <vector>

#include "gaitkeeper.pb.h"
#include "sample.hpp"

namespace gk {

struct PacketizerSettings {
  uint32_t device_id = 1;
  pb::Placement placement = pb::PLACEMENT_UNKNOWN;
  uint32_t accel_range_g = 16;       ///< full scale +/- this many g
  uint32_t gyro_range_dps = 2000;    ///< full scale; 0 = accelerometer-only
  uint32_t sample_period_us = 1000;  ///< nominal period
  uint32_t samples_per_packet = 20;
};

/// Counts from zero to an int16 full scale: a reading of exactly the full scale would be this many.
inline constexpr double kFullScaleCounts = 32768.0;

/// Scale of one int16 count in SI units.
double accel_lsb_mps2(uint32_t range_g);
double gyro_lsb_rps(uint32_t range_dps);

/// The count magnitude a clipped reading sits at: 32767, the largest positive count (one under
/// the full scale), and on the negative side -32767 or -32768 (some sensors clip there at -32767
/// to keep the range symmetric).
inline constexpr int32_t kLimitCount = 32767;

/// Whether a count sits at the limit of its range, as a clipped reading does. The one definition
/// of clipped readings: packets on unpacking, sensor CSVs (io/session.cpp) and the declip stage
/// (gait/declip.cpp) all use it or reading_at_limit().
constexpr bool count_at_limit(int32_t c) { return c >= kLimitCount || c <= -kLimitCount; }

/// Whether a reading in SI units, one count being `lsb`, rounds to a count at the limit.
inline bool reading_at_limit(double value, double lsb) {
  return std::abs(value) >= (kLimitCount - 0.5) * lsb;
}

/// Turns a sample stream into packets as a FIFO would deliver them. Samples
/// whose spacing departs from the nominal period are carried exactly through
/// per-sample time offsets, so nothing about timing is lost.
class Packetizer {
 public:
  explicit Packetizer(const PacketizerSettings& settings);

  /// Adds a sample; returns true when a packet is complete (then take()).
  bool push(const ImuSample& s);
  /// Emits the pending samples as a packet (may be partial); empty packet
  /// with no samples if none pending.
  pb::SensorPacket take();
  bool pending() const { return !buffer_.empty(); }
  /// Whether a sample at t_us may join the pending ones: per-sample time offsets from the
  /// packet's first sample are int32, so a gap (or a clock step back) longer than about 35 min
  /// must end the packet first (take()). True when nothing is pending.
  bool fits(int64_t t_us) const;
  void reset();
  uint32_t next_sequence() const { return sequence_; }

 private:
  PacketizerSettings settings_;
  std::vector<ImuSample> buffer_;
  uint32_t sequence_ = 0;
};

/// Decodes a packet into SI samples (appends to out). Counts at the int16
/// limits mark the sample as saturated.
void unpack(const pb::SensorPacket& packet, std::vector<ImuSample>& out);

}  // namespace gk
