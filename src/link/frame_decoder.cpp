#include "frame_decoder.hpp"

namespace gk::link {

void FrameDecoder::reset() {
  if (!partial_.empty() || overflow_) discard(partial_.size());
  partial_.clear();
  overflow_ = false;
}

void FrameDecoder::discard(size_t n) {
  ++counters_.resyncs;
  counters_.bytes_discarded += n;
}

void FrameDecoder::append_partial(const uint8_t* p, size_t n) {
  if (overflow_) {
    counters_.bytes_discarded += n;
    return;
  }
  if (partial_.size() + n > kMaxBody) {
    // No frame is this long: count the run once and skip to the next 0x00.
    ++counters_.oversize;
    discard(partial_.size() + n);
    partial_.clear();
    overflow_ = true;
    return;
  }
  partial_.insert(partial_.end(), p, p + n);
}

}  // namespace gk::link
