#include "content_hash.hpp"

#include <fmt/format.h>
#include <xxhash.h>

#include <algorithm>
#include <array>
#include <fstream>
#include <new>
#include <vector>

#include "input_error.hpp"

namespace gk {
namespace {

/// Owns an XXH3 streaming state.
struct Xxh3 {
  Xxh3() : state(XXH3_createState()) {
    if (!state) throw std::bad_alloc();
    XXH3_128bits_reset(state);
  }
  ~Xxh3() { XXH3_freeState(state); }
  Xxh3(const Xxh3&) = delete;
  Xxh3& operator=(const Xxh3&) = delete;
  void update(const void* data, size_t size) { XXH3_128bits_update(state, data, size); }
  XXH3_state_t* state;
};

void hash_file(Xxh3& sha, const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw InputError(file, 0, "cannot read the file to compute its content hash");
  std::array<char, 1 << 16> buf{};
  while (in) {
    in.read(buf.data(), buf.size());
    const std::streamsize n = in.gcount();
    if (n > 0) sha.update(buf.data(), static_cast<size_t>(n));
  }
  if (in.bad()) throw InputError(file, 0, "read error while computing the content hash");
}

}  // namespace

std::string content_hash(const std::filesystem::path& session_path) {
  Xxh3 sha;
  if (std::filesystem::is_directory(session_path)) {
    std::vector<std::filesystem::path> files;
    for (const auto& e : std::filesystem::recursive_directory_iterator(session_path)) {
      if (!e.is_regular_file()) continue;
      const std::filesystem::path rel = e.path().lexically_relative(session_path);
      if (*rel.begin() == "truth") continue;
      files.push_back(rel);
    }
    std::sort(files.begin(), files.end());
    for (const std::filesystem::path& rel : files) {
      const std::string name = rel.generic_string();
      sha.update(name.data(), name.size() + 1);  // with the NUL as separator
      hash_file(sha, session_path / rel);
    }
  } else {
    hash_file(sha, session_path);
  }
  const XXH128_hash_t h = XXH3_128bits_digest(sha.state);
  const std::string hex = fmt::format("{:016x}{:016x}", h.high64, h.low64);
  return hex;
}

}  // namespace gk
