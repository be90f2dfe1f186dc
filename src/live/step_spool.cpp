#include "step_spool.hpp"

#include <stdexcept>
#include <type_traits>

namespace gk::live {

// Written and read back as raw bytes by the same process.
static_assert(std::is_trivially_copyable_v<StepResult>);

StepSpool::StepSpool() : file_(std::tmpfile()) {
  if (file_ == nullptr) throw std::runtime_error("cannot create a temporary file for the steps");
}

StepSpool::~StepSpool() { std::fclose(file_); }

void StepSpool::push(const StepResult& step) {
  std::fseek(file_, 0, SEEK_END);
  if (std::fwrite(&step, sizeof step, 1, file_) != 1) {
    throw std::runtime_error("cannot write the steps' temporary file");
  }
  ++count_;
  last_ = step;
}

std::vector<StepResult> StepSpool::read_all() const {
  std::vector<StepResult> out(count_);
  std::fflush(file_);
  std::fseek(file_, 0, SEEK_SET);
  if (count_ > 0 && std::fread(out.data(), sizeof(StepResult), count_, file_) != count_) {
    throw std::runtime_error("cannot read the steps' temporary file back");
  }
  return out;
}

}  // namespace gk::live
