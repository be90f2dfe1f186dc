// The impact transient after each initial contact: the sensor moves along its
// segment's long axis by a short, compactly supported damped oscillation of
// about a millimetre, so its accelerometer shows a damped spike of several g while
// position and orientation stay consistent with integration. Peaks follow
// tibial-shock measurements (Milner et al. 2006, Med. Sci. Sports Exerc.
// 38:323: ~5-8 g heel striking; Lieberman et al. 2010, Nature 463:531:
// forefoot strikes lack the early impact peak) and their attenuation up the
// leg (Shorten & Winslow 1992, J. Appl. Biomech. 8:288).
#pragma once

#include "placement.hpp"
#include "runner_settings.hpp"

namespace gk::sim {

/// Longest transient; shorter when the foot is flat sooner.
inline constexpr double kImpactWindow_s = 0.04;

/// Ringing frequency of the transient on a segment.
double impact_frequency_hz(Segment segment);
/// Displacement along the segment's +z for unit amplitude, tau after contact
/// (zero outside [0, window]; C2 at both ends); the shock builds over about rise_s.
double impact_displacement(double tau_s, double window_s, double frequency_hz, double rise_s);
/// Largest |acceleration| of the unit-amplitude displacement.
double impact_peak_accel(double window_s, double frequency_hz, double rise_s);
/// The shock as a pulse instead (RunnerSettings::shock_peak_ms), for the shank and thigh: a
/// displacement bump x^3 (1 - x)^6 over its window (x = tau / window). Its acceleration
/// rises from zero at the contact to its peak at 6.2 % of the window, falls through zero at a
/// sixth of it, undershoots to 0.87 of the peak, rises again to 0.32 of it at about 70 % of the
/// window, and the sensor is back in place at the window's end (position C2 throughout). A measured
/// tibial shock peaks 10-20 ms after the contact rather than within 2 ms as the transient above
/// does.
double shock_pulse_displacement(double tau_s, double window_s);
/// The pulse's window for a peak this long after the contact.
double shock_pulse_window_s(double peak_s);
/// Largest |acceleration| of the unit-amplitude pulse.
double shock_pulse_peak_accel(double window_s);
/// Peak transient on a segment (in g) for the strike pattern, the gait style
/// (0 walk .. 1 run) and the running speed.
double impact_peak_g(Segment segment, FootStrikePattern strike, double run, double speed_mps);

}  // namespace gk::sim
