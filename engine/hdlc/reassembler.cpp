// HDLC segmentation (IEC 62056-46, the S bit of the format field) and the LLC header
// of the DLMS/COSEM HDLC profile (IEC 62056-46 / Green Book: E6 E7 00 response, E6 E6 00 command).
#include <algorithm>

#include "meterlab/hdlc/framer.hpp"

namespace meterlab::hdlc {
namespace {

constexpr std::uint8_t kLlcDsap = 0xE6;
constexpr std::uint8_t kLlcSsapResponse = 0xE7;
constexpr std::uint8_t kLlcSsapCommand = 0xE6;
constexpr std::uint8_t kLlcQuality = 0x00;

// Stream offset of the first information byte: the frame ends with FCS (2) and a flag.
std::size_t info_offset(const Frame& frame) {
  return frame.stream_offset + frame.length - 3 - frame.info.size();
}

struct Payload {
  Bytes apdu;
  bool had_llc = false;
};

// The first segment may open with the LLC header; an information field that does not start
// with E6 is passed through unchanged (some meters send the APDU bare).
Result<void> strip_llc(const Frame& frame, Payload& out) {
  ByteReader r(frame.info, info_offset(frame));
  if (r.empty() || *r.peek_u8() != kLlcDsap) {
    out = Payload{frame.info, false};
    return {};
  }
  const std::size_t at = r.offset();
  const Result<Bytes> llc = r.read_bytes(3);
  if (!llc) return fail(Errc::hdlc_bad_llc, at);
  const Bytes h = *llc;
  if ((h[1] != kLlcSsapResponse && h[1] != kLlcSsapCommand) || h[2] != kLlcQuality) {
    return fail(Errc::hdlc_bad_llc, at);
  }
  out = Payload{r.rest(), true};
  return {};
}

}  // namespace

void Reassembler::reset() noexcept {
  pending_ = false;
  ready_ = false;
  buf_.clear();
}

Result<bool> Reassembler::push(const Frame& frame) {
  ready_ = false;
  if (!pending_) return start(frame);
  if (frame.dst == message_.dst && frame.src == message_.src) return append(frame);
  // Another station's frame while segments are pending: the pending message can never be
  // completed correctly. The new frame still opens (or is) the next message.
  reset();
  (void)start(frame);
  return fail(Errc::hdlc_segment_mismatch, frame.stream_offset);
}

Result<bool> Reassembler::start(const Frame& frame) {
  Payload p;
  MLAB_TRY(strip_llc(frame, p));
  // Every field written in place: a temporary Message copied over it costs a store-to-load
  // forwarding stall on every frame.
  message_.apdu = {};
  message_.stream_offset = frame.stream_offset;
  message_.length = frame.length;
  message_.segments = 1;
  message_.dst = frame.dst;
  message_.src = frame.src;
  message_.had_llc = p.had_llc;
  if (!frame.segmented) {
    message_.apdu = p.apdu;  // one frame, one message: no copy
    ready_ = true;
    return true;
  }
  if (p.apdu.size() > kMaxMessage) return fail(Errc::hdlc_message_too_long, frame.stream_offset);
  buf_.assign(p.apdu.begin(), p.apdu.end());
  pending_ = true;
  return false;
}

Result<bool> Reassembler::append(const Frame& frame) {
  if (frame.info.size() > kMaxMessage - buf_.size()) {
    reset();
    return fail(Errc::hdlc_message_too_long, frame.stream_offset);
  }
  buf_.insert(buf_.end(), frame.info.begin(), frame.info.end());
  ++message_.segments;
  message_.length = frame.stream_offset + frame.length - message_.stream_offset;
  if (frame.segmented) return false;
  pending_ = false;
  message_.apdu = buf_;
  ready_ = true;
  return true;
}

}  // namespace meterlab::hdlc
