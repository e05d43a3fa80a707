// HDLC (IEC 62056-46, frame format type 3) streaming framer and segment reassembly.
//
// Push bytes as they arrive, pull events: a frame, bytes discarded with a reason, or need-more.
// The framer hunts for 0x7E, checks format, length, addresses, HCS and FCS, and resynchronises by
// itself after garbage or a broken frame, without any timeout. Need-more is not an error.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "meterlab/core/bytes.hpp"
#include "meterlab/core/stream_buffer.hpp"
#include "meterlab/core/stream_framer.hpp"

namespace meterlab::hdlc {

constexpr std::uint8_t kFlag = 0x7E;
constexpr std::size_t kMaxFrameLength = 2047;  // 11-bit length field (frame format type 3)
constexpr std::size_t kMaxMessage = 16384;     // reassembled segments, longest accepted

struct Address {
  std::uint32_t value = 0;  // the address bytes as sent (extension bits included), big-endian
  std::uint8_t size = 0;    // 1, 2 or 4 bytes on the wire
  bool operator==(const Address&) const = default;
};

struct Frame {
  std::size_t stream_offset = 0;  // offset of the opening flag in the whole stream
  std::size_t length = 0;         // flag to flag inclusive
  bool segmented = false;         // S bit of the format field: more segments follow
  Address dst;
  Address src;
  std::uint8_t control = 0;
  Bytes info;  // information field (between HCS and FCS); valid until the next push/next call
};

using Discard = meterlab::Discard;
using Event = FramerEvent<Frame>;

struct FramerStats {
  std::uint64_t bytes_in = 0;
  std::uint64_t frames_ok = 0;
  std::uint64_t bytes_in_frames = 0;
  std::uint64_t bytes_discarded = 0;
  std::uint64_t hcs_errors = 0;
  std::uint64_t fcs_errors = 0;
  std::uint64_t format_errors = 0;  // bad format, length, address or missing closing flag
  std::uint64_t resyncs = 0;        // times the framer went back to hunting after a bad frame
};

class Framer : public StreamFramer<Event, FramerStats, Errc::hdlc_garbage> {
 public:
  Framer();
  // The next event. Call until it answers need_more, then push more bytes.
  Event next();
  // End of input: whatever is buffered is discarded as hdlc_truncated (or hdlc_garbage). It may
  // still find frames behind a truncated one, so call finish() (or next()) until need_more.
  // Afterwards bytes_in == bytes_in_frames + bytes_discarded. push() starts a new input.
  Event finish();

 private:
  enum class Stage : std::uint8_t;
  struct Verdict;
  // A candidate frame's fields as examine() reads them.
  struct Header {
    std::size_t length = 0;         // the format field's length: the frame without its two flags
    std::size_t header_length = 0;  // format, addresses, control
    bool segmented = false;
    bool has_info = false;
    Address dst;
    Address src;
    std::uint8_t control = 0;
    Bytes info;
  };
  Verdict examine(Header& h) const;
  void remember_header(const Header& h) noexcept;
  std::size_t wanted(const Verdict& v, const Header& h) const noexcept;
  static Verdict check_header(Bytes w, std::size_t at, Header& h);
  static Verdict check_body(Bytes w, std::size_t at, Header& h);
  void hunt();
  void reject(const Verdict& v);
  // StreamFramer::discard() but for a flag shared with the frame before (accounted_).
  void discard(std::size_t n);
  Event accept(const Header& h);

  std::size_t accounted_ = 0;  // stream offset before which every byte is in a frame or a run
  // The header checked while its frame was arriving (remember_header()), and the stream offset
  // of that frame's opening flag (none: no stream offset is that large).
  Header header_;
  std::size_t header_at_ = ~std::size_t{0};
};

// One whole message: the information fields of a run of segments, LLC (E6 E7 00) removed.
struct Message {
  // Valid until the next call of push(). A one-frame message points into that frame's info
  // (no copy), so it is also only valid as long as the frame is (the framer's next push/next).
  Bytes apdu;
  std::size_t stream_offset = 0;  // first frame's opening flag
  std::size_t length = 0;         // through the last frame's closing flag
  std::uint32_t segments = 0;
  Address dst;
  Address src;
  bool had_llc = false;
};

// Collects segmented frames (S bit) into one message. A frame with S=0 and no pending segments is
// a message of its own. Errors: hdlc_segment_orphan is impossible to detect in HDLC (no sequence
// numbers in UI frames), so a new first segment after a pending one drops the pending one with
// hdlc_segment_mismatch when the addresses differ.
class Reassembler {
 public:
  // Returns a message when `frame` completes one, nothing when it is a segment that opens or
  // continues one, or an error (the pending message is dropped, the error names the frame).
  // On hdlc_segment_mismatch `frame` is not lost: it opens the next message, or, when it is a
  // whole message by itself, message() holds it and ready() is true.
  Result<bool> push(const Frame& frame);
  const Message& message() const noexcept { return message_; }  // valid after push() == true
  // message() holds a whole message (after push() == true, or see push()).
  bool ready() const noexcept { return ready_; }
  // A message has begun and waits for more segments; message() says where it began.
  bool pending() const noexcept { return pending_; }
  void reset() noexcept;

 private:
  Result<bool> start(const Frame& frame);
  Result<bool> append(const Frame& frame);

  std::vector<std::uint8_t> buf_;
  Message message_;
  bool pending_ = false;
  bool ready_ = false;
};

}  // namespace meterlab::hdlc
