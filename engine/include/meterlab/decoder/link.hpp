// The link end of the Decoder: one channel per transport (its framer and reassembler, and what
// the Decoder keeps of them), the auto-detection that runs two channels until one wins, and the
// bare-APDU input. The Decoder holds exactly one of these at a time.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <limits>
#include <optional>
#include <vector>

#include "meterlab/core/error.hpp"
#include "meterlab/cosem/telegram.hpp"
#include "meterlab/dlms/security.hpp"
#include "meterlab/hdlc/framer.hpp"
#include "meterlab/mbus/framer.hpp"
#include "meterlab/p1/framer.hpp"

namespace meterlab {

struct Rejection {
  Error error;                   // error.offset: stream offset (hdlc, mbus) or APDU offset
  std::size_t frame_offset = 0;  // where in the stream the rejected bytes / message start
  std::size_t frame_length = 0;
  cosem::Transport transport = cosem::Transport::apdu;
  std::optional<dlms::SystemTitle> system_title;  // for security errors
  Layer layer() const noexcept { return layer_of(error.code); }
};

// The LLC header in front of an APDU as HDLC carries it (IEC 62056-46 8.1: DSAP E6, SSAP E7
// for a response, quality 00); a bare APDU cut out of an HDLC frame may still have it.
inline constexpr std::array<std::uint8_t, 3> kLlcResponse{0xE6, 0xE7, 0x00};
inline bool llc_in_front(Bytes b) noexcept {
  return b.size() >= kLlcResponse.size() &&
         std::equal(kLlcResponse.begin(), kLlcResponse.end(), b.begin());
}

// Bytes a framer discarded, as the Decoder reports them.
inline Rejection link_rejection(const Discard& d, cosem::Transport t) {
  return Rejection{d.error, d.stream_offset, d.length, t, std::nullopt};
}

// What differs between the two link layers, as the Decoder uses them.
struct HdlcLink {
  using Framer = hdlc::Framer;
  using Frame = hdlc::Frame;
  using Reassembler = hdlc::Reassembler;
  using Event = hdlc::Event;
  static constexpr cosem::Transport kTransport = cosem::Transport::hdlc;
  static constexpr Errc kUnfinished = Errc::hdlc_truncated;  // segments missing at the end
  static constexpr bool kSegmented = true;                   // frames go through a reassembler
  static Bytes& payload(hdlc::Frame& f) noexcept { return f.info; }
  static bool decides(const hdlc::Frame&) noexcept { return true; }
};

struct MbusLink {
  using Framer = mbus::Framer;
  using Frame = mbus::Frame;
  using Reassembler = mbus::Reassembler;
  using Event = mbus::Event;
  static constexpr cosem::Transport kTransport = cosem::Transport::mbus;
  static constexpr Errc kUnfinished = Errc::mbus_segment_lost;
  static constexpr bool kSegmented = true;
  static Bytes& payload(mbus::Frame& f) noexcept { return f.data; }
  static bool decides(const mbus::Frame&) noexcept { return true; }
};

// P1 (DSMR text telegrams, encrypted P1): one frame is one telegram, nothing to reassemble.
struct P1Link {
  struct Reassembler {};
  using Framer = p1::Framer;
  using Frame = p1::Frame;
  using Event = p1::Event;
  static constexpr cosem::Transport kTransport = cosem::Transport::p1;
  static constexpr bool kSegmented = false;
  static Bytes& payload(p1::Frame& f) noexcept { return f.bytes; }
  // An encrypted P1 frame is a bare general-glo-ciphering APDU: by its bytes alone it decides
  // nothing (a bare ciphered DLMS APDU looks the same); LinkDetector::opens_as_p1() decides it
  // by its plaintext when the Decoder's keys open it.
  static bool decides(const p1::Frame& f) noexcept { return f.kind == p1::Frame::Kind::text; }
};

// One transport's link: its framer and reassembler, the discards and the frame not reported yet,
// and how far its frames have been counted. Moving a channel keeps the frame's payload valid (it
// points into `frame_bytes`, whose storage moves with it).
template <class Link>
struct LinkChannel {
  using Event = typename Link::Event;

  // One turn in auto-detection, unless a frame is held already: discards are held as
  // rejections until a frame or need-more comes; a frame is held, its payload copied into
  // frame_bytes (the framer's buffer moves on). At the end of input (`finished`) the framer
  // gives up the frame it waits on, and may find one behind it.
  void pull_candidate(bool finished);
  // Where this channel's next frame starts at the earliest (never: after the end of input).
  std::size_t next_start(bool finished) const noexcept {
    if (frame) {
      if (!Link::decides(frame->frame)) return std::numeric_limits<std::size_t>::max();
      return frame->frame.stream_offset;
    }
    return finished ? std::numeric_limits<std::size_t>::max() : framer.input().offset();
  }

  typename Link::Framer framer;
  typename Link::Reassembler segments;
  std::deque<Rejection> discards;         // link discards not reported yet, in stream order
  std::optional<Event> frame;             // a good frame not reported yet (the one that decided)
  std::vector<std::uint8_t> frame_bytes;  // its payload
  std::size_t accounted = 0;              // stream offset up to which good frames are counted
  bool ready = false;  // a frame that caused a reassembly error is a whole message itself
  // After the end of input: the framer was told (framer_finished), then a message left waiting
  // for segments was reported (reported).
  enum class End : std::uint8_t { open, framer_finished, reported };
  End end = End::open;
};

using HdlcChannel = LinkChannel<HdlcLink>;
using MbusChannel = LinkChannel<MbusLink>;
using P1Channel = LinkChannel<P1Link>;

// Auto-detection: every channel sees every byte until one finds a good frame. The frame that
// starts first wins (HDLC, then M-Bus, then P1 on a tie), whatever the sizes of the pushes: a frame
// one channel found is held until the other has looked past its start, or the input ended. A copy
// of the first bytes is kept in case the input turns out to be a bare APDU.
struct LinkDetector {
  enum class Winner : std::uint8_t { undecided, hdlc, mbus, p1, neither };
  void push(Bytes bytes);
  Winner decide(bool finished);
  // The input ended with no good frame: is it one bare APDU (as captures and documents give
  // them)? `bytes_in`: every byte pushed.
  bool bare_apdu(std::size_t bytes_in) const noexcept;
  std::uint64_t resyncs() const noexcept {
    return hdlc.framer.stats().resyncs + mbus.framer.stats().resyncs + p1.framer.stats().resyncs;
  }

  HdlcChannel hdlc;
  MbusChannel mbus;
  P1Channel p1;
  std::vector<std::uint8_t> first_bytes;  // up to dlms::kMaxMessage
  // The Decoder's keys: an encrypted P1 frame that they open into a P1 telegram (where a DLMS
  // APDU would decrypt to a data-notification) decides P1. Null: it never decides.
  const dlms::KeyRing* keys = nullptr;

 private:
  bool opens_as_p1();
  std::vector<std::uint8_t> p1_plaintext_;
  std::optional<std::size_t> p1_tried_at_;  // the encrypted frame opens_as_p1() tried last
  bool p1_opens_ = false;
};

// A bare APDU as input (given, or detected at the end): decoded whole at the end of input.
struct RawApdu {
  std::vector<std::uint8_t> bytes;
  bool decoded = false;
};

}  // namespace meterlab
