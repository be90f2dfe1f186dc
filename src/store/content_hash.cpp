#include "content_hash.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <boost/uuid/detail/sha1.hpp>
#include <fstream>
#include <vector>

#include "input_error.hpp"

namespace gk {
namespace {

void hash_file(boost::uuids::detail::sha1& sha, const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw InputError(file, 0, "cannot read the file to compute its content hash");
  std::array<char, 1 << 16> buf{};
  while (in) {
    in.read(buf.data(), buf.size());
    const std::streamsize n = in.gcount();
    if (n > 0) sha.process_bytes(buf.data(), static_cast<size_t>(n));
  }
  if (in.bad()) throw InputError(file, 0, "read error while computing the content hash");
}

}  // namespace

std::string content_hash(const std::filesystem::path& session_path) {
  boost::uuids::detail::sha1 sha;
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
      sha.process_bytes(name.data(), name.size() + 1);  // with the NUL as separator
      hash_file(sha, session_path / rel);
    }
  } else {
    hash_file(sha, session_path);
  }
  boost::uuids::detail::sha1::digest_type digest;
  sha.get_digest(digest);
  std::string hex;
  for (unsigned int word : digest) hex += fmt::format("{:08x}", word);
  return hex;
}

}  // namespace gk
