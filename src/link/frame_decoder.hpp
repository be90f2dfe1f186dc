// Splits a received byte stream into frames at 0x00 delimiters, undoes the
// COBS stuffing and checks the CRC-32C (docs/protocol.md#framing). Shares the
// device's C code (firmware_bridge/firmware/frame.h), so both ends agree by
// construction. Bad bytes are counted and skipped, never thrown: after any
// corruption the decoder is back in sync at the next delimiter.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

#include "frame.h"

namespace gk::link {

struct FrameDecoderCounters {
  uint64_t bytes = 0;         ///< bytes pushed
  uint64_t frames_ok = 0;     ///< frames whose CRC matched
  uint64_t crc_failures = 0;  ///< well-stuffed frames with a wrong CRC
  uint64_t malformed = 0;     ///< bad COBS stuffing or shorter than the CRC
  uint64_t oversize = 0;      ///< runs longer than any frame (no delimiter in sight)
  uint64_t resyncs = 0;       ///< times bytes were discarded up to the next delimiter
  uint64_t bytes_discarded = 0;
};

class FrameDecoder {
 public:
  FrameDecoder() { partial_.reserve(kMaxBody); }

  /// Feeds received bytes; calls on_frame(std::span<const uint8_t> payload)
  /// for every frame whose CRC matches. The span is valid during the call.
  template <class OnFrame>
  void push(std::span<const uint8_t> bytes, OnFrame&& on_frame) {
    counters_.bytes += bytes.size();
    const uint8_t* p = bytes.data();
    const uint8_t* end = p + bytes.size();
    while (p < end) {
      const auto* zero =
          static_cast<const uint8_t*>(std::memchr(p, 0, static_cast<size_t>(end - p)));
      if (zero == nullptr) {
        append_partial(p, static_cast<size_t>(end - p));
        return;
      }
      const auto n = static_cast<size_t>(zero - p);
      if (partial_.empty() && !overflow_) {
        finish(p, n, on_frame);  // the common case: a whole frame in this chunk, no copy
      } else {
        append_partial(p, n);
        if (overflow_) {
          overflow_ = false;
        } else {
          finish(partial_.data(), partial_.size(), on_frame);
        }
        partial_.clear();
      }
      p = zero + 1;
    }
  }

  /// Drops a partial frame (the link was reset: what follows is a new stream).
  void reset();

  const FrameDecoderCounters& counters() const { return counters_; }

  /// Longest frame body (between delimiters) a valid frame can have.
  static constexpr size_t kMaxBody = GKFW_MAX_FRAME - 2;

 private:
  void append_partial(const uint8_t* p, size_t n);
  void discard(size_t n);

  template <class OnFrame>
  void finish(const uint8_t* body, size_t n, OnFrame& on_frame) {
    if (n == 0) return;  // back-to-back delimiters are idle fill, not an error
    if (n > kMaxBody) {
      ++counters_.oversize;
      discard(n);
      return;
    }
    size_t len = 0;
    switch (gkfw_frame_decode(body, n, out_, sizeof out_, &len)) {
      case GKFW_FRAME_OK:
        ++counters_.frames_ok;
        on_frame(std::span<const uint8_t>(out_, len));
        return;
      case GKFW_FRAME_BAD_CRC:
        ++counters_.crc_failures;
        break;
      case GKFW_FRAME_BAD_COBS:
      case GKFW_FRAME_SHORT:
        ++counters_.malformed;
        break;
    }
    discard(n);
  }

  std::vector<uint8_t> partial_;
  bool overflow_ = false;  // partial_ outgrew kMaxBody: skip to the next delimiter
  uint8_t out_[GKFW_MAX_PAYLOAD + GKFW_CRC_BYTES]{};
  FrameDecoderCounters counters_;
};

}  // namespace gk::link
