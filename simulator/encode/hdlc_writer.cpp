// HDLC frame format type 3 (IEC 62056-46 / Green Book 8.4), as push meters send UI frames:
//   7E | A S L(11 bits) | dest | src | control | HCS | information | FCS | 7E
// HCS covers format through control, FCS format through information; both CRC-16/X.25 (ISO/IEC
// 13239), least significant byte first. A frame without information has no HCS.
#include <algorithm>

#include "meterlab/core/bytes.hpp"
#include "meterlab/core/crc.hpp"
#include "meterlab/sim/encode.hpp"

namespace meterlab::sim {

namespace {

constexpr std::uint8_t kFlag = 0x7E;
constexpr std::uint8_t kFormatType3 = 0xA0;    // type 3 in the top nibble
constexpr std::uint8_t kSegmentation = 0x08;   // S bit: more segments follow
constexpr std::size_t kMaxFrameLength = 2047;  // 11-bit length field
constexpr std::size_t kCrcLength = 2;
// LLC header of the first information field (IEC 62056-46 LLC sublayer: destination LSAP E6,
// source LSAP E7 for a response, LLC quality 00).
constexpr std::array<std::uint8_t, 3> kLlc = {0xE6, 0xE7, 0x00};

void put_crc(ByteWriter& w, ByteSpan covered) {
  const std::uint16_t crc = crc16_x25(covered);
  w.put_u8(static_cast<std::uint8_t>(crc));
  w.put_u8(static_cast<std::uint8_t>(crc >> 8));
}

// Bytes of a frame between the flags without its information field.
std::size_t overhead(const HdlcParams& p, bool has_info) noexcept {
  return 2 + p.dest.size() + p.src.size() + 1 + (has_info ? kCrcLength : 0) + kCrcLength;
}

Buffer frame(ByteSpan info, bool more, const HdlcParams& p) {
  const std::size_t length = overhead(p, !info.empty()) + info.size();
  Buffer out;
  out.reserve(length + 2);
  ByteWriter w(out);
  w.put_u8(kFlag);
  w.put_u8(static_cast<std::uint8_t>(kFormatType3 | (more ? kSegmentation : 0) | (length >> 8)));
  w.put_u8(static_cast<std::uint8_t>(length));
  w.put_bytes(p.dest);
  w.put_bytes(p.src);
  w.put_u8(p.control);
  if (!info.empty()) {
    put_crc(w, ByteSpan(out).subspan(1));
    w.put_bytes(info);
  }
  put_crc(w, ByteSpan(out).subspan(1));
  w.put_u8(kFlag);
  return out;
}

// The largest information field per frame: as asked, and never more than the 11-bit length holds.
std::size_t info_limit(const HdlcParams& p) noexcept {
  const std::size_t fits = kMaxFrameLength - overhead(p, true);
  return p.max_info == 0 ? fits : std::min(p.max_info, fits);
}

}  // namespace

// The message is LLC (first frame only) + APDU; it is cut into information fields of at most
// info_limit() bytes, the S bit set on every frame but the last (IEC 62056-46 segmentation).
std::vector<Buffer> hdlc_frames(ByteSpan apdu, const HdlcParams& params) {
  Buffer message;
  message.reserve(kLlc.size() + apdu.size());
  if (params.llc) message.insert(message.end(), kLlc.begin(), kLlc.end());
  message.insert(message.end(), apdu.begin(), apdu.end());

  const std::size_t limit = info_limit(params);
  std::vector<Buffer> frames;
  ByteSpan rest(message);
  do {
    const std::size_t n = std::min(limit, rest.size());
    frames.push_back(frame(rest.first(n), n < rest.size(), params));
    rest = rest.subspan(n);
  } while (!rest.empty());
  return frames;
}

}  // namespace meterlab::sim
