// The plumbing every streaming framer shares (HDLC, M-Bus, P1): its StreamBuffer and its run of
// discarded bytes, the byte accounting of its stats, and the events that are not a frame.
//
// A framer derives from StreamFramer<FramerEvent<Frame>, Stats, kGarbage> and keeps only what
// its format decides: where a candidate starts, how it is checked, how far a rejected one got.
// Its Stats have the counters bytes_in, frames_ok, bytes_in_frames and bytes_discarded. Inline,
// no virtual calls: this is the hot path.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "meterlab/core/bytes.hpp"
#include "meterlab/core/error.hpp"
#include "meterlab/core/stream_buffer.hpp"

namespace meterlab {

// A framer's event: a frame, bytes discarded with a reason, or need-more (not an error).
template <class Frame>
struct FramerEvent {
  enum class Kind : std::uint8_t { need_more, frame, discard };
  Kind kind = Kind::need_more;
  Frame frame;      // when kind == frame
  Discard discard;  // when kind == discard
};

// kGarbage: the error of a run no rejected candidate explains.
template <class Event, class Stats, Errc kGarbage>
class StreamFramer {
 public:
  // Inline: a serial reader may push one byte at a time.
  void push(Bytes bytes) { buf_.push(bytes); }
  // True while next() would answer need_more without looking: it did, and the frame it found
  // the start of has not been pushed to its last byte yet (or no byte came at all). The Decoder
  // uses it to pass over the bytes of a frame that is still arriving.
  bool waiting() const noexcept { return buf_.waiting(); }
  // How many more bytes must be pushed before waiting() ends (0: it does not wait).
  std::size_t awaited() const noexcept { return buf_.awaited(); }
  // The buffer push() appends to (push() is input().push()): once the transport is known the
  // Decoder pushes into it directly, whichever framer it belongs to (one branch less a byte).
  StreamBuffer& input() noexcept { return buf_; }
  const StreamBuffer& input() const noexcept { return buf_; }
  // bytes_in is the buffer's stream end, read here rather than counted on every push.
  const Stats& stats() const noexcept {
    stats_.bytes_in = buf_.end_offset();
    return stats_;
  }

  // Discarded bytes are reported as one run between two frames (or up to finish()), so that the
  // events do not depend on how the input was split into push() calls. A run is reported at the
  // latest when it reaches this length.
  static constexpr std::size_t kMaxDiscardRun = 4096;

 protected:
  explicit StreamFramer(std::size_t capacity) : buf_(capacity) {}

  // next() with nothing buffered: the run at the end of input, else need-more until the next
  // byte. (next() begins: `if (run_.full()) return take_run(); if (buf_.empty()) return
  // at_empty();`, each a return of its own so that the event is built in place.)
  Event at_empty() {
    if (buf_.finished()) return take_run();
    buf_.wait_until(buf_.end_offset() + 1);
    return Event{};
  }
  // The run of discarded bytes as an event (need-more when it is empty); a new run begins.
  Event take_run() {
    Event e;
    e.discard = run_.take(kGarbage);
    if (e.discard.length > 0) e.kind = Event::Kind::discard;
    return e;
  }
  // Consumes the next n buffered bytes into the run of discarded bytes.
  void discard(std::size_t n) {
    run_.add(buf_.offset(), n);
    stats_.bytes_discarded += n;
    buf_.consume(n);
  }
  // Hunt mode with two start bytes: how many buffered bytes from the next one (which starts
  // nothing) precede the next `a` or `b`, bounded by the run's room so that a run is cut at the
  // same byte whatever the push() sizes were. In [1, buffered].
  std::size_t to_next_start(std::uint8_t a, std::uint8_t b) const {
    const Bytes w = buf_.view().first(std::min(buf_.view().size(), run_.room()));
    const auto found =
        std::find_if(w.begin() + 1, w.end(), [a, b](std::uint8_t c) { return c == a || c == b; });
    return static_cast<std::size_t>(found - w.begin());
  }
  // A frame of `length` bytes at the next buffered byte, accounted and consumed.
  void take_frame(std::size_t length) {
    ++stats_.frames_ok;
    stats_.bytes_in_frames += length;
    buf_.consume(length);
  }

  StreamBuffer buf_;
  mutable Stats stats_;             // bytes_in filled in by stats()
  DiscardRun run_{kMaxDiscardRun};  // discarded bytes not reported yet
};

}  // namespace meterlab
