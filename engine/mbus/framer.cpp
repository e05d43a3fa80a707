// M-Bus long frames (EN 13757-2: 68 L L 68 C A CI data CS 16) as a streaming framer.
//
// One buffer, compacted on push() and never reallocated once grown: a frame already buffered is
// checked and handed out in place.
#include "meterlab/mbus/framer.hpp"

#include <algorithm>
#include <limits>

#include "meterlab/core/crc.hpp"

namespace meterlab::mbus {
namespace {

constexpr std::size_t kInitialCapacity = 2048;
constexpr std::uint8_t kAck = 0xE5;         // EN 13757-2 single character (ack)
constexpr std::uint8_t kShortStart = 0x10;  // EN 13757-2 short frame 10 C A CS 16
constexpr std::size_t kShortLength = 5;
constexpr std::size_t kMinL = 3;      // L counts C, A and CI at least
constexpr std::size_t kOverhead = 6;  // 68 L L 68 ... CS 16 around the L-counted bytes
constexpr std::size_t kLWrap = 256;   // one byte of L: the T210-D sends L mod 256
constexpr std::size_t kNeedMore = std::numeric_limits<std::size_t>::max();

}  // namespace

// How far a candidate frame got before it failed, or how far it is checked while it waits.
enum class Framer::Stage : std::uint8_t { none, length, stop, checksum, truncated };

struct Framer::Verdict {
  enum class Kind : std::uint8_t { ok, need_more, bad };
  Kind kind = Kind::ok;
  Error error{};  // for need_more: the error to report if the input ends here, if not truncated
  Stage stage = Stage::none;

  static Verdict need(Stage checked) { return {Kind::need_more, {}, checked}; }
  static Verdict bad(Errc code, std::size_t offset, Stage failed) {
    return {Kind::bad, Error{code, offset}, failed};
  }
};

Framer::Framer() { buf_.reserve(kInitialCapacity); }

void Framer::push(Bytes bytes) {
  if (start_ > 0) {
    // Compaction: the unconsumed tail moves to the front, the capacity stays.
    buf_.erase(buf_.begin(), buf_.begin() + static_cast<std::ptrdiff_t>(start_));
    base_offset_ += start_;
    start_ = 0;
  }
  buf_.insert(buf_.end(), bytes.begin(), bytes.end());
  stats_.bytes_in += bytes.size();
  finished_ = false;
}

Event Framer::finish() {
  finished_ = true;
  return next();
}

Event Framer::next() {
  for (;;) {
    if (run_.length >= kMaxDiscardRun) return take_run();
    if (start_ == buf_.size()) return finished_ ? take_run() : Event{};
    const std::uint8_t b = buf_[start_];
    // An E5 counts as an ack only where a frame may start, not inside a run of garbage.
    if (b == kShortStart || (b == kAck && run_.length == 0)) {
      const std::size_t n = short_frame();
      if (n == kNeedMore && !finished_) return Event{};
      if (n != kNeedMore && n > 0) return run_.length > 0 ? take_run() : take_short(n);
      add_to_run(start_, start_ + 1);
      ++start_;
      continue;
    }
    if (b != kStart) {
      hunt();
      continue;
    }
    Frame f;
    Verdict v = examine(f);
    if (v.kind == Verdict::Kind::need_more) {
      if (!finished_) return Event{};
      const std::size_t end = base_offset_ + buf_.size();
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
    if (run_.length > 0) return take_run();  // the frame is found again by the next call
    return accept(f);
  }
}

// 0: not a short frame, kNeedMore: cannot tell yet, else its length.
std::size_t Framer::short_frame() const {
  ByteReader r(Bytes(buf_).subspan(start_));
  if (*r.read_u8() == kAck) return 1;
  if (r.remaining() < kShortLength - 1) return kNeedMore;
  const std::uint8_t c = *r.read_u8();
  const std::uint8_t a = *r.read_u8();
  const std::uint8_t cs = *r.read_u8();
  const std::uint8_t stop = *r.read_u8();
  return stop == kStop && cs == static_cast<std::uint8_t>(c + a) ? kShortLength : 0;
}

// The candidate at start_: 68 L L 68, then stop byte and checksum where L puts them, or where
// L + 256 puts them for the T210-D length overflow.
Framer::Verdict Framer::examine(Frame& f) const {
  const std::size_t at = base_offset_ + start_;
  ByteReader r(Bytes(buf_).subspan(start_), at);
  if (r.remaining() < 4) return Verdict::need(Stage::none);
  (void)r.skip(1);
  const std::size_t l = *r.read_u8();
  const std::size_t l2 = *r.read_u8();
  if (*r.read_u8() != kStart) return Verdict::bad(Errc::mbus_garbage, at, Stage::none);
  if (l != l2) return Verdict::bad(Errc::mbus_bad_length, at + 1, Stage::length);
  const Verdict primary =
      l >= kMinL ? check_at(l, f) : Verdict::bad(Errc::mbus_bad_length, at + 1, Stage::length);
  if (primary.kind != Verdict::Kind::bad || l > kMaxOverflowL) return primary;
  const Verdict wrapped = check_at(l + kLWrap, f);
  if (wrapped.kind == Verdict::Kind::ok) return wrapped;
  if (wrapped.kind == Verdict::Kind::need_more) {
    return {Verdict::Kind::need_more, primary.error, primary.stage};
  }
  return primary;
}

// The frame at start_ if its L-counted part is `l` bytes long.
Framer::Verdict Framer::check_at(std::size_t l, Frame& f) const {
  const std::size_t at = base_offset_ + start_;
  const Bytes w = Bytes(buf_).subspan(start_);
  if (w.size() < l + kOverhead) return Verdict::need(Stage::length);
  ByteReader r(w.subspan(4, l + 2), at + 4);
  const Bytes body = *r.read_bytes(l);
  const std::uint8_t cs = *r.read_u8();
  if (*r.read_u8() != kStop) return Verdict::bad(Errc::mbus_missing_stop, at + l + 5, Stage::stop);
  if (cs != mbus_checksum(body)) {
    return Verdict::bad(Errc::mbus_checksum_mismatch, at + l + 4, Stage::checksum);
  }
  ByteReader fields(body, at + 4);
  f.stream_offset = at;
  f.length = l + kOverhead;
  f.c = *fields.read_u8();
  f.a = *fields.read_u8();
  f.ci = *fields.read_u8();
  f.data = fields.rest();
  return {};
}

// Hunt mode: the byte at start_ starts nothing; skip to the next 0x68 or 0x10 (bounded so that a
// run is cut at the same byte whatever the push() sizes were).
void Framer::hunt() {
  const std::size_t limit = std::min(buf_.size(), start_ + (kMaxDiscardRun - run_.length));
  const auto first = buf_.begin() + static_cast<std::ptrdiff_t>(start_ + 1);
  const auto last = buf_.begin() + static_cast<std::ptrdiff_t>(limit);
  const auto found =
      std::find_if(first, last, [](std::uint8_t c) { return c == kStart || c == kShortStart; });
  const auto stop = static_cast<std::size_t>(found - buf_.begin());  // in (start_, limit]
  add_to_run(start_, stop);
  start_ = stop;
}

// A candidate failed: its first 0x68 joins the discarded run and hunting resumes at the next
// byte, so a false start never swallows a real frame behind it.
void Framer::reject(const Verdict& v) {
  add_to_run(start_, start_ + 1);
  ++start_;
  if (v.stage == Stage::none) return;
  ++stats_.resyncs;
  if (v.error.code == Errc::mbus_checksum_mismatch) ++stats_.checksum_errors;
  if (v.error.code == Errc::mbus_bad_length || v.error.code == Errc::mbus_missing_stop) {
    ++stats_.format_errors;
  }
  // The run reports its first error, unless a later candidate got past 68 L L 68 and its length
  // check: such a frame is real, a shallow failure before it may be a false start in garbage.
  const auto stage = static_cast<std::uint8_t>(v.stage);
  const auto deep = static_cast<std::uint8_t>(Stage::stop);
  if (run_stage_ == 0 || (stage >= deep && run_stage_ < deep)) {
    run_stage_ = stage;
    run_.error = v.error;
  }
}

void Framer::add_to_run(std::size_t from, std::size_t to) {
  if (run_.length == 0) run_.stream_offset = base_offset_ + from;
  run_.length += to - from;
  stats_.bytes_discarded += to - from;
}

Event Framer::take_run() {
  Event e;
  if (run_.length > 0) {
    e.kind = Event::Kind::discard;
    e.discard = run_;
    if (run_stage_ == 0) e.discard.error = Error{Errc::mbus_garbage, run_.stream_offset};
  }
  run_ = Discard{};
  run_stage_ = 0;
  return e;
}

Event Framer::take_short(std::size_t n) {
  Event e;
  e.kind = Event::Kind::discard;
  const std::size_t at = base_offset_ + start_;
  e.discard = Discard{Error{Errc::mbus_short_frame, at}, at, n};
  ++stats_.short_frames;
  stats_.bytes_discarded += n;
  start_ += n;
  return e;
}

Event Framer::accept(Frame& f) {
  Event e;
  e.kind = Event::Kind::frame;
  e.frame = f;
  ++stats_.frames_ok;
  stats_.bytes_in_frames += f.length;
  start_ += f.length;
  return e;
}

}  // namespace meterlab::mbus
