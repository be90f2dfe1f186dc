// The store's session key: a 128-bit hash of what was recorded, so
// re-analysing the same recording (renamed, moved, or analysed again by a
// newer engine) replaces its results instead of adding a second copy. XXH3
// (xxHash, Debian's libxxhash) rather than a cryptographic hash: the key only
// has to tell recordings apart, and at ~20 GB/s it costs nothing next to the
// analysis (Boost's SHA-1 took 17 % of a batch run).
#pragma once

#include <filesystem>
#include <string>

namespace gk {

/// 32 hex digits of XXH3-128 over a .gkr file's bytes, or for a CSV session folder of each
/// file's relative path and bytes in sorted order (truth/ excluded: the
/// reference is not part of the recording). Streams; throws InputError.
std::string content_hash(const std::filesystem::path& session_path);

}  // namespace gk
