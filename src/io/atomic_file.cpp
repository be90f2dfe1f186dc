#include "atomic_file.hpp"

#include <unistd.h>

#include <system_error>

#include "input_error.hpp"

namespace gk {

AtomicFile::AtomicFile(std::filesystem::path target) : target_(std::move(target)) {
  tmp_ = target_;
  tmp_ += ".tmp-" + std::to_string(::getpid());
  out_.open(tmp_, std::ios::binary | std::ios::trunc);
  if (!out_) {
    throw InputError(target_, 0,
                     "cannot create file (check that the folder exists and is writable)");
  }
}

AtomicFile::~AtomicFile() {
  if (!committed_) {
    out_.close();
    std::error_code ec;
    std::filesystem::remove(tmp_, ec);
  }
}

void AtomicFile::commit() {
  out_.flush();
  const bool ok = static_cast<bool>(out_);
  out_.close();
  if (!ok) throw InputError(target_, 0, "write failed (disk full?)");
  std::error_code ec;
  std::filesystem::rename(tmp_, target_, ec);
  if (ec) throw InputError(target_, 0, "cannot move the finished file into place: " + ec.message());
  committed_ = true;
}

}  // namespace gk
