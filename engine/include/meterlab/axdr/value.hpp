// Reading one A-XDR value's content (Blue Book 4.1.5 Data CHOICE), for the tape parser
// (axdr.cpp), and its table of tags (kTagTable: the layout walk notes value widths by it).
// Inline, so that the parser's loop keeps its ByteReader in registers.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>

#include "meterlab/axdr/axdr.hpp"

// The per-value steps, inlined into the callers' loops whatever GCC's size heuristics say about
// a recursive function: a call per step cost more than the step.
#define MLAB_AXDR_INLINE [[gnu::always_inline]] inline

namespace meterlab::axdr::detail {

// Bytes of the fixed-size simple types (0: not fixed size). Blue Book 4.1.5 Data CHOICE.
constexpr std::size_t fixed_size(Tag t) noexcept {
  switch (t) {
    case Tag::boolean:
    case Tag::bcd:
    case Tag::integer:
    case Tag::unsigned_:
    case Tag::enum_:
      return 1;
    case Tag::long_:
    case Tag::long_unsigned:
      return 2;
    case Tag::double_long:
    case Tag::double_long_unsigned:
    case Tag::float32:
    case Tag::time:
      return 4;
    case Tag::date:
      return 5;
    case Tag::long64:
    case Tag::long64_unsigned:
    case Tag::float64:
      return 8;
    case Tag::date_time:
      return 12;
    default:
      return 0;
  }
}

constexpr bool is_known_tag(std::uint8_t t) noexcept {
  return t <= 27 && t != 7 && t != 8 && t != 11 && t != 14;
}

// What a tag says about the content behind it, looked up once per value.
enum class Shape : std::uint8_t { unknown, null, container, compact, fixed, octets, bits };
// How a fixed-size value is read. Every integer width (and enum) goes one way: its bytes as one
// big-endian number, sign-extended when the type is signed. A switch over the widths cost an
// indirect jump per value, mispredicted whenever a list mixes types (most do).
enum class Read : std::uint8_t { integer, boolean, f32, f64, raw };
struct TagInfo {
  Shape shape = Shape::unknown;
  Read read = Read::raw;
  std::uint8_t size = 0;   // fixed: content bytes
  bool is_signed = false;  // integer: sign-extend
};

constexpr Read read_of(Tag t) noexcept {
  switch (t) {
    case Tag::boolean:
      return Read::boolean;
    case Tag::integer:
    case Tag::long_:
    case Tag::double_long:
    case Tag::long64:
    case Tag::unsigned_:
    case Tag::enum_:
    case Tag::long_unsigned:
    case Tag::double_long_unsigned:
    case Tag::long64_unsigned:
      return Read::integer;
    case Tag::float32:
      return Read::f32;
    case Tag::float64:
      return Read::f64;
    default:
      return Read::raw;  // bcd, date, time, date-time
  }
}

constexpr std::array<TagInfo, 256> make_tag_table() {
  std::array<TagInfo, 256> table{};
  for (unsigned t = 0; t < 256; ++t) {
    const auto raw = static_cast<std::uint8_t>(t);
    if (!is_known_tag(raw)) continue;
    const auto tag = static_cast<Tag>(raw);
    TagInfo& info = table[t];
    info.size = static_cast<std::uint8_t>(fixed_size(tag));
    info.read = read_of(tag);
    info.is_signed =
        tag == Tag::integer || tag == Tag::long_ || tag == Tag::double_long || tag == Tag::long64;
    if (tag == Tag::null_data) {
      info.shape = Shape::null;
    } else if (tag == Tag::array || tag == Tag::structure) {
      info.shape = Shape::container;
    } else if (tag == Tag::compact_array) {
      info.shape = Shape::compact;
    } else if (tag == Tag::bit_string) {
      info.shape = Shape::bits;
    } else if (info.size == 0) {
      info.shape = Shape::octets;  // octet, visible and utf8 strings
    } else {
      info.shape = Shape::fixed;
    }
  }
  return table;
}
inline constexpr std::array<TagInfo, 256> kTagTable = make_tag_table();

// A-XDR length/count (IEC 61334-6 6.2): one byte below 0x80, else 0x80|n then n bytes (n 1..4).
MLAB_AXDR_INLINE Result<std::uint32_t> read_length(ByteReader& r) {
  const std::size_t at = r.offset();
  MLAB_ASSIGN(std::uint8_t first, r.read_u8());
  if (first < 0x80) return std::uint32_t{first};
  const std::size_t n = first & 0x7Fu;
  if (n == 0 || n > 4) return fail(Errc::axdr_bad_value, at);
  std::uint32_t v = 0;
  for (std::size_t i = 0; i < n; ++i) {
    MLAB_ASSIGN(std::uint8_t b, r.read_u8());
    v = (v << 8) | b;
  }
  return v;
}

// Booleans, floats, and the types kept as bytes (BCD, date, time, date-time: count = their length,
// `u` their last eight bytes, big-endian).
MLAB_AXDR_INLINE Result<void> fixed_other(ByteReader& r, Node& n, TagInfo info) {
  MLAB_ASSIGN(const Bytes b, r.read_bytes(info.size));
  const std::size_t last = std::min<std::size_t>(b.size(), 8);
  const std::uint64_t v = load_uint_be(b.data() + b.size() - last, last, false);  // size >= 1
  switch (info.read) {
    case Read::boolean:
      n.i = v != 0 ? 1 : 0;
      break;
    case Read::f32:
      n.f = std::bit_cast<float>(static_cast<std::uint32_t>(v));
      break;
    case Read::f64:
      n.f = std::bit_cast<double>(v);
      break;
    default:
      n.count = info.size;
      n.u = v;
      break;
  }
  return {};
}

// A fixed-size value, read at its own width: integers sign- or zero-extended, floats as their
// IEEE 754 bits (Blue Book 4.1.5). BCD, date, time and date-time keep their bytes in the input
// (count = their length); `u` holds their last eight bytes, big-endian.
MLAB_AXDR_INLINE Result<void> fixed(ByteReader& r, Node& n, TagInfo info) {
  if (info.read != Read::integer) [[unlikely]] {
    return fixed_other(r, n, info);
  }
  MLAB_ASSIGN(const std::uint64_t v, r.read_uint_be(info.size));
  n.u = info.is_signed ? sign_extend(v, info.size) : v;
  return {};
}

MLAB_AXDR_INLINE Result<void> length_prefixed(ByteReader& r, Node& n, bool bits, std::size_t base) {
  MLAB_ASSIGN(std::uint32_t len, read_length(r));
  n.count = len;
  n.data = static_cast<std::uint32_t>(r.offset() - base);
  // bit-string: the length counts bits, ceil(bits / 8) bytes follow (Blue Book 4.1.5).
  const std::size_t bytes = bits ? (std::size_t{len} + 7) / 8 : len;
  MLAB_TRY(r.skip(bytes));
  return {};
}

// The content of a non-container value (after its tag, or untagged inside a compact array).
MLAB_AXDR_INLINE Result<void> read_content(ByteReader& r, Node& n, TagInfo info, std::size_t base) {
  n.data = static_cast<std::uint32_t>(r.offset() - base);
  switch (info.shape) {
    case Shape::null:
      return {};
    case Shape::bits:
      return length_prefixed(r, n, true, base);
    case Shape::octets:
      return length_prefixed(r, n, false, base);
    default:
      return fixed(r, n, info);
  }
}

}  // namespace meterlab::axdr::detail
