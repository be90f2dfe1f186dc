// libFuzzer target for the sensor-link decoder (src/link). Built and run by
// tools/fuzz-decoder with clang + ASan/UBSan. Two modes, picked by the first
// byte, so the fuzzer reaches deep paths without a seed corpus:
//  - raw: the input is the received byte stream, cut into reads whose sizes
//    come from the input itself;
//  - mutate: a valid stream of firmware frames (device, sequence, sample
//    counts chosen by the input, sequence numbers jumping, repeating and
//    wrapping) is built with the firmware's own packetizer, then the rest of
//    the input is XORed over it.
// Invariants beyond "no crash": counters stay consistent, every delivered
// packet passed the CRC, and no (device, sequence) is delivered twice between
// restarts.
#include <cstdint>
#include <cstdlib>
#include <set>
#include <vector>

#include "link_decoder.hpp"
#include "packetizer.h"

namespace {

void append_frame(std::vector<uint8_t>& out, uint32_t device, uint32_t seq, uint32_t samples,
                  uint32_t t_us) {
  gkfw_packetizer_t pk;
  const gkfw_packetizer_config_t cfg{
      device, gaitkeeper_pb_Placement_LEFT_FOOT, 16, device % 2 ? 2000u : 0u, 1000, samples};
  if (gkfw_packetizer_init(&pk, &cfg) != 0) return;
  pk.next_sequence = seq;
  for (uint32_t i = 0; i < samples; ++i) {
    const int16_t a[3] = {static_cast<int16_t>(seq), static_cast<int16_t>(i), -1};
    gkfw_packetizer_push(&pk, t_us + i * (1000u + (seq & 3u)), a, a);
  }
  uint8_t f[GKFW_MAX_FRAME];
  const size_t n = gkfw_packetizer_emit_frame(&pk, f, sizeof f);
  out.insert(out.end(), f, f + n);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::set<std::pair<uint32_t, uint32_t>> delivered;
  uint64_t restarts_seen = 0;
  gk::link::LinkDecoder* self = nullptr;
  gk::link::LinkDecoder decoder([&](gaitkeeper::pb::SensorPacket& p, int64_t) {
    const uint64_t restarts = self->stats().restarts;
    if (restarts != restarts_seen) {
      delivered.clear();
      restarts_seen = restarts;
    }
    if (!delivered.insert({p.device_id(), p.sequence()}).second) std::abort();
  });
  self = &decoder;
  const uint8_t mode = data[0];
  ++data;
  --size;
  std::vector<uint8_t> stream;
  if (mode & 1u) {
    uint32_t seq = 0xFFFFFFF0u;
    size_t i = 0;
    for (; i + 3 < size && stream.size() < 16384; i += 3) {
      const uint8_t op = data[i];
      seq += static_cast<uint32_t>(static_cast<int8_t>(data[i + 1]));  // jumps, repeats, steps back
      append_frame(stream, 1u + (op & 3u), seq, 1u + (data[i + 2] & 31u), seq * 20000u);
      if (op & 0x80u) break;
    }
    for (size_t k = i; k < size; ++k) {
      if (stream.empty()) break;
      stream[(k * 131u) % stream.size()] ^= data[k];
    }
  } else {
    stream.assign(data, data + size);
  }
  size_t at = 0, k = 0;
  while (at < stream.size()) {
    const size_t n = std::min(stream.size() - at, size_t{1} + (mode >> 1) * (k++ % 7u + 1u));
    decoder.push(std::span<const uint8_t>(stream.data() + at, n), static_cast<int64_t>(at));
    if ((mode & 0x40u) && (k % 13u == 0)) decoder.link_reset();
    at += n;
  }
  const gk::link::LinkStats s = decoder.stats();
  if (s.packets > s.frames_ok || s.bytes != stream.size()) std::abort();
  return 0;
}
