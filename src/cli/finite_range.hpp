// Range check for floating-point command-line options. CLI11's Range lets "nan" through (every
// comparison with NaN is false) and prints its bounds with all their digits; this one wants a
// finite number within the bounds and names them as a person would write them.
#pragma once

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <cmath>
#include <string>

namespace gk::cli {

inline CLI::Validator finite_range(double lo, double hi) {
  return CLI::Validator(
      [lo, hi](std::string& input) -> std::string {
        double v = 0.0;
        if (!CLI::detail::lexical_cast(input, v) || !std::isfinite(v)) {
          return fmt::format("{} is not a finite number", input);
        }
        if (v < lo || v > hi) return fmt::format("{} is not in {:g} to {:g}", input, lo, hi);
        return {};
      },
      fmt::format("{:g} to {:g}", lo, hi));
}

}  // namespace gk::cli
