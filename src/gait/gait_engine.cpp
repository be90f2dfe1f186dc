#include "gait_engine.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <string_view>

#include "packetizer.hpp"
#include "placement.hpp"

namespace gk {

SensorRole role_for(const pb::SensorInfo& info) {
  const bool gyro = info.gyro_range_dps() > 0;
  switch (segment_of(info.placement())) {
    case Segment::kFoot:
      return gyro ? SensorRole::kFootGyro : SensorRole::kFootRest;
    case Segment::kShank:
      return gyro ? SensorRole::kShankGyro : SensorRole::kTibialImpact;
    case Segment::kPelvis:
      return SensorRole::kImpact;
    default:
      return SensorRole::kOrientationOnly;
  }
}

namespace {

/// A run of samples behind the latest time this long (count x period) is taken for hidden motion
/// (skip_behind); the joint-angle filters' hole floor (OrientationSettings::recheck_hole_us).
constexpr int64_t kHiddenMotionMin_us = 50'000;

/// The sensor's expected period from its nominal rate (0 = unknown).
SamplePeriodSettings period_settings(const pb::SensorInfo& info) {
  SamplePeriodSettings p;
  p.nominal_period_us = period_from_rate_us(info.nominal_rate_hz());
  return p;
}

/// An accelerometer-only sensor whose force magnitude never spans this much never moved like a
/// body in gait: a walking trunk's bounce alone spans about half a g, a leg's impacts several g,
/// while a sensor at rest reads its noise (hundredths of a g).
constexpr double kStillAccRange_mps2 = 0.25 * kGravity_mps2;

/// A shank sampled slower than about 1 kHz (with room for a clock a little
/// off nominal) gets a warning that its tibial shock reads low.
constexpr int64_t kShockMinPeriod_us = 1'100;

/// A sensor's full scales in SI units (gyroscope 0 without one).
FullScale full_scale(const pb::SensorInfo& info) {
  return {.gyro_rps = gyro_lsb_rps(info.gyro_range_dps()) * kFullScaleCounts,
          .accel_mps2 = accel_lsb_mps2(info.accel_range_g()) * kFullScaleCounts};
}

/// A foot's swing direction decided on thin evidence and reversed by the stances after it
/// (GyroSegmenterSettings::sign_reverse_votes): what the steps before the reversal are worth, and
/// whether the stances since bear the reversal out.
std::string reversal_warning(const std::string& decided, const DetectorFlags& f, uint64_t confirmed,
                             uint64_t contradicted, std::string_view cause) {
  return fmt::format(
      "{}, and {} of the {} stances checked after it contradicted it, so it was reversed at "
      "{:.1f} s: this foot's contacts before then were probably timed at mid-swing; {} of the {} "
      "stances seen since agree with the reversed direction{}",
      decided, contradicted, confirmed + contradicted,
      static_cast<double>(f.sign_reversed_t_us) * 1e-6, f.reversed_sign_confirmed,
      f.reversed_sign_confirmed + f.reversed_sign_contradicted, cause);
}

MergerSettings merger_settings(const pb::SessionHeader& header, MergerSettings s) {
  if (header.has_treadmill_speed_mps() && !s.treadmill_speed_mps) {
    s.treadmill_speed_mps = header.treadmill_speed_mps();
  }
  return s;
}

}  // namespace

template <class Detector>
void GaitEngine::pair_legs(SensorRole role) {
  Detector* legs[2] = {nullptr, nullptr};
  for (Sensor& s : sensors_) {
    if (s.role != role || !s.detector) continue;
    const pb::Side side = side_of(s.info.placement());
    if (side != pb::LEFT && side != pb::RIGHT) continue;
    Detector*& slot = legs[side == pb::LEFT ? 0 : 1];
    if (!slot) slot = static_cast<Detector*>(s.detector.get());
  }
  if (legs[0] && legs[1]) {
    legs[0]->pair_with(*legs[1]);
    legs[1]->pair_with(*legs[0]);
  }
}

GaitEngine::GaitEngine(const pb::SessionHeader& header, const EngineSettings& settings)
    : settings_(settings),
      merger_(merger_settings(header, settings.merger), static_cast<size_t>(header.sensors_size())),
      knee_(header, settings.knee) {
  for (const pb::SensorInfo& info : header.sensors()) {
    Sensor s;
    s.info = info;
    s.role = role_for(info);
    s.impact_role = s.role == SensorRole::kFootRest || s.role == SensorRole::kTibialImpact ||
                    s.role == SensorRole::kImpact;
    switch (s.role) {
      case SensorRole::kFootGyro: {
        FootDetectorSettings fs = settings.foot;
        fs.segmenter.placement = info.placement();
        fs.segmenter.nominal_rate_hz = info.nominal_rate_hz();
        s.detector = std::make_unique<FootStepDetector>(fs);
        break;
      }
      case SensorRole::kShankGyro: {
        ShankDetectorSettings ss = settings.shank;
        ss.segmenter.placement = info.placement();
        ss.segmenter.nominal_rate_hz = info.nominal_rate_hz();
        s.detector = std::make_unique<ShankStepDetector>(ss);
        break;
      }
      case SensorRole::kFootRest: {
        FootRestDetectorSettings rs = settings.foot_rest;
        rs.placement = info.placement();
        rs.nominal_rate_hz = info.nominal_rate_hz();
        s.detector = std::make_unique<FootRestStepDetector>(rs);
        break;
      }
      case SensorRole::kTibialImpact: {
        TibialImpactDetectorSettings ts = settings.tibial_impact;
        ts.placement = info.placement();
        ts.nominal_rate_hz = info.nominal_rate_hz();
        s.detector = std::make_unique<TibialImpactStepDetector>(ts);
        break;
      }
      case SensorRole::kImpact: {
        ImpactDetectorSettings is = settings.impact;
        is.placement = info.placement();
        is.nominal_rate_hz = info.nominal_rate_hz();
        s.detector = std::make_unique<ImpactStepDetector>(is);
        break;
      }
      case SensorRole::kOrientationOnly:
        break;
    }
    s.period = SamplePeriod(period_settings(info));
    s.lost = LostLandingFinder(settings.lost_landing);
    s.lost.set_period(s.period.period_us());
    if (settings.run_orientation) {
      s.filter = make_orientation_filter(settings.orientation_method, settings.orientation);
    }
    if (info.placement() == pb::PELVIS && info.gyro_range_dps() > 0 && !pelvis_) {
      pelvis_ = std::make_unique<PelvicDrop>(settings.pelvis);
      pelvis_sensor_ = sensors_.size();
    }
    sensors_.push_back(std::move(s));
  }
  // A gyro foot or shank on each leg: their impact placements may pool their lags
  // (ImpactPlacement::pair_with).
  pair_legs<ShankStepDetector>(SensorRole::kShankGyro);
  pair_legs<FootStepDetector>(SensorRole::kFootGyro);
  if (pelvis_) {
    for (size_t i = 0; i < sensors_.size(); ++i) {
      const pb::SensorInfo& info = sensors_[i].info;
      if (segment_of(info.placement()) != Segment::kThigh || info.gyro_range_dps() == 0) continue;
      const pb::Side side = side_of(info.placement());
      Hip& hip = hips_[side == pb::LEFT ? 0 : 1];
      if (hip.thigh) continue;
      hip.thigh_sensor = i;
      hip.thigh = std::make_unique<LegSegmentFrame>(side, "thigh", settings.thigh);
      hip.angles = std::make_unique<HipAdduction>(side, settings.hip);
    }
  }
  for (size_t i = 0; i < sensors_.size(); ++i) {
    sensors_[i].joints = knee_.uses(i) || i == pelvis_sensor_ || i == hips_[0].thigh_sensor ||
                         i == hips_[1].thigh_sensor;
  }
}

bool GaitEngine::hip_resolved(const Hip& hip, int64_t ic_us, int64_t end_us) const {
  if (finished_) return true;
  // Before either frame is calibrated a step gets no hip value; whether a
  // calibration still to come precedes the step is known once the data have
  // passed the step (calibrations happen at data-defined times).
  if (!hip.thigh->calibrated_at_us()) return hip.thigh->resolved_until_us() >= end_us;
  if (!pelvis_->calibrated_at_us()) return pelvis_->resolved_until_us() >= end_us;
  if (ic_us < std::max(*hip.thigh->calibrated_at_us(), *pelvis_->calibrated_at_us())) return true;
  return hip.angles->processed_until_us() >= end_us;
}

GaitEngine::~GaitEngine() = default;

void GaitEngine::push(size_t sensor, const ImuSample& sample) {
  Sensor& s = sensors_[sensor];
  ++s.samples;
  if (sample.saturated || s.declip) [[unlikely]]
    return push_declipped(sensor, sample);
  push_sample(sensor, sample);
}

void GaitEngine::push_declipped(size_t sensor, const ImuSample& sample) {
  Sensor& s = sensors_[sensor];
  if (!s.declip) {
    const FullScale limits = full_scale(s.info);
    if (limits.gyro_rps <= 0.0 && limits.accel_mps2 <= 0.0) return push_sample(sensor, sample);
    s.declip = std::make_unique<SampleDeclipper>(limits, settings_.declip);
  }
  declipped_.clear();
  if (sample.t_us > s.declip->newest_t_us() && readings_finite(sample)) {
    s.declip->push(sample, declipped_);
  } else {
    // Out of order or not finite: the held samples go first, then this one as it is (the
    // stages after skip and count it).
    s.declip->flush(declipped_);
    declipped_.push_back(sample);
  }
  // (push_sample() does not come back here: the vector is not touched while it is read.)
  for (const ImuSample& x : declipped_) push_sample(sensor, x);
}

void GaitEngine::push_sample(size_t sensor, const ImuSample& sample) {
  Sensor& s = sensors_[sensor];
  if (sample.t_us <= s.last_t_us) [[unlikely]] {
    skip_behind(sensor, sample);
    return;
  }
  if (s.filter) s.filter->update(sample);
  if (s.detector) {
    s.lost.push_sample(sample.t_us);
    s.detector->push(sample);
    if (s.detector->has_steps()) pass_steps(sensor);
  }
  // A device that changes its output data rate mid-session keeps working (dt always comes
  // from timestamps), but the user should know where.
  if (s.period.push(sample.t_us)) [[unlikely]] {
    s.lost.set_period(s.period.period_us());
    if (s.period.previous_period_us() > 0) note_rate_change(s);
  }
  s.last_t_us = sample.t_us;
  merger_.advance(sensor, sample.t_us, horizon_for(s));
  // Only compared with the "never moved" threshold: once above it, stop tracking.
  if (s.max_abs_gyro < settings_.foot.segmenter.swing_peak_min_rps && sample.has_gyro &&
      sample.gyr_rps.allFinite()) {
    s.max_abs_gyro = std::max(s.max_abs_gyro, sample.gyr_rps.cwiseAbs().maxCoeff());
  }
  // A detector that reads impacts (no gyroscope, or a trunk's): the same question asked of the
  // force's magnitude (once it has moved, stop tracking).
  if (s.impact_role && s.max_acc_norm_mps2 - s.min_acc_norm_mps2 < kStillAccRange_mps2 &&
      sample.acc_mps2.allFinite()) {
    const double n = sample.acc_mps2.norm();
    s.min_acc_norm_mps2 = std::min(s.min_acc_norm_mps2, n);
    s.max_acc_norm_mps2 = std::max(s.max_acc_norm_mps2, n);
  }
  if (s.joints) push_joints(sensor, sample);
  // Steps are settled here, at a point fixed by the data, not when a caller
  // happens to take() them: live and batch attach the same knee values.
  if (!waiting_.empty() || merger_.has_output()) release_steps();
}

void GaitEngine::pass_steps(size_t sensor) {
  Sensor& s = sensors_[sensor];
  reported_.clear();
  for (const DetectedStep& step : s.detector->take()) s.lost.push_step(step, reported_);
  for (const DetectedStep& step : reported_) merger_.add(sensor, step);
}

void GaitEngine::push_joints(size_t sensor, const ImuSample& sample) {
  knee_.push(sensor, sample);
  if (sensor == pelvis_sensor_) {
    pelvis_->push(sample);
    for (const SegmentPose& p : pelvis_->take_poses()) {
      for (Hip& hip : hips_) {
        if (hip.angles) hip.angles->push_pelvis(p);
      }
    }
  }
  for (Hip& hip : hips_) {
    if (sensor != hip.thigh_sensor) continue;
    hip.thigh->push(sample);
    for (const SegmentPose& p : hip.thigh->take()) hip.angles->push_thigh(p);
  }
}

void GaitEngine::release_steps() {
  for (StepResult& r : merger_.take()) {
    if (pelvis_) pelvis_->add_step(r.event.side, r.event.ic_us, r.event.to_us);
    waiting_.push_back(std::move(r));
  }
  while (!waiting_.empty()) {
    StepResult& r = waiting_.front();
    const pb::Side side = r.event.side;
    if (pelvis_) {
      const int64_t end = knee_.stance_end_us(r.event.ic_us, r.event.to_us);
      if (pelvis_->resolved_until_us() < end) break;
      if (side == pb::LEFT || side == pb::RIGHT) {
        const Hip& hip = hips_[side == pb::LEFT ? 0 : 1];
        if (hip.angles) {
          if (!hip_resolved(hip, r.event.ic_us, end)) break;
          if (hip.thigh->calibrated_at_us() && pelvis_->calibrated_at_us() &&
              r.event.ic_us >=
                  std::max(*hip.thigh->calibrated_at_us(), *pelvis_->calibrated_at_us())) {
            r.peak_hip_adduction_deg = hip.angles->peak(r.event.ic_us, end);
          }
        }
      }
      r.pelvic_drop_deg = pelvis_->drop_for(side, r.event.ic_us, r.event.to_us);
    }
    if (knee_.has_leg_stage(side)) {
      const int64_t end = knee_.stance_end_us(r.event.ic_us, r.event.to_us);
      if (knee_.resolved_until_us(side) < end) break;
      if (const std::optional<TibiaStepMetrics> m =
              knee_.tibia_metrics(side, r.event.ic_us, r.event.to_us)) {
        r.tibial_inclination_ic_deg = m->inclination_ic_deg;
        r.peak_tibial_inclination_deg = m->peak_inclination_deg;
      }
      if (const std::optional<KneeStepMetrics> m =
              knee_.step_metrics(side, r.event.ic_us, r.event.to_us)) {
        r.peak_valgus_deg = m->peak_valgus_deg;
        r.valgus_excursion_deg = m->valgus_excursion_deg;
        r.knee_flexion_ic_deg = m->flexion_ic_deg;
        r.peak_stance_flexion_deg = m->peak_stance_flexion_deg;
        r.valgus_confidence = m->confidence;
      }
    }
    ready_.push_back(std::move(r));
    waiting_.pop_front();
  }
}

void GaitEngine::skip_behind(size_t sensor, const ImuSample& sample) {
  Sensor& s = sensors_[sensor];
  // Not after this sensor's latest time: a clock that stepped back or repeated a time (a sensor
  // CSV may hold one). No stage sees it, so none integrates over a negative interval (a knee
  // angle did, for the rest of the session); the detector counts and dates it for its warning,
  // and a sensor without one is counted here.
  if (s.detector) {
    s.detector->push(sample);
  } else if (s.behind++ == 0) {
    s.first_behind_us = sample.t_us;
  }
  // A run of skipped samples as long as a hole (50 ms) stands for motion no filter saw, a sample
  // period per sample (a clock 0.3 s back: 0.3 s of it): the interval before the next sample
  // they see counts as that much longer, and is a gap or a hole by its length. A shorter run is
  // a repeated row or a late sample, which hides nothing; counting it would integrate motion
  // that never happened. So is a sample inside the hole the stages last bridged or re-anchored
  // across (a radio packet that arrived after the next one): that motion was already counted.
  if (s.period.inside_last_hole(sample.t_us)) return;
  if (s.skip_run_latest_us != s.last_t_us) {
    s.skip_run_latest_us = s.last_t_us;
    s.skip_run = 0;
  }
  const int64_t period_us = s.period.period_us();
  if (period_us <= 0) return;
  const auto run = static_cast<int64_t>(++s.skip_run);
  int64_t hidden_us = 0;
  if (run >= 2 && run * period_us >= kHiddenMotionMin_us) {
    hidden_us = run * period_us < kHiddenMotionMin_us + period_us ? run * period_us : period_us;
  }
  if (hidden_us <= 0) return;
  if (s.filter) s.filter->mark_gap(hidden_us);
  knee_.mark_gap(sensor, hidden_us);
  if (sensor == pelvis_sensor_) pelvis_->mark_gap(hidden_us);
  for (Hip& hip : hips_) {
    if (sensor == hip.thigh_sensor) hip.thigh->mark_gap(hidden_us);
  }
}

void GaitEngine::note_rate_change(Sensor& s) {
  s.rate_changes.push_back(
      fmt::format("sample rate changed from {:.1f} Hz to {:.1f} Hz at {:.3f} s",
                  1e6 / static_cast<double>(s.period.previous_period_us()),
                  1e6 / static_cast<double>(s.period.period_us()),
                  static_cast<double>(s.period.change_start_us()) * 1e-6));
}

[[gnu::always_inline]] inline int64_t GaitEngine::horizon_for(const Sensor& s) const {
  if (!s.detector) return INT64_MAX;
  // A gyro detector's horizon jumps past a contact only when it reports it,
  // so a second report of the same contact is always in hand. (Once its
  // last cycle can no longer reopen, after a stop or in a turn, it creeps
  // with the clock, but stops at a candidate mid-swing: what it reports next
  // follows a swing not seen yet, so it is a new contact.) An
  // accelerometer-only detector's horizon creeps with time: hold its steps
  // back by the duplicate window so a same-contact report can still merge.
  if (s.role == SensorRole::kImpact || s.role == SensorRole::kFootRest ||
      s.role == SensorRole::kTibialImpact) {
    return s.lost.horizon_us(s.detector->horizon_us()) -
           static_cast<int64_t>(settings_.merger.duplicate_window_s * 1e6);
  }
  return s.lost.horizon_us(s.detector->horizon_us());
}

void GaitEngine::finish() {
  for (size_t i = 0; i < sensors_.size(); ++i) {
    if (!sensors_[i].declip) continue;
    declipped_.clear();
    sensors_[i].declip->flush(declipped_);
    for (const ImuSample& x : declipped_) push_sample(i, x);
  }
  for (size_t i = 0; i < sensors_.size(); ++i) {
    if (!sensors_[i].detector) continue;
    sensors_[i].detector->finish();
    pass_steps(i);
  }
  merger_.finish();
  knee_.finish();
  // The merger's last steps reach the pelvis stage before it is told the data ended.
  for (StepResult& r : merger_.take()) {
    if (pelvis_) pelvis_->add_step(r.event.side, r.event.ic_us, r.event.to_us);
    waiting_.push_back(std::move(r));
  }
  if (pelvis_) {
    pelvis_->finish();
    for (Hip& hip : hips_) {
      if (!hip.thigh) continue;
      hip.thigh->finish();
      for (const SegmentPose& p : hip.thigh->take()) hip.angles->push_thigh(p);
    }
    for (const SegmentPose& p : pelvis_->take_poses()) {
      for (Hip& hip : hips_) {
        if (hip.angles) hip.angles->push_pelvis(p);
      }
    }
  }
  finished_ = true;
  release_steps();
}

void GaitEngine::reset() {
  for (Sensor& s : sensors_) {
    s.declip.reset();
    if (s.detector) s.detector->reset();
    s.lost.reset();
    if (s.filter) s.filter->reset();
    s.samples = 0;
    s.last_t_us = INT64_MIN;
    s.max_abs_gyro = 0.0;
    s.behind = 0;
    s.first_behind_us = 0;
    s.skip_run = 0;
    s.skip_run_latest_us = INT64_MIN;
    s.min_acc_norm_mps2 = std::numeric_limits<double>::infinity();
    s.max_acc_norm_mps2 = 0.0;
    s.period.reset();
    s.lost.set_period(s.period.period_us());
    s.rate_changes.clear();
  }
  merger_.reset();
  knee_.reset();
  if (pelvis_) pelvis_->reset();
  for (Hip& hip : hips_) {
    if (hip.thigh) hip.thigh->reset();
    if (hip.angles) hip.angles->reset();
  }
  finished_ = false;
  waiting_.clear();
  ready_.clear();
}

std::vector<StepResult> GaitEngine::take() {
  std::vector<StepResult> out;
  out.swap(ready_);
  return out;
}

std::optional<Eigen::Quaterniond> GaitEngine::orientation(size_t sensor) const {
  const Sensor& s = sensors_[sensor];
  if (!s.filter || !s.filter->initialised()) return std::nullopt;
  return s.filter->orientation();
}

std::vector<std::string> GaitEngine::warnings() const {
  std::vector<std::string> out = knee_.findings();
  // Thigh sensors (or sensors of unknown placement) alone give no steps: say why the session
  // has none rather than leave an empty result unexplained.
  if (!sensors_.empty() && std::none_of(sensors_.begin(), sensors_.end(),
                                        [](const Sensor& s) { return s.detector != nullptr; })) {
    out.push_back(
        "no foot, shank or pelvis sensor: steps and cadence come from those; the sensors here "
        "(thighs, or placements not given) are read for joint angles only");
  }
  if (pelvis_) {
    for (const std::string& f : pelvis_->findings()) out.push_back(f);
  }
  for (const Hip& hip : hips_) {
    if (!hip.thigh) continue;
    for (const std::string& f : hip.thigh->findings()) out.push_back(f);
  }
  for (const Sensor& s : sensors_) {
    const std::string_view name = placement_name(s.info.placement());
    // "<sensor>: <count> <what>", where the count is not zero.
    const auto counted = [&](uint64_t count, std::string_view what) {
      if (count > 0) out.push_back(fmt::format("{}: {} {}", name, count, what));
    };
    if (s.samples == 0) {
      out.push_back(fmt::format("{}: no samples", name));
      continue;
    }
    for (const std::string& change : s.rate_changes)
      out.push_back(fmt::format("{}: {}", name, change));
    if (s.behind > 0) {
      out.push_back(fmt::format(
          "{}: {} samples with time not after the previous one skipped (first at {:.3f} s)", name,
          s.behind, static_cast<double>(s.first_behind_us) * 1e-6));
    }
    if (s.declip) {
      const DeclipCounts& c = s.declip->counts();
      if (c.rebuilt > 0) {
        out.push_back(fmt::format(
            "{}: {} stretches of one axis held at the sensor's full-scale limit were rebuilt from "
            "the readings on either side (a parabola each) before anything read them",
            name, c.rebuilt));
      }
      if (s.joints && c.gyro_stretches > 0) {
        // The knee and hip stages integrate the rates; rebuilt stretches still leave them far
        // off (docs/ACCURACY.md, "Readings clipped at full scale").
        out.push_back(fmt::format(
            "{}: its rotation rate reached the gyroscope's limit {} times; the joint angles "
            "from it are not reliable (set its gyroscope to +/-1000 deg/s or more)",
            name, c.gyro_stretches));
      }
      if (c.as_read > 0) {
        out.push_back(fmt::format(
            "{}: {} stretches of one axis at the full-scale limit (first at {:.3f} s) were read as "
            "clipped: the first of a sensor, or too long to rebuild (a range too small for the "
            "motion); rotation and speed integrated across them, and the toe-offs and knee angles "
            "there, may be off",
            name, c.as_read, static_cast<double>(c.first_as_read_t_us) * 1e-6));
      }
    }
    if (!s.detector) continue;
    const DetectorFlags& f = s.detector->flags();
    if (f.non_finite > 0) {
      out.push_back(fmt::format("{}: {} NaN/infinite samples skipped (first at {:.3f} s)", name,
                                f.non_finite, static_cast<double>(f.first_bad_t_us) * 1e-6));
    }
    if (f.time_backwards > 0) {
      out.push_back(fmt::format(
          "{}: {} samples with time not after the previous one skipped (first at {:.3f} s)", name,
          f.time_backwards, static_cast<double>(f.first_bad_t_us) * 1e-6));
    }
    if (f.gaps > 0) {
      out.push_back(fmt::format(
          "{}: {} gaps in the data (first after {:.3f} s); no steps are invented across them", name,
          f.gaps, static_cast<double>(f.first_gap_t_us) * 1e-6));
    }
    if (f.bridged_dropouts > 0) {
      out.push_back(fmt::format("{}: {} short dropouts (a few samples lost) bridged", name,
                                f.bridged_dropouts));
      if (f.ic_from_stride_rhythm > 0) {
        out.push_back(fmt::format(
            "{}: {} landings fell in such a hole; timed from the rhythm of the recent strides "
            "(a foot: from the swing before the landing), quality lowered",
            name, f.ic_from_stride_rhythm));
      }
      if (f.impact_beside_hole > 0) {
        out.push_back(fmt::format(
            "{}: {} landings came just before or after such a hole, where the recent strides put "
            "them; timed from their own impact, not from the jump across the hole",
            name, f.impact_beside_hole));
      }
    }
    if (s.lost.found() > 0) {
      out.push_back(fmt::format(
          "{}: {} landings lost in a hole of lost samples (first at {:.3f} s), found between the "
          "landings either side of it, two steady strides or steps apart, and timed at their "
          "middle; no toe-off, quality lowered",
          name, s.lost.found(), static_cast<double>(*s.lost.first_found_us()) * 1e-6));
    }
    counted(f.end_jumps_unconfirmed,
            "jump(s) in the data's last moments not taken for a landing: the stance after them is "
            "not in the data");
    counted(f.ic_weak_impact,
            "landings whose impact fell between samples (a weak jump), counted from the rest "
            "after them where the stride rhythm expects a landing; timed at the largest change, "
            "quality lowered");
    counted(f.weak_landings_looked_back,
            "of them a bout's early landing, held until the foot's stride was known and then "
            "found where it expects one");
    if (f.rest_level_g > 0.0 && std::abs(f.rest_level_g - 1.0) > 0.05) {
      out.push_back(fmt::format(
          "{}: a still foot reads {:.2f} g, not 1 g (accelerometer scale or offset error): rests "
          "are judged against what it reads{}; calibrate the sensor to trust its magnitudes",
          name, f.rest_level_g,
          f.rest_level_from_calm > 0
              ? fmt::format(" (learned in part from still stretches outside the 1 g band: {})",
                            f.rest_level_from_calm)
              : std::string()));
    }
    if (f.ic_at_data_end > 0) {
      out.push_back(fmt::format(
          "{}: a landing in the last moments of the data, before its rest (an accelerometer-only "
          "shoe), its loading peak (a trunk) or its gyro feature (a foot or shank) could show, "
          "claimed on its impact; quality lowered",
          name));
    }
    if (f.ic_before_data_end_rejected > 0) {
      out.push_back(fmt::format(
          "{}: the data end in a late swing: the landing after it, past the last sample by the "
          "recent strides' rhythm, is not claimed on a swing feature before it",
          name));
    }
    if (f.saturated > 0) {
      out.push_back(fmt::format(
          "{}: {} samples at the sensor's full-scale limit (saturated, first at {:.3f} s); "
          "impact peaks are underestimated there",
          name, f.saturated, static_cast<double>(f.first_saturated_t_us) * 1e-6));
    }
    counted(f.rejected_strides, "cycles failed the plausibility checks and were skipped");
    if (f.thin_sign_t_us >= 0) {
      // Decided without two clear stances, or one that the swing-lobe
      // durations agree with (few steps before a stop or a turn); the
      // stances after it say whether it holds.
      const std::string decided = fmt::format(
          "{}: the foot's swing direction was decided at {:.1f} s on fewer than two clear stances",
          name, static_cast<double>(f.thin_sign_t_us) * 1e-6);
      if (f.sign_reversed_t_us >= 0) {
        out.push_back(
            reversal_warning(decided, f, f.thin_sign_confirmed, f.thin_sign_contradicted, ""));
      } else if (f.thin_sign_contradicted > f.thin_sign_confirmed) {
        out.push_back(fmt::format(
            "{} and {} of the {} stances seen later contradict it: this foot's contacts are "
            "probably timed at mid-swing; re-check the sensor or analyse a longer recording",
            decided, f.thin_sign_contradicted, f.thin_sign_confirmed + f.thin_sign_contradicted));
      } else {
        out.push_back(fmt::format("{}; {} of the {} stances seen later agree with it", decided,
                                  f.thin_sign_confirmed,
                                  f.thin_sign_confirmed + f.thin_sign_contradicted));
      }
    }
    if (f.first_stride_axis_t_us >= 0 && f.sign_reversed_t_us >= 0) {
      out.push_back(reversal_warning(
          fmt::format("{}: the foot's swing direction was decided at {:.1f} s on its first "
                      "stride's path",
                      name, static_cast<double>(f.first_stride_axis_t_us) * 1e-6),
          f, f.first_stride_confirmed, f.first_stride_contradicted,
          " (a sensor whose axes are mirrored, left-handed, misleads the path's test: re-check "
          "it)"));
    } else if (f.first_stride_axis_t_us >= 0 &&
               f.first_stride_contradicted > f.first_stride_confirmed) {
      // Decided on the path of the foot's first stride between two rests, which went along the
      // direction the swing makes forward; the stances after it say otherwise.
      out.push_back(fmt::format(
          "{}: the foot's swing direction was decided at {:.1f} s on its first stride's path, "
          "and {} of the {} stances seen after it contradict it: this foot's contacts are "
          "probably timed at mid-swing; re-check the sensor (a sensor whose axes are mirrored, "
          "left-handed, is read the wrong way round)",
          name, static_cast<double>(f.first_stride_axis_t_us) * 1e-6, f.first_stride_contradicted,
          f.first_stride_confirmed + f.first_stride_contradicted));
    }
    if (f.ic_at_first_rise + f.ic_at_rise_crossing > 0) {
      out.push_back(fmt::format(
          "{}: IC at the landing's first sharp rise on {} contacts, at the loading rise's 10 % "
          "crossing on {} (no earlier sharp rise seen); both placed against the rise's 1 g "
          "crossing",
          name, f.ic_at_first_rise, f.ic_at_rise_crossing));
    }
    if (f.ic_walking_steepest_rise + f.ic_walking_at_crossing > 0) {
      out.push_back(fmt::format(
          "{}: {} walking contacts (no flight before them): IC at the steepest rise after the 1 g "
          "crossing on {}, at the crossing itself on {} (no sharp rise seen)",
          name, f.ic_walking_steepest_rise + f.ic_walking_at_crossing, f.ic_walking_steepest_rise,
          f.ic_walking_at_crossing));
    }
    counted(f.ic_from_feature_lag,
            "contacts with no landing impact in the samples, timed from the gyro feature and the "
            "recent strides' lag; quality lowered");
    counted(f.ic_impact_past_trough,
            "contacts whose gyro feature came long before the landing (a forefoot trough in a "
            "stride from a walk into a run), timed at the impact found past the trough's end");
    counted(f.ic_feature_tracked,
            "contacts whose shank pitch rate had two troughs of a depth (the leg pulled back "
            "before the landing), timed from the one at the recent strides' place");
    counted(f.ic_weak_jump_by_rhythm,
            "landings whose jump stayed under the impact level (a short heel strike between "
            "samples), taken where the stride rhythm expects them; quality lowered");
    counted(f.weak_jumps_looked_back,
            "of them a walk's second landing, which came before the walk's stride was known and "
            "was found by looking back once it was");
    counted(f.stride_template_restarts,
            "strides of another shape than the leg's recent ones (a change of gait), from which "
            "the stride template that places landings between samples started again");
    counted(f.ic_weak_peak_by_rhythm,
            "contacts whose loading peak at the trunk stayed under the peak level (a slow walk, "
            "or the step where a walk blends into a run), taken where the step rhythm leaves room "
            "for one; quality lowered");
    counted(f.push_offs_from_standing,
            "loadings of the trunk from standing that led into a flight, taken as the push-off "
            "into a run and not counted as steps");
    counted(f.second_rises_in_contact,
            "loading rises of the trunk less than a shortest step after a contact (the push of a "
            "walk's last step into a run), taken as part of that contact, not as steps");
    counted(f.first_rises_dropped,
            "loading rises of the trunk that opened a bout and were followed by another within a "
            "shortest step, dropped as the fragment of a contact cut by the data's start or a gap");
    counted(f.lone_spikes_skipped,
            "single samples of the trunk's force over the peak level between two under 1 g (a "
            "landing's spike caught whole by an unsmoothed sensor), not taken for loading peaks");
    counted(f.head_jumps_not_taken,
            "jumps at the start of the data or after a gap, whose swing before them is not in "
            "the data (the data may begin in a stance), not taken for landings");
    counted(f.ic_rival_by_rhythm,
            "landings taken at a smaller jump than their stride's largest, which lay off the "
            "stride rhythm (a mid-stance rise where the samples missed the shock)");
    counted(f.ic_at_shock_undershoot,
            "landings timed at a sudden fall of the axial force just before their largest rise "
            "(the shock's undershoot, its spike fallen between samples), not at the rise a "
            "sample later");
    counted(f.ic_lag_pooled,
            "contacts sampled at the same phase stride after stride (a cadence locked to the "
            "sample rate), where one leg cannot tell its sampling error from its lag; timed with "
            "the mean lag of both legs, which assumes the two legs alike");
    counted(f.turn_steps,
            "contacts without a forward swing (turning or shuffling steps) found from the foot's "
            "lift and rest; quality 0.5, no toe-off or contact time");
    if (s.role == SensorRole::kFootRest && s.samples > 0) {
      out.push_back(fmt::format(
          "{}: accelerometer only: steps and cadence from its landings and rests; no toe-off, "
          "contact time, stride length or foot strike",
          name));
    }
    if (s.role == SensorRole::kTibialImpact && s.samples > 0) {
      out.push_back(fmt::format(
          "{}: accelerometer only: steps from its own leg's impacts (tibial shock); no toe-off, "
          "contact time or foot strike; alone it gives every other step, and cadence is twice "
          "its stride rate",
          name));
    }
    // The shock peak lasts a few milliseconds: sampled slower it is caught
    // at a phase that varies from step to step (simulated heel strikes at
    // 3 m/s: median 5.05 g at 1 kHz, 4.80 g at 500 Hz but 2.24 g on its
    // 5th-percentile step, 3.09 g at 200 Hz; docs/ACCURACY.md).
    if ((s.role == SensorRole::kShankGyro || s.role == SensorRole::kTibialImpact) &&
        s.period.period_us() > kShockMinPeriod_us && s.samples > 0) {
      out.push_back(fmt::format(
          "{}: sampled at {:.0f} Hz, under the 1 kHz that catches the tibial shock peak: shock "
          "reads low and varies with the sampling phase; compare it only within one sensor and "
          "rate",
          name, 1e6 / static_cast<double>(s.period.period_us())));
    }
    const bool gyro_role = s.role == SensorRole::kFootGyro || s.role == SensorRole::kShankGyro;
    if (gyro_role && s.max_abs_gyro < settings_.foot.segmenter.swing_peak_min_rps) {
      out.push_back(fmt::format(
          "{}: the sensor never moved like a walking or running leg (peak rate {:.2f} rad/s)", name,
          s.max_abs_gyro));
    }
    const double acc_range_mps2 = s.max_acc_norm_mps2 - s.min_acc_norm_mps2;
    if (s.impact_role && acc_range_mps2 >= 0.0 && acc_range_mps2 < kStillAccRange_mps2) {
      out.push_back(fmt::format(
          "{}: the sensor never moved like a walking or running body (its acceleration varied by "
          "{:.2f} g in all)",
          name, acc_range_mps2 / kGravity_mps2));
    }
  }
  return out;
}

}  // namespace gk
