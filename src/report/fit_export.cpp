#include "fit_export.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include "atomic_file.hpp"

namespace gk {
namespace {

// FIT epoch: 1989-12-31T00:00:00Z.
constexpr int64_t kFitEpoch_unix_s = 631065600;

// Base types (FIT profile).
constexpr uint8_t kEnum = 0x00, kUint8 = 0x02, kUint16 = 0x84, kUint32 = 0x86, kUint32z = 0x8C;

// Global message numbers.
constexpr uint16_t kFileId = 0, kSession = 18, kLap = 19, kRecord = 20, kEvent = 21,
                   kDeviceInfo = 23, kActivity = 34;

// Enum values.
constexpr uint8_t kFileActivity = 4;
constexpr uint16_t kManufacturerDevelopment = 255;
constexpr uint8_t kSportRunning = 1, kSubSportGeneric = 0, kSubSportTreadmill = 1;
constexpr uint8_t kEventTimer = 0, kEventSession = 8, kEventLap = 9, kEventActivity = 26;
constexpr uint8_t kEventTypeStart = 0, kEventTypeStop = 1, kEventTypeStopAll = 4;

struct FieldDef {
  uint8_t num;
  uint8_t size;
  uint8_t base_type;
};

class FitWriter {
 public:
  void define(uint8_t local, uint16_t global, const std::vector<FieldDef>& fields) {
    data_.push_back(static_cast<char>(0x40 | local));
    data_.push_back(0);  // reserved
    data_.push_back(0);  // little-endian
    put(global, 2);
    data_.push_back(static_cast<char>(fields.size()));
    for (const FieldDef& f : fields) {
      data_.push_back(static_cast<char>(f.num));
      data_.push_back(static_cast<char>(f.size));
      data_.push_back(static_cast<char>(f.base_type));
    }
  }
  void begin(uint8_t local) { data_.push_back(static_cast<char>(local & 0x0F)); }
  void put(uint64_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) data_.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
  }
  std::string finish() const {
    std::string out;
    out.reserve(14 + data_.size() + 2);
    out.push_back(14);    // header size
    out.push_back(0x10);  // protocol version 1.0
    const uint16_t profile = 2132;
    out.push_back(static_cast<char>(profile & 0xFF));
    out.push_back(static_cast<char>(profile >> 8));
    const auto size = static_cast<uint32_t>(data_.size());
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((size >> (8 * i)) & 0xFF));
    out += ".FIT";
    const uint16_t hcrc = fit_crc16(out.data(), 12);
    out.push_back(static_cast<char>(hcrc & 0xFF));
    out.push_back(static_cast<char>(hcrc >> 8));
    out += data_;
    const uint16_t crc = fit_crc16(out.data(), out.size());
    out.push_back(static_cast<char>(crc & 0xFF));
    out.push_back(static_cast<char>(crc >> 8));
    return out;
  }

 private:
  std::string data_;
};

/// A scaled value in an unsigned field, or the field's invalid value.
uint64_t scaled(const std::optional<double>& v, double scale, int bytes) {
  const uint64_t invalid = bytes == 1 ? 0xFFu : bytes == 2 ? 0xFFFFu : 0xFFFFFFFFu;
  if (!v || !std::isfinite(*v) || *v < 0.0) return invalid;
  const double s = std::round(*v * scale);
  if (s >= static_cast<double>(invalid)) return invalid;
  return static_cast<uint64_t>(s);
}

uint32_t fit_time(int64_t unix_s) {
  return static_cast<uint32_t>(std::max<int64_t>(unix_s - kFitEpoch_unix_s, 0));
}

/// Cadence in strides/min as FIT's integer + 1/128 fraction.
std::pair<uint64_t, uint64_t> cadence_fields(const std::optional<double>& steps_per_min) {
  if (!steps_per_min || *steps_per_min < 0.0 || *steps_per_min >= 2.0 * 255.0) {
    return {0xFF, 0xFF};
  }
  const double strides = *steps_per_min / 2.0;
  // Round to 1/128 first so the fraction never reaches 128.
  const auto q = static_cast<uint64_t>(std::llround(strides * 128.0));
  return {q / 128, q % 128};
}

struct Acc {
  double sum = 0.0;
  size_t n = 0;
  void add(double v) { sum += v, ++n; }
  std::optional<double> mean() const {
    return n ? std::optional<double>(sum / static_cast<double>(n)) : std::nullopt;
  }
};

struct Totals {
  Acc cadence, stance, stance_l, stance_r, step_len;
};

std::optional<double> balance(const Acc& l, const Acc& r) {
  const auto ml = l.mean(), mr = r.mean();
  if (!ml || !mr || *ml + *mr <= 0.0) return std::nullopt;
  return 100.0 * *ml / (*ml + *mr);
}

void add_step(Totals& t, const StepResult& s) {
  if (s.cadence_spm) t.cadence.add(*s.cadence_spm);
  if (s.contact_ms) {
    t.stance.add(*s.contact_ms);
    if (s.event.side == pb::LEFT) t.stance_l.add(*s.contact_ms);
    if (s.event.side == pb::RIGHT) t.stance_r.add(*s.contact_ms);
  }
  if (s.stride_m) t.step_len.add(*s.stride_m / 2.0);
}

}  // namespace

uint16_t fit_crc16(const void* data, size_t size, uint16_t crc) {
  static constexpr uint16_t kTable[16] = {0x0000, 0xCC01, 0xD801, 0x1400, 0xF001, 0x3C00,
                                          0x2800, 0xE401, 0xA001, 0x6C00, 0x7800, 0xB401,
                                          0x5000, 0x9C01, 0x8801, 0x4400};
  const auto* p = static_cast<const uint8_t*>(data);
  for (size_t i = 0; i < size; ++i) {
    const uint8_t byte = p[i];
    uint16_t tmp = kTable[crc & 0xF];
    crc = static_cast<uint16_t>(((crc >> 4) & 0x0FFF) ^ tmp ^ kTable[byte & 0xF]);
    tmp = kTable[crc & 0xF];
    crc = static_cast<uint16_t>(((crc >> 4) & 0x0FFF) ^ tmp ^ kTable[(byte >> 4) & 0xF]);
  }
  return crc;
}

std::vector<FitRecord> fit_records(const SessionReportData& data) {
  const int64_t start_s = data.header.start_time_utc_us() / 1000000;
  std::map<int64_t, Totals> per_second;
  for (const StepResult& s : data.steps) {
    const int64_t sec = s.event.ic_us >= 0 ? s.event.ic_us / 1000000 : 0;
    add_step(per_second[sec], s);
  }
  std::vector<FitRecord> out;
  out.reserve(per_second.size());
  double distance = 0.0;
  bool any_length = false;
  for (const auto& [sec, t] : per_second) {
    FitRecord r;
    r.t_utc_s = start_s + sec;
    r.cadence_spm = t.cadence.mean();
    r.stance_ms = t.stance.mean();
    r.stance_balance_left_pct = balance(t.stance_l, t.stance_r);
    r.step_length_m = t.step_len.mean();
    if (data.header.has_treadmill_speed_mps()) {
      r.speed_mps = data.header.treadmill_speed_mps();
    } else if (r.step_length_m && r.cadence_spm) {
      r.speed_mps = *r.step_length_m * *r.cadence_spm / 60.0;
    }
    if (t.step_len.n > 0) {
      distance += t.step_len.sum;
      any_length = true;
    }
    if (any_length) r.distance_m = distance;
    out.push_back(r);
  }
  return out;
}

std::string encode_fit(const SessionReportData& data) {
  const std::vector<FitRecord> records = fit_records(data);
  const int64_t start_s = data.header.start_time_utc_us() / 1000000;
  const int64_t end_s = std::max(start_s + static_cast<int64_t>(std::ceil(data.duration_s)),
                                 records.empty() ? start_s : records.back().t_utc_s);
  const uint32_t t_start = fit_time(start_s), t_end = fit_time(end_s);

  FitWriter w;
  // file_id
  w.define(0, kFileId,
           {{0, 1, kEnum}, {1, 2, kUint16}, {2, 2, kUint16}, {3, 4, kUint32z}, {4, 4, kUint32}});
  w.begin(0);
  w.put(kFileActivity, 1);
  w.put(kManufacturerDevelopment, 2);
  w.put(1, 2);
  w.put(1, 4);
  w.put(t_start, 4);
  // device_info (the creator)
  w.define(1, kDeviceInfo,
           {{253, 4, kUint32}, {0, 1, kUint8}, {2, 2, kUint16}, {4, 2, kUint16}, {5, 2, kUint16}});
  w.begin(1);
  w.put(t_start, 4);
  w.put(0, 1);
  w.put(kManufacturerDevelopment, 2);
  w.put(1, 2);
  w.put(10, 2);  // software 0.10
  // event: timer start
  w.define(2, kEvent, {{253, 4, kUint32}, {0, 1, kEnum}, {1, 1, kEnum}, {4, 1, kUint8}});
  w.begin(2);
  w.put(t_start, 4);
  w.put(kEventTimer, 1);
  w.put(kEventTypeStart, 1);
  w.put(0, 1);
  // records
  w.define(3, kRecord,
           {{253, 4, kUint32},
            {5, 4, kUint32},
            {6, 2, kUint16},
            {4, 1, kUint8},
            {53, 1, kUint8},
            {41, 2, kUint16},
            {84, 2, kUint16},
            {85, 2, kUint16}});
  Totals all;
  for (const StepResult& s : data.steps) add_step(all, s);
  for (const FitRecord& r : records) {
    w.begin(3);
    w.put(fit_time(r.t_utc_s), 4);
    w.put(scaled(r.distance_m, 100.0, 4), 4);
    w.put(scaled(r.speed_mps, 1000.0, 2), 2);
    const auto [cad, frac] = cadence_fields(r.cadence_spm);
    w.put(cad, 1);
    w.put(frac, 1);
    w.put(scaled(r.stance_ms, 10.0, 2), 2);
    w.put(scaled(r.stance_balance_left_pct, 100.0, 2), 2);
    w.put(scaled(r.step_length_m ? std::optional<double>(*r.step_length_m * 1000.0) : std::nullopt,
                 10.0, 2),
          2);
  }
  // event: timer stop
  w.begin(2);
  w.put(t_end, 4);
  w.put(kEventTimer, 1);
  w.put(kEventTypeStopAll, 1);
  w.put(0, 1);

  const std::optional<double> distance = records.empty() ? std::nullopt : records.back().distance_m;
  const double elapsed_s = static_cast<double>(end_s - start_s);
  std::optional<double> avg_speed;
  if (data.header.has_treadmill_speed_mps()) {
    avg_speed = data.header.treadmill_speed_mps();
  } else if (distance && data.assessment.running_s > 0.0) {
    avg_speed = *distance / data.assessment.running_s;
  }
  const auto [avg_cad, avg_frac] = cadence_fields(all.cadence.mean());
  const std::optional<double> avg_step_mm =
      all.step_len.mean() ? std::optional<double>(*all.step_len.mean() * 1000.0) : std::nullopt;
  const uint8_t sub_sport =
      data.header.has_treadmill_speed_mps() ? kSubSportTreadmill : kSubSportGeneric;
  // lap and session share the summary fields (different field numbers).
  auto summary = [&](uint8_t local, uint16_t global, uint8_t event, uint8_t n_cad, uint8_t n_frac,
                     uint8_t n_stance, uint8_t n_bal, uint8_t n_step, uint8_t n_speed,
                     uint8_t n_sport, uint8_t n_sub, bool session) {
    std::vector<FieldDef> f = {
        {253, 4, kUint32},     {254, 2, kUint16},    {0, 1, kEnum},       {1, 1, kEnum},
        {2, 4, kUint32},       {7, 4, kUint32},      {8, 4, kUint32},     {9, 4, kUint32},
        {n_speed, 2, kUint16}, {n_cad, 1, kUint8},   {n_frac, 1, kUint8}, {n_stance, 2, kUint16},
        {n_bal, 2, kUint16},   {n_step, 2, kUint16}, {n_sport, 1, kEnum}, {n_sub, 1, kEnum}};
    if (session) {
      f.push_back({25, 2, kUint16});  // first_lap_index
      f.push_back({26, 2, kUint16});  // num_laps
    }
    w.define(local, global, f);
    w.begin(local);
    w.put(t_end, 4);
    w.put(0, 2);
    w.put(event, 1);
    w.put(kEventTypeStop, 1);
    w.put(t_start, 4);
    w.put(scaled(elapsed_s, 1000.0, 4), 4);
    w.put(scaled(elapsed_s, 1000.0, 4), 4);
    w.put(scaled(distance, 100.0, 4), 4);
    w.put(scaled(avg_speed, 1000.0, 2), 2);
    w.put(avg_cad, 1);
    w.put(avg_frac, 1);
    w.put(scaled(all.stance.mean(), 10.0, 2), 2);
    w.put(scaled(balance(all.stance_l, all.stance_r), 100.0, 2), 2);
    w.put(scaled(avg_step_mm, 10.0, 2), 2);
    w.put(kSportRunning, 1);
    w.put(sub_sport, 1);
    if (session) {
      w.put(0, 2);
      w.put(1, 2);
    }
  };
  // lap: avg_speed 13, avg_cadence 17, avg_fractional_cadence 80, avg_stance_time 79,
  // avg_stance_time_balance 119, avg_step_length 120, sport 25, sub_sport 39.
  summary(4, kLap, kEventLap, 17, 80, 79, 119, 120, 13, 25, 39, false);
  // session: avg_speed 14, avg_cadence 18, avg_fractional_cadence 92, avg_stance_time 91,
  // avg_stance_time_balance 133, avg_step_length 134, sport 5, sub_sport 6.
  summary(5, kSession, kEventSession, 18, 92, 91, 133, 134, 14, 5, 6, true);
  // activity
  w.define(6, kActivity,
           {{253, 4, kUint32},
            {0, 4, kUint32},
            {1, 2, kUint16},
            {2, 1, kEnum},
            {3, 1, kEnum},
            {4, 1, kEnum},
            {5, 4, kUint32}});
  w.begin(6);
  w.put(t_end, 4);
  w.put(scaled(elapsed_s, 1000.0, 4), 4);
  w.put(1, 2);
  w.put(0, 1);  // manual
  w.put(kEventActivity, 1);
  w.put(kEventTypeStop, 1);
  w.put(t_end, 4);  // local time: UTC (the recording has no time zone)
  return w.finish();
}

void write_fit(const std::filesystem::path& path, const SessionReportData& data) {
  const std::string bytes = encode_fit(data);
  AtomicFile file(path);
  file.stream().write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  file.commit();
}

}  // namespace gk
