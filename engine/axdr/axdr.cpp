// A-XDR decoding (IEC 61334-6 A-XDR rules applied to the DLMS `Data` CHOICE, Blue Book 4.1.5)
// into the flat node tape of axdr.hpp. Recursion is bounded by kMaxDepth, every count from the
// wire is checked against what is left before anything is pushed, and the node vector keeps its
// capacity between parses, so a warmed-up Document does not allocate.
#include "meterlab/axdr/axdr.hpp"

#include <array>
#include <bit>

namespace meterlab::axdr {

namespace {

// Longest compact-array type description accepted (entries of the flattened description tree).
constexpr std::size_t kMaxDescription = 64;

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

constexpr std::int64_t sign_extend(std::uint64_t v, unsigned bits) noexcept {
  const std::uint64_t sign = std::uint64_t{1} << (bits - 1);
  return static_cast<std::int64_t>((v ^ sign) - sign);
}

// One entry of a flattened compact-array type description (pre-order).
struct Desc {
  Tag tag = Tag::null_data;
  std::uint32_t count = 0;  // array: elements; structure: members
  std::uint32_t span = 1;   // entries of this description subtree including itself
};

}  // namespace

class Parser {
 public:
  Parser(Document& doc, std::size_t base) : doc_(doc), base_(base) {}

  // Clears the tape (keeping its capacity) and parses one value.
  Result<std::size_t> run(Bytes input);

 private:
  Result<void> value(ByteReader& r, std::size_t depth);
  Result<std::uint32_t> push(Tag tag, std::size_t abs_offset);
  std::uint32_t rel(std::size_t abs_offset) const noexcept {
    return static_cast<std::uint32_t>(abs_offset - base_);
  }
  Result<std::uint32_t> read_length(ByteReader& r);
  Result<void> check_count(std::uint32_t count, std::size_t need_each, const ByteReader& r,
                           std::size_t at);
  Result<void> container(ByteReader& r, std::uint32_t index, std::size_t depth);
  Result<void> content(ByteReader& r, std::uint32_t index);
  Result<void> length_prefixed(ByteReader& r, Node& n, bool bits);
  Result<void> compact_array(ByteReader& r, std::uint32_t index, std::size_t depth);
  Result<std::uint32_t> description(ByteReader& r, std::size_t depth);
  Result<std::uint32_t> element(ByteReader& r, std::uint32_t d, std::size_t depth);
  void close(std::uint32_t index) noexcept {
    doc_.nodes_[index].subtree = static_cast<std::uint32_t>(doc_.nodes_.size()) - index;
  }

  Document& doc_;
  std::size_t base_;
  std::array<Desc, kMaxDescription> desc_{};
  std::size_t desc_len_ = 0;
};

Result<std::uint32_t> Parser::push(Tag tag, std::size_t abs_offset) {
  if (doc_.nodes_.size() >= kMaxNodes) return fail(Errc::axdr_too_many, abs_offset);
  Node& n = doc_.nodes_.emplace_back();
  n.tag = tag;
  n.offset = rel(abs_offset);
  n.data = n.offset;
  return static_cast<std::uint32_t>(doc_.nodes_.size() - 1);
}

// A-XDR length/count (IEC 61334-6 6.2): one byte below 0x80, else 0x80|n then n bytes (n 1..4).
Result<std::uint32_t> Parser::read_length(ByteReader& r) {
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

// A count is checked against the bytes left and the node budget before any element is read.
Result<void> Parser::check_count(std::uint32_t count, std::size_t need_each, const ByteReader& r,
                                 std::size_t at) {
  if (need_each != 0 && count > r.remaining() / need_each) return fail(Errc::axdr_too_many, at);
  if (count > kMaxNodes - doc_.nodes_.size()) return fail(Errc::axdr_too_many, at);
  return {};
}

Result<void> Parser::value(ByteReader& r, std::size_t depth) {
  const std::size_t at = r.offset();
  MLAB_ASSIGN(std::uint8_t raw, r.read_u8());
  if (!is_known_tag(raw)) return fail(Errc::axdr_unknown_type, at);
  const Tag tag = static_cast<Tag>(raw);
  MLAB_ASSIGN(std::uint32_t index, push(tag, at));
  doc_.nodes_[index].data = rel(r.offset());
  if (tag == Tag::array || tag == Tag::structure || tag == Tag::compact_array) {
    if (depth + 1 > kMaxDepth) return fail(Errc::axdr_too_deep, at);
    if (tag == Tag::compact_array) return compact_array(r, index, depth + 1);
    return container(r, index, depth + 1);
  }
  return content(r, index);
}

Result<void> Parser::container(ByteReader& r, std::uint32_t index, std::size_t depth) {
  const std::size_t at = r.offset();
  MLAB_ASSIGN(std::uint32_t count, read_length(r));
  // Every tagged element takes at least its tag byte.
  MLAB_TRY(check_count(count, 1, r, at));
  doc_.nodes_[index].count = count;
  for (std::uint32_t i = 0; i < count; ++i) MLAB_TRY(value(r, depth));
  close(index);
  return {};
}

Result<void> Parser::length_prefixed(ByteReader& r, Node& n, bool bits) {
  MLAB_ASSIGN(std::uint32_t len, read_length(r));
  n.count = len;
  n.data = rel(r.offset());
  // bit-string: the length counts bits, ceil(bits / 8) bytes follow (Blue Book 4.1.5).
  const std::size_t bytes = bits ? (std::size_t{len} + 7) / 8 : len;
  MLAB_TRY(r.skip(bytes));
  return {};
}

// The content of a non-container value (after its tag, or untagged inside a compact array).
Result<void> Parser::content(ByteReader& r, std::uint32_t index) {
  Node& n = doc_.nodes_[index];
  n.data = rel(r.offset());
  switch (n.tag) {
    case Tag::null_data:
      return {};
    case Tag::bit_string:
      return length_prefixed(r, n, true);
    case Tag::octet_string:
    case Tag::visible_string:
    case Tag::utf8_string:
      return length_prefixed(r, n, false);
    default:
      break;
  }
  const std::size_t size = fixed_size(n.tag);
  MLAB_ASSIGN(Bytes b, r.read_bytes(size));
  std::uint64_t v = 0;
  for (std::uint8_t byte : b) v = (v << 8) | byte;
  switch (n.tag) {
    case Tag::boolean:
      n.i = v != 0 ? 1 : 0;
      break;
    case Tag::integer:
    case Tag::long_:
    case Tag::double_long:
    case Tag::long64:
      n.i = sign_extend(v, static_cast<unsigned>(size * 8));
      break;
    case Tag::float32:
      n.f = std::bit_cast<float>(static_cast<std::uint32_t>(v));
      break;
    case Tag::float64:
      n.f = std::bit_cast<double>(v);
      break;
    case Tag::bcd:
    case Tag::date_time:
    case Tag::date:
    case Tag::time:
      n.count = static_cast<std::uint32_t>(size);
      n.u = v;
      break;
    default:
      n.u = v;
      break;  // unsigned widths and enum
  }
  return {};
}

// compact-array (Blue Book 4.1.5): contents-description (TypeDescription), then array-contents
// as an octet-string whose bytes are the untagged elements, one after another, until it ends.
Result<void> Parser::compact_array(ByteReader& r, std::uint32_t index, std::size_t depth) {
  desc_len_ = 0;
  MLAB_TRY(description(r, depth));
  const std::size_t at = r.offset();
  MLAB_ASSIGN(std::uint32_t len, read_length(r));
  MLAB_ASSIGN(ByteReader contents, r.sub_reader(len));
  std::uint32_t count = 0;
  while (!contents.empty()) {
    const std::size_t before = contents.remaining();
    MLAB_TRY(element(contents, 0, depth));
    // An element description that takes no bytes (null-data only) would never end the loop.
    if (contents.remaining() == before) return fail(Errc::axdr_bad_value, at);
    ++count;
  }
  doc_.nodes_[index].count = count;
  close(index);
  return {};
}

// TypeDescription (Blue Book 4.1.5): a simple type is its tag; array is 01 + Unsigned16 count +
// one description; structure is 02 + A-XDR count + that many descriptions.
Result<std::uint32_t> Parser::description(ByteReader& r, std::size_t depth) {
  const std::size_t at = r.offset();
  MLAB_ASSIGN(std::uint8_t raw, r.read_u8());
  if (!is_known_tag(raw)) return fail(Errc::axdr_unknown_type, at);
  const Tag tag = static_cast<Tag>(raw);
  if (tag == Tag::compact_array) return fail(Errc::axdr_bad_value, at);
  if (desc_len_ >= kMaxDescription) return fail(Errc::axdr_too_many, at);
  const auto self = static_cast<std::uint32_t>(desc_len_++);
  desc_[self] = Desc{tag, 0, 1};
  if (tag != Tag::array && tag != Tag::structure) return self;
  if (depth + 1 > kMaxDepth) return fail(Errc::axdr_too_deep, at);
  std::uint32_t members = 1;
  if (tag == Tag::array) {
    MLAB_ASSIGN(desc_[self].count, r.read_u16be());
  } else {
    const std::size_t count_at = r.offset();
    MLAB_ASSIGN(members, read_length(r));
    if (members > kMaxDescription) return fail(Errc::axdr_too_many, count_at);
    desc_[self].count = members;
  }
  for (std::uint32_t i = 0; i < members; ++i) MLAB_TRY(description(r, depth + 1));
  desc_[self].span = static_cast<std::uint32_t>(desc_len_) - self;
  return self;
}

// One untagged element of a compact array, shaped by description entry d. Returns d's span.
Result<std::uint32_t> Parser::element(ByteReader& r, std::uint32_t d, std::size_t depth) {
  const Desc desc = desc_[d];
  const std::size_t at = r.offset();
  MLAB_ASSIGN(std::uint32_t index, push(desc.tag, at));
  if (desc.tag == Tag::array) {
    MLAB_TRY(check_count(desc.count, 0, r, at));
    for (std::uint32_t i = 0; i < desc.count; ++i) MLAB_TRY(element(r, d + 1, depth + 1));
  } else if (desc.tag == Tag::structure) {
    std::uint32_t child = d + 1;
    for (std::uint32_t i = 0; i < desc.count; ++i) {
      MLAB_ASSIGN(std::uint32_t span, element(r, child, depth + 1));
      child += span;
    }
  } else {
    MLAB_TRY(content(r, index));
    return desc.span;
  }
  doc_.nodes_[index].count = desc.count;
  close(index);
  return desc.span;
}

Result<std::size_t> Parser::run(Bytes input) {
  doc_.nodes_.clear();
  doc_.source_ = input;
  doc_.base_ = base_;
  ByteReader r(input, base_);
  MLAB_TRY(value(r, 0));
  return r.offset() - base_;
}

Result<std::size_t> parse(Bytes input, Document& doc, std::size_t base) {
  Parser p(doc, base);
  return p.run(input);
}

Bytes Document::bytes(const Node& n) const noexcept {
  std::size_t len = n.count;
  if (n.tag == Tag::bit_string) len = (len + 7) / 8;
  if (n.data > source_.size() || len > source_.size() - n.data) return {};
  return source_.subspan(n.data, len);
}

bool Node::is_integer() const noexcept {
  switch (tag) {
    case Tag::boolean:
    case Tag::double_long:
    case Tag::double_long_unsigned:
    case Tag::integer:
    case Tag::long_:
    case Tag::unsigned_:
    case Tag::long_unsigned:
    case Tag::long64:
    case Tag::long64_unsigned:
    case Tag::enum_:
      return true;
    default:
      return false;
  }
}

bool Node::is_signed() const noexcept {
  return tag == Tag::integer || tag == Tag::long_ || tag == Tag::double_long || tag == Tag::long64;
}

bool Node::is_string() const noexcept {
  return tag == Tag::octet_string || tag == Tag::visible_string || tag == Tag::utf8_string ||
         tag == Tag::bcd;
}

const char* tag_name(Tag tag) noexcept {
  switch (tag) {
    case Tag::null_data:
      return "null-data";
    case Tag::array:
      return "array";
    case Tag::structure:
      return "structure";
    case Tag::boolean:
      return "boolean";
    case Tag::bit_string:
      return "bit-string";
    case Tag::double_long:
      return "double-long";
    case Tag::double_long_unsigned:
      return "double-long-unsigned";
    case Tag::octet_string:
      return "octet-string";
    case Tag::visible_string:
      return "visible-string";
    case Tag::utf8_string:
      return "utf8-string";
    case Tag::bcd:
      return "bcd";
    case Tag::integer:
      return "integer";
    case Tag::long_:
      return "long";
    case Tag::unsigned_:
      return "unsigned";
    case Tag::long_unsigned:
      return "long-unsigned";
    case Tag::compact_array:
      return "compact-array";
    case Tag::long64:
      return "long64";
    case Tag::long64_unsigned:
      return "long64-unsigned";
    case Tag::enum_:
      return "enum";
    case Tag::float32:
      return "float32";
    case Tag::float64:
      return "float64";
    case Tag::date_time:
      return "date-time";
    case Tag::date:
      return "date";
    case Tag::time:
      return "time";
  }
  return "unknown";
}

}  // namespace meterlab::axdr
