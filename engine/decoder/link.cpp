// Auto-detection and the link channels: which transport the bytes are in, and the frames and
// discards each channel holds until the Decoder reports them.
#include "meterlab/decoder/link.hpp"

#include <algorithm>

#include "meterlab/dlms/apdu.hpp"
#include "meterlab/p1/secure.hpp"

namespace meterlab {

namespace {

bool starts_like_apdu(Bytes b) noexcept {
  if (b.empty()) return false;
  switch (b[0]) {
    case dlms::kDataNotification:
    case dlms::kGeneralGloCiphering:
    case dlms::kGeneralDedCiphering:
    case dlms::kGeneralBlockTransfer:
      return true;
    default:
      return llc_in_front(b);
  }
}

// Before the transport is known, bytes that start no frame (a framer's garbage, or a false flag
// whose format byte is no HDLC frame's) belong to no transport: link_garbage. A frame that starts
// right but fails its checks keeps its transport's code.
Discard neutral(Discard d) noexcept {
  switch (d.error.code) {
    case Errc::hdlc_garbage:
    case Errc::hdlc_bad_format:
    case Errc::mbus_garbage:
    case Errc::p1_garbage:
      d.error.code = Errc::link_garbage;
      break;
    default:
      break;
  }
  return d;
}

}  // namespace

template <class L>
void LinkChannel<L>::pull_candidate(bool finished) {
  if (frame) return;
  auto pull = [this, finished] { return finished ? framer.finish() : framer.next(); };
  Event ev = pull();
  while (ev.kind == Event::Kind::discard) {
    discards.push_back(link_rejection(neutral(ev.discard), L::kTransport));
    ev = pull();
  }
  if (ev.kind == Event::Kind::frame) {
    Bytes& payload = L::payload(ev.frame);
    frame_bytes.assign(payload.begin(), payload.end());
    payload = frame_bytes;
    frame = ev;
  }
}

void LinkDetector::push(Bytes bytes) {
  hdlc.framer.push(bytes);
  mbus.framer.push(bytes);
  p1.framer.push(bytes);
  const std::size_t room = dlms::kMaxMessage - std::min(dlms::kMaxMessage, first_bytes.size());
  first_bytes.insert(first_bytes.end(), bytes.begin(),
                     bytes.begin() + static_cast<std::ptrdiff_t>(std::min(room, bytes.size())));
}

// Every channel is polled; their discards are held until one of them wins, and the winner's
// are then reported first. A frame that does not decide (LinkChannel::next_start) never wins.
LinkDetector::Winner LinkDetector::decide(bool finished) {
  hdlc.pull_candidate(finished);
  mbus.pull_candidate(finished);
  p1.pull_candidate(finished);
  constexpr std::size_t kNever = std::numeric_limits<std::size_t>::max();
  const std::size_t h_at = hdlc.next_start(finished);
  const std::size_t m_at = mbus.next_start(finished);
  std::size_t p_at = p1.next_start(finished);
  if (p_at == kNever && opens_as_p1()) p_at = p1.frame->frame.stream_offset;
  if (hdlc.frame && h_at != kNever && h_at <= std::min(m_at, p_at)) return Winner::hdlc;
  if (mbus.frame && m_at != kNever && m_at < h_at && m_at <= p_at) return Winner::mbus;
  if (p1.frame && p_at != kNever && p_at < std::min(h_at, m_at)) return Winner::p1;
  return finished ? Winner::neither : Winner::undecided;
}

// Tried once per frame: decide() runs on every pull.
bool LinkDetector::opens_as_p1() {
  if (!keys || !p1.frame || p1.frame->frame.kind != p1::Frame::Kind::ciphered) return false;
  const std::size_t at = p1.frame->frame.stream_offset;
  if (p1_tried_at_ != at) {
    p1_tried_at_ = at;
    p1_opens_ = p1::open(p1.frame->frame.bytes, *keys, p1_plaintext_).has_value();
  }
  return p1_opens_;
}

bool LinkDetector::bare_apdu(std::size_t bytes_in) const noexcept {
  return starts_like_apdu(first_bytes) && first_bytes.size() == bytes_in;
}

}  // namespace meterlab
