// Calendar dates and times on the command line and in reports: UTC only,
// ISO 8601 (YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS]), as int64 microseconds
// since the Unix epoch like every timestamp in gaitkeeper.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace gk {

/// nullopt when text is not one of the accepted forms or not a real date.
std::optional<int64_t> parse_utc_us(std::string_view text);
/// "YYYY-MM-DD HH:MM" (UTC).
std::string format_utc_minute(int64_t utc_us);
/// "YYYY-MM-DD" (UTC).
std::string format_utc_date(int64_t utc_us);
/// Current wall-clock time.
int64_t now_utc_us();

}  // namespace gk
