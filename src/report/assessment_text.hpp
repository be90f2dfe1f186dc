// The form assessment as plain text for the terminal: each flag with its
// evidence, threshold, reason and advice, the step-rate recommendation, and
// the sentence that this is not a diagnosis. Shared by `gaitkeeper assess`
// and the demo.
#pragma once

#include <cstdint>
#include <string>

#include "assess_profile.hpp"
#include "form_assessor.hpp"

namespace gk {

/// "left knee valgus", "low cadence": a flag's side and kind in words.
std::string flag_title(const pb::FormFlag& f);

/// The text, lines ending in newlines; the commands print it. t0_us: the time flags' start and
/// end are shown from. training_load: one line on how the run compares with the stored history
/// (its flags, if any, are among assessment.flags).
std::string format_assessment(const Assessment& assessment, const AssessProfile& profile,
                              int64_t t0_us, const std::string& training_load);

}  // namespace gk
