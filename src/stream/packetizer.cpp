#include "packetizer.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>
#include <numbers>

namespace gk {
namespace {

int32_t quantize(double value, double lsb, bool& saturated) {
  const double counts = std::round(value / lsb);
  if (!(counts > -kFullScaleCounts)) {  // also catches NaN
    saturated = true;
    return std::isnan(counts) ? 0 : -32768;
  }
  if (counts >= kFullScaleCounts - 1.0) {
    saturated = counts > kFullScaleCounts - 1.0;
    return 32767;
  }
  return static_cast<int32_t>(counts);
}

}  // namespace

double accel_lsb_mps2(uint32_t range_g) {
  return static_cast<double>(range_g) * kGravity_mps2 / kFullScaleCounts;
}

double gyro_lsb_rps(uint32_t range_dps) {
  return static_cast<double>(range_dps) * std::numbers::pi / 180.0 / kFullScaleCounts;
}

Packetizer::Packetizer(const PacketizerSettings& settings) : settings_(settings) {
  assert(settings.samples_per_packet > 0);
  assert(settings.accel_range_g > 0);
  buffer_.reserve(settings.samples_per_packet);
}

bool Packetizer::fits(int64_t t_us) const {
  if (buffer_.empty()) return true;
  const int64_t offset_us = t_us - buffer_.front().t_us;
  return offset_us >= std::numeric_limits<int32_t>::min() &&
         offset_us <= std::numeric_limits<int32_t>::max();
}

bool Packetizer::push(const ImuSample& s) {
  assert(fits(s.t_us));
  buffer_.push_back(s);
  return buffer_.size() >= settings_.samples_per_packet;
}

pb::SensorPacket Packetizer::take() {
  pb::SensorPacket p;
  p.set_device_id(settings_.device_id);
  p.set_placement(settings_.placement);
  p.set_sample_period_us(settings_.sample_period_us);
  p.set_accel_range_g(settings_.accel_range_g);
  p.set_gyro_range_dps(settings_.gyro_range_dps);
  if (buffer_.empty()) return p;
  p.set_sequence(sequence_++);
  p.set_t_first_us(buffer_.front().t_us);
  const double alsb = accel_lsb_mps2(settings_.accel_range_g);
  const bool gyro = settings_.gyro_range_dps > 0;
  const double glsb = gyro ? gyro_lsb_rps(settings_.gyro_range_dps) : 1.0;
  bool irregular = false;
  for (size_t i = 0; i < buffer_.size(); ++i) {
    const int64_t expected =
        buffer_.front().t_us + static_cast<int64_t>(i) * settings_.sample_period_us;
    if (buffer_[i].t_us != expected) irregular = true;
  }
  bool sat = false;
  for (size_t i = 0; i < buffer_.size(); ++i) {
    const ImuSample& s = buffer_[i];
    for (int k = 0; k < 3; ++k) p.add_accel(quantize(s.acc_mps2[k], alsb, sat));
    if (gyro) {
      for (int k = 0; k < 3; ++k) p.add_gyro(quantize(s.gyr_rps[k], glsb, sat));
    }
    if (irregular) {
      p.add_t_offset_us(static_cast<int32_t>(s.t_us - buffer_.front().t_us));
    }
  }
  buffer_.clear();
  return p;
}

void Packetizer::reset() {
  buffer_.clear();
  sequence_ = 0;
}

void unpack(const pb::SensorPacket& packet, std::vector<ImuSample>& out) {
  const int n = packet.accel_size() / 3;
  const bool gyro = packet.gyro_size() == packet.accel_size() && packet.gyro_range_dps() > 0;
  const bool offsets = packet.t_offset_us_size() == n;
  const double alsb = accel_lsb_mps2(packet.accel_range_g());
  const double glsb = gyro ? gyro_lsb_rps(packet.gyro_range_dps()) : 0.0;
  for (int i = 0; i < n; ++i) {
    ImuSample s;
    s.t_us = packet.t_first_us() + (offsets ? packet.t_offset_us(i)
                                            : static_cast<int64_t>(i) * packet.sample_period_us());
    s.has_gyro = gyro;
    for (int k = 0; k < 3; ++k) {
      const int32_t a = packet.accel(3 * i + k);
      s.acc_mps2[k] = a * alsb;
      s.saturated = s.saturated || count_at_limit(a);
      if (gyro) {
        const int32_t g = packet.gyro(3 * i + k);
        s.gyr_rps[k] = g * glsb;
        s.saturated = s.saturated || count_at_limit(g);
      }
    }
    out.push_back(s);
  }
}

}  // namespace gk
