// The two pieces every streaming framer needs (HDLC, M-Bus): a buffer of bytes pushed as they
// arrive and consumed from the front, and the run of bytes discarded between two frames.
//
// Both are on the hot path: inline, no virtual calls, no allocation once the buffer has grown.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "meterlab/core/bytes.hpp"
#include "meterlab/core/error.hpp"

namespace meterlab {

// Bytes a framer dropped, with the reason.
struct Discard {
  Error error;                    // error.offset: stream offset where the problem was seen
  std::size_t stream_offset = 0;  // first discarded byte
  std::size_t length = 0;         // bytes discarded
};

// Bytes pushed at the back, consumed from the front, addressed by their offset in the whole
// stream. The consumed prefix is dropped on the next push (compaction) and the capacity stays, so
// once the buffer has grown to the longest frame plus one push it never allocates again, and a
// frame already buffered is checked and handed out in place: view() stays valid until push().
class StreamBuffer {
 public:
  explicit StreamBuffer(std::size_t capacity) : buf_(capacity) {}

  // Appends `bytes` behind the unconsumed ones; a new input begins (finished() is false again).
  // Cheap enough to be called once per byte, as a serial reader may.
  void push(Bytes bytes) {
    if (start_ > 0) compact();
    const std::size_t end = end_;  // kept in a register across the byte stores below
    if (bytes.size() > buf_.size() - end)
      buf_.resize(std::max(2 * buf_.size(), end + bytes.size()));
    if (bytes.size() == 1) {
      buf_[end] = bytes.front();  // one byte from a serial line: no memcpy call
    } else if (!bytes.empty()) {
      std::memcpy(buf_.data() + end, bytes.data(), bytes.size());
    }
    end_ = end + bytes.size();
    finished_ = false;
  }
  // The unconsumed bytes; view()[0] is at stream offset offset().
  Bytes view() const noexcept { return Bytes(buf_.data() + start_, end_ - start_); }
  // Drops the first n unconsumed bytes (n <= view().size()).
  void consume(std::size_t n) noexcept { start_ += n; }
  bool empty() const noexcept { return start_ == end_; }
  std::size_t offset() const noexcept { return base_offset_ + start_; }  // of the next byte
  std::size_t end_offset() const noexcept { return base_offset_ + end_; }
  std::size_t capacity() const noexcept { return buf_.size(); }

  // End of input: no more bytes follow until the next push().
  void finish() noexcept { finished_ = true; }
  bool finished() const noexcept { return finished_; }

 private:
  // The consumed prefix goes: the unconsumed bytes move to the front.
  void compact() noexcept {
    if (end_ > start_) std::memmove(buf_.data(), buf_.data() + start_, end_ - start_);
    base_offset_ += start_;
    end_ -= start_;
    start_ = 0;
  }

  std::vector<std::uint8_t> buf_;  // its size is the capacity; bytes [start_, end_) are buffered
  std::size_t start_ = 0;          // first unconsumed byte in buf_
  std::size_t end_ = 0;            // one past the last buffered byte
  std::size_t base_offset_ = 0;    // stream offset of buf_[0]
  bool finished_ = false;
};

// Discarded bytes reported as one run (between two frames, or up to the end of input), so that a
// framer's events do not depend on how the input was split into pushes. The run carries the
// error of its most credible rejected candidate: the first one of the highest rank noted.
class DiscardRun {
 public:
  // A run is reported at the latest when it reaches max_length bytes.
  explicit constexpr DiscardRun(std::size_t max_length) noexcept : max_length_(max_length) {}

  // Adds `length` bytes from `stream_offset` on, which follow the run's bytes (at most room()).
  void add(std::size_t stream_offset, std::size_t length) noexcept {
    if (length == 0) return;
    if (run_.length == 0) run_.stream_offset = stream_offset;
    run_.length += length;
  }
  // A rejected candidate's error, ranked by how far the candidate got (rank > 0): it replaces
  // the run's error only when its rank is higher.
  void note(Error error, std::uint8_t rank) noexcept {
    if (rank <= rank_) return;
    rank_ = rank;
    run_.error = error;
  }
  bool empty() const noexcept { return run_.length == 0; }
  bool full() const noexcept { return run_.length >= max_length_; }
  std::size_t length() const noexcept { return run_.length; }
  std::size_t room() const noexcept { return full() ? 0 : max_length_ - run_.length; }

  // The run (its error Error{fallback, first byte} when none was noted), and a new empty run
  // begins. An empty run gives Discard{} (length 0).
  Discard take(Errc fallback) noexcept {
    Discard d = run_.length > 0 ? run_ : Discard{};
    if (d.length > 0 && rank_ == 0) d.error = Error{fallback, d.stream_offset};
    run_ = Discard{};
    rank_ = 0;
    return d;
  }

 private:
  Discard run_;
  std::size_t max_length_;
  std::uint8_t rank_ = 0;  // of run_.error; 0: none noted
};

}  // namespace meterlab
