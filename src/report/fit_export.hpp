// A FIT activity file (Garmin's Flexible and Interoperable Data Transfer
// format) of one session, with the running-dynamics fields watches and
// training platforms read. Our own small encoder (no FIT library among the
// Debian packages); field numbers and scales from the FIT profile
// (docs/formats.md lists them). Little-endian, protocol 1.0.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "report_data.hpp"

namespace gk {

/// One FIT record message: the steps whose IC falls in one whole second of
/// the recording clock, averaged (before the FIT scaling and rounding).
struct FitRecord {
  int64_t t_utc_s = 0;                            ///< Unix seconds: header start time + the second
  std::optional<double> cadence_spm;              ///< mean step rate (FIT stores strides/min = /2)
  std::optional<double> stance_ms;                ///< mean contact time
  std::optional<double> stance_balance_left_pct;  ///< left mean / (left + right mean)
  std::optional<double> step_length_m;            ///< mean stride / 2
  std::optional<double> speed_mps;                ///< treadmill speed, else step length x step rate
  std::optional<double> distance_m;               ///< cumulative step lengths
};

std::vector<FitRecord> fit_records(const SessionReportData& data);

/// The whole file as bytes (header with CRC, messages, file CRC).
std::string encode_fit(const SessionReportData& data);
/// Atomically (temporary file + rename); throws InputError.
void write_fit(const std::filesystem::path& path, const SessionReportData& data);

/// FIT's CRC-16 (the SDK's nibble-table algorithm), continuing from crc.
uint16_t fit_crc16(const void* data, size_t size, uint16_t crc = 0);

}  // namespace gk
