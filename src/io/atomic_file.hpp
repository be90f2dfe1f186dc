// Output that is never half-written: data goes to a temporary file beside the
// target and is renamed over it only on commit(). Destroying an uncommitted
// AtomicFile removes the temporary. A symbolic link is followed (the file it
// names is replaced); an existing target that is not a regular file (a pipe,
// a terminal, /dev/stdout) is written straight through instead.
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
  bool direct_ = false;  ///< writing straight into a pipe or device (see the header comment)
};

}  // namespace gk
