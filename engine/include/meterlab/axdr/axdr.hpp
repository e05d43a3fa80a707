// A-XDR (IEC 61334-6, DLMS Blue Book data types) decoding into a flat node tape, in the manner of
// simdjson: one reusable vector of nodes, strings referenced in the input, no allocation per
// frame once the tape has grown. Counts and nesting are checked before anything is used.
#pragma once

#include <cstdint>
#include <vector>

#include "meterlab/core/bytes.hpp"

namespace meterlab::axdr {

enum class Tag : std::uint8_t {
  null_data = 0,
  array = 1,
  structure = 2,
  boolean = 3,
  bit_string = 4,
  double_long = 5,           // int32
  double_long_unsigned = 6,  // uint32
  octet_string = 9,
  visible_string = 10,
  utf8_string = 12,
  bcd = 13,
  integer = 15,        // int8
  long_ = 16,          // int16
  unsigned_ = 17,      // uint8
  long_unsigned = 18,  // uint16
  compact_array = 19,
  long64 = 20,
  long64_unsigned = 21,
  enum_ = 22,
  float32 = 23,
  float64 = 24,
  date_time = 25,  // 12 bytes
  date = 26,       // 5 bytes
  time = 27,       // 4 bytes
};

// Tag classes as bit masks over the tag values (all below 32), so that the Node predicates below
// are one test each on the hot path of the layouts.
namespace detail {
constexpr std::uint32_t tag_bit(Tag t) noexcept {
  return std::uint32_t{1} << static_cast<unsigned>(t);
}
constexpr std::uint32_t kIntegerTags = tag_bit(Tag::boolean) | tag_bit(Tag::double_long) |
                                       tag_bit(Tag::double_long_unsigned) | tag_bit(Tag::integer) |
                                       tag_bit(Tag::long_) | tag_bit(Tag::unsigned_) |
                                       tag_bit(Tag::long_unsigned) | tag_bit(Tag::long64) |
                                       tag_bit(Tag::long64_unsigned) | tag_bit(Tag::enum_);
constexpr std::uint32_t kSignedTags =
    tag_bit(Tag::integer) | tag_bit(Tag::long_) | tag_bit(Tag::double_long) | tag_bit(Tag::long64);
constexpr std::uint32_t kStringTags = tag_bit(Tag::octet_string) | tag_bit(Tag::visible_string) |
                                      tag_bit(Tag::utf8_string) | tag_bit(Tag::bcd);
constexpr bool in(std::uint32_t mask, Tag t) noexcept {
  return static_cast<unsigned>(t) < 32 && (mask & tag_bit(t)) != 0;
}
}  // namespace detail

constexpr std::size_t kMaxDepth = 16;    // deepest nesting accepted
constexpr std::size_t kMaxNodes = 8192;  // most nodes in one body

struct Node {
  Tag tag = Tag::null_data;
  std::uint32_t count = 0;    // array/structure/compact-array: elements; strings: bytes;
                              // bit-string: bits
  std::uint32_t subtree = 1;  // nodes in this subtree including itself: next sibling = i + subtree
  std::uint32_t offset = 0;   // offset of this value's tag (or, in a compact array, its content)
                              // in the parsed input (relative to Document::source())
  std::uint32_t data = 0;     // offset of the content bytes (strings, date-time, bit-string)
  union {
    std::int64_t i;   // integer, long, double-long, long64, enum (as unsigned), boolean
    std::uint64_t u;  // unsigned types
    double f;         // float32, float64
  };
  Node() : i(0) {}

  bool is_container() const noexcept {
    return tag == Tag::array || tag == Tag::structure || tag == Tag::compact_array;
  }
  // any integer width, enum, boolean
  bool is_integer() const noexcept { return detail::in(detail::kIntegerTags, tag); }
  bool is_signed() const noexcept { return detail::in(detail::kSignedTags, tag); }
  // octet, visible, utf8, bcd
  bool is_string() const noexcept { return detail::in(detail::kStringTags, tag); }
};

class Document {
 public:
  Bytes source() const noexcept { return source_; }
  // The `base` given to parse(): Node offsets are relative to source(); error offsets are
  // base + position.
  std::size_t base() const noexcept { return base_; }
  const std::vector<Node>& nodes() const noexcept { return nodes_; }
  const Node& root() const { return nodes_.front(); }
  bool empty() const noexcept { return nodes_.empty(); }
  // The content bytes of a string / bcd / date-time / date / time / bit-string node (for those,
  // count is the content length in bytes; for a bit-string it is bits).
  Bytes bytes(const Node& n) const noexcept {
    std::size_t len = n.count;
    if (n.tag == Tag::bit_string) len = (len + 7) / 8;
    if (n.data > source_.size() || len > source_.size() - n.data) return {};
    return source_.subspan(n.data, len);
  }
  // Children of a container: call with the container's index; returns index of first child.
  static std::uint32_t first_child(std::uint32_t index) noexcept { return index + 1; }
  // A simple value is one node: its subtree is not read, so that a walk along a list of simple
  // values does not wait on the load of each node before it can go to the next (the branch is
  // predicted).
  std::uint32_t next_sibling(std::uint32_t index) const noexcept {
    const Node& n = nodes_[index];
    if (n.is_container()) [[unlikely]] {
      return index + n.subtree;
    }
    return index + 1;
  }

 private:
  friend class Parser;
  Bytes source_;
  std::size_t base_ = 0;
  std::vector<Node> nodes_;
};

// Parses exactly one value from `input` into `doc` (reusing its storage). `base` is added to the
// error offsets so they point into the caller's buffer (e.g. the APDU). Trailing bytes after the
// value are NOT an error here (the caller decides, via the returned consumed length).
Result<std::size_t> parse(Bytes input, Document& doc, std::size_t base = 0);

const char* tag_name(Tag tag) noexcept;  // "double-long-unsigned", ...

}  // namespace meterlab::axdr
