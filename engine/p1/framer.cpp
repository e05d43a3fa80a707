// P1 telegrams and bare encrypted P1 frames as a streaming framer (framer.hpp).
//
// One StreamBuffer, never reallocated once grown: a telegram already buffered is checked and
// handed out in place. A telegram arriving byte by byte is searched for its '!' once, not once a
// byte (scan_at_, scanned_), and its bytes are watched by the buffer itself (watch_for()) until a
// '!' or '/' comes: the framer is not asked again for every byte, nor for each CRC digit.
#include "meterlab/p1/framer.hpp"

#include <algorithm>
#include <cstring>
#include <limits>

#include "meterlab/core/crc.hpp"
#include "meterlab/core/hex.hpp"
#include "meterlab/dlms/apdu.hpp"

namespace meterlab::p1 {
namespace {

constexpr std::size_t kInitialCapacity = 2048;
constexpr std::uint8_t kCr = '\r';
constexpr std::uint8_t kLf = '\n';
constexpr std::size_t kNeedMore = std::numeric_limits<std::size_t>::max();
// DB 08 <system title 8> and room for the longest BER length (82 hi lo): enough to read the
// length of an encrypted frame.
constexpr std::size_t kCipheredHeader = 2 + 8 + 3;
constexpr std::size_t kScAndIc = 5;  // security control (1) + invocation counter (4)

TextEnd text_bad(Errc code, std::size_t offset) noexcept {
  TextEnd t;
  t.kind = TextEnd::Kind::bad;
  t.error = Error{code, offset};
  return t;
}

TextEnd text_need(std::size_t scanned, std::size_t wants) noexcept {
  TextEnd t;
  t.scanned = scanned;
  t.wants = wants;
  return t;
}

// The first '!' or '/' in w (w.size() when there is none): memchr for each, as both are rare.
std::size_t find_end_or_start(Bytes w) noexcept {
  const auto* bang = static_cast<const std::uint8_t*>(std::memchr(w.data(), kEnd, w.size()));
  const std::size_t end = bang != nullptr ? static_cast<std::size_t>(bang - w.data()) : w.size();
  const auto* slash = static_cast<const std::uint8_t*>(std::memchr(w.data(), kStart, end));
  return slash != nullptr ? static_cast<std::size_t>(slash - w.data()) : end;
}

// The telegram ends at w[pos], or after the CR LF (or a lone CR or LF: captures stored as text
// files) that starts there; kNeedMore while that cannot be told.
std::size_t through_crlf(Bytes w, std::size_t pos, bool at_end) noexcept {
  ByteReader r(w.subspan(pos));
  if (r.empty()) return at_end ? pos : kNeedMore;
  const std::uint8_t first = *r.read_u8();
  if (first == kLf) return pos + 1;
  if (first != kCr) return pos;
  if (r.empty()) return at_end ? pos + 1 : kNeedMore;
  return *r.read_u8() == kLf ? pos + 2 : pos + 1;
}

// The 4 hex digits after the '!' at w[bang] (DSMR 5.0.2 clause 6.2), checked as they arrive.
TextEnd read_crc(Bytes w, std::size_t at, std::size_t bang, bool at_end) noexcept {
  ByteReader r(w.subspan(bang + 1), at + bang + 1);
  std::uint16_t stated = 0;
  for (std::size_t i = 0; i < kCrcDigits; ++i) {
    // Nothing is told before the four digits and the first byte of the line end are here.
    if (r.empty()) {
      if (at_end) return text_bad(Errc::p1_truncated, r.offset());
      return text_need(bang, bang + 1 + kCrcDigits + 1);
    }
    const std::size_t digit_at = r.offset();
    const int v = hex_nibble(static_cast<char>(*r.read_u8()));
    if (v < 0) return text_bad(Errc::p1_bad_crc, digit_at);
    stated = static_cast<std::uint16_t>((stated << 4) | v);
  }
  const std::size_t length = through_crlf(w, bang + 1 + kCrcDigits, at_end);
  if (length == kNeedMore) return text_need(bang, w.size() + 1);
  TextEnd t;
  t.kind = TextEnd::Kind::complete;
  t.length = length;
  t.check = Check::crc16;
  if (stated != crc16_arc(w.first(bang + 1))) t.error = Error{Errc::p1_crc_mismatch, at + bang + 1};
  return t;
}

// After the '!' at w[bang]: the line end (no CRC: DSMR 2.2/3, IEC 62056-21 mode D) or the CRC.
TextEnd read_end_line(Bytes w, std::size_t at, std::size_t bang, bool at_end) noexcept {
  ByteReader r(w.subspan(bang + 1), at + bang + 1);
  if (r.empty()) {
    return at_end ? text_bad(Errc::p1_truncated, r.offset()) : text_need(bang, w.size() + 1);
  }
  const std::uint8_t next = *r.peek_u8();
  if (next != kCr && next != kLf) {
    if (hex_nibble(static_cast<char>(next)) < 0) return text_bad(Errc::p1_bad_crc, r.offset());
    return read_crc(w, at, bang, at_end);
  }
  const std::size_t length = through_crlf(w, bang + 1, at_end);
  if (length == kNeedMore) return text_need(bang, w.size() + 1);
  TextEnd t;
  t.kind = TextEnd::Kind::complete;
  t.length = length;
  return t;
}

// The header that starts an encrypted frame: DB 08 <system title>.
constexpr std::size_t kTitledHeader = 2 + kSystemTitleLength;

// An encrypted frame's start inside the claimed extent of another.
struct HeaderAt {
  std::size_t pos = 0;  // the extent's end when there is none
  bool whole = false;   // false: only its first bytes have come yet, and they match
};

// Whether the bytes buffered from w[pos] on begin DB 08 `title` (false for an empty title: none
// known yet).
bool header_prefix_of(Bytes w, std::size_t pos, Bytes title) noexcept {
  if (title.size() != kSystemTitleLength) return false;
  std::array<std::uint8_t, kTitledHeader> header{kCiphered, kSystemTitleLength};
  std::copy(title.begin(), title.end(), header.begin() + 2);
  const Bytes have = w.subspan(pos, std::min(kTitledHeader, w.size() - pos));
  return std::equal(have.begin(), have.end(), header.begin());
}

// The first position after w's first byte and before `end` where an encrypted frame of system
// title `a` or `b` begins. A P1 line carries one meter, so its frames share a title; the chance
// that 10 bytes of ciphertext read DB 08 and that title is 2^-80.
HeaderAt find_titled_header(Bytes w, std::size_t end, Bytes a, Bytes b) noexcept {
  const std::size_t stop = std::min(end, w.size());
  for (std::size_t pos = 1; pos < stop; ++pos) {
    const auto* db =
        static_cast<const std::uint8_t*>(std::memchr(w.data() + pos, kCiphered, stop - pos));
    if (db == nullptr) break;
    pos = static_cast<std::size_t>(db - w.data());
    // Most DB bytes of a ciphertext are not followed by the title's length: no header there.
    if (pos + 1 < w.size() && w[pos + 1] != kSystemTitleLength) continue;
    if (header_prefix_of(w, pos, a) || header_prefix_of(w, pos, b)) {
      return {pos, kTitledHeader <= w.size() - pos};
    }
  }
  return {end, false};
}

}  // namespace

const char* check_name(Check c) noexcept {
  switch (c) {
    case Check::none:
      return "none";
    case Check::crc16:
      return "crc16";
    case Check::gcm_tag:
      return "gcm_tag";
  }
  return "none";
}

// '/' and '!' occur in a telegram only as its start and end: IEC 62056-21 clause 6.4 (data set
// structure) excludes ( ) / ! from values and units. So a '/' before the '!' is the start of the
// next telegram, and this one was cut short.
TextEnd find_text_end(Bytes w, std::size_t at, std::size_t scanned, bool at_end) noexcept {
  const std::size_t limit = std::min(w.size(), kMaxTelegram);
  const std::size_t from = std::max<std::size_t>(scanned, 1);
  if (from > limit) return text_need(scanned, w.size() + 1);
  const std::size_t stop = from + find_end_or_start(w.subspan(from, limit - from));
  if (stop < limit) {
    ByteReader r(w.subspan(stop), at + stop);
    if (*r.peek_u8() == kStart) return text_bad(Errc::p1_truncated, r.offset());
    // The '!' line starts a line (DSMR 5.0.2 clause 6.2): a '!' inside one is a corrupted
    // character (one bit turns ')' into '!'), never the end of a shorter, CRC-less telegram:
    // the telegram's '!' line has not come.
    const std::uint8_t before = *ByteReader(w.subspan(stop - 1, 1), 0).peek_u8();
    if (before != kCr && before != kLf) return text_bad(Errc::p1_truncated, r.offset());
    return read_end_line(w, at, stop, at_end);
  }
  if (limit == kMaxTelegram) return text_bad(Errc::p1_too_long, at + limit);
  if (at_end) return text_bad(Errc::p1_truncated, at + w.size());
  return text_need(limit, w.size() + 1);
}

struct Framer::Verdict {
  enum class Kind : std::uint8_t { ok, need_more, bad };
  Kind kind = Kind::ok;
  Error error{};
  // How far a rejected candidate got: 0 a stray start byte, 1 a telegram cut short or too long,
  // 2 a telegram whose '!' line was read (CRC wrong or malformed).
  std::uint8_t rank = 0;
  std::size_t wants = 0;  // need_more: bytes from the candidate's start before it can change
  std::size_t skip = 1;   // bad: bytes that start no other candidate (at least the first)

  static Verdict need(std::size_t bytes) { return {Kind::need_more, {}, 0, bytes, 1}; }
  static Verdict bad(Error e, std::uint8_t rank, std::size_t skip = 1) {
    return {Kind::bad, e, rank, 0, skip};
  }
};

Framer::Framer() : StreamFramer(kInitialCapacity) {}

Event Framer::finish() {
  buf_.finish();  // which ends any wait
  return next();
}

Event Framer::next() {
  if (waiting() || buf_.rearm()) return Event{};
  for (;;) {
    if (run_.full()) return take_run();
    if (buf_.empty()) return at_empty();
    const std::uint8_t b = buf_.view().front();
    if (b != kStart && b != kCiphered) {
      discard(to_next_start(kStart, kCiphered));  // hunt mode: up to the next '/' or 0xDB
      continue;
    }
    Frame f;
    const Verdict v = b == kStart ? examine_text(f) : examine_ciphered(f);
    if (v.kind == Verdict::Kind::need_more) {
      buf_.wait_until(std::max(buf_.offset() + v.wants, buf_.end_offset() + 1));
      return Event{};
    }
    if (v.kind == Verdict::Kind::bad) {
      reject(v);
      continue;
    }
    if (!run_.empty()) return take_run();  // the frame is found again by the next call
    return accept(f);
  }
}

// The text telegram at the next buffered byte (a '/').
Framer::Verdict Framer::examine_text(Frame& f) {
  const std::size_t at = buf_.offset();
  if (scan_at_ != at) {
    scan_at_ = at;
    scanned_ = 0;
  }
  const Bytes w = buf_.view();
  const TextEnd t = find_text_end(w, at, scanned_, buf_.finished());
  if (t.kind == TextEnd::Kind::need_more) {
    scanned_ = t.scanned;
    // The '!' is here, the rest of its line is not: no watch, a wait for what can tell more.
    if (scanned_ < w.size()) return Verdict::need(t.wants);
    // No '!' or '/' in the bytes looked at: the buffer watches those to come, and the wait (set
    // by next()) runs to the bound, which the watch shares.
    buf_.watch_for(kEnd, kStart, at + scanned_, at + kMaxTelegram);
    return Verdict::need(kMaxTelegram);
  }
  if (t.kind == TextEnd::Kind::bad) {
    const bool read_end = t.error.code == Errc::p1_bad_crc;
    return Verdict::bad(t.error, read_end ? 2 : 1);
  }
  if (t.error.code != Errc::ok) return Verdict::bad(t.error, 2);
  f = Frame{Frame::Kind::text, at, t.length, w.first(t.length), t.check};
  return {};
}

// The encrypted frame at the next buffered byte (0xDB): delimited by its BER length. A frame
// cut short takes the next frame's start into its claimed extent, so the extent is searched for
// the header of another frame of this meter (its own title, or the last good frame's, should
// the cut fall inside this header): the frame was truncated there and hunting resumes there.
Framer::Verdict Framer::examine_ciphered(Frame& f) {
  const std::size_t at = buf_.offset();
  const Bytes w = buf_.view();
  ByteReader r(w, at);
  (void)r.skip(1);
  const Result<std::uint8_t> st_length = r.read_u8();
  if (st_length && *st_length != kSystemTitleLength) {
    return Verdict::bad(Error{Errc::p1_garbage, at}, 0);
  }
  if (w.size() < kCipheredHeader) {
    if (!buf_.finished()) return Verdict::need(kCipheredHeader);
    return Verdict::bad(Error{Errc::p1_truncated, buf_.end_offset()}, st_length ? 1 : 0);
  }
  const Result<Bytes> title = r.read_bytes(kSystemTitleLength);
  const Result<std::size_t> length = dlms::read_ber_length(r);
  if (!title || !length || *length < kScAndIc || *length > kMaxTelegram) {
    return Verdict::bad(Error{Errc::p1_bad_frame, at + 2 + kSystemTitleLength}, 1);
  }
  return ciphered_extent(f, *title, r.offset() - at + *length);
}

// The encrypted frame at the next buffered byte claims `total` bytes. A header of this meter
// inside them (found whole, or still arriving: a frame whose last bytes read DB 08 and the
// start of the title waits for the bytes after it) means it was cut there.
Framer::Verdict Framer::ciphered_extent(Frame& f, Bytes title, std::size_t total) {
  const std::size_t at = buf_.offset();
  const Bytes w = buf_.view();
  const HeaderAt next =
      find_titled_header(w, total, title, Bytes(last_title_.data(), last_title_size_));
  if (next.pos < total && next.whole) {
    return Verdict::bad(Error{Errc::p1_truncated, at + next.pos}, 1, next.pos);
  }
  if ((w.size() < total || next.pos < total) && !buf_.finished()) {
    return Verdict::need(w.size() < total ? total : next.pos + kTitledHeader);
  }
  if (w.size() < total) return Verdict::bad(Error{Errc::p1_truncated, buf_.end_offset()}, 1);
  std::copy(title.begin(), title.end(), last_title_.begin());
  last_title_size_ = last_title_.size();
  f = Frame{Frame::Kind::ciphered, at, total, w.first(total), Check::none};
  return {};
}

// A candidate failed: its first byte joins the discarded run and hunting resumes at the next
// byte, so a false start never swallows a real telegram behind it (an encrypted frame cut short
// joins it whole, up to the frame found inside it).
void Framer::reject(const Verdict& v) {
  discard(std::min(v.skip, run_.room()));
  if (v.rank == 0) return;
  ++stats_.resyncs;
  const Errc code = v.error.code;
  if (code == Errc::p1_crc_mismatch || code == Errc::p1_bad_crc) {
    ++stats_.crc_errors;
  } else {
    ++stats_.format_errors;
  }
  run_.note(v.error, v.rank);
}

Event Framer::accept(const Frame& f) {
  Event e;
  e.kind = Event::Kind::frame;
  e.frame = f;
  take_frame(f.length);
  return e;
}

}  // namespace meterlab::p1
