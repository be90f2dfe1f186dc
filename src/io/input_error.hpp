// Boundary errors: bad files, config and I/O. Carries the file (and line for
// text formats) so the CLI can print one message a user can act on.
#pragma once

#include <filesystem>
#include <stdexcept>
#include <string>

namespace gk {

class InputError : public std::runtime_error {
 public:
  /// line = 0 when the error is not tied to a line.
  InputError(std::filesystem::path file, size_t line, const std::string& what);

  const std::filesystem::path& file() const { return file_; }
  size_t line() const { return line_; }

 private:
  std::filesystem::path file_;
  size_t line_;
};

}  // namespace gk
