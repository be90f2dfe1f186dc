// The store's session key: a SHA-1 of what was recorded, so re-analysing
// the same recording (renamed, moved, or analysed again by a newer engine)
// replaces its results instead of adding a second copy.
#pragma once

#include <filesystem>
#include <string>

namespace gk {

/// Hex SHA-1 of a .gkr file's bytes, or for a CSV session folder of each
/// file's relative path and bytes in sorted order (truth/ excluded: the
/// reference is not part of the recording). Streams; throws InputError.
std::string content_hash(const std::filesystem::path& session_path);

}  // namespace gk
