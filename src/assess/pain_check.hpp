// Pain log checks. Runners with patellofemoral pain are told to stop and get
// help when pain or swelling persists, and to let pain guide the load. The
// pain-monitoring model used in running rehabilitation (Silbernagel 2007,
// Am J Sports Med; Thomeé 1997 for patellofemoral pain) rates pain 0-10:
// 0-2 is safe, up to 5 is acceptable if it settles by the next morning,
// above 5 is too much. These rules flag the latest logged session.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "gaitkeeper.pb.h"
#include "sample.hpp"  // pb:: alias

namespace gk {

/// What the runner (or clinician) logged after one session, 0-10 each.
struct PainEntry {
  int64_t session_start_utc_us = 0;
  std::optional<int> during;     ///< knee pain during the run
  std::optional<int> after;      ///< right after the run
  std::optional<int> stiffness;  ///< stiffness the next morning
  /// The worst of the three logged values (0 when none is logged).
  int worst() const;
};

struct PainSettings {
  int safe_max = 2;        ///< up to this is the "safe" zone
  int acceptable_max = 5;  ///< above this is too much for that session
  /// Worst rating up this many points against the previous log counts as rising.
  int rise_points = 2;
  /// Above safe_max in this many logged sessions in a row counts as persisting.
  int persist_sessions = 3;
};

/// Flags (kind PAIN) for the last entry of a history in time order: pain
/// above acceptable_max (WARNING), rising by rise_points to above safe_max
/// (CAUTION), above safe_max for persist_sessions logs in a row (WARNING).
std::vector<pb::FormFlag> check_pain(const std::vector<PainEntry>& history,
                                     const PainSettings& settings = {});

/// True when the entry is beyond the safe zone or up on the previous one:
/// what holds a return-to-run plan back a week.
bool pain_holds_progress(const PainEntry& entry, const PainEntry* previous,
                         const PainSettings& settings = {});

}  // namespace gk
