// DLMS/COSEM transport over wired M-Bus (IEC 62056-7-3 / EN 13757-3): CI 0x00-0x1F carries a
// segment, bit 4 is FIN (last segment), the low nibble its sequence number from 0; every
// segment's data opens with STSAP DTSAP (01 67), which is not part of the APDU.
#include "meterlab/mbus/framer.hpp"

namespace meterlab::mbus {
namespace {

constexpr std::uint8_t kMaxDlmsCi = 0x1F;
constexpr std::uint8_t kFinBit = 0x10;
constexpr std::uint8_t kSeqMask = 0x0F;
constexpr std::uint8_t kStsap = 0x01;
constexpr std::uint8_t kDtsap = 0x67;
constexpr std::size_t kCiOffset = 6;    // 68 L L 68 C A | CI
constexpr std::size_t kDataOffset = 7;  // first byte after CI

// The segment's APDU part: its data without STSAP/DTSAP.
Result<Bytes> strip_tsap(const Frame& frame) {
  ByteReader r(frame.data, frame.stream_offset + kDataOffset);
  const Result<Bytes> tsap = r.read_bytes(2);
  if (!tsap || (*tsap)[0] != kStsap || (*tsap)[1] != kDtsap) {
    return fail(Errc::mbus_bad_tsap, frame.stream_offset + kDataOffset);
  }
  return r.rest();
}

}  // namespace

void Reassembler::reset() noexcept {
  pending_ = false;
  ready_ = false;
  next_seq_ = 0;
  buf_.clear();
}

Result<bool> Reassembler::push(const Frame& frame) {
  ready_ = false;
  if (frame.ci > kMaxDlmsCi) {
    reset();
    return fail(Errc::mbus_bad_ci, frame.stream_offset + kCiOffset);
  }
  const Result<Bytes> apdu = strip_tsap(frame);
  if (!apdu) {
    reset();
    return fail(apdu.error());
  }
  const auto seq = static_cast<std::uint8_t>(frame.ci & kSeqMask);
  const bool fin = (frame.ci & kFinBit) != 0;
  if (!pending_) {
    if (seq != 0) return fail(Errc::mbus_segment_orphan, frame.stream_offset);
    return start(frame, *apdu, fin);
  }
  const Errc e = sequence_error(seq);
  if (e == Errc::ok) return append(frame, *apdu, fin);
  // Never glue segments of different messages: the pending one is dropped. A segment 0 opens
  // the next message (or is one), so one lost segment costs one message, not two.
  reset();
  if (seq == 0) (void)start(frame, *apdu, fin);
  return fail(e, frame.stream_offset);
}

// The segment's sequence number against the one expected (modulo 16) while a message is pending.
Errc Reassembler::sequence_error(std::uint8_t seq) const noexcept {
  if (seq == next_seq_) return Errc::ok;
  const auto previous = static_cast<std::uint8_t>((next_seq_ - 1) & kSeqMask);
  if (seq == previous) return Errc::mbus_segment_duplicate;
  if (seq == 0 || seq > next_seq_) return Errc::mbus_segment_lost;  // a new message began
  return Errc::mbus_segment_order;
}

Result<bool> Reassembler::start(const Frame& frame, Bytes apdu, bool fin) {
  message_ = Message{};
  message_.stream_offset = frame.stream_offset;
  message_.length = frame.length;
  message_.segments = 1;
  if (fin) {
    message_.apdu = apdu;  // one segment, one message: no copy
    ready_ = true;
    return true;
  }
  buf_.assign(apdu.begin(), apdu.end());
  pending_ = true;
  next_seq_ = 1;
  return false;
}

Result<bool> Reassembler::append(const Frame& frame, Bytes apdu, bool fin) {
  if (apdu.size() > kMaxMessage - buf_.size()) {
    reset();
    return fail(Errc::mbus_message_too_long, frame.stream_offset);
  }
  buf_.insert(buf_.end(), apdu.begin(), apdu.end());
  ++message_.segments;
  message_.length = frame.stream_offset + frame.length - message_.stream_offset;
  next_seq_ = static_cast<std::uint8_t>((next_seq_ + 1) & kSeqMask);
  if (!fin) return false;
  pending_ = false;
  message_.apdu = buf_;
  ready_ = true;
  return true;
}

}  // namespace meterlab::mbus
