// M-Bus (EN 13757-2) long frame streaming framer and DLMS transport-layer reassembly
// (EN 13757-3 / IEC 62056-7-3 "DLMS/COSEM wired M-Bus": CI 0x00-0x1F, bit 4 = FIN, low nibble =
// sequence number, then STSAP/DTSAP 01 67).
#pragma once

#include <cstdint>
#include <vector>

#include "meterlab/core/bytes.hpp"

namespace meterlab::mbus {

constexpr std::uint8_t kStart = 0x68;
constexpr std::uint8_t kStop = 0x16;
constexpr std::size_t kMaxMessage = 16384;

struct Frame {
  std::size_t stream_offset = 0;  // offset of the first 0x68
  std::size_t length = 0;         // through the 0x16 stop byte
  std::uint8_t c = 0;
  std::uint8_t a = 0;
  std::uint8_t ci = 0;
  Bytes data;  // after CI, before the checksum; valid until the next push/next call
};

struct Discard {
  Error error;
  std::size_t stream_offset = 0;
  std::size_t length = 0;
};

struct Event {
  enum class Kind : std::uint8_t { need_more, frame, discard };
  Kind kind = Kind::need_more;
  Frame frame;
  Discard discard;
};

struct FramerStats {
  std::uint64_t bytes_in = 0;
  std::uint64_t frames_ok = 0;
  std::uint64_t bytes_in_frames = 0;
  std::uint64_t bytes_discarded = 0;
  std::uint64_t checksum_errors = 0;
  std::uint64_t format_errors = 0;  // L fields differ, missing stop byte
  std::uint64_t short_frames = 0;   // E5 and short frames skipped
  std::uint64_t resyncs = 0;
};

class Framer {
 public:
  Framer();
  void push(Bytes bytes);
  Event next();
  Event finish();
  const FramerStats& stats() const noexcept { return stats_; }

 private:
  std::vector<std::uint8_t> buf_;
  std::size_t start_ = 0;
  std::size_t base_offset_ = 0;
  FramerStats stats_;
};

struct Message {
  Bytes apdu;                     // STSAP/DTSAP removed; valid until the next push()
  std::size_t stream_offset = 0;  // first segment's first byte
  std::size_t length = 0;         // through the last segment's stop byte
  std::uint32_t segments = 0;
};

// Sequence-checked reassembly: a lost, repeated or reordered segment drops the message with an
// error (never glued into a wrong APDU).
class Reassembler {
 public:
  // true: message() holds a whole APDU. false: segment stored, more expected. Error: the
  // segment (and any pending message) is dropped; error.offset is the frame's stream offset.
  Result<bool> push(const Frame& frame);
  const Message& message() const noexcept { return message_; }
  void reset() noexcept;

 private:
  std::vector<std::uint8_t> buf_;
  Message message_;
  bool pending_ = false;
  std::uint8_t next_seq_ = 0;
};

}  // namespace meterlab::mbus
