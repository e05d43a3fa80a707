// M-Bus long frames (EN 13757-2) carrying the DLMS/COSEM M-Bus transport (IEC 62056-7-3), as
// the Austrian Kaifa MA309 send it:
//   68 L L 68 | C | A | CI | STSAP | DTSAP | data | CS | 16
// L counts C through data; CS is the sum of those bytes modulo 256. The CI field numbers the
// segments: bits 0-3 the segment number, bit 4 set on the last (single frame: 0x10).
#include <algorithm>

#include "meterlab/core/bytes.hpp"
#include "meterlab/core/crc.hpp"
#include "meterlab/sim/encode.hpp"

namespace meterlab::sim {

namespace {

constexpr std::uint8_t kStart = 0x68;
constexpr std::uint8_t kStop = 0x16;
constexpr std::size_t kHeaderFields = 5;  // C, A, CI, STSAP, DTSAP
constexpr std::size_t kMaxL = 0xFF;       // one-byte L field
constexpr std::uint8_t kLastSegment = 0x10;
constexpr std::size_t kMaxSegments = 16;  // 4-bit segment number

Buffer frame(ByteSpan data, std::uint8_t ci, const MbusParams& p) {
  const auto l = static_cast<std::uint8_t>(kHeaderFields + data.size());
  Buffer out;
  out.reserve(4 + l + 2);
  ByteWriter w(out);
  w.put_bytes(std::array<std::uint8_t, 4>{kStart, l, l, kStart});
  w.put_bytes(std::array<std::uint8_t, 5>{p.c, p.a, ci, p.stsap, p.dtsap});
  w.put_bytes(data);
  w.put_u8(mbus_checksum(ByteSpan(out).subspan(4)));
  w.put_u8(kStop);
  return out;
}

}  // namespace

std::vector<Buffer> mbus_frames(ByteSpan apdu, const MbusParams& params) {
  const std::size_t fits = kMaxL - kHeaderFields;
  const std::size_t limit = params.max_data == 0 ? fits : std::min(params.max_data, fits);
  const std::size_t count = std::max<std::size_t>(1, (apdu.size() + limit - 1) / limit);
  if (count > kMaxSegments) return {};
  std::vector<Buffer> frames;
  frames.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    const ByteSpan data = apdu.subspan(i * limit, std::min(limit, apdu.size() - i * limit));
    const bool last = i + 1 == count;
    frames.push_back(frame(data, static_cast<std::uint8_t>(i | (last ? kLastSegment : 0)), params));
  }
  return frames;
}

}  // namespace meterlab::sim
