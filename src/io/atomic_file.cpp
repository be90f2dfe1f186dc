#include "atomic_file.hpp"

#include <unistd.h>

#include <system_error>

#include "input_error.hpp"

namespace gk {

AtomicFile::AtomicFile(std::filesystem::path target) : target_(std::move(target)) {
  // A symbolic link is followed: the file it names is replaced, not the link. A target that
  // exists and is not a regular file (a pipe, a terminal, /dev/stdout) is written straight
  // through: renaming over it would replace the device or pipe itself with a regular file,
  // and a stream has no half-written state to protect.
  std::error_code ec;
  if (std::filesystem::is_symlink(std::filesystem::symlink_status(target_, ec))) {
    const std::filesystem::path resolved = std::filesystem::weakly_canonical(target_, ec);
    if (!ec) target_ = resolved;
  }
  const std::filesystem::file_status st = std::filesystem::status(target_, ec);
  if (std::filesystem::exists(st) && std::filesystem::is_directory(st)) {
    throw InputError(target_, 0, "is a folder; give a file path");
  }
  if (std::filesystem::exists(st) && !std::filesystem::is_regular_file(st)) {
    direct_ = true;
    out_.open(target_, std::ios::binary);
    if (!out_) throw InputError(target_, 0, "cannot write to it (check its permissions)");
    return;
  }
  tmp_ = target_;
  tmp_ += ".tmp-" + std::to_string(::getpid());
  out_.open(tmp_, std::ios::binary | std::ios::trunc);
  if (!out_) {
    throw InputError(target_, 0,
                     "cannot create file (check that the folder exists and is writable)");
  }
}

AtomicFile::~AtomicFile() {
  if (!committed_ && !direct_) {
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
  if (direct_) {
    committed_ = true;
    return;
  }
  std::error_code ec;
  std::filesystem::rename(tmp_, target_, ec);
  if (ec) throw InputError(target_, 0, "cannot move the finished file into place: " + ec.message());
  committed_ = true;
}

}  // namespace gk
