#include "pain_check.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace gk {
namespace {

constexpr const char* kReference =
    "Pain-monitoring model (Silbernagel 2007, Am J Sports Med; Thomee 1997 for patellofemoral "
    "pain): 0-2/10 safe, up to 5/10 acceptable if it settles by the next morning";

void add_evidence(pb::FormFlag& f, const char* name, double value, const char* unit) {
  pb::Evidence* e = f.add_evidence();
  e->set_name(name);
  e->set_value(value);
  e->set_unit(unit);
}

void add_entry(pb::FormFlag& f, const PainEntry& e) {
  if (e.during) add_evidence(f, "pain during the run", *e.during, "/10");
  if (e.after) add_evidence(f, "pain after the run", *e.after, "/10");
  if (e.stiffness) add_evidence(f, "stiffness next morning", *e.stiffness, "/10");
}

}  // namespace

int PainEntry::worst() const {
  return std::max({during.value_or(0), after.value_or(0), stiffness.value_or(0)});
}

bool pain_holds_progress(const PainEntry& entry, const PainEntry* previous,
                         const PainSettings& settings) {
  if (entry.worst() > settings.safe_max) return true;
  return previous && entry.worst() >= previous->worst() + settings.rise_points;
}

std::vector<pb::FormFlag> check_pain(const std::vector<PainEntry>& history,
                                     const PainSettings& settings) {
  std::vector<pb::FormFlag> out;
  if (history.empty()) return out;
  const PainEntry& last = history.back();
  const PainEntry* previous = history.size() > 1 ? &history[history.size() - 2] : nullptr;
  const int worst = last.worst();
  auto make = [&](pb::Severity severity, double threshold, const char* unit) -> pb::FormFlag& {
    pb::FormFlag& f = out.emplace_back();
    f.set_kind(pb::PAIN);
    f.set_severity(severity);
    add_entry(f, last);
    f.set_threshold(threshold);
    f.set_threshold_unit(unit);
    f.set_reference(kReference);
    f.set_t_start_us(last.session_start_utc_us);
    return f;
  };
  if (worst > settings.acceptable_max) {
    make(pb::WARNING, settings.acceptable_max, "/10 pain")
        .set_advice(fmt::format(
            "Pain of {}/10 is more than running should cause. Rest from running and see a "
            "physiotherapist or doctor, especially if the knee is swollen.",
            worst));
  } else if (previous && worst > settings.safe_max &&
             worst >= previous->worst() + settings.rise_points) {
    pb::FormFlag& f = make(pb::CAUTION, settings.rise_points, "/10 rise on the previous log");
    add_evidence(f, "worst rating, previous log", previous->worst(), "/10");
    f.set_advice(fmt::format(
        "Knee pain rose from {}/10 to {}/10. Do not add distance this week; if it keeps rising, "
        "rest and see a physiotherapist or doctor.",
        previous->worst(), worst));
  }
  const int n = settings.persist_sessions;
  if (n > 0 && static_cast<int>(history.size()) >= n &&
      std::all_of(history.end() - n, history.end(),
                  [&](const PainEntry& e) { return e.worst() > settings.safe_max; })) {
    make(pb::WARNING, settings.safe_max, "/10 pain, every session")
        .set_advice(fmt::format(
            "Pain above {}/10 in each of the last {} logged sessions: it is not settling. Stop "
            "running for now and get it checked by a physiotherapist or doctor.",
            settings.safe_max, n));
  }
  return out;
}

}  // namespace gk
