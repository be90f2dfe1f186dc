#include "session.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <numbers>
#include <set>
#include <span>
#include <string_view>
#include <unordered_map>

#include "atomic_file.hpp"
#include "input_error.hpp"
#include "packet_order.hpp"
#include "packetizer.hpp"
#include "placement.hpp"
#include "recording.hpp"

namespace gk {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using nlohmann::ordered_json;

// ---- Ranges -------------------------------------------------------------------

constexpr std::array<uint32_t, 5> kAccelRangesG{2, 4, 8, 16, 32};
constexpr std::array<uint32_t, 5> kGyroRangesDps{250, 500, 1000, 2000, 4000};
// Largest count magnitude that neither clips nor reads back as saturated (count_at_limit).
constexpr double kUnclippedCounts = kLimitCount - 1;

bool range_holds(double max_abs, uint32_t range, double (*lsb)(uint32_t)) {
  return max_abs <= kUnclippedCounts * lsb(range);
}

/// Beyond what a sensor at this range can read: more than half a count past its full scale. A
/// sensor that clipped reads at the limit, which the analysis marks and rebuilds; a reading beyond
/// it says the range named for the sensor is not the one it was set to.
bool beyond_range(double max_abs, uint32_t range, double (*lsb)(uint32_t)) {
  return max_abs > (kFullScaleCounts + 0.5) * lsb(range);
}

/// Smallest standard range holding max_abs (finest quantisation without
/// clipping); the largest when none does.
uint32_t smallest_range(double max_abs, std::span<const uint32_t> ranges, double (*lsb)(uint32_t)) {
  for (uint32_t r : ranges) {
    if (range_holds(max_abs, r, lsb)) return r;
  }
  return ranges.back();
}

struct Ranges {
  uint32_t accel_g = 0;
  uint32_t gyro_dps = 0;  ///< 0 = accelerometer-only
};

struct MaxAbs {
  double acc_mps2 = 0.0;
  double gyr_rps = 0.0;
  bool any_gyro = false;
};

MaxAbs max_abs_of(const std::vector<ImuSample>& samples) {
  MaxAbs m;
  for (const ImuSample& s : samples) {
    if (!readings_finite(s)) continue;  // a reading the sensor did not give sets no range
    m.acc_mps2 = std::max(m.acc_mps2, s.acc_mps2.cwiseAbs().maxCoeff());
    if (s.has_gyro) {
      m.any_gyro = true;
      m.gyr_rps = std::max(m.gyr_rps, s.gyr_rps.cwiseAbs().maxCoeff());
    }
  }
  return m;
}

/// The ranges a stream is stored with. A set accel range means the info is
/// authoritative (gyro 0 = accelerometer-only); an unset one (0) means the
/// producer left ranges to us, so they come from the data.
Ranges effective_ranges(const SensorStream& s) {
  if (s.info.accel_range_g() > 0) return {s.info.accel_range_g(), s.info.gyro_range_dps()};
  const MaxAbs m = max_abs_of(s.samples);
  Ranges r;
  r.accel_g = smallest_range(m.acc_mps2, kAccelRangesG, accel_lsb_mps2);
  if (m.any_gyro) r.gyro_dps = smallest_range(m.gyr_rps, kGyroRangesDps, gyro_lsb_rps);
  return r;
}

/// Median sample interval, refined by averaging the intervals near it: that
/// recovers rates whose period is not a whole number of microseconds
/// (204.8 Hz) while gaps from dropped samples still do not count.
double nominal_rate_hz(const std::vector<ImuSample>& samples) {
  if (samples.size() < 2) return 0.0;
  std::vector<int64_t> dt(samples.size() - 1);
  for (size_t i = 0; i + 1 < samples.size(); ++i) dt[i] = samples[i + 1].t_us - samples[i].t_us;
  const auto mid = dt.begin() + static_cast<std::ptrdiff_t>(dt.size() / 2);
  std::nth_element(dt.begin(), mid, dt.end());
  const auto median = static_cast<double>(*mid);
  if (median <= 0.0) return 0.0;
  double sum = 0.0;
  size_t n = 0;
  for (int64_t d : dt) {
    if (std::abs(static_cast<double>(d) - median) <= 0.05 * median) {
      sum += static_cast<double>(d);
      ++n;
    }
  }
  return 1e6 / (sum / static_cast<double>(n));
}

// ---- Text ---------------------------------------------------------------------

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

/// A cell as quoted in a message: long garbage is cut so the message stays
/// one readable line.
std::string quoted_cell(std::string_view cell) {
  if (cell.size() > 40) return fmt::format("'{}...'", cell.substr(0, 40));
  return fmt::format("'{}'", cell);
}

std::string read_text(const fs::path& file, std::string_view missing_hint) {
  std::error_code ec;
  if (!fs::exists(file, ec))
    throw InputError(file, 0, fmt::format("file not found; {}", missing_hint));
  if (fs::is_directory(file, ec)) throw InputError(file, 0, "is a folder, expected a file");
  std::ifstream in(file, std::ios::binary);
  if (!in) throw InputError(file, 0, "cannot open file (check permissions)");
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  in.seekg(0);
  std::string text(static_cast<size_t>(std::max<std::streamoff>(size, 0)), '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (!in) throw InputError(file, 0, "read failed");
  return text;
}

/// 1-based line of the first occurrence of needle, 0 when absent: JSON errors
/// point at the line a user has to fix.
size_t line_of(std::string_view text, std::string_view needle) {
  const size_t pos = text.find(needle);
  if (pos == std::string_view::npos) return 0;
  return 1 + static_cast<size_t>(
                 std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(pos), '\n'));
}

/// A number, including "nan", "inf" and "infinity" in any case (std::from_chars takes them).
bool parse_any_number(std::string_view cell, double& value) {
  cell = trim(cell);
  if (!cell.empty() && cell.front() == '+') cell.remove_prefix(1);  // from_chars rejects '+'
  if (cell.empty()) return false;
  const auto [end, ec] = std::from_chars(cell.data(), cell.data() + cell.size(), value);
  return ec == std::errc() && end == cell.data() + cell.size();
}

bool parse_number(std::string_view cell, double& value) {
  return parse_any_number(cell, value) && std::isfinite(value);
}

// ---- CSV ----------------------------------------------------------------------

struct Unit {
  std::string_view name;
  double factor;  ///< to the internal unit
};

struct Column {
  std::string_view name;
  std::span<const Unit> units;  ///< first = meaning without brackets; empty = text column
};

constexpr Unit kTimeUnitsUs[] = {{"s", 1e6}, {"ms", 1e3}, {"us", 1.0}, {"µs", 1.0}};
constexpr Unit kTimeUnitsS[] = {{"s", 1.0}, {"ms", 1e-3}, {"us", 1e-6}, {"µs", 1e-6}};
constexpr Unit kAccelUnits[] = {{"m/s^2", 1.0}, {"g", kGravity_mps2}};
constexpr Unit kGyroUnits[] = {{"rad/s", 1.0}, {"deg/s", std::numbers::pi / 180.0}};
constexpr Unit kDegrees[] = {{"deg", 1.0}};

enum ImuCol : size_t { kT, kAx, kAy, kAz, kGx, kGy, kGz };
constexpr Column kImuColumns[] = {{"t", kTimeUnitsUs}, {"ax", kAccelUnits}, {"ay", kAccelUnits},
                                  {"az", kAccelUnits}, {"gx", kGyroUnits},  {"gy", kGyroUnits},
                                  {"gz", kGyroUnits}};
constexpr std::string_view kImuHeaderExample =
    "t[s],ax[m/s^2],ay[m/s^2],az[m/s^2],gx[rad/s],gy[rad/s],gz[rad/s]";

enum EventCol : size_t { kSide, kIc, kTo };
constexpr Column kEventColumns[] = {{"side", {}}, {"ic", kTimeUnitsS}, {"to", kTimeUnitsS}};

enum KneeCol : size_t { kKneeT, kKneeSide, kValgus, kFlexion };
constexpr Column kKneeColumns[] = {
    {"t", kTimeUnitsS}, {"side", {}}, {"valgus_deg", kDegrees}, {"flexion_deg", kDegrees}};

std::string unit_list(const Column& c) {
  std::string out;
  for (const Unit& u : c.units) {
    if (!out.empty()) out += ", ";
    out += fmt::format("{}[{}]", c.name, u.name);
  }
  return out;
}

/// A CSV file read whole and walked row by row without per-cell allocation:
/// cells are views into the text and numbers go through std::from_chars.
class CsvFile {
 public:
  CsvFile(fs::path file, std::span<const Column> columns, std::string_view header_example,
          std::string_view missing_hint)
      : file_(std::move(file)), columns_(columns), header_example_(header_example) {
    text_ = read_text(file_, missing_hint);
    rest_ = text_;
    if (rest_.starts_with("\xEF\xBB\xBF")) rest_.remove_prefix(3);  // BOM from spreadsheet exports
    std::string_view line;
    do {
      if (!next_line(line)) {
        throw InputError(file_, std::max<size_t>(line_, 1),
                         fmt::format("empty file; expected a header row like {}", header_example_));
      }
    } while (trim(line).empty());
    header_line_ = line_;
    parse_header(line);
  }

  const fs::path& file() const { return file_; }
  size_t line() const { return line_; }
  size_t header_line() const { return header_line_; }
  bool has(size_t col) const { return index_[col] >= 0; }
  double factor(size_t col) const { return factor_[col]; }
  size_t approx_rows() const {
    return static_cast<size_t>(std::count(text_.begin(), text_.end(), '\n'));
  }

  [[noreturn]] void fail(const std::string& what) const { throw InputError(file_, line_, what); }

  void require(size_t col, std::string_view hint = {}) const {
    if (has(col)) return;
    std::string found;
    for (std::string_view h : header_cells_) {
      if (!found.empty()) found += ", ";
      found += h;
    }
    throw InputError(file_, header_line_,
                     fmt::format("missing column '{}' (found: {}){}{}", columns_[col].name, found,
                                 hint.empty() ? "" : "; ", hint));
  }

  /// Advances to the next non-blank row; false at the end.
  bool next_row() {
    std::string_view line;
    do {
      if (!next_line(line)) return false;
    } while (trim(line).empty());
    cells_.clear();
    size_t pos = 0;
    for (;;) {
      const size_t comma = line.find(',', pos);
      if (comma == std::string_view::npos) {
        cells_.push_back(line.substr(pos));
        break;
      }
      cells_.push_back(line.substr(pos, comma - pos));
      pos = comma + 1;
    }
    if (cells_.size() != header_cells_.size()) {
      fail(fmt::format("{} cells, but the header has {} columns", cells_.size(),
                       header_cells_.size()));
    }
    ++rows_;
    return true;
  }
  size_t rows() const { return rows_; }

  std::string_view cell(size_t col) const { return trim(cells_[static_cast<size_t>(index_[col])]); }
  /// The cell as a number in the column's internal unit.
  double number(size_t col) const {
    double v = 0.0;
    if (!parse_number(cell(col), v)) {
      fail(fmt::format("column {}: {} is not a finite number", columns_[col].name,
                       quoted_cell(cell(col))));
    }
    return v * factor_[col];
  }
  /// A sensor reading: a number, or NaN or infinity written as such ("nan", "inf"). A logger
  /// writes those for a reading it did not get; they are sensor data for the analysis to skip
  /// and mark (issue: bad input), not a broken file. Anything else that is no number is.
  double reading(size_t col) const {
    double v = 0.0;
    if (!parse_any_number(cell(col), v)) {
      fail(
          fmt::format("column {}: {} is not a number (write nan for a reading the sensor did "
                      "not give)",
                      columns_[col].name, quoted_cell(cell(col))));
    }
    return v * factor_[col];
  }

 private:
  bool next_line(std::string_view& line) {
    if (rest_.empty()) return false;
    const size_t nl = rest_.find('\n');
    line = rest_.substr(0, nl);
    rest_.remove_prefix(nl == std::string_view::npos ? rest_.size() : nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    ++line_;
    return true;
  }

  void parse_header(std::string_view line) {
    index_.assign(columns_.size(), -1);
    factor_.assign(columns_.size(), 1.0);
    size_t pos = 0;
    for (;;) {
      const size_t comma = line.find(',', pos);
      header_cells_.push_back(
          trim(line.substr(pos, comma == std::string_view::npos ? comma : comma - pos)));
      if (comma == std::string_view::npos) break;
      pos = comma + 1;
    }
    for (size_t i = 0; i < header_cells_.size(); ++i) {
      const std::string_view h = header_cells_[i];
      std::string_view name = h;
      std::string_view unit;
      bool bracket = false;
      if (const size_t open = h.find('['); open != std::string_view::npos) {
        name = trim(h.substr(0, open));
        const size_t close = h.find(']', open);
        if (close == std::string_view::npos || !trim(h.substr(close + 1)).empty()) {
          if (!known(name)) continue;  // extra columns may be named anything
          fail(fmt::format("column '{}': malformed unit (expected name[unit], e.g. {})", h,
                           header_example_));
        }
        unit = trim(h.substr(open + 1, close - open - 1));
        bracket = true;
      }
      const auto it = std::find_if(columns_.begin(), columns_.end(),
                                   [&](const Column& c) { return c.name == name; });
      if (it == columns_.end()) continue;  // extra columns are ignored by design
      const auto col = static_cast<size_t>(it - columns_.begin());
      if (index_[col] >= 0) {
        fail(fmt::format("column '{}' appears twice (columns {} and {})", name, index_[col] + 1,
                         i + 1));
      }
      index_[col] = static_cast<int>(i);
      if (!bracket) {
        if (!it->units.empty()) factor_[col] = it->units.front().factor;
        continue;
      }
      if (it->units.empty()) fail(fmt::format("column '{}' takes no unit; write '{}'", h, name));
      const auto u = std::find_if(it->units.begin(), it->units.end(),
                                  [&](const Unit& x) { return x.name == unit; });
      if (u == it->units.end()) {
        fail(fmt::format("unknown unit '{}' in column '{}'; allowed: {} (no brackets = {})", unit,
                         h, unit_list(*it), it->units.front().name));
      }
      factor_[col] = u->factor;
    }
  }

  bool known(std::string_view name) const {
    return std::any_of(columns_.begin(), columns_.end(),
                       [&](const Column& c) { return c.name == name; });
  }

  fs::path file_;
  std::span<const Column> columns_;
  std::string_view header_example_;
  std::string text_;
  std::string_view rest_;
  size_t line_ = 0;
  size_t header_line_ = 0;
  size_t rows_ = 0;
  std::vector<std::string_view> header_cells_;
  std::vector<int> index_;
  std::vector<double> factor_;
  std::vector<std::string_view> cells_;
};

/// Time column to int64 µs, rejecting what cannot be represented.
int64_t time_us(const CsvFile& csv, size_t col) {
  const double t = csv.number(col);
  if (!(std::abs(t) < 9.0e18)) {
    csv.fail(fmt::format("column t: {} is out of range", quoted_cell(csv.cell(col))));
  }
  return std::llround(t);
}

// ---- IMU CSV ------------------------------------------------------------------

/// Marks the samples of a sensor CSV that read at the limit of the sensor's range, as a
/// recording's are on unpacking: the detectors count them, and a gyro foot's or shank's rebuild
/// the clipped readings (declip.hpp). A file whose session.json names no range gets the smallest
/// range that holds its readings, so none of them is marked.
void mark_full_scale(SensorStream& stream) {
  const double alsb = accel_lsb_mps2(stream.info.accel_range_g());
  const double glsb =
      stream.info.gyro_range_dps() > 0 ? gyro_lsb_rps(stream.info.gyro_range_dps()) : 0.0;
  for (ImuSample& s : stream.samples) {
    for (Eigen::Index k = 0; k < 3; ++k) {
      s.saturated = s.saturated || reading_at_limit(s.acc_mps2[k], alsb) ||
                    (s.has_gyro && glsb > 0.0 && reading_at_limit(s.gyr_rps[k], glsb));
    }
  }
}

struct SensorEntry {
  std::string file;  ///< as written in session.json
  pb::Placement placement = pb::PLACEMENT_UNKNOWN;
  std::optional<uint32_t> accel_range_g;
  std::optional<uint32_t> gyro_range_dps;
  std::optional<pb::MountingCalibration> mounting;
};

SensorStream read_sensor_csv(const fs::path& path, const SensorEntry& entry, uint32_t device_id,
                             Warnings& warnings) {
  CsvFile csv(path, kImuColumns, kImuHeaderExample, "session.json lists it");
  for (size_t c : {kT, kAx, kAy, kAz}) csv.require(c);
  const bool gyro = csv.has(kGx) || csv.has(kGy) || csv.has(kGz);
  if (gyro) {
    for (size_t c : {kGx, kGy, kGz}) {
      csv.require(c,
                  "gyroscope columns come as gx, gy, gz together; leave all three out for an "
                  "accelerometer-only sensor");
    }
  }

  SensorStream stream;
  stream.samples.reserve(csv.approx_rows());
  // The latest time so far, as written, and where.
  int64_t latest_us = INT64_MIN;
  std::string latest_text;
  size_t latest_line = 0;
  size_t nonfinite = 0;
  size_t first_nonfinite_line = 0;
  // A sensor's clock that steps back or repeats is sensor data (the issue's bad input: the
  // analysis skips the samples and marks where), not a broken file.
  size_t behind = 0;
  std::string first_behind;
  while (csv.next_row()) {
    ImuSample s;
    s.t_us = time_us(csv, kT);
    if (s.t_us <= latest_us) {
      if (behind++ == 0) {
        first_behind = fmt::format("on line {} (t = {} after t = {} on line {})", csv.line(),
                                   csv.cell(kT), latest_text, latest_line);
      }
    } else {
      latest_us = s.t_us;
      latest_text.assign(csv.cell(kT));
      latest_line = csv.line();
    }
    for (size_t k = 0; k < 3; ++k) s.acc_mps2[static_cast<Eigen::Index>(k)] = csv.reading(kAx + k);
    s.has_gyro = gyro;
    if (gyro) {
      for (size_t k = 0; k < 3; ++k) s.gyr_rps[static_cast<Eigen::Index>(k)] = csv.reading(kGx + k);
    }
    if (!readings_finite(s) && nonfinite++ == 0) first_nonfinite_line = csv.line();
    stream.samples.push_back(s);
  }
  if (stream.samples.empty()) {
    throw InputError(path, csv.header_line() + 1, "no samples after the header row");
  }

  if (behind > 0) {
    warnings.push_back(fmt::format(
        "{}: time does not advance on {} lines, the first {}; the analysis skips samples that "
        "are not after the latest time and says where (a recording made from this file keeps "
        "them, in this order)",
        path.string(), behind, first_behind));
  }
  if (nonfinite > 0) {
    warnings.push_back(fmt::format(
        "{}: {} samples hold NaN or infinite readings, the first on line {}; the analysis skips "
        "them and says where, and a recording made from this file leaves them out",
        path.string(), nonfinite, first_nonfinite_line));
  }

  pb::SensorInfo& info = stream.info;
  info.set_device_id(device_id);
  info.set_placement(entry.placement);
  info.set_nominal_rate_hz(nominal_rate_hz(stream.samples));
  info.set_source_file(entry.file);
  if (entry.mounting) *info.mutable_mounting() = *entry.mounting;

  const MaxAbs m = max_abs_of(stream.samples);
  if (entry.accel_range_g) {
    info.set_accel_range_g(*entry.accel_range_g);
    if (beyond_range(m.acc_mps2, *entry.accel_range_g, accel_lsb_mps2)) {
      warnings.push_back(fmt::format(
          "{}: accelerations up to {:.2f} g exceed accel_range_g = {} from session.json, which a "
          "sensor at that range cannot read: check the range named there (they will clip when "
          "packed into a recording)",
          path.string(), m.acc_mps2 / kGravity_mps2, *entry.accel_range_g));
    }
  } else {
    info.set_accel_range_g(smallest_range(m.acc_mps2, kAccelRangesG, accel_lsb_mps2));
    if (!range_holds(m.acc_mps2, info.accel_range_g(), accel_lsb_mps2)) {
      warnings.push_back(
          fmt::format("{}: accelerations up to {:.2f} g exceed the largest range "
                      "(+/-{} g); they will clip when packed into a recording",
                      path.string(), m.acc_mps2 / kGravity_mps2, kAccelRangesG.back()));
    }
  }
  if (gyro) {
    const double max_dps = m.gyr_rps * 180.0 / std::numbers::pi;
    if (entry.gyro_range_dps) {
      info.set_gyro_range_dps(*entry.gyro_range_dps);
      if (beyond_range(m.gyr_rps, *entry.gyro_range_dps, gyro_lsb_rps)) {
        warnings.push_back(fmt::format(
            "{}: rotation rates up to {:.0f} deg/s exceed gyro_range_dps = {} from session.json, "
            "which a sensor at that range cannot read: check the range named there (they will "
            "clip when packed into a recording)",
            path.string(), max_dps, *entry.gyro_range_dps));
      }
    } else {
      info.set_gyro_range_dps(smallest_range(m.gyr_rps, kGyroRangesDps, gyro_lsb_rps));
      if (!range_holds(m.gyr_rps, info.gyro_range_dps(), gyro_lsb_rps)) {
        warnings.push_back(
            fmt::format("{}: rotation rates up to {:.0f} deg/s exceed the largest "
                        "range (+/-{} deg/s); they will clip when packed into a "
                        "recording",
                        path.string(), max_dps, kGyroRangesDps.back()));
      }
    }
  } else {
    info.set_gyro_range_dps(0);
  }
  mark_full_scale(stream);
  return stream;
}

void write_file_atomically(const fs::path& path, std::string_view content) {
  AtomicFile f(path);
  f.stream().write(content.data(), static_cast<std::streamsize>(content.size()));
  f.commit();
}

/// Exact decimal seconds from integer microseconds (no floating-point rounding).
void append_time_s(fmt::memory_buffer& b, int64_t t_us) {
  const bool negative = t_us < 0;
  const uint64_t a = negative ? 0 - static_cast<uint64_t>(t_us) : static_cast<uint64_t>(t_us);
  fmt::format_to(std::back_inserter(b), "{}{}.{:06}", negative ? "-" : "", a / 1'000'000,
                 a % 1'000'000);
}

std::string imu_csv(const SensorStream& s, bool gyro) {
  fmt::memory_buffer b;
  b.reserve(s.samples.size() * (gyro ? 110 : 60) + 100);
  const std::string_view header =
      gyro ? "t[s],ax[m/s^2],ay[m/s^2],az[m/s^2],gx[rad/s],gy[rad/s],gz[rad/s]\n"
           : "t[s],ax[m/s^2],ay[m/s^2],az[m/s^2]\n";
  b.append(header.data(), header.data() + header.size());
  auto out = std::back_inserter(b);
  for (const ImuSample& x : s.samples) {
    append_time_s(b, x.t_us);
    fmt::format_to(out, ",{:.9g},{:.9g},{:.9g}", x.acc_mps2.x(), x.acc_mps2.y(), x.acc_mps2.z());
    if (gyro) {
      fmt::format_to(out, ",{:.9g},{:.9g},{:.9g}", x.gyr_rps.x(), x.gyr_rps.y(), x.gyr_rps.z());
    }
    b.push_back('\n');
  }
  return fmt::to_string(b);
}

// ---- session.json -------------------------------------------------------------

struct JsonDoc {
  fs::path file;
  std::string text;
  json root;

  [[noreturn]] void fail(std::string_view near, const std::string& what) const {
    throw InputError(file, near.empty() ? 0 : line_of(text, near), what);
  }
  std::string key_text(std::string_view key) const { return fmt::format("\"{}\"", key); }

  std::optional<std::string> opt_string(const json& obj, const char* key) const {
    const auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) return std::nullopt;
    if (!it->is_string()) fail(key_text(key), fmt::format("'{}' must be a string", key));
    return it->get<std::string>();
  }
  std::optional<double> opt_number(const json& obj, const char* key) const {
    const auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) return std::nullopt;
    if (!it->is_number()) fail(key_text(key), fmt::format("'{}' must be a number", key));
    return it->get<double>();
  }
  std::optional<uint32_t> opt_range(const json& obj, const char* key) const {
    const auto v = opt_number(obj, key);
    if (!v) return std::nullopt;
    if (!(*v >= 1.0 && *v <= 1e6 && *v == std::floor(*v))) {
      fail(key_text(key), fmt::format("'{}' must be a positive whole number (full scale)", key));
    }
    return static_cast<uint32_t>(*v);
  }
};

std::string placement_list() {
  std::string out;
  for (int p = pb::Placement_MIN; p <= pb::Placement_MAX; ++p) {
    if (!pb::Placement_IsValid(p) || p == pb::PLACEMENT_UNKNOWN) continue;
    if (!out.empty()) out += ", ";
    out += placement_name(static_cast<pb::Placement>(p));
  }
  return out;
}

/// Python's json module writes NaN, Infinity and -Infinity by default, which
/// strict JSON rejects; session.json files come from such scripts, so those
/// tokens read as null (= absent). Newlines are untouched, so line numbers in
/// later errors still match the file.
std::string replace_python_nonfinite(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      out += c;
      if (c == '\\' && i + 1 < text.size()) {
        out += text[++i];
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') in_string = true;
    bool replaced = false;
    for (std::string_view token : {"NaN", "Infinity", "-Infinity"}) {
      if (text.substr(i).starts_with(token)) {
        out += "null";
        i += token.size() - 1;
        replaced = true;
        break;
      }
    }
    if (!replaced) out += c;
  }
  return out;
}

std::string folder_name(const fs::path& dir) {
  fs::path p = dir.lexically_normal();
  if (p.filename().empty()) p = p.parent_path();
  if (p.filename().empty() || p.filename() == ".") p = fs::absolute(dir).lexically_normal();
  if (p.filename().empty()) p = p.parent_path();
  return p.filename().string();
}

JsonDoc read_session_json(const fs::path& dir) {
  JsonDoc doc;
  doc.file = dir / "session.json";
  doc.text = read_text(doc.file,
                       "a CSV session folder needs session.json listing its sensors "
                       "(docs/formats.md)");
  const std::string json_text = replace_python_nonfinite(doc.text);
  try {
    doc.root = json::parse(json_text);
  } catch (const json::parse_error& e) {
    std::string what = e.what();
    if (const size_t cut = what.find("] "); cut != std::string::npos) what.erase(0, cut + 2);
    const auto last = static_cast<std::ptrdiff_t>(std::min<size_t>(e.byte, json_text.size()));
    const size_t line = 1 + static_cast<size_t>(std::count(
                                json_text.begin(),
                                json_text.begin() + std::max<std::ptrdiff_t>(last - 1, 0), '\n'));
    throw InputError(doc.file, line, "invalid JSON: " + what);
  }
  if (!doc.root.is_object()) doc.fail("", "must be a JSON object with \"sensors\"");
  return doc;
}

SensorEntry parse_sensor_entry(const JsonDoc& doc, const json& e, size_t i) {
  if (!e.is_object()) {
    doc.fail("\"sensors\"", fmt::format("sensors[{}] must be an object with \"file\" and "
                                        "\"placement\"",
                                        i));
  }
  SensorEntry s;
  const auto file = doc.opt_string(e, "file");
  if (!file || file->empty()) {
    doc.fail("\"sensors\"",
             fmt::format("sensors[{}] has no \"file\" (the CSV with its samples)", i));
  }
  s.file = *file;
  const auto placement = doc.opt_string(e, "placement");
  if (!placement) {
    doc.fail(
        fmt::format("\"{}\"", s.file),
        fmt::format("sensor {} has no \"placement\"; use one of {}", s.file, placement_list()));
  }
  const auto p = parse_placement(*placement);
  if (!p) {
    doc.fail(fmt::format("\"{}\"", *placement),
             fmt::format("unknown placement '{}' for {}; use one of {}", *placement, s.file,
                         placement_list()));
  }
  s.placement = *p;
  s.accel_range_g = doc.opt_range(e, "accel_range_g");
  s.gyro_range_dps = doc.opt_range(e, "gyro_range_dps");
  if (const auto it = e.find("mounting"); it != e.end() && !it->is_null()) {
    if (!it->is_object()) doc.fail("\"mounting\"", "'mounting' must be an object {qw,qx,qy,qz}");
    pb::MountingCalibration m;
    m.set_qw(doc.opt_number(*it, "qw").value_or(1.0));
    m.set_qx(doc.opt_number(*it, "qx").value_or(0.0));
    m.set_qy(doc.opt_number(*it, "qy").value_or(0.0));
    m.set_qz(doc.opt_number(*it, "qz").value_or(0.0));
    m.set_method(doc.opt_string(*it, "method").value_or(""));
    s.mounting = m;
  }
  return s;
}

// ---- Truth --------------------------------------------------------------------

pb::Side parse_side(const CsvFile& csv, size_t col) {
  const std::string_view s = csv.cell(col);
  if (s.empty()) return pb::SIDE_UNKNOWN;
  if (s == "L" || s == "l" || s == "left") return pb::LEFT;
  if (s == "R" || s == "r" || s == "right") return pb::RIGHT;
  csv.fail(fmt::format("column side: {} must be L, R or empty (unknown)", quoted_cell(s)));
}

/// Enforces strictly increasing time per side (two sides may share a time).
class PerSideOrder {
 public:
  void check(const CsvFile& csv, pb::Side side, double t, std::string_view column,
             std::string_view text) {
    auto& last = last_[side];
    if (last.line > 0 && !(t > last.t)) {
      csv.fail(fmt::format("{} not strictly increasing for side '{}': {} here, {} on line {}",
                           column, side_letter(side), text, last.text, last.line));
    }
    last = {t, std::string(text), csv.line()};
  }

 private:
  struct Last {
    double t = 0.0;
    std::string text;
    size_t line = 0;
  };
  std::map<pb::Side, Last> last_;
};

std::vector<TruthEvent> read_events(const fs::path& file) {
  CsvFile csv(file, kEventColumns, "side,ic,to", "");
  csv.require(kSide);
  csv.require(kIc);
  std::vector<TruthEvent> events;
  PerSideOrder order;
  while (csv.next_row()) {
    TruthEvent e;
    e.side = parse_side(csv, kSide);
    e.ic_s = csv.number(kIc);
    order.check(csv, e.side, e.ic_s, "ic", csv.cell(kIc));
    if (csv.has(kTo) && !csv.cell(kTo).empty()) {
      e.to_s = csv.number(kTo);
      if (!(*e.to_s > e.ic_s)) {
        csv.fail(fmt::format("toe-off {} is not after its initial contact {}", csv.cell(kTo),
                             csv.cell(kIc)));
      }
    }
    events.push_back(e);
  }
  return events;
}

std::vector<TruthKnee> read_knee(const fs::path& file) {
  CsvFile csv(file, kKneeColumns, "t,side,valgus_deg,flexion_deg", "");
  for (size_t c : {kKneeT, kKneeSide, kValgus, kFlexion}) csv.require(c);
  std::vector<TruthKnee> knee;
  knee.reserve(csv.approx_rows());
  PerSideOrder order;
  while (csv.next_row()) {
    TruthKnee k;
    k.t_s = csv.number(kKneeT);
    k.side = parse_side(csv, kKneeSide);
    order.check(csv, k.side, k.t_s, "t", csv.cell(kKneeT));
    k.valgus_deg = csv.number(kValgus);
    k.flexion_deg = csv.number(kFlexion);
    knee.push_back(k);
  }
  return knee;
}

}  // namespace

// ---- CSV sessions -------------------------------------------------------------

Session read_csv_session(const std::filesystem::path& dir, Warnings& warnings) {
  std::error_code ec;
  if (!fs::exists(dir, ec)) throw InputError(dir, 0, "folder not found");
  if (!fs::is_directory(dir, ec)) {
    throw InputError(dir, 0,
                     "not a folder; a CSV session is a folder with session.json and one CSV per "
                     "sensor (docs/formats.md)");
  }
  const JsonDoc doc = read_session_json(dir);

  Session session;
  pb::SessionHeader& h = session.header;
  h.set_session_id(folder_name(dir));
  h.set_athlete(doc.opt_string(doc.root, "athlete").value_or(""));
  if (const auto activity = doc.opt_string(doc.root, "activity")) {
    if (*activity == "running") {
      h.set_activity(pb::RUNNING);
    } else if (*activity == "walking") {
      h.set_activity(pb::WALKING);
    } else {
      doc.fail("\"activity\"", fmt::format("activity '{}' must be running or walking", *activity));
    }
  }
  if (const auto v = doc.opt_number(doc.root, "treadmill_speed_mps")) {
    // A treadmill runs at 0.5-10 m/s (1.8-36 km/h); a value outside is a unit slip (km/h).
    if (*v < 0.5 || *v > 10.0) {
      doc.fail(doc.key_text("treadmill_speed_mps"),
               fmt::format("treadmill_speed_mps {:g} is not 0.5 to 10 m/s (a speed in km/h?)", *v));
    }
    h.set_treadmill_speed_mps(*v);
  }
  if (const auto v = doc.opt_number(doc.root, "treadmill_incline_pct")) {
    h.set_treadmill_incline_pct(*v);
  } else if (const auto deg = doc.opt_number(doc.root, "treadmill_incline_deg")) {
    h.set_treadmill_incline_pct(100.0 * std::tan(*deg * std::numbers::pi / 180.0));
  }
  if (const auto v = doc.opt_number(doc.root, "start_time_utc_us")) {
    h.set_start_time_utc_us(static_cast<int64_t>(std::llround(*v)));
  }
  h.set_notes(doc.opt_string(doc.root, "notes").value_or(""));
  h.set_shoes(doc.opt_string(doc.root, "shoes").value_or(""));

  const auto sensors = doc.root.find("sensors");
  if (sensors == doc.root.end() || !sensors->is_array() || sensors->empty()) {
    doc.fail("\"sensors\"",
             "needs \"sensors\": a list of {\"file\": \"left_foot.csv\", \"placement\": "
             "\"left_foot\"}");
  }
  std::vector<SensorEntry> entries;
  for (size_t i = 0; i < sensors->size(); ++i) {
    entries.push_back(parse_sensor_entry(doc, (*sensors)[i], i));
    // One sensor per place: two streams claiming one foot would be merged as two feet's steps
    // (a cadence twice the true one) or as one foot's contacts twice.
    for (size_t j = 0; j < i; ++j) {
      if (entries[j].placement == entries[i].placement) {
        doc.fail(
            fmt::format("\"{}\"", entries[i].file),
            fmt::format("placement {} is listed twice ({} and {}); give each sensor its own",
                        placement_name(entries[i].placement), entries[j].file, entries[i].file));
      }
    }
  }
  for (size_t i = 0; i < entries.size(); ++i) {
    const fs::path csv_path = dir / entries[i].file;
    SensorStream s = read_sensor_csv(csv_path, entries[i], static_cast<uint32_t>(i + 1), warnings);
    *h.add_sensors() = s.info;
    session.sensors.push_back(std::move(s));
  }
  return session;
}

std::vector<std::string> csv_file_names(const Session& session) {
  std::vector<std::string> candidates;
  for (const SensorStream& s : session.sensors) {
    const fs::path source(s.info.source_file());
    const bool plain = !s.info.source_file().empty() && source.filename() == source &&
                       source.extension() == ".csv";
    candidates.push_back(plain ? s.info.source_file()
                               : std::string(placement_name(s.info.placement())) + ".csv");
  }
  std::vector<std::string> names;
  std::set<std::string> taken;
  for (size_t i = 0; i < candidates.size(); ++i) {
    std::string name = candidates[i];
    if (std::count(candidates.begin(), candidates.end(), name) > 1 || taken.count(name) > 0) {
      const std::string base =
          fmt::format("{}_{}", placement_name(session.sensors[i].info.placement()), i + 1);
      name = base + ".csv";
      for (int k = 2; taken.count(name) > 0; ++k) name = fmt::format("{}_{}.csv", base, k);
    }
    taken.insert(name);
    names.push_back(name);
  }
  return names;
}

namespace {

template <typename Stage>
void write_csv_session_files(const std::filesystem::path& dir, const Session& session,
                             Stage&& stage) {
  const pb::SessionHeader& h = session.header;
  ordered_json root;
  root["athlete"] = h.athlete();
  if (h.activity() == pb::RUNNING) root["activity"] = "running";
  if (h.activity() == pb::WALKING) root["activity"] = "walking";
  if (h.has_treadmill_speed_mps()) root["treadmill_speed_mps"] = h.treadmill_speed_mps();
  if (h.has_treadmill_incline_pct()) root["treadmill_incline_pct"] = h.treadmill_incline_pct();
  if (h.start_time_utc_us() != 0) root["start_time_utc_us"] = h.start_time_utc_us();
  if (!h.shoes().empty()) root["shoes"] = h.shoes();
  if (!h.notes().empty()) root["notes"] = h.notes();
  root["sensors"] = ordered_json::array();

  const std::vector<std::string> names = csv_file_names(session);
  for (size_t i = 0; i < session.sensors.size(); ++i) {
    const SensorStream& s = session.sensors[i];
    const Ranges r = effective_ranges(s);
    stage(dir / names[i], imu_csv(s, r.gyro_dps > 0));
    ordered_json e;
    e["file"] = names[i];
    e["placement"] = placement_name(s.info.placement());
    e["accel_range_g"] = r.accel_g;
    if (r.gyro_dps > 0) e["gyro_range_dps"] = r.gyro_dps;
    if (s.info.has_mounting()) {
      const pb::MountingCalibration& m = s.info.mounting();
      e["mounting"] = {
          {"qw", m.qw()}, {"qx", m.qx()}, {"qy", m.qy()}, {"qz", m.qz()}, {"method", m.method()}};
    }
    root["sensors"].push_back(e);
  }
  // Last, so a folder with session.json has all the files it lists.
  stage(dir / "session.json", root.dump(2) + "\n");
}

}  // namespace

void write_csv_session(const std::filesystem::path& dir, const Session& session) {
  for (size_t i = 0; i < session.sensors.size(); ++i) {
    const pb::SensorInfo& info = session.sensors[i].info;
    if (!parse_placement(placement_name(info.placement()))) {
      throw InputError(dir, 0,
                       fmt::format("sensor {} (device {}) has no placement; a CSV session needs "
                                   "one of {}",
                                   i + 1, info.device_id(), placement_list()));
    }
  }
  std::error_code ec;
  const bool existed = fs::exists(dir, ec);
  fs::create_directories(dir, ec);
  if (ec) throw InputError(dir, 0, "cannot create folder: " + ec.message());
  // Every file is written to its temporary first and all are renamed into place only once all
  // were written: a failure part way (disk full, a folder where a file should go) leaves the
  // folder as it was, or no folder at all if this call made it.
  std::vector<std::unique_ptr<AtomicFile>> staged;
  const auto stage = [&](const fs::path& path, std::string_view content) {
    staged.push_back(std::make_unique<AtomicFile>(path));
    staged.back()->stream().write(content.data(), static_cast<std::streamsize>(content.size()));
  };
  try {
    write_csv_session_files(dir, session, stage);
    for (const auto& f : staged) f->commit();
  } catch (...) {
    staged.clear();
    if (!existed) fs::remove(dir, ec);
    throw;
  }
}

// ---- Recordings ---------------------------------------------------------------

Session read_recording(const std::filesystem::path& path, Warnings& warnings) {
  RecordingReader reader(path);
  Session session;
  session.header = reader.header();
  std::unordered_map<uint32_t, size_t> index;
  for (const pb::SensorInfo& info : session.header.sensors()) {
    if (!index.emplace(info.device_id(), session.sensors.size()).second) {
      warnings.push_back(
          fmt::format("{}: the header lists device {} twice; the first entry is "
                      "used",
                      path.string(), info.device_id()));
      continue;
    }
    session.sensors.push_back(SensorStream{info, {}});
  }

  PacketArrivals arrivals;
  std::map<uint32_t, uint64_t> duplicates;
  // Per stream, where each packet's samples went and its place in the device's order.
  struct Placed {
    int64_t key;
    size_t begin, count;
  };
  std::vector<std::vector<Placed>> placed(session.sensors.size());
  std::vector<bool> reordered(session.sensors.size(), false);
  while (auto packet = reader.next()) {
    if (packet->accel_size() == 0) continue;  // carries no samples (and no sequence)
    const uint32_t device = packet->device_id();
    auto it = index.find(device);
    if (it == index.end()) {
      pb::SensorInfo info;
      info.set_device_id(device);
      info.set_placement(packet->placement());
      info.set_accel_range_g(packet->accel_range_g());
      info.set_gyro_range_dps(packet->gyro_size() > 0 ? packet->gyro_range_dps() : 0);
      if (packet->sample_period_us() > 0)
        info.set_nominal_rate_hz(1e6 / packet->sample_period_us());
      warnings.push_back(
          fmt::format("{}: packets from device {} ({}) that the header does not "
                      "list; kept as an extra sensor",
                      path.string(), device, placement_name(packet->placement())));
      *session.header.add_sensors() = info;
      it = index.emplace(device, session.sensors.size()).first;
      session.sensors.push_back(SensorStream{info, {}});
      placed.emplace_back();
      reordered.push_back(false);
    }
    const size_t i = it->second;
    const std::optional<int64_t> key = arrivals.accept(device, packet->sequence());
    if (!key) {
      ++duplicates[device];
      continue;
    }
    std::vector<ImuSample>& samples = session.sensors[i].samples;
    const Placed p{*key, samples.size(), 0};
    if (!placed[i].empty() && p.key < placed[i].back().key) reordered[i] = true;
    unpack(*packet, samples);
    placed[i].push_back({p.key, p.begin, samples.size() - p.begin});
  }
  if (!reader.warning().empty()) warnings.push_back(reader.warning());
  for (const auto& [device, n] : duplicates) {
    warnings.push_back(
        fmt::format("{}: skipped {} duplicate packet{} of device {} (same sequence "
                    "number seen before)",
                    path.string(), n, n == 1 ? "" : "s", device));
  }
  // Late packets back into their place (by sequence, not time: a clock that stepped back stays
  // where the device stepped it, for the analysis to skip and mark as it would live).
  for (size_t i = 0; i < session.sensors.size(); ++i) {
    if (!reordered[i]) continue;
    std::stable_sort(placed[i].begin(), placed[i].end(),
                     [](const Placed& a, const Placed& b) { return a.key < b.key; });
    std::vector<ImuSample>& samples = session.sensors[i].samples;
    std::vector<ImuSample> in_order;
    in_order.reserve(samples.size());
    for (const Placed& p : placed[i]) {
      const auto from = samples.begin() + static_cast<std::ptrdiff_t>(p.begin);
      in_order.insert(in_order.end(), from, from + static_cast<std::ptrdiff_t>(p.count));
    }
    samples = std::move(in_order);
  }
  return session;
}

void write_recording(const std::filesystem::path& path, const Session& session,
                     uint32_t samples_per_packet) {
  if (samples_per_packet == 0) {
    throw InputError(path, 0, "samples per packet must be at least 1");
  }
  pb::SessionHeader header = session.header;
  header.clear_sensors();
  struct SentPacket {
    int64_t sent_us;
    pb::SensorPacket packet;
  };
  std::vector<SentPacket> packets;
  std::set<uint32_t> devices;
  for (size_t i = 0; i < session.sensors.size(); ++i) {
    const SensorStream& s = session.sensors[i];
    pb::SensorInfo info = s.info;
    if (info.device_id() == 0) info.set_device_id(static_cast<uint32_t>(i + 1));
    if (!devices.insert(info.device_id()).second) {
      throw InputError(
          path, 0,
          fmt::format("two sensors share device id {}; each needs its own", info.device_id()));
    }
    const Ranges r = effective_ranges(s);
    info.set_accel_range_g(r.accel_g);
    info.set_gyro_range_dps(r.gyro_dps);
    if (info.nominal_rate_hz() <= 0.0) info.set_nominal_rate_hz(nominal_rate_hz(s.samples));
    *header.add_sensors() = info;

    PacketizerSettings ps;
    ps.device_id = info.device_id();
    ps.placement = info.placement();
    ps.accel_range_g = r.accel_g;
    ps.gyro_range_dps = r.gyro_dps;
    ps.sample_period_us =
        info.nominal_rate_hz() > 0.0
            ? static_cast<uint32_t>(std::clamp(std::round(1e6 / info.nominal_rate_hz()), 1.0, 1e9))
            : 0;
    ps.samples_per_packet = samples_per_packet;
    Packetizer packetizer(ps);
    // Where each packet goes among the other devices' packets: by its first sample's time, as
    // before, but never ahead of one this device sent already (a clock that stepped back leaves
    // the device's own order as it was).
    int64_t sent_us = INT64_MIN;
    const auto emit = [&] {
      pb::SensorPacket p = packetizer.take();
      sent_us = std::max(sent_us, p.t_first_us());
      packets.push_back({sent_us, std::move(p)});
    };
    for (const ImuSample& x : s.samples) {
      // The reader warned about what is left out; the analysis would have skipped it too.
      if (!recordable(x)) continue;
      if (!packetizer.fits(x.t_us)) emit();
      if (packetizer.push(x)) emit();
    }
    if (packetizer.pending()) emit();
  }
  // Stable: equal times keep sensor order, as one hub would forward them.
  std::stable_sort(packets.begin(), packets.end(),
                   [](const SentPacket& a, const SentPacket& b) { return a.sent_us < b.sent_us; });
  RecordingWriter writer(path, header, RecordingWriterSettings{.atomic = true});
  for (const SentPacket& p : packets) writer.write(p.packet);
  writer.close();
}

Session load_session(const std::filesystem::path& path, Warnings& warnings) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) return read_csv_session(path, warnings);
  if (!fs::exists(path, ec)) {
    throw InputError(path, 0, "not found (expected a .gkr recording or a CSV session folder)");
  }
  return read_recording(path, warnings);
}

// ---- Truth --------------------------------------------------------------------

std::filesystem::path truth_dir_for(const std::filesystem::path& session_path) {
  std::error_code ec;
  if (fs::is_directory(session_path, ec)) return session_path / "truth";
  fs::path p = session_path;
  p.replace_extension(".truth");
  return p;
}

Truth read_truth(const std::filesystem::path& truth_dir) {
  Truth truth;
  std::error_code ec;
  if (fs::exists(truth_dir / "events.csv", ec))
    truth.events = read_events(truth_dir / "events.csv");
  if (fs::exists(truth_dir / "knee.csv", ec)) truth.knee = read_knee(truth_dir / "knee.csv");
  return truth;
}

std::vector<UnlabelledContact> read_unlabelled_contacts(const std::filesystem::path& session_path) {
  std::vector<UnlabelledContact> out;
  std::error_code ec;
  if (!fs::is_directory(session_path, ec)) return out;
  const JsonDoc doc = read_session_json(session_path);
  const char* key = "truth_unlabelled_contacts_s";
  const auto list = doc.root.find(key);
  if (list == doc.root.end() || list->is_null()) return out;
  const auto bad = [&](size_t i) {
    doc.fail(doc.key_text(key),
             fmt::format("{}[{}] must be {{\"side\": \"L\", \"R\" or \"\", \"foot_still_s\": "
                         "[from, to]}} with from < to (seconds on the sensor clock)",
                         key, i));
  };
  if (!list->is_array()) bad(0);
  for (size_t i = 0; i < list->size(); ++i) {
    const json& e = (*list)[i];
    if (!e.is_object()) bad(i);
    UnlabelledContact u;
    const std::string side = doc.opt_string(e, "side").value_or("");
    if (side == "L" || side == "left") {
      u.side = pb::LEFT;
    } else if (side == "R" || side == "right") {
      u.side = pb::RIGHT;
    } else if (!side.empty()) {
      bad(i);
    }
    const auto still = e.find("foot_still_s");
    if (still == e.end() || !still->is_array() || still->size() != 2 || !(*still)[0].is_number() ||
        !(*still)[1].is_number()) {
      bad(i);
    }
    u.still_from_s = (*still)[0].get<double>();
    u.still_to_s = (*still)[1].get<double>();
    if (!(u.still_from_s < u.still_to_s)) bad(i);
    out.push_back(u);
  }
  return out;
}

void write_truth(const std::filesystem::path& truth_dir, const Truth& truth) {
  if (!truth.events && !truth.knee) return;
  std::error_code ec;
  fs::create_directories(truth_dir, ec);
  if (ec) throw InputError(truth_dir, 0, "cannot create folder: " + ec.message());
  // Shortest round-trip formatting ("{}"): truth is reference data, so it is
  // kept exactly rather than rounded to a display precision.
  if (truth.events) {
    fmt::memory_buffer b;
    auto out = std::back_inserter(b);
    fmt::format_to(out, "side,ic,to\n");
    for (const TruthEvent& e : *truth.events) {
      fmt::format_to(out, "{},{},", side_letter(e.side), e.ic_s);
      if (e.to_s) fmt::format_to(out, "{}", *e.to_s);
      b.push_back('\n');
    }
    write_file_atomically(truth_dir / "events.csv", fmt::to_string(b));
  }
  if (truth.knee) {
    fmt::memory_buffer b;
    auto out = std::back_inserter(b);
    fmt::format_to(out, "t,side,valgus_deg,flexion_deg\n");
    for (const TruthKnee& k : *truth.knee) {
      fmt::format_to(out, "{},{},{},{}\n", k.t_s, side_letter(k.side), k.valgus_deg, k.flexion_deg);
    }
    write_file_atomically(truth_dir / "knee.csv", fmt::to_string(b));
  }
}

}  // namespace gk
