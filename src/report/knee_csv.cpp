#include "knee_csv.hpp"

#include <fmt/format.h>
#include <fmt/ostream.h>

#include "atomic_file.hpp"
#include "placement.hpp"

namespace gk {

void write_knee_csv(std::ostream& out, const std::vector<KneeAngleSample>& samples) {
  fmt::print(out, "t,side,valgus_deg,flexion_deg,confidence\n");
  for (const KneeAngleSample& s : samples) {
    fmt::print(out, "{:.6f},{},{:.3f},{:.3f},{:.3f}\n", static_cast<double>(s.t_us) * 1e-6,
               side_letter(s.side), s.angles.valgus_deg, s.angles.flexion_deg, s.confidence);
  }
}

void write_knee_csv(const std::filesystem::path& path,
                    const std::vector<KneeAngleSample>& samples) {
  AtomicFile file(path);
  write_knee_csv(file.stream(), samples);
  file.commit();
}

}  // namespace gk
