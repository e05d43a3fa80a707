// A-XDR Data writer (IEC 61334-6 A-XDR rules for the DLMS Data CHOICE, Blue Book 4.1.5): a tag
// byte, then a length where the type has one, then the value big-endian. Writing never fails: the
// writer appends what it is given, the caller decides what is valid for its meter.
#include <bit>

#include "meterlab/core/bytes.hpp"
#include "meterlab/sim/encode.hpp"

namespace meterlab::sim {

namespace {

// Data CHOICE tags (Blue Book 4.1.5).
constexpr std::uint8_t kNullData = 0x00;
constexpr std::uint8_t kArray = 0x01;
constexpr std::uint8_t kStructure = 0x02;
constexpr std::uint8_t kBoolean = 0x03;
constexpr std::uint8_t kBitString = 0x04;
constexpr std::uint8_t kDoubleLong = 0x05;
constexpr std::uint8_t kDoubleLongUnsigned = 0x06;
constexpr std::uint8_t kOctetString = 0x09;
constexpr std::uint8_t kVisibleString = 0x0A;
constexpr std::uint8_t kUtf8String = 0x0C;
constexpr std::uint8_t kBcd = 0x0D;
constexpr std::uint8_t kInteger = 0x0F;
constexpr std::uint8_t kLong = 0x10;
constexpr std::uint8_t kUnsigned = 0x11;
constexpr std::uint8_t kLongUnsigned = 0x12;
constexpr std::uint8_t kCompactArray = 0x13;
constexpr std::uint8_t kLong64 = 0x14;
constexpr std::uint8_t kLong64Unsigned = 0x15;
constexpr std::uint8_t kEnum = 0x16;
constexpr std::uint8_t kFloat32 = 0x17;
constexpr std::uint8_t kFloat64 = 0x18;
constexpr std::uint8_t kDateTime = 0x19;

constexpr std::size_t kDateTimeLength = 12;  // Blue Book 4.1.6.1

ByteSpan as_bytes(std::string_view s) noexcept {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

}  // namespace

std::array<std::uint8_t, 12> CosemDateTime::bytes() const {
  // year hi lo, month, day, weekday, hour, minute, second, hundredths, deviation hi lo, status
  // (Blue Book 4.1.6.1); the deviation is a signed 16-bit count sent as its two's complement.
  const auto dev = static_cast<std::uint16_t>(deviation);
  return {static_cast<std::uint8_t>(year >> 8),
          static_cast<std::uint8_t>(year),
          month,
          day,
          weekday,
          hour,
          minute,
          second,
          hundredths,
          static_cast<std::uint8_t>(dev >> 8),
          static_cast<std::uint8_t>(dev),
          status};
}

// A-XDR length (IEC 61334-6 6.2, BER form): below 0x80 one byte; else 0x80 | n, then the n bytes
// of the length big-endian, as few as it needs (81 xx up to 255, 82 xx xx up to 65535).
void AxdrWriter::length(std::size_t n) {
  ByteWriter w(out_);
  if (n < 0x80) {
    w.put_u8(static_cast<std::uint8_t>(n));
    return;
  }
  std::uint8_t bytes = 0;
  for (std::size_t rest = n; rest != 0; rest >>= 8) ++bytes;
  w.put_u8(static_cast<std::uint8_t>(0x80 | bytes));
  for (std::uint8_t i = bytes; i > 0; --i) {
    w.put_u8(static_cast<std::uint8_t>(n >> (8 * (i - 1))));
  }
}

void AxdrWriter::null_data() { out_.push_back(kNullData); }

void AxdrWriter::array(std::size_t count) {
  out_.push_back(kArray);
  length(count);
}

void AxdrWriter::structure(std::size_t count) {
  out_.push_back(kStructure);
  length(count);
}

void AxdrWriter::boolean(bool v) { boolean_byte(v ? 0xFF : 0x00); }  // most meters send FF

void AxdrWriter::boolean_byte(std::uint8_t v) {
  out_.push_back(kBoolean);
  out_.push_back(v);  // any non-zero is true
}

// The length counts bits; ceil(bits / 8) bytes follow, missing bytes of `bits` as zero.
void AxdrWriter::bit_string(ByteSpan bits, std::size_t bit_count) {
  out_.push_back(kBitString);
  length(bit_count);
  const std::size_t n = (bit_count + 7) / 8;
  for (std::size_t i = 0; i < n; ++i) out_.push_back(i < bits.size() ? bits[i] : 0);
}

void AxdrWriter::int32(std::int32_t v) {
  out_.push_back(kDoubleLong);
  ByteWriter(out_).put_u32be(static_cast<std::uint32_t>(v));
}

void AxdrWriter::uint32(std::uint32_t v) {
  out_.push_back(kDoubleLongUnsigned);
  ByteWriter(out_).put_u32be(v);
}

void AxdrWriter::octet_string(ByteSpan v) {
  out_.push_back(kOctetString);
  length(v.size());
  raw(v);
}

void AxdrWriter::visible_string(std::string_view v) {
  out_.push_back(kVisibleString);
  length(v.size());
  raw(as_bytes(v));
}

void AxdrWriter::utf8_string(std::string_view v) {
  out_.push_back(kUtf8String);
  length(v.size());
  raw(as_bytes(v));
}

void AxdrWriter::bcd(std::uint8_t v) {
  out_.push_back(kBcd);
  out_.push_back(v);
}

void AxdrWriter::int8(std::int8_t v) {
  out_.push_back(kInteger);
  out_.push_back(static_cast<std::uint8_t>(v));
}

void AxdrWriter::int16(std::int16_t v) {
  out_.push_back(kLong);
  ByteWriter(out_).put_u16be(static_cast<std::uint16_t>(v));
}

void AxdrWriter::uint8(std::uint8_t v) {
  out_.push_back(kUnsigned);
  out_.push_back(v);
}

void AxdrWriter::uint16(std::uint16_t v) {
  out_.push_back(kLongUnsigned);
  ByteWriter(out_).put_u16be(v);
}

void AxdrWriter::int64(std::int64_t v) {
  out_.push_back(kLong64);
  ByteWriter(out_).put_u64be(static_cast<std::uint64_t>(v));
}

void AxdrWriter::uint64(std::uint64_t v) {
  out_.push_back(kLong64Unsigned);
  ByteWriter(out_).put_u64be(v);
}

void AxdrWriter::enumeration(std::uint8_t v) {
  out_.push_back(kEnum);
  out_.push_back(v);
}

// IEEE 754 binary32 / binary64, big-endian (Blue Book 4.1.5 float32 / float64).
void AxdrWriter::float32(float v) {
  out_.push_back(kFloat32);
  ByteWriter(out_).put_u32be(std::bit_cast<std::uint32_t>(v));
}

void AxdrWriter::float64(double v) {
  out_.push_back(kFloat64);
  ByteWriter(out_).put_u64be(std::bit_cast<std::uint64_t>(v));
}

void AxdrWriter::date_time(const CosemDateTime& v) {
  out_.push_back(kDateTime);
  raw(v.bytes());
}

// Most meters send a date-time as octet-string(12) rather than the date-time type.
void AxdrWriter::date_time_octets(const CosemDateTime& v) {
  out_.push_back(kOctetString);
  length(kDateTimeLength);
  raw(v.bytes());
}

// compact-array (Blue Book 4.1.5): contents-description, here the simple type long-unsigned, which
// every element follows; then array-contents, an octet-string of the untagged elements.
void AxdrWriter::compact_array_u16(std::span<const std::uint16_t> values) {
  out_.push_back(kCompactArray);
  out_.push_back(kLongUnsigned);
  length(values.size() * 2);
  ByteWriter w(out_);
  for (std::uint16_t v : values) w.put_u16be(v);
}

void AxdrWriter::raw(ByteSpan bytes) { out_.insert(out_.end(), bytes.begin(), bytes.end()); }

}  // namespace meterlab::sim
