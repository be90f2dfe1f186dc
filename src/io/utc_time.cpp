#include "utc_time.hpp"

#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <ctime>

namespace gk {

std::optional<int64_t> parse_utc_us(std::string_view text) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  const std::string t(text);
  int consumed = 0;
  const bool date_only = std::sscanf(t.c_str(), "%4d-%2d-%2d%n", &y, &mo, &d, &consumed) == 3 &&
                         consumed == static_cast<int>(t.size());
  if (!date_only) {
    consumed = 0;
    const int n =
        std::sscanf(t.c_str(), "%4d-%2d-%2d%*1[T ]%2d:%2d%n", &y, &mo, &d, &h, &mi, &consumed);
    if (n != 5) return std::nullopt;
    if (consumed != static_cast<int>(t.size())) {
      int more = 0;
      if (std::sscanf(t.c_str() + consumed, ":%2d%n", &s, &more) != 1 ||
          consumed + more != static_cast<int>(t.size())) {
        return std::nullopt;
      }
    }
  }
  const std::chrono::year_month_day ymd{std::chrono::year(y), std::chrono::month(unsigned(mo)),
                                        std::chrono::day(unsigned(d))};
  if (!ymd.ok() || h > 23 || mi > 59 || s > 59 || h < 0 || mi < 0 || s < 0) return std::nullopt;
  const auto days = std::chrono::sys_days(ymd).time_since_epoch();
  const int64_t secs = std::chrono::duration_cast<std::chrono::seconds>(days).count() +
                       int64_t{h} * 3600 + int64_t{mi} * 60 + s;
  return secs * 1'000'000;
}

namespace {
std::tm utc_tm(int64_t utc_us) {
  const std::time_t secs = static_cast<std::time_t>(utc_us / 1'000'000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return tm;
}
}  // namespace

std::string format_utc_minute(int64_t utc_us) {
  const std::tm tm = utc_tm(utc_us);
  return fmt::format("{:04d}-{:02d}-{:02d} {:02d}:{:02d}", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min);
}

std::string format_utc_date(int64_t utc_us) {
  const std::tm tm = utc_tm(utc_us);
  return fmt::format("{:04d}-{:02d}-{:02d}", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

int64_t now_utc_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace gk
