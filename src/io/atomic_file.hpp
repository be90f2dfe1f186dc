// Output that is never half-written: data goes to a temporary file beside the
// target and is renamed over it only on commit(). Destroying an uncommitted
// AtomicFile removes the temporary.
#pragma once

#include <filesystem>
#include <fstream>

namespace gk {

class AtomicFile {
 public:
  explicit AtomicFile(std::filesystem::path target);  ///< throws InputError
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  std::ofstream& stream() { return out_; }
  /// Flushes, closes and renames into place; throws InputError on failure.
  void commit();

 private:
  std::filesystem::path target_;
  std::filesystem::path tmp_;
  std::ofstream out_;
  bool committed_ = false;
};

}  // namespace gk
