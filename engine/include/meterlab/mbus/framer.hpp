// M-Bus (EN 13757-2) long frame streaming framer and DLMS transport-layer reassembly
// (EN 13757-3 / IEC 62056-7-3 "DLMS/COSEM wired M-Bus": CI 0x00-0x1F, bit 4 = FIN, low nibble =
// sequence number, then STSAP/DTSAP 01 67).
#pragma once

#include <cstdint>
#include <vector>

#include "meterlab/core/bytes.hpp"
#include "meterlab/core/stream_buffer.hpp"
#include "meterlab/core/stream_framer.hpp"

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

using Discard = meterlab::Discard;
using Event = FramerEvent<Frame>;

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

// Streaming: push bytes as they arrive, call next() until need_more. Hunts for 68 L L 68, checks
// the checksum and the stop byte, resynchronises from the byte after a bad frame's first 0x68.
// E5 acks and short frames (10 C A CS 16) are skipped as Discard{mbus_short_frame}. Discarded
// bytes between two frames are reported as one run, so the events do not depend on how the
// input was split into push() calls.
class Framer : public StreamFramer<Event, FramerStats, Errc::mbus_garbage> {
 public:
  Framer();
  Event next();
  // End of input: a partial frame is discarded as mbus_truncated. Call finish() (or next())
  // until need_more; afterwards bytes_in == bytes_in_frames + bytes_discarded.
  Event finish();

  // Sagemcom T210-D sends 257 L-counted bytes with L = 0x01 (L mod 256): a frame with a small L
  // whose stop byte and checksum only fit at L + 256 is accepted as that longer frame.
  static constexpr std::size_t kMaxOverflowL = 0x0F;

 private:
  enum class Stage : std::uint8_t;
  struct Verdict;
  Verdict examine(Frame& f) const;
  Verdict check_at(std::size_t l, Frame& f) const;
  std::size_t short_frame() const;
  void reject(const Verdict& v);
  Event take_short(std::size_t n);
  Event accept(Frame& f);
};

struct Message {
  // STSAP/DTSAP removed; valid until the next push(). A one-segment message points into that
  // frame's data (no copy), so it is also only valid as long as the frame is.
  Bytes apdu;
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
  // After a sequence error a segment numbered 0 is not lost: it opens the next message or, with
  // FIN set, is one by itself (then message() holds it and ready() is true).
  Result<bool> push(const Frame& frame);
  const Message& message() const noexcept { return message_; }
  // message() holds a whole message (after push() == true, or see push()).
  bool ready() const noexcept { return ready_; }
  // A message has begun and waits for more segments; message() says where it began.
  bool pending() const noexcept { return pending_; }
  void reset() noexcept;

 private:
  Result<bool> start(const Frame& frame, Bytes apdu, bool fin);
  Result<bool> append(const Frame& frame, Bytes apdu, bool fin);
  Errc sequence_error(std::uint8_t seq) const noexcept;

  std::vector<std::uint8_t> buf_;
  Message message_;
  bool pending_ = false;
  bool ready_ = false;
  std::uint8_t next_seq_ = 0;
};

}  // namespace meterlab::mbus
