// A-XDR decoding (IEC 61334-6 A-XDR rules applied to the DLMS `Data` CHOICE, Blue Book 4.1.5)
// into the flat node tape of axdr.hpp. Recursion is bounded by kMaxDepth, every count from the
// wire is checked against what is left before anything is pushed, and the node vector keeps its
// capacity between parses, so a warmed-up Document does not allocate.
#include "meterlab/axdr/axdr.hpp"

#include <array>
#include <bit>

#include "meterlab/axdr/value.hpp"

namespace meterlab::axdr {

using detail::is_known_tag;
using detail::kTagTable;
using detail::read_content;
using detail::read_length;
using detail::Shape;
using detail::TagInfo;

namespace {

// Longest compact-array type description accepted (entries of the flattened description tree).
constexpr std::size_t kMaxDescription = 64;

// One entry of a flattened compact-array type description (pre-order). Trivial, so that the
// parser's table of them is not initialised on every parse: entries are written before use.
struct Desc {
  Tag tag;
  std::uint32_t count;  // array: elements; structure: members
  std::uint32_t span;   // entries of this description subtree including itself
};

}  // namespace

// The containers being filled. The innermost one is in `current` and `left` (its node and the
// elements still to come, kept in registers: a count decremented in memory on every value would
// make each value wait on the last); the ones around it are saved on `saved`.
struct Open {
  std::uint32_t index = 0;
  std::uint32_t left = 0;
};
struct OpenStack {
  Open current;
  std::size_t depth = 0;  // open containers: the nesting level of the next value
  std::array<Open, kMaxDepth> saved;
};

// The parse runs as one loop over the values with an explicit stack of open containers, its
// ByteReader a local that never leaves the loop: the compiler keeps the read position in a
// register. (Recursing with the reader passed by reference, every byte read was a store and a
// reload of the position, each waiting on the last through the store buffer.) What a simple
// value needs is inlined into the loop; only compact arrays, which are rare, leave it, with a
// copy of the reader.
class Parser {
 public:
  Parser(Document& doc, std::size_t base) : doc_(doc), base_(base) {}

  // Clears the tape (keeping its capacity) and parses one value.
  Result<std::size_t> run(Bytes input);

 private:
  MLAB_AXDR_INLINE Result<void> value(ByteReader& r, OpenStack& open);
  MLAB_AXDR_INLINE Result<void> open_container(ByteReader& r, OpenStack& open);
  Result<void> compact(ByteReader& r, std::size_t depth);
  MLAB_AXDR_INLINE Result<std::uint32_t> push(Tag tag, std::size_t abs_offset);
  std::uint32_t rel(std::size_t abs_offset) const noexcept {
    return static_cast<std::uint32_t>(abs_offset - base_);
  }
  MLAB_AXDR_INLINE Result<void> content(ByteReader& r, Node& n, TagInfo info) {
    return read_content(r, n, info, base_);
  }
  MLAB_AXDR_INLINE Result<void> check_count(std::uint32_t count, std::size_t need_each,
                                            const ByteReader& r, std::size_t at);
  Result<void> compact_array(ByteReader& r, std::uint32_t index, std::size_t depth);
  Result<std::uint32_t> description(ByteReader& r, std::size_t depth);
  Result<std::uint32_t> element(ByteReader& r, std::uint32_t d, std::size_t depth);
  void close(std::uint32_t index) noexcept {
    doc_.nodes_[index].subtree = static_cast<std::uint32_t>(doc_.nodes_.size()) - index;
  }

  Document& doc_;
  std::size_t base_;
  std::array<Desc, kMaxDescription> desc_;  // only compact arrays use it: not zeroed per parse
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

// A count is checked against the bytes left and the node budget before any element is read.
Result<void> Parser::check_count(std::uint32_t count, std::size_t need_each, const ByteReader& r,
                                 std::size_t at) {
  if (need_each != 0 && count > r.remaining() / need_each) return fail(Errc::axdr_too_many, at);
  if (count > kMaxNodes - doc_.nodes_.size()) return fail(Errc::axdr_too_many, at);
  return {};
}

// One tagged value at nesting level open.depth. An array or structure is opened (its elements
// are the next values of the loop); a compact array is read whole.
Result<void> Parser::value(ByteReader& r, OpenStack& open) {
  const std::size_t depth = open.depth;
  const std::size_t at = r.offset();
  MLAB_ASSIGN(const std::uint8_t raw, r.read_u8());
  const TagInfo info = kTagTable[raw];
  if (info.shape == Shape::unknown) return fail(Errc::axdr_unknown_type, at);
  if (doc_.nodes_.size() >= kMaxNodes) return fail(Errc::axdr_too_many, at);
  Node& n = doc_.nodes_.emplace_back();
  n.tag = static_cast<Tag>(raw);
  n.offset = rel(at);
  if (info.shape != Shape::container && info.shape != Shape::compact) return content(r, n, info);
  n.data = rel(r.offset());
  if (depth + 1 > kMaxDepth) return fail(Errc::axdr_too_deep, at);
  if (info.shape == Shape::compact) return compact(r, depth);
  return open_container(r, open);
}

// An array or structure (the node just pushed): its count, checked against the bytes left
// (every tagged element takes at least its tag byte) and the node budget.
Result<void> Parser::open_container(ByteReader& r, OpenStack& open) {
  const auto index = static_cast<std::uint32_t>(doc_.nodes_.size() - 1);
  const std::size_t at = r.offset();
  MLAB_ASSIGN(const std::uint32_t count, read_length(r));
  MLAB_TRY(check_count(count, 1, r, at));
  doc_.nodes_[index].count = count;
  if (count == 0) {
    close(index);
    return {};
  }
  open.saved[open.depth++] = open.current;
  open.current = Open{index, count};
  return {};
}

// A compact array, through a copy of the loop's reader (which so stays in registers).
Result<void> Parser::compact(ByteReader& r, std::size_t depth) {
  ByteReader copy = r;
  MLAB_TRY(compact_array(copy, static_cast<std::uint32_t>(doc_.nodes_.size() - 1), depth + 1));
  r = copy;
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
    MLAB_TRY(content(r, doc_.nodes_[index], kTagTable[static_cast<std::uint8_t>(desc.tag)]));
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
  OpenStack open;
  do {
    if (open.depth > 0) --open.current.left;
    MLAB_TRY(value(r, open));
    while (open.depth > 0 && open.current.left == 0) {
      close(open.current.index);
      open.current = open.saved[--open.depth];
    }
  } while (open.depth > 0);
  return r.offset() - base_;
}

Result<std::size_t> parse(Bytes input, Document& doc, std::size_t base) {
  Parser p(doc, base);
  return p.run(input);
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
