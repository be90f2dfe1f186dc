#include "fatigue_drift.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace gk {
namespace {

std::optional<double> median_of(std::vector<double> v) {
  if (v.size() < 20) return std::nullopt;  // too few steps in a third to compare
  const size_t mid = v.size() / 2;
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid), v.end());
  return v[mid];
}

struct Thirds {
  std::vector<double> first, last;
};

void add_evidence(pb::FormFlag& f, const std::string& name, double value, const char* unit) {
  pb::Evidence* e = f.add_evidence();
  e->set_name(name);
  e->set_value(value);
  e->set_unit(unit);
}

}  // namespace

std::vector<pb::FormFlag> assess_drift(const std::vector<DriftStep>& steps,
                                       const FormThresholds& th) {
  std::vector<pb::FormFlag> out;
  if (steps.empty()) return out;
  const double total = steps.back().running_s;
  if (total < th.drift_min_running_s) return out;
  Thirds cadence, contact, valgus[2];
  for (const DriftStep& s : steps) {
    const bool first = s.running_s < total / 3.0;
    const bool last = s.running_s >= total * 2.0 / 3.0;
    if (!first && !last) continue;
    auto put = [&](Thirds& t, const std::optional<double>& v) {
      if (v) (first ? t.first : t.last).push_back(*v);
    };
    put(cadence, s.cadence_spm);
    put(contact, s.contact_ms);
    if (s.side == pb::LEFT || s.side == pb::RIGHT)
      put(valgus[s.side == pb::LEFT ? 0 : 1], s.peak_valgus_deg);
  }
  const int64_t t0 = steps.front().t_us;
  const int64_t t1 = steps.back().t_us;

  const auto c0 = median_of(cadence.first), c1 = median_of(cadence.last);
  const auto k0 = median_of(contact.first), k1 = median_of(contact.last);
  const bool have_cadence = c0 && c1;
  const bool have_contact = k0 && k1;
  const double cadence_drop = have_cadence ? (*c0 - *c1) / *c0 * 100.0 : 0.0;
  const double contact_rise = have_contact ? (*k1 - *k0) / *k0 * 100.0 : 0.0;
  const bool cadence_fell = have_cadence && cadence_drop > th.cadence_drop_max_pct;
  const bool contact_rose = have_contact && contact_rise > th.contact_rise_max_pct;
  if (cadence_fell || contact_rose) {
    pb::FormFlag f;
    f.set_kind(pb::FATIGUE_DRIFT);
    f.set_severity(cadence_fell && contact_rose ? pb::CAUTION : pb::INFO);
    if (have_cadence) {
      add_evidence(f, "cadence, first third", *c0, "steps/min");
      add_evidence(f, "cadence, last third", *c1, "steps/min");
      add_evidence(f, "cadence drop", cadence_drop, "%");
    }
    if (have_contact) {
      add_evidence(f, "contact time, first third", *k0, "ms");
      add_evidence(f, "contact time, last third", *k1, "ms");
      add_evidence(f, "contact time rise", contact_rise, "%");
    }
    f.set_threshold(cadence_fell ? th.cadence_drop_max_pct : th.contact_rise_max_pct);
    f.set_threshold_unit(cadence_fell ? "% cadence drop" : "% contact time rise");
    f.set_reference(
        "Dierks 2008 (J Orthop Sports Phys Ther): hip and knee kinematics change over a "
        "prolonged run in runners with patellofemoral pain");
    f.set_advice(
        "Your step rate fell (or ground contact lengthened) as the run went on, a sign of "
        "fatigue. Keep long runs at an easier pace, and focus on quick, light steps in the "
        "last part of the run.");
    f.set_t_start_us(t0);
    f.set_t_end_us(t1);
    out.push_back(std::move(f));
  }
  for (size_t k = 0; k < 2; ++k) {
    const auto v0 = median_of(valgus[k].first), v1 = median_of(valgus[k].last);
    if (!v0 || !v1 || *v1 - *v0 <= th.valgus_rise_max_deg) continue;
    pb::FormFlag f;
    f.set_kind(pb::KNEE_VALGUS);
    f.set_severity(pb::CAUTION);
    f.set_side(k == 0 ? pb::LEFT : pb::RIGHT);
    add_evidence(f, "peak stance valgus, first third", *v0, "deg");
    add_evidence(f, "peak stance valgus, last third", *v1, "deg");
    add_evidence(f, "valgus rise over the run", *v1 - *v0, "deg");
    f.set_threshold(th.valgus_rise_max_deg);
    f.set_threshold_unit("deg rise, first to last third");
    f.set_reference(
        "Dierks 2008 (J Orthop Sports Phys Ther): frontal-plane knee and hip motion change over "
        "a prolonged run in runners with patellofemoral pain");
    f.set_advice(fmt::format(
        "Your {} knee moved further inward as the run went on. Hip and glute strength work "
        "helps knees hold their line when tired; shorten runs until it stays steady.",
        k == 0 ? "left" : "right"));
    f.set_t_start_us(t0);
    f.set_t_end_us(t1);
    out.push_back(std::move(f));
  }
  return out;
}

}  // namespace gk
