// M-Bus long frames (EN 13757-2: 68 L L 68 C A CI data CS 16) as a streaming framer.
//
// One StreamBuffer, never reallocated once grown: a frame already buffered is checked and handed
// out in place.
#include "meterlab/mbus/framer.hpp"

#include <algorithm>
#include <limits>

#include "meterlab/core/crc.hpp"

namespace meterlab::mbus {
namespace {

constexpr std::size_t kInitialCapacity = 2048;
constexpr std::uint8_t kAck = 0xE5;  // EN 13757-2 single character (ack)
constexpr std::size_t kAckLength = 1;
// EN 13757-2 short frame: 10 C A CS 16, CS = C + A.
constexpr std::uint8_t kShortStart = 0x10;
constexpr std::size_t kShortLength = 5;
enum ShortField : std::size_t { kShortC = 1, kShortA, kShortCs, kShortStop };
// EN 13757-2 long frame: 68 L L 68, then L bytes (C, A, CI, data), CS, 16.
constexpr std::size_t kLongHeader = 4;  // 68 L L 68
enum LongHeaderField : std::size_t { kL = 1, kLRepeated, kSecondStart };
enum LongField : std::size_t { kC, kA, kCi };       // the first L-counted bytes
constexpr std::size_t kMinL = kCi + 1;              // L counts C, A and CI at least
constexpr std::size_t kOverhead = kLongHeader + 2;  // ... CS 16 around the L-counted bytes
constexpr std::size_t kLWrap = 256;                 // one byte of L: the T210-D sends L mod 256
constexpr std::size_t kNeedMore = std::numeric_limits<std::size_t>::max();

}  // namespace

// How far a candidate frame got before it failed, or how far it is checked while it waits.
enum class Framer::Stage : std::uint8_t { none, length, stop, checksum, truncated };

struct Framer::Verdict {
  enum class Kind : std::uint8_t { ok, need_more, bad };
  Kind kind = Kind::ok;
  Error error{};  // for need_more: the error to report if the input ends here, if not truncated
  Stage stage = Stage::none;
  std::size_t wants = 0;  // for need_more: bytes from the candidate's start before it can change

  static Verdict need(Stage checked, std::size_t bytes) {
    return {Kind::need_more, {}, checked, bytes};
  }
  static Verdict bad(Errc code, std::size_t offset, Stage failed) {
    return {Kind::bad, Error{code, offset}, failed, 0};
  }
};

Framer::Framer() : StreamFramer(kInitialCapacity) {}

Event Framer::finish() {
  buf_.finish();  // which ends any wait
  return next();
}

Event Framer::next() {
  // A frame whose length is known waits for its last byte: nothing to look at again.
  if (waiting()) return Event{};
  for (;;) {
    if (run_.full()) return take_run();
    if (buf_.empty()) return at_empty();
    const std::uint8_t b = buf_.view().front();
    // An E5 counts as an ack only where a frame may start, not inside a run of garbage.
    if (b == kShortStart || (b == kAck && run_.empty())) {
      const std::size_t n = short_frame();
      if (n == kNeedMore && !buf_.finished()) {
        buf_.wait_until(buf_.end_offset() + 1);
        return Event{};
      }
      if (n != kNeedMore && n > 0) return run_.empty() ? take_short(n) : take_run();
      discard(1);
      continue;
    }
    if (b != kStart) {
      discard(to_next_start(kStart, kShortStart));  // hunt mode: up to the next 0x68 or 0x10
      continue;
    }
    Frame f;
    Verdict v = examine(f);
    if (v.kind == Verdict::Kind::need_more) {
      if (!buf_.finished()) {
        buf_.wait_until(std::max(buf_.offset() + v.wants, buf_.end_offset() + 1));
        return Event{};
      }
      const std::size_t end = buf_.end_offset();
      if (v.error.code != Errc::ok)
        v.kind = Verdict::Kind::bad;
      else if (v.stage >= Stage::length)
        v = Verdict::bad(Errc::mbus_truncated, end, Stage::truncated);
      else
        v = Verdict::bad(Errc::mbus_garbage, end, Stage::none);
    }
    if (v.kind == Verdict::Kind::bad) {
      reject(v);
      continue;
    }
    if (!run_.empty()) return take_run();  // the frame is found again by the next call
    return accept(f);
  }
}

// 0: not a short frame, kNeedMore: cannot tell yet, else its length.
std::size_t Framer::short_frame() const {
  ByteReader r(buf_.view());
  const Result<std::uint8_t> first = r.peek_u8();
  if (first && *first == kAck) return kAckLength;
  const Result<Bytes> frame = r.read_bytes(kShortLength);
  if (!frame) return kNeedMore;
  const Bytes s = *frame;
  const auto cs = static_cast<std::uint8_t>(s[kShortC] + s[kShortA]);
  return s[kShortStop] == kStop && s[kShortCs] == cs ? kShortLength : 0;
}

// The candidate at the next buffered byte: 68 L L 68, then stop byte and checksum where L puts
// them, or where L + 256 puts them for the T210-D length overflow.
Framer::Verdict Framer::examine(Frame& f) const {
  const std::size_t at = buf_.offset();
  const Result<Bytes> header = ByteReader(buf_.view(), at).read_bytes(kLongHeader);
  if (!header) return Verdict::need(Stage::none, kLongHeader);
  const Bytes h = *header;
  const std::size_t l = h[kL];
  if (h[kSecondStart] != kStart) return Verdict::bad(Errc::mbus_garbage, at, Stage::none);
  if (l != h[kLRepeated]) return Verdict::bad(Errc::mbus_bad_length, at + kL, Stage::length);
  const Verdict primary = check_at(l, f);
  if (primary.kind != Verdict::Kind::bad || l > kMaxOverflowL) return primary;
  const Verdict wrapped = check_at(l + kLWrap, f);
  if (wrapped.kind == Verdict::Kind::ok) return wrapped;
  if (wrapped.kind == Verdict::Kind::need_more) {
    return {Verdict::Kind::need_more, primary.error, primary.stage, wrapped.wants};
  }
  return primary;
}

// The frame at the next buffered byte if its L-counted part is `l` bytes long: read whole with
// one checked read, then indexed.
Framer::Verdict Framer::check_at(std::size_t l, Frame& f) const {
  const std::size_t at = buf_.offset();
  if (l < kMinL) return Verdict::bad(Errc::mbus_bad_length, at + kL, Stage::length);
  const Result<Bytes> whole = ByteReader(buf_.view(), at).read_bytes(l + kOverhead);
  if (!whole) return Verdict::need(Stage::length, l + kOverhead);
  const Bytes frame = *whole;
  const std::size_t cs_index = kLongHeader + l;
  const std::size_t stop_index = cs_index + 1;
  if (frame[stop_index] != kStop) {
    return Verdict::bad(Errc::mbus_missing_stop, at + stop_index, Stage::stop);
  }
  const Bytes body = frame.subspan(kLongHeader, l);
  if (frame[cs_index] != mbus_checksum(body)) {
    return Verdict::bad(Errc::mbus_checksum_mismatch, at + cs_index, Stage::checksum);
  }
  f.stream_offset = at;
  f.length = l + kOverhead;
  f.c = body[kC];
  f.a = body[kA];
  f.ci = body[kCi];
  f.data = body.subspan(kMinL);
  return {};
}

// A candidate failed: its first 0x68 joins the discarded run and hunting resumes at the next
// byte, so a false start never swallows a real frame behind it.
void Framer::reject(const Verdict& v) {
  discard(1);
  if (v.stage == Stage::none) return;
  ++stats_.resyncs;
  if (v.error.code == Errc::mbus_checksum_mismatch) ++stats_.checksum_errors;
  if (v.error.code == Errc::mbus_bad_length || v.error.code == Errc::mbus_missing_stop) {
    ++stats_.format_errors;
  }
  // The run reports its first error, unless a later candidate got past 68 L L 68 and its length
  // check: such a frame is real, a shallow failure before it may be a false start in garbage.
  run_.note(v.error, v.stage >= Stage::stop ? 2 : 1);
}

Event Framer::take_short(std::size_t n) {
  Event e;
  e.kind = Event::Kind::discard;
  const std::size_t at = buf_.offset();
  e.discard = Discard{Error{Errc::mbus_short_frame, at}, at, n};
  ++stats_.short_frames;
  stats_.bytes_discarded += n;
  buf_.consume(n);
  return e;
}

Event Framer::accept(Frame& f) {
  Event e;
  e.kind = Event::Kind::frame;
  e.frame = f;
  take_frame(f.length);
  return e;
}

}  // namespace meterlab::mbus
