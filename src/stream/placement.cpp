#include "placement.hpp"

#include <array>
#include <utility>

namespace gk {
namespace {
constexpr std::array<std::pair<pb::Placement, std::string_view>, 7> kNames{{
    {pb::LEFT_FOOT, "left_foot"},
    {pb::RIGHT_FOOT, "right_foot"},
    {pb::LEFT_SHANK, "left_shank"},
    {pb::RIGHT_SHANK, "right_shank"},
    {pb::LEFT_THIGH, "left_thigh"},
    {pb::RIGHT_THIGH, "right_thigh"},
    {pb::PELVIS, "pelvis"},
}};
}  // namespace

std::string_view placement_name(pb::Placement p) {
  for (const auto& [value, name] : kNames) {
    if (value == p) return name;
  }
  return "unknown";
}

std::optional<pb::Placement> parse_placement(std::string_view name) {
  for (const auto& [value, n] : kNames) {
    if (n == name) return value;
  }
  return std::nullopt;
}

pb::Side side_of(pb::Placement p) {
  switch (p) {
    case pb::LEFT_FOOT:
    case pb::LEFT_SHANK:
    case pb::LEFT_THIGH:
      return pb::LEFT;
    case pb::RIGHT_FOOT:
    case pb::RIGHT_SHANK:
    case pb::RIGHT_THIGH:
      return pb::RIGHT;
    default:
      return pb::SIDE_UNKNOWN;
  }
}

Segment segment_of(pb::Placement p) {
  switch (p) {
    case pb::LEFT_FOOT:
    case pb::RIGHT_FOOT:
      return Segment::kFoot;
    case pb::LEFT_SHANK:
    case pb::RIGHT_SHANK:
      return Segment::kShank;
    case pb::LEFT_THIGH:
    case pb::RIGHT_THIGH:
      return Segment::kThigh;
    case pb::PELVIS:
      return Segment::kPelvis;
    default:
      return Segment::kUnknown;
  }
}

std::string_view side_letter(pb::Side s) {
  switch (s) {
    case pb::LEFT:
      return "L";
    case pb::RIGHT:
      return "R";
    default:
      return "";
  }
}

}  // namespace gk
