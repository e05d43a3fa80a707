// HDLC frame format type 3 (IEC 62056-46, the frame of the DLMS/COSEM HDLC profile) as a streaming
// framer in hunt mode.
//
// The framer keeps one StreamBuffer, never reallocated once it has grown to the longest frame: a
// frame already in the buffer is checked and handed out in place.
#include "meterlab/hdlc/framer.hpp"

#include <algorithm>
#include <cstring>

#include "meterlab/core/crc.hpp"

namespace meterlab::hdlc {
namespace {

// IEC 62056-46 frame format type 3: flag, format field (2 bytes: type nibble, S bit, 11-bit
// length), destination and source address (1, 2 or 4 bytes each), control, HCS (2) when an
// information field follows, information, FCS (2), flag.
constexpr std::size_t kFlagSize = 1;
constexpr std::size_t kFlags = 2 * kFlagSize;  // around the bytes the length field counts
constexpr std::size_t kInitialCapacity = 2 * (kMaxFrameLength + kFlags);
constexpr std::size_t kFormatSize = 2;
constexpr std::size_t kOpening = kFlagSize + kFormatSize;  // what the frame's length is read from
constexpr std::size_t kCheckSize = 2;                      // HCS, FCS: CRC-16/X.25
constexpr std::size_t kMaxAddressSize = 4;
constexpr std::size_t kBadAddressSize = 3;  // an address is 1, 2 or 4 bytes, never 3
// Flag, format (2), destination (up to 4), source (up to 4), control, HCS (2): once this many
// bytes (or the whole frame) are buffered, every header field can be checked.
constexpr std::size_t kMaxHeader = 14;
// Format (2), one-byte addresses (2), control, FCS (2): the shortest frame the length may give.
constexpr std::size_t kMinLength = 7;
constexpr std::uint16_t kFormatType3 = 0xA;  // IEC 62056-46 frame format type 3: top nibble
constexpr std::uint16_t kSegmentBit = 0x0800;
constexpr std::uint16_t kLengthMask = 0x07FF;
constexpr std::uint8_t kAddressEnd = 0x01;  // set in an address's last byte only

}  // namespace

// How far a candidate frame got before it failed, or how far it is checked while it waits for
// more bytes. A run of discarded bytes reports the error of its most credible candidate.
enum class Framer::Stage : std::uint8_t {
  none,
  format,
  length,
  address,
  hcs,
  flag,
  fcs,
  truncated
};

struct Framer::Verdict {
  enum class Kind : std::uint8_t { ok, need_more, bad };
  Kind kind = Kind::ok;
  Error error{};
  Stage stage = Stage::none;

  static Verdict need(Stage checked) { return {Kind::need_more, {}, checked}; }
  static Verdict bad(Errc code, std::size_t offset, Stage failed) {
    return {Kind::bad, Error{code, offset}, failed};
  }
};

namespace {

// IEC 62056-46 address field: an address is 1, 2 or 4 bytes; the least significant bit of the last
// byte is 1, of every other byte 0. Running out of bytes here means the frame is shorter than its
// addresses (Errc::truncated, which the caller reports as a bad length). Inline: GCC 12 stopped
// inlining it into check_header() once that grew by a checked read (callgrind: 60 instructions a
// frame more).
[[gnu::always_inline]] inline Result<Address> read_address(ByteReader& r) {
  const std::size_t at = r.offset();
  Address a;
  for (std::uint8_t n = 1; n <= kMaxAddressSize; ++n) {
    MLAB_ASSIGN(const std::uint8_t b, r.read_u8());
    a.value = (a.value << 8) | b;
    if ((b & kAddressEnd) != 0) {
      if (n == kBadAddressSize) return fail(Errc::hdlc_bad_address, at);
      a.size = n;
      return a;
    }
  }
  return fail(Errc::hdlc_bad_address, at);
}

// CRC-16/X.25 check sequences travel least significant byte first (IEC 62056-46 HCS/FCS, as ISO/IEC
// 13239).
std::uint16_t check_sequence(Bytes two) noexcept {
  return static_cast<std::uint16_t>(two[0] | (two[1] << 8));
}

Result<std::uint16_t> read_check_sequence(ByteReader& r) {
  MLAB_ASSIGN(const Bytes two, r.read_bytes(kCheckSize));
  return check_sequence(two);
}

}  // namespace

Framer::Framer() : StreamFramer(kInitialCapacity) {}

Event Framer::finish() {
  buf_.finish();  // which ends any wait
  return next();
}

Event Framer::next() {
  // A frame whose header is checked waits for its last byte: nothing to look at again.
  if (waiting()) return Event{};
  for (;;) {
    if (run_.full()) return take_run();
    if (buf_.empty()) return at_empty();
    if (buf_.view().front() != kFlag) {
      hunt();
      continue;
    }
    Header h;
    Verdict v = examine(h);
    if (v.kind == Verdict::Kind::need_more) {
      if (!buf_.finished()) {
        // Past the HCS nothing changes until the frame is complete (flag to flag).
        buf_.wait_until(buf_.offset() + wanted(v, h));
        if (v.stage == Stage::hcs) remember_header(h);
        return Event{};
      }
      // End of input inside a frame: a truncated frame once its format was seen, else garbage.
      const std::size_t end = buf_.end_offset();
      v = v.stage >= Stage::format ? Verdict::bad(Errc::hdlc_truncated, end, Stage::truncated)
                                   : Verdict::bad(Errc::hdlc_garbage, end, Stage::none);
    }
    if (v.kind == Verdict::Kind::bad) {
      reject(v);
      continue;
    }
    if (!run_.empty()) return take_run();  // the frame is found again by the next call
    return accept(h);
  }
}

// The candidate's header passed and its last bytes are still to come: once they have come, the
// header is not checked (nor its HCS computed) a second time.
void Framer::remember_header(const Header& h) noexcept {
  header_at_ = buf_.offset();
  header_ = h;
}

// The bytes from the candidate's flag that must be buffered before next() can answer anything
// else than need_more: the opening bytes, the header, or (past the HCS) the whole frame.
std::size_t Framer::wanted(const Verdict& v, const Header& h) const noexcept {
  switch (v.stage) {
    case Stage::none:
      // A frame's closing flag alone: with two more bytes it is an idle flag, or a format that
      // fails silently (the flag was no opening one) leaving at most two garbage bytes, or a
      // format that needs the header. No event either way: the third byte decides more.
      return buf_.view().size() == 1 && buf_.offset() < accounted_ && run_.empty() ? kOpening + 1
                                                                                   : kOpening;
    case Stage::format:
      return std::min(h.length + kFlags, kMaxHeader);
    default:
      return h.length + kFlags;
  }
}

// Checks the candidate frame whose opening flag is the next buffered byte: format, length,
// addresses and HCS as soon as the header is buffered, closing flag and FCS once the whole frame is
// buffered.
Framer::Verdict Framer::examine(Header& h) const {
  const Bytes w = buf_.view();
  const std::size_t at = buf_.offset();
  const Result<Bytes> opening = ByteReader(w, at).read_bytes(kOpening);
  if (!opening) return Verdict::need(Stage::none);
  const Bytes o = *opening;
  const std::uint16_t format = static_cast<std::uint16_t>((o[kFlagSize] << 8) | o[kFlagSize + 1]);
  if ((format >> 8) == kFlag) {
    // 7E 7E: an idle flag (or a closing flag followed by an opening one), not a frame.
    return Verdict::bad(Errc::hdlc_garbage, at, Stage::none);
  }
  if ((format >> 12) != kFormatType3) {
    return Verdict::bad(Errc::hdlc_bad_format, at + 1, Stage::format);
  }
  h.length = format & kLengthMask;
  h.segmented = (format & kSegmentBit) != 0;
  if (h.length < kMinLength) return Verdict::bad(Errc::hdlc_bad_length, at + 1, Stage::length);
  if (w.size() < std::min(h.length + kFlags, kMaxHeader)) return Verdict::need(Stage::format);
  if (at == header_at_) {
    h = header_;  // checked while the frame was arriving; the bytes at `at` are the same
  } else {
    const Verdict header = check_header(w, at, h);
    if (header.kind != Verdict::Kind::ok) return header;
  }
  return check_body(w, at, h);
}

// Addresses, control and HCS, read inside the frame's own length: running out of bytes there
// means the length is too short for the header.
Framer::Verdict Framer::check_header(Bytes w, std::size_t at, Header& h) {
  ByteReader body(w.subspan(kFlagSize, std::min(w.size() - kFlagSize, h.length)), at + 1);
  if (!body.skip(kFormatSize)) return Verdict::bad(Errc::hdlc_bad_length, at + 1, Stage::length);
  const Result<Address> dst = read_address(body);
  const Result<Address> src = dst ? read_address(body) : dst;
  if (!src && src.error().code == Errc::hdlc_bad_address) {
    return Verdict::bad(Errc::hdlc_bad_address, src.error().offset, Stage::address);
  }
  const Result<std::uint8_t> control = src ? body.read_u8() : fail(src.error());
  if (!control) return Verdict::bad(Errc::hdlc_bad_length, at + 1, Stage::length);
  h.dst = *dst;
  h.src = *src;
  h.control = *control;
  h.header_length = body.offset() - (at + 1);
  // Between control and FCS: nothing (no information field, and then no HCS either), or
  // HCS + at least one information byte (IEC 62056-46: the HCS exists only with an information
  // field).
  const std::size_t rest = h.length - std::min(h.length, h.header_length + kCheckSize);
  if (h.length < h.header_length + kCheckSize || (rest > 0 && rest < kCheckSize + 1)) {
    return Verdict::bad(Errc::hdlc_bad_length, at + 1, Stage::length);
  }
  h.has_info = rest > 0;
  if (!h.has_info) return {};
  const std::size_t hcs_at = body.offset();
  // The length leaves room for the HCS (rest > 2), and kMaxHeader bytes are buffered.
  const Result<std::uint16_t> hcs = read_check_sequence(body);
  if (!hcs) return Verdict::bad(Errc::hdlc_bad_length, at + 1, Stage::length);
  if (*hcs != crc16_x25(w.subspan(kFlagSize, h.header_length))) {
    return Verdict::bad(Errc::hdlc_hcs_mismatch, hcs_at, Stage::hcs);
  }
  return {};
}

// Once the whole frame (flag to flag) is buffered: closing flag, then the FCS over format..info,
// computed once.
Framer::Verdict Framer::check_body(Bytes w, std::size_t at, Header& h) {
  const Result<Bytes> whole = ByteReader(w, at).read_bytes(kFlagSize + h.length + kFlagSize);
  if (!whole) return Verdict::need(Stage::hcs);
  const Bytes frame = *whole;
  const std::size_t fcs_index = kFlagSize + h.length - kCheckSize;
  const std::size_t flag_index = kFlagSize + h.length;
  if (frame[flag_index] != kFlag) {
    return Verdict::bad(Errc::hdlc_missing_flag, at + flag_index, Stage::flag);
  }
  const Bytes covered = frame.subspan(kFlagSize, h.length - kCheckSize);
  if (check_sequence(frame.subspan(fcs_index, kCheckSize)) != crc16_x25(covered)) {
    return Verdict::bad(Errc::hdlc_fcs_mismatch, at + fcs_index, Stage::fcs);
  }
  if (h.has_info) h.info = covered.subspan(h.header_length + kCheckSize);
  return {};
}

// Hunt mode: everything up to the next flag is garbage (bounded so that a run is cut at the same
// byte whatever the push() sizes were).
void Framer::hunt() {
  const Bytes w = buf_.view().first(std::min(buf_.view().size(), run_.room()));
  const void* flag = std::memchr(w.data(), kFlag, w.size());
  discard(flag != nullptr
              ? static_cast<std::size_t>(static_cast<const std::uint8_t*>(flag) - w.data())
              : w.size());
}

// A candidate failed: its opening flag joins the discarded run and hunting resumes at the next
// byte, so a false start never swallows the flag of a real frame behind it.
void Framer::reject(const Verdict& v) {
  const bool reused_flag = buf_.offset() < accounted_;  // the closing flag of the frame before
  // A closing flag followed by anything but a frame is no error; a real frame sharing that flag
  // that fails deeper still is one.
  const bool silent = v.stage == Stage::none || (reused_flag && v.stage <= Stage::format);
  discard(1);
  if (silent) return;
  ++stats_.resyncs;
  switch (v.error.code) {
    case Errc::hdlc_hcs_mismatch:
      ++stats_.hcs_errors;
      break;
    case Errc::hdlc_fcs_mismatch:
      ++stats_.fcs_errors;
      break;
    case Errc::hdlc_truncated:
      break;
    default:
      ++stats_.format_errors;
      break;
  }
  // The run reports its first error, unless a later candidate got past its HCS: such a frame
  // is real, a shallow failure before it may be a false start in garbage.
  run_.note(v.error, v.stage >= Stage::flag ? 2 : 1);
}

// Consumes the next n buffered bytes into the run of discarded bytes, except bytes already in a
// frame (a shared flag).
void Framer::discard(std::size_t n) {
  const std::size_t first = std::max(buf_.offset(), accounted_);
  const std::size_t end = buf_.offset() + n;
  buf_.consume(n);
  if (first >= end) return;
  run_.add(first, end - first);
  stats_.bytes_discarded += end - first;
  accounted_ = end;
}

Event Framer::accept(const Header& h) {
  Event e;
  e.kind = Event::Kind::frame;
  Frame& f = e.frame;
  f.stream_offset = buf_.offset();
  f.length = h.length + kFlags;
  f.segmented = h.segmented;
  f.dst = h.dst;
  f.src = h.src;
  f.control = h.control;
  f.info = h.info;
  const std::size_t end = f.stream_offset + f.length;
  stats_.bytes_in_frames += end - std::max(f.stream_offset, accounted_);
  ++stats_.frames_ok;
  accounted_ = end;
  // Stay on the closing flag: it may also open the next frame (a shared flag, ISO/IEC 13239).
  buf_.consume(h.length + 1);
  return e;
}

}  // namespace meterlab::hdlc
