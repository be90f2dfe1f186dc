#include "steps_csv.hpp"

#include <fmt/format.h>
#include <fmt/ostream.h>

#include <optional>
#include <string>

#include "atomic_file.hpp"
#include "placement.hpp"

namespace gk {
namespace {

std::string cell(const std::optional<double>& v, int decimals) {
  return v ? fmt::format("{:.{}f}", *v, decimals) : std::string();
}

std::string_view strike_name(pb::FootStrike f) {
  switch (f) {
    case pb::HEEL:
      return "heel";
    case pb::MIDFOOT:
      return "mid";
    case pb::FOREFOOT:
      return "fore";
    default:
      return "";
  }
}

}  // namespace

void write_steps_csv(std::ostream& out, const std::vector<StepResult>& steps) {
  fmt::print(out,
             "side,ic,to,contact_ms,flight_ms,cadence_spm,stride_m,foot_strike,shock_g,quality\n");
  for (const StepResult& s : steps) {
    const std::optional<double> to =
        s.event.to_us ? std::optional<double>(static_cast<double>(*s.event.to_us) * 1e-6)
                      : std::nullopt;
    fmt::print(out, "{},{:.6f},{},{},{},{},{},{},{},{:.2f}\n", side_letter(s.event.side),
               static_cast<double>(s.event.ic_us) * 1e-6, cell(to, 6), cell(s.contact_ms, 1),
               cell(s.flight_ms, 1), cell(s.cadence_spm, 2), cell(s.stride_m, 3),
               strike_name(s.foot_strike), cell(s.shock_g, 2), s.event.quality);
  }
}

void write_steps_csv(const std::filesystem::path& path, const std::vector<StepResult>& steps) {
  AtomicFile file(path);
  write_steps_csv(file.stream(), steps);
  file.commit();
}

}  // namespace gk
