#include "input_error.hpp"

#include <fmt/format.h>

namespace gk {

namespace {
std::string compose(const std::filesystem::path& file, size_t line, const std::string& what) {
  if (line > 0) return fmt::format("{}:{}: {}", file.string(), line, what);
  return fmt::format("{}: {}", file.string(), what);
}
}  // namespace

InputError::InputError(std::filesystem::path file, size_t line, const std::string& what)
    : std::runtime_error(compose(file, line, what)), file_(std::move(file)), line_(line) {}

}  // namespace gk
