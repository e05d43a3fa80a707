// The two pieces every streaming framer needs (HDLC, M-Bus): a buffer of bytes pushed as they
// arrive and consumed from the front, and the run of bytes discarded between two frames.
//
// Both are on the hot path: inline, no virtual calls, no allocation once the buffer has grown.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <utility>
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
// stream. The consumed prefix is dropped only when a push does not fit behind the buffered bytes
// (compaction), and the capacity stays, so once the buffer has grown to the longest frame plus one
// push it never allocates again, and a frame already buffered is checked and handed out in place:
// view() stays valid until push().
//
// push() is meant to be called once per byte, as a serial reader may: when the bytes fit it
// stores them and moves the end, and a byte watched for ends the wait (try_push()). The framer's
// "frame still arriving" mark lives here too (wait_until()): waiting() compares it with the end
// (the Decoder's next() asks it after each push), and awaited() says how many bytes are still to
// come.
class StreamBuffer {
 public:
  explicit StreamBuffer(std::size_t capacity) : buf_(capacity) { adopt(*this); }
  // The pointers point into buf_: a copy points into its own bytes, a moved-from buffer is empty.
  StreamBuffer(const StreamBuffer& other) : StreamBuffer(0) { *this = other; }
  StreamBuffer(StreamBuffer&& other) noexcept : StreamBuffer(0) { *this = std::move(other); }
  StreamBuffer& operator=(const StreamBuffer& other) {
    if (this == &other) return *this;
    buf_ = other.buf_;
    adopt(other);
    return *this;
  }
  StreamBuffer& operator=(StreamBuffer&& other) noexcept {
    if (this == &other) return *this;
    buf_ = std::move(other.buf_);
    adopt(other);
    other.buf_.clear();
    other.adopt(StreamBuffer(0));
    return *this;
  }
  ~StreamBuffer() = default;

  // Appends `bytes` behind the unconsumed ones; a new input begins (finished() is false again).
  void push(Bytes bytes) {
    if (!try_push(bytes)) push_slow(bytes);
  }
  // push() when the bytes fit behind the buffered ones as they are: it stores them, moves the
  // end and ends a byte watch's wait when it should (see watch_for()), nothing else. False, and
  // nothing done, when they do not fit (or there are none): then push() them.
  bool try_push(Bytes bytes) noexcept {
    const std::size_t n = bytes.size();
    // n - 1 wraps for an empty push, which goes the slow way too (it still ends a finish()).
    if (n - 1 >= static_cast<std::size_t>(limit_ - end_)) return false;
    if (n == 1) {
      saw_one(*bytes.data());  // one byte from a serial line: no memcpy call
    } else {
      std::memcpy(end_, bytes.data(), n);
      saw_many();
    }
    end_ += n;  // finished() compares the end: it is false again
    return true;
  }
  // The unconsumed bytes; view()[0] is at stream offset offset().
  Bytes view() const noexcept {
    // Reading the Octets through unsigned char is allowed ([basic.lval]/11).
    return Bytes(reinterpret_cast<const std::uint8_t*>(data_ + start_), end() - start_);
  }
  // Drops the first n unconsumed bytes (n <= view().size()).
  void consume(std::size_t n) noexcept { start_ += n; }
  bool empty() const noexcept { return data_ + start_ == end_; }
  std::size_t offset() const noexcept { return base_offset_ + start_; }  // of the next byte
  std::size_t end_offset() const noexcept { return base_offset_ + end(); }
  std::size_t capacity() const noexcept { return buf_.size(); }

  // End of input: no more bytes follow until the next push(). Nothing is awaited any more.
  void finish() noexcept {
    finished_at_ = end_offset();
    wake_ = 0;
    unwatch();
  }
  bool finished() const noexcept { return finished_at_ == end_offset(); }

  // A framer's wait: waiting() is true until the stream end reaches `stream_end` (which is past
  // end_offset()), or until finish().
  void wait_until(std::size_t stream_end) noexcept { set_wake(stream_end - base_offset_); }
  // The end's address against the mark's: no index arithmetic on a serial line's byte loop.
  bool waiting() const noexcept { return address(end_) < wake_; }
  // How many more bytes waiting() waits for (0 when it does not).
  std::size_t awaited() const noexcept { return waiting() ? wake_ - address(end_) : 0; }

  // A wait for a byte value rather than a length (a P1 telegram ends at its '!'): waiting() ends
  // at the next byte as for any wait, then rearm() (called once waiting() is false) looks at the
  // bytes that came since stream offset `from`: none of them `a` or `b`, and the stream end short
  // of `limit`, it sets the wait again up to `limit` and answers true. From then on a push of
  // one byte tests it where it stores it (try_push(): one compare with a table entry): `a` or
  // `b` ends the wait, and so does any push of more bytes, or the limit; rearm() then looks
  // again. So the framer is not asked again for every byte of a telegram, nor the buffer out of
  // line. Else the watch is over and the framer looks itself. A buffer without a watch pays the
  // compare a byte and one test when a wait ends. finish() ends a watch.
  void watch_for(std::uint8_t a, std::uint8_t b, std::size_t from, std::size_t limit) noexcept {
    unwatch();
    watch_a_ = a;
    watch_b_ = b;
    ends_[a] = true;
    ends_[b] = true;
    watch_ = from - base_offset_;
    watch_limit_ = limit - base_offset_;
  }
  bool rearm() noexcept {
    if (watch_ == kNever) return false;
    const std::size_t at = end();
    if (at >= watch_limit_) return unwatch();
    // A serial line's '!' is the last byte: no need to look at the bytes before it again.
    if (at != watch_ && ends_watch(end_[-1])) return unwatch();
    for (const Octet* p = data_ + watch_; p != end_; ++p) {
      if (ends_watch(*p)) return unwatch();
    }
    watch_ = at;
    set_wake(watch_limit_);
    return true;
  }

 private:
  static constexpr std::size_t kNever = ~std::size_t{0};  // finished_at_ before any finish()

  // The stored bytes' type: not a character type, so a store through Octet* cannot alias the
  // fields below or the caller's counters ([basic.lval]/11), and the compiler may keep them in
  // registers across a byte-at-a-time loop (a store through std::uint8_t* may alias anything).
  enum class Octet : std::uint8_t {};

  static std::uintptr_t address(const Octet* p) noexcept {
    return reinterpret_cast<std::uintptr_t>(p);
  }
  std::size_t end() const noexcept { return static_cast<std::size_t>(end_ - data_); }
  // The wait's mark as an index in buf_ (0 when there is none), and set from one.
  std::size_t wake_index() const noexcept {
    return wake_ > address(data_) ? wake_ - address(data_) : 0;
  }
  void set_wake(std::size_t index) noexcept { wake_ = address(data_) + index; }
  // One byte stored at the end: a watched byte ends the wait. One compare with its table entry,
  // the same for every buffer (a mask and'ed into the mark instead costs a store a byte, and
  // the two watched bytes held apart two compares). The wait ends out of line: inline, the
  // compiler joins the two paths with the mark loaded into a register, one more instruction a
  // byte.
  void saw_one(std::uint8_t c) noexcept {
    *end_ = static_cast<Octet>(c);
    if (ends_[c]) [[unlikely]]
      end_wait();
  }
  [[gnu::noinline, gnu::cold]] void end_wait() noexcept { wake_ = 0; }
  // Several bytes stored at once: a watch's wait ends, rearm() looks at them.
  void saw_many() noexcept {
    if (watch_ != kNever) wake_ = 0;
  }
  bool ends_watch(Octet c) const noexcept { return ends_[static_cast<std::uint8_t>(c)]; }
  bool unwatch() noexcept {
    ends_[watch_a_] = false;
    ends_[watch_b_] = false;
    watch_ = kNever;
    return false;
  }

  // The bytes do not fit behind the buffered ones (or there are none): compact, grow if still
  // needed. Out of line: it runs once per buffer's worth of bytes, not once per byte.
  [[gnu::noinline]] void push_slow(Bytes bytes) {
    finished_at_ = kNever;
    if (bytes.empty()) return;
    if (bytes.size() > capacity() - end()) compact();
    if (bytes.size() > capacity() - end()) {
      const std::size_t end_at = end();
      const std::size_t wake_at = wake_index();
      buf_.resize(std::max(2 * capacity(), end_at + bytes.size()));
      data_ = buf_.data();
      end_ = data_ + end_at;
      limit_ = data_ + buf_.size();
      set_wake(wake_at);
    }
    if (bytes.size() == 1) {
      saw_one(bytes.front());
    } else {
      std::memcpy(end_, bytes.data(), bytes.size());
      saw_many();
    }
    end_ += bytes.size();
  }
  // Every field but the bytes from `other` (which may be this buffer), the pointers on this
  // buffer's own bytes.
  void adopt(const StreamBuffer& other) noexcept {
    const std::size_t end_at = other.end();
    data_ = buf_.data();
    end_ = data_ + end_at;
    limit_ = data_ + buf_.size();
    set_wake(other.wake_index());
    start_ = other.start_;
    base_offset_ = other.base_offset_;
    finished_at_ = other.finished_at_;
    watch_ = other.watch_;
    watch_limit_ = other.watch_limit_;
    watch_a_ = other.watch_a_;
    watch_b_ = other.watch_b_;
    ends_ = other.ends_;
  }
  // The consumed prefix goes: the unconsumed bytes move to the front (the wait mark with them).
  void compact() noexcept {
    const std::size_t kept = end() - start_;
    if (kept > 0) std::memmove(data_, data_ + start_, kept);
    base_offset_ += start_;
    end_ = data_ + kept;
    const std::size_t wake_at = wake_index();
    set_wake(wake_at - std::min(wake_at, start_));
    if (watch_ != kNever) watch_ -= start_;  // the watched bytes are not consumed
    watch_limit_ -= std::min(watch_limit_, start_);
    start_ = 0;
  }

  // Bytes [data_ + start_, end_) are buffered. The pointers are kept so that push() loads no
  // vector field and does no index arithmetic.
  std::vector<Octet> buf_;  // its size is the capacity
  Octet* data_ = nullptr;   // buf_.data()
  Octet* end_ = nullptr;    // one past the last buffered byte
  Octet* limit_ = nullptr;  // buf_.data() + buf_.size()
  // The address in buf_ that ends a wait (see waiting()), past it when the wait goes beyond the
  // capacity; 0 when there is none (finish(), a watched byte: see saw_one()).
  std::uintptr_t wake_ = 0;
  std::size_t start_ = 0;             // first unconsumed byte in buf_
  std::size_t base_offset_ = 0;       // stream offset of buf_[0]
  std::size_t finished_at_ = kNever;  // end_offset() at finish(): finished() until it moves
  // The byte watch (watch_for()): indexes in buf_ as wake_; watch_ kNever when there is none.
  std::size_t watch_ = kNever;
  std::size_t watch_limit_ = 0;
  std::uint8_t watch_a_ = 0;
  std::uint8_t watch_b_ = 0;
  // Per byte value: whether it ends the wait (the watched bytes; none when there is no watch).
  std::array<bool, 256> ends_{};
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
