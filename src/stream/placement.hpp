// Placement names and the side/segment they imply. The enum itself lives in
// proto/gaitkeeper.proto so every layer shares it.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "gaitkeeper.pb.h"

namespace gk {

namespace pb = gaitkeeper::pb;

enum class Segment { kFoot, kShank, kThigh, kPelvis, kUnknown };

/// "left_foot" ... "pelvis", as used in session.json.
std::string_view placement_name(pb::Placement p);
/// Inverse of placement_name; nullopt for anything else.
std::optional<pb::Placement> parse_placement(std::string_view name);
pb::Side side_of(pb::Placement p);
Segment segment_of(pb::Placement p);
/// "L", "R" or "" as used in the truth CSV files.
std::string_view side_letter(pb::Side s);

}  // namespace gk
