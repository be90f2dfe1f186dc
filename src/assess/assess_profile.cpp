// TOML profile reader: every key is known by name, so a typo is an error with
// its line rather than a silently ignored threshold.
#include "assess_profile.hpp"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <cmath>
#include <functional>
#include <map>
#include <string>

#include "input_error.hpp"

namespace gk {
namespace {

size_t line_of(const toml::node& node) { return node.source().begin.line; }

double number(const std::filesystem::path& file, const std::string& key, const toml::node& node) {
  if (const auto v = node.value<double>(); v && (node.is_floating_point() || node.is_integer())) {
    if (!std::isfinite(*v)) throw InputError(file, line_of(node), key + " must be finite");
    return *v;
  }
  throw InputError(file, line_of(node), key + " must be a number");
}

double positive(const std::filesystem::path& file, const std::string& key, const toml::node& node) {
  const double v = number(file, key, node);
  if (v <= 0.0) throw InputError(file, line_of(node), key + " must be > 0");
  return v;
}

double non_negative(const std::filesystem::path& file, const std::string& key,
                    const toml::node& node) {
  const double v = number(file, key, node);
  if (v < 0.0) throw InputError(file, line_of(node), key + " must be >= 0");
  return v;
}

double within(const std::filesystem::path& file, const std::string& key, const toml::node& node,
              double lo, double hi) {
  const double v = number(file, key, node);
  if (v < lo || v > hi) {
    throw InputError(file, line_of(node), fmt::format("{} must be {:g} to {:g}", key, lo, hi));
  }
  return v;
}

unsigned count(const std::filesystem::path& file, const std::string& key, const toml::node& node) {
  const auto v = node.value<int64_t>();
  if (!node.is_integer() || !v) throw InputError(file, line_of(node), key + " must be an integer");
  if (*v < 1 || *v > 1000) throw InputError(file, line_of(node), key + " must be 1..1000");
  return static_cast<unsigned>(*v);
}

using Setter = std::function<void(AssessProfile&, const std::filesystem::path&, const std::string&,
                                  const toml::node&)>;

#define GK_POS(field)                                                        \
  [](AssessProfile& p, const std::filesystem::path& f, const std::string& k, \
     const toml::node& n) { p.field = positive(f, k, n); }
#define GK_NONNEG(field)                                                     \
  [](AssessProfile& p, const std::filesystem::path& f, const std::string& k, \
     const toml::node& n) { p.field = non_negative(f, k, n); }

const std::map<std::string, std::map<std::string, Setter>>& schema() {
  static const std::map<std::string, std::map<std::string, Setter>> s = {
      // A runner's own cadence and speed: running cadences lie within 120-240 steps/min and
      // speeds within 1-10 m/s; a value outside is a typo (a cadence in strides, a speed in km/h).
      {"athlete",
       {{"preferred_cadence_spm",
         [](AssessProfile& p, const std::filesystem::path& f, const std::string& k,
            const toml::node& n) {
           p.athlete.preferred_cadence_spm = within(f, k, n, 120.0, 240.0);
         }},
        {"preferred_speed_mps",
         [](AssessProfile& p, const std::filesystem::path& f, const std::string& k,
            const toml::node& n) { p.athlete.preferred_speed_mps = within(f, k, n, 1.0, 10.0); }},
        {"peak_valgus_deg",
         [](AssessProfile& p, const std::filesystem::path& f, const std::string& k,
            const toml::node& n) { p.athlete.peak_valgus_deg = number(f, k, n); }}}},
      {"plan",
       {{"session", [](AssessProfile& p, const std::filesystem::path& f, const std::string& k,
                       const toml::node& n) { p.plan.session = count(f, k, n); }},
        {"sessions_total",
         [](AssessProfile& p, const std::filesystem::path& f, const std::string& k,
            const toml::node& n) { p.plan.sessions_total = count(f, k, n); }},
        {"first_step_pct", GK_POS(plan.first_step_pct)},
        {"final_step_pct", GK_POS(plan.final_step_pct)},
        {"band_pct", GK_POS(plan.band_pct)},
        {"cue_delay_s", GK_NONNEG(plan.cue_delay_s)},
        {"min_change_interval_s", GK_NONNEG(plan.min_change_interval_s)}}},
      {"thresholds",
       {{"min_duration_s", GK_NONNEG(thresholds.min_duration_s)},
        {"warm_up_s", GK_NONNEG(thresholds.warm_up_s)},
        {"warm_up_min_s", GK_NONNEG(thresholds.warm_up_min_s)},
        {"window_steps", [](AssessProfile& p, const std::filesystem::path& f, const std::string& k,
                            const toml::node& n) { p.thresholds.window_steps = count(f, k, n); }},
        {"baseline_start_s", GK_NONNEG(thresholds.baseline_start_s)},
        {"baseline_end_s", GK_POS(thresholds.baseline_end_s)},
        {"low_cadence_band_pct", GK_NONNEG(thresholds.low_cadence_band_pct)},
        {"low_for_speed_pct", GK_POS(thresholds.low_for_speed_pct)},
        {"knee_flexion_ic_min_deg", GK_POS(thresholds.knee_flexion_ic_min_deg)},
        {"foot_strike_angle_max_deg", GK_POS(thresholds.foot_strike_angle_max_deg)},
        {"hysteresis_deg", GK_NONNEG(thresholds.hysteresis_deg)},
        {"peak_valgus_max_deg", GK_POS(thresholds.peak_valgus_max_deg)},
        {"valgus_above_baseline_deg", GK_POS(thresholds.valgus_above_baseline_deg)},
        {"valgus_min_confidence", GK_NONNEG(thresholds.valgus_min_confidence)},
        {"pelvic_drop_max_deg", GK_POS(thresholds.pelvic_drop_max_deg)},
        {"hip_adduction_max_deg", GK_POS(thresholds.hip_adduction_max_deg)},
        {"shock_max_g", GK_POS(thresholds.shock_max_g)},
        {"shock_hysteresis_g", GK_NONNEG(thresholds.shock_hysteresis_g)},
        {"contact_balance_max_pct", GK_POS(thresholds.contact_balance_max_pct)},
        {"valgus_asymmetry_max_deg", GK_POS(thresholds.valgus_asymmetry_max_deg)},
        {"drift_min_running_s", GK_POS(thresholds.drift_min_running_s)},
        {"cadence_drop_max_pct", GK_POS(thresholds.cadence_drop_max_pct)},
        {"contact_rise_max_pct", GK_POS(thresholds.contact_rise_max_pct)},
        {"valgus_rise_max_deg", GK_POS(thresholds.valgus_rise_max_deg)}}},
  };
  return s;
}

#undef GK_POS
#undef GK_NONNEG

}  // namespace

AssessProfile load_profile(const std::filesystem::path& file) {
  if (!std::filesystem::is_regular_file(file)) {
    throw InputError(file, 0, "profile not found or not a file");
  }
  toml::table root;
  try {
    root = toml::parse_file(file.string());
  } catch (const toml::parse_error& e) {
    throw InputError(file, e.source().begin.line, std::string(e.description()));
  }
  AssessProfile p;
  for (const auto& [section, node] : root) {
    const std::string name(section.str());
    const auto known = schema().find(name);
    if (known == schema().end()) {
      throw InputError(
          file, line_of(node),
          fmt::format("unknown section [{}] (expected athlete, plan, thresholds)", name));
    }
    const toml::table* table = node.as_table();
    if (!table) throw InputError(file, line_of(node), name + " must be a table [" + name + "]");
    for (const auto& [key, value] : *table) {
      const std::string k(key.str());
      const auto setter = known->second.find(k);
      if (setter == known->second.end()) {
        throw InputError(file, line_of(value), fmt::format("unknown key {}.{}", name, k));
      }
      setter->second(p, file, name + "." + k, value);
    }
  }
  validate(p, file);
  return p;
}

void validate(const AssessProfile& p, const std::filesystem::path& file) {
  if (p.plan.session > p.plan.sessions_total) {
    throw InputError(file, 0, "plan.session is beyond plan.sessions_total");
  }
  if (p.plan.final_step_pct < p.plan.first_step_pct) {
    throw InputError(file, 0, "plan.final_step_pct must be >= plan.first_step_pct");
  }
  if (p.thresholds.baseline_end_s <= p.thresholds.baseline_start_s) {
    throw InputError(file, 0, "thresholds.baseline_end_s must be > thresholds.baseline_start_s");
  }
  if (p.thresholds.valgus_min_confidence > 1.0) {
    throw InputError(file, 0, "thresholds.valgus_min_confidence must be 0..1");
  }
}

}  // namespace gk
