#include "knee_stage.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "placement.hpp"

namespace gk {

KneeStage::KneeStage(const pb::SessionHeader& header, const KneeStageSettings& settings)
    : settings_(settings) {
  int thigh[2] = {-1, -1};
  int shank[2] = {-1, -1};
  for (int i = 0; i < header.sensors_size(); ++i) {
    const pb::SensorInfo& info = header.sensors(i);
    if (info.gyro_range_dps() == 0) continue;  // no gyro, no knee angles
    const pb::Side side = side_of(info.placement());
    if (side == pb::SIDE_UNKNOWN) continue;
    const int k = side == pb::LEFT ? 0 : 1;
    if (segment_of(info.placement()) == Segment::kThigh) thigh[k] = i;
    if (segment_of(info.placement()) == Segment::kShank) shank[k] = i;
  }
  route_.assign(static_cast<size_t>(header.sensors_size()), {nullptr, false});
  for (int k = 0; k < 2; ++k) {
    const pb::Side side = k == 0 ? pb::LEFT : pb::RIGHT;
    const char* name = k == 0 ? "left" : "right";
    if (thigh[k] >= 0 && shank[k] >= 0) {
      legs_[k].sleeve = std::make_unique<KneeSleeve>(side, settings.sleeve);
      route_[static_cast<size_t>(thigh[k])] = {&legs_[k], true};
      route_[static_cast<size_t>(shank[k])] = {&legs_[k], false};
    } else if (thigh[k] >= 0) {
      notes_.push_back(
          fmt::format("{} knee: a thigh sensor but no shank sensor; knee angles need both", name));
    } else if (shank[k] >= 0) {
      notes_.push_back(fmt::format(
          "{} knee: a shank sensor but no thigh sensor; no knee valgus is claimed without one "
          "(the tibia's frontal-plane inclination is reported instead)",
          name));
      legs_[k].tibia = std::make_unique<LegSegmentFrame>(side, "shank", settings.tibia);
      route_[static_cast<size_t>(shank[k])] = {&legs_[k], false};
    }
  }
}

KneeStage::~KneeStage() = default;

void KneeStage::push(size_t sensor, const ImuSample& sample) {
  auto [leg, is_thigh] = route_[sensor];
  if (leg == nullptr) return;
  if (leg->tibia) {
    leg->tibia->push(sample);
  } else if (is_thigh) {
    leg->sleeve->push_thigh(sample);
  } else {
    leg->sleeve->push_shank(sample);
  }
  collect(*leg);
}

void KneeStage::mark_gap(size_t sensor, int64_t hidden_us) {
  auto [leg, is_thigh] = route_[sensor];
  if (leg == nullptr) return;
  if (leg->tibia) {
    leg->tibia->mark_gap(hidden_us);
  } else {
    leg->sleeve->mark_gap(is_thigh, hidden_us);
  }
}

void KneeStage::collect(Leg& leg) {
  const auto keep = static_cast<int64_t>(settings_.history_s * 1e6);
  if (leg.tibia) {
    const pb::Side side = &leg == &legs_[0] ? pb::LEFT : pb::RIGHT;
    for (const SegmentPose& p : leg.tibia->take()) {
      if (const std::optional<double> i = tibial_inclination_deg(p.world, side)) {
        leg.tibia_history.emplace_back(p.t_us, *i);
      }
    }
    while (!leg.tibia_history.empty() &&
           leg.tibia_history.back().first - leg.tibia_history.front().first > keep) {
      leg.tibia_history.pop_front();
    }
    return;
  }
  std::vector<KneeAngleSample> fresh = leg.sleeve->take();
  if (fresh.empty()) return;
  for (const KneeAngleSample& s : fresh) {
    leg.history.push_back(s);
    out_.push_back(s);
  }
  while (!leg.history.empty() && leg.history.back().t_us - leg.history.front().t_us > keep) {
    leg.history.pop_front();
  }
}

void KneeStage::finish() {
  for (Leg& leg : legs_) {
    if (leg.tibia) leg.tibia->finish();
    if (leg.sleeve) leg.sleeve->finish();
    if (leg.tibia || leg.sleeve) collect(leg);
  }
}

void KneeStage::reset() {
  for (Leg& leg : legs_) {
    if (leg.sleeve) leg.sleeve->reset();
    if (leg.tibia) leg.tibia->reset();
    leg.history.clear();
    leg.tibia_history.clear();
  }
  out_.clear();
}

const KneeSleeve* KneeStage::sleeve(pb::Side side) const {
  if (side == pb::LEFT) return legs_[0].sleeve.get();
  if (side == pb::RIGHT) return legs_[1].sleeve.get();
  return nullptr;
}

bool KneeStage::has_leg_stage(pb::Side side) const {
  if (side != pb::LEFT && side != pb::RIGHT) return false;
  const Leg& l = leg(side);
  return l.sleeve != nullptr || l.tibia != nullptr;
}

int64_t KneeStage::resolved_until_us(pb::Side side) const {
  if (!has_leg_stage(side)) return INT64_MAX;
  const Leg& l = leg(side);
  return l.sleeve ? l.sleeve->resolved_until_us() : l.tibia->resolved_until_us();
}

std::optional<TibiaStepMetrics> KneeStage::tibia_metrics(pb::Side side, int64_t ic_us,
                                                         std::optional<int64_t> to_us) const {
  if (!has_leg_stage(side)) return std::nullopt;
  const Leg& l = leg(side);
  if (!l.tibia || !l.tibia->calibrated_at_us() || ic_us < *l.tibia->calibrated_at_us()) {
    return std::nullopt;
  }
  const auto slack = static_cast<int64_t>(2e6 / settings_.tibia.output_rate_hz);
  const std::optional<StanceSummary> s =
      summarize_stance(l.tibia_history, ic_us, stance_end_us(ic_us, to_us), slack);
  if (!s) return std::nullopt;
  return TibiaStepMetrics{s->at_ic, s->peak};
}

int64_t KneeStage::stance_end_us(int64_t ic_us, std::optional<int64_t> to_us) const {
  if (to_us && *to_us > ic_us) return *to_us;
  return ic_us + static_cast<int64_t>(settings_.default_stance_ms * 1e3);
}

std::optional<KneeStepMetrics> KneeStage::step_metrics(pb::Side side, int64_t ic_us,
                                                       std::optional<int64_t> to_us) const {
  const KneeSleeve* s = sleeve(side);
  if (s == nullptr || !s->calibrated_at_us() || ic_us < *s->calibrated_at_us()) {
    return std::nullopt;
  }
  const std::deque<KneeAngleSample>& h = legs_[side == pb::LEFT ? 0 : 1].history;
  const int64_t end = stance_end_us(ic_us, to_us);
  // The series must cover the stance: a sample within one output period of
  // IC and of its end, and none missing in between by more than that.
  const auto slack = static_cast<int64_t>(2e6 / settings_.sleeve.output_rate_hz);
  auto first = std::lower_bound(h.begin(), h.end(), ic_us - slack / 2,
                                [](const KneeAngleSample& a, int64_t t) { return a.t_us < t; });
  if (first == h.end() || first->t_us > ic_us + slack) return std::nullopt;
  KneeStepMetrics m;
  double conf_sum = 0.0;
  size_t n = 0;
  int64_t prev = first->t_us;
  bool peak_set = false;
  int64_t ic_gap = INT64_MAX;
  for (auto it = first; it != h.end() && it->t_us <= end; ++it) {
    if (it->t_us - prev > slack) return std::nullopt;
    prev = it->t_us;
    const int64_t d = std::abs(it->t_us - ic_us);
    if (d < ic_gap) {
      ic_gap = d;
      m.flexion_ic_deg = it->angles.flexion_deg;
      m.valgus_excursion_deg = -it->angles.valgus_deg;  // the value at IC, peak added below
    }
    if (!peak_set || it->angles.valgus_deg > m.peak_valgus_deg)
      m.peak_valgus_deg = it->angles.valgus_deg;
    if (!peak_set || it->angles.flexion_deg > m.peak_stance_flexion_deg) {
      m.peak_stance_flexion_deg = it->angles.flexion_deg;
    }
    peak_set = true;
    conf_sum += it->confidence;
    ++n;
  }
  if (n == 0 || end - prev > slack) return std::nullopt;
  m.valgus_excursion_deg += m.peak_valgus_deg;
  m.confidence = conf_sum / static_cast<double>(n);
  return m;
}

std::vector<KneeAngleSample> KneeStage::take() {
  std::vector<KneeAngleSample> out;
  out.swap(out_);
  return out;
}

std::vector<std::string> KneeStage::findings() const {
  std::vector<std::string> out = notes_;
  for (const Leg& l : legs_) {
    if (l.sleeve) {
      for (const std::string& f : l.sleeve->findings()) out.push_back(f);
    }
    if (l.tibia) {
      for (const std::string& f : l.tibia->findings()) out.push_back(f);
    }
  }
  return out;
}

}  // namespace gk
