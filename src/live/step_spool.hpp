// The session's steps, kept in an unlinked temporary file instead of memory
// while a live session runs, so memory stays flat over hours (8 h at 170
// steps/min would be 33 MB of StepResults), and read back once at the end
// for the end hook. The last step stays in memory for the views.
#pragma once

#include <cstdio>
#include <optional>
#include <vector>

#include "step_result.hpp"

namespace gk::live {

class StepSpool {
 public:
  /// Throws std::runtime_error when no temporary file can be made.
  StepSpool();
  ~StepSpool();
  StepSpool(const StepSpool&) = delete;
  StepSpool& operator=(const StepSpool&) = delete;

  void push(const StepResult& step);
  size_t size() const { return count_; }
  const std::optional<StepResult>& last() const { return last_; }
  /// Every step pushed so far, in order.
  std::vector<StepResult> read_all() const;

 private:
  std::FILE* file_ = nullptr;
  size_t count_ = 0;
  std::optional<StepResult> last_;
};

}  // namespace gk::live
