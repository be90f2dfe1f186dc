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
  fmt::print(
      out,
      "side,ic,to,contact_ms,flight_ms,cadence_spm,stride_m,foot_strike,shock_g,quality,"
      "peak_valgus_deg,knee_flexion_ic_deg,valgus_confidence,pelvic_drop_deg,hip_adduction_deg,"
      "tibial_inclination_deg\n");
  for (const StepResult& s : steps) {
    std::string row = fmt::format("{},{:.6f},", side_letter(s.event.side),
                                  static_cast<double>(s.event.ic_us) * 1e-6);
    row += s.event.to_us ? fmt::format("{:.6f}", static_cast<double>(*s.event.to_us) * 1e-6)
                         : std::string();
    for (const std::string& c :
         {cell(s.contact_ms, 1), cell(s.flight_ms, 1), cell(s.cadence_spm, 2), cell(s.stride_m, 3),
          std::string(strike_name(s.foot_strike)), cell(s.shock_g, 2),
          fmt::format("{:.2f}", s.event.quality), cell(s.peak_valgus_deg, 2),
          cell(s.knee_flexion_ic_deg, 2), cell(s.valgus_confidence, 2), cell(s.pelvic_drop_deg, 2),
          cell(s.peak_hip_adduction_deg, 2), cell(s.peak_tibial_inclination_deg, 2)}) {
      row += ',';
      row += c;
    }
    row += '\n';
    out << row;
  }
}

void write_steps_csv(const std::filesystem::path& path, const std::vector<StepResult>& steps) {
  AtomicFile file(path);
  write_steps_csv(file.stream(), steps);
  file.commit();
}

}  // namespace gk
