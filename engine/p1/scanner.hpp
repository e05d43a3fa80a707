// The P1 parser's scan of the telegram text (parser.cpp reads the telegram with it): each line's
// OBIS code and value groups, or a known line's value at once. Internal to the p1 layer; its
// functions are inline, to be inlined into parse_telegram() as when they were in parser.cpp.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "line_memory.hpp"
#include "meterlab/p1/telegram.hpp"
#include "value.hpp"

namespace meterlab::p1::detail {

using cosem::DateTime;

constexpr char kUnitSeparator = '*';
constexpr char kPrintableFirst = 0x20;
constexpr char kPrintableLast = 0x7E;

// One value group as the scan read it: where it is, and the number at its front.
// Trivial, so that the groups of an Object are not zeroed for every telegram.
struct Group {
  const char* data;  // between the brackets
  std::size_t size;
  std::size_t offset;      // stream offset of the '('
  const char* number_end;  // where read_number() stopped
  detail::NumberText num;  // valid: the number ends at the ')' or at the '*'
  bool star;               // the number ends at a '*': a unit follows (unit())
  std::string_view text() const noexcept { return {data, size}; }
  std::string_view unit() const noexcept {  // after the '*'
    return text().substr(static_cast<std::size_t>(number_end - data) + 1);
  }
};

// One data object: an OBIS line and any lines of bare groups that continue it (DSMR 2.2 gas).
struct Object {
  ObisCode obis;
  std::string_view name;  // cosem::obis_name(obis)
  TextKind kind;          // text_kind(obis)
  std::array<Group, kMaxGroups> groups;
  std::size_t count = 0;
};

// The characters a value group may hold: printable, but not its brackets (IEC 62056-21 clause
// 6.4), as a table so that the scan to the ')' is one load and test a character.
constexpr std::array<bool, 256> kValueChar = [] {
  std::array<bool, 256> t{};
  for (int c = kPrintableFirst; c <= kPrintableLast; ++c) t[static_cast<std::size_t>(c)] = true;
  t[static_cast<std::uint8_t>(kOpen)] = false;
  t[static_cast<std::uint8_t>(kClose)] = false;
  return t;
}();

// A line whose code the line memory knew, of one of the commonest shapes: OBIS(number) or
// OBIS(number*unit), OBIS(text), OBIS(timestamp), or OBIS(timestamp)(number[*unit]) (the value
// with its capture time, 0-n:24.2.1), alone on its line. The slot is set for any line the
// memory knew, of those shapes or not.
struct Known {
  enum class Shape : std::uint8_t { number, text, stamp };
  const LineCodes::Slot* slot;
  Shape shape;
  detail::Number number;
  std::string_view text;
  DateTime when;          // Shape::stamp: the value; Shape::number: the capture time, if any
  bool captured = false;  // a number after a timestamp
  // Where the values were (the shape memory's variable digits): the number's characters and
  // its unit, the timestamp's; nullptr when none.
  const char* number_at = nullptr;
  const char* number_end = nullptr;
  const char* stamp_at = nullptr;
  detail::BaseUnit unit;
};

// The telegram text, read once from the front: each line's OBIS code, then its groups, each
// group's number read as the group is scanned to its ')'. Offsets are stream offsets.
class Scanner {
 public:
  Scanner(const char* begin, const char* end, std::size_t base)
      : begin_(begin), end_(end), base_(base) {}
  std::size_t offset(const char* p) const noexcept {
    return base_ + static_cast<std::size_t>(p - begin_);
  }
  // The start of the line after the one `p` is in.
  const char* next_line(const char* p) const noexcept {
    if (p == end_) return p;  // memchr wants a pointer, not the null of an empty text
    const auto* lf =
        static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end_ - p)));
    return lf != nullptr ? lf + 1 : end_;
  }
  // The line end at `p` ("\r\n", "\n", a lone "\r" at the end, or the end): the next line's
  // start, nullptr when `p` is not at one.
  const char* line_end(const char* p) const noexcept {
    if (p == end_) return p;
    if (*p == '\n') return p + 1;
    if (*p != '\r') return nullptr;
    if (p + 1 == end_) return end_;
    return p[1] == '\n' ? p + 2 : nullptr;
  }
  const char* read_object(const char* line, std::size_t index, const LineCodes::Slot* slot,
                          Object& o, bool& ok) const noexcept;
  const char* read_known(const char* line, std::size_t index, detail::Units& units,
                         const Zone& zone, Known& k) const noexcept;

 private:
  const char* read_group(const char* p, Group& g) const noexcept;
  const char* read_groups(const char* p, Object& o) const noexcept;
  const char* read_code(const char* line, std::size_t index, const LineCodes::Slot* slot,
                        Object& o) const noexcept;
  const char* read_unit(const char* u, std::size_t index, const LineCodes::Slot& s,
                        detail::Units& units, detail::BaseUnit& unit) const noexcept;
  const char* read_known_value(const char* p, std::size_t index, detail::Units& units,
                               const Zone& zone, Known& k) const noexcept;

  const char* begin_;
  const char* end_;
  std::size_t base_;
  inline static thread_local LineCodes codes_;
};

// The group at `p` (a '('): past its ')', nullptr when it is not one.
inline const char* Scanner::read_group(const char* p, Group& g) const noexcept {
  g.offset = offset(p);
  g.data = ++p;
  p = detail::read_number(p, end_, g.num);
  g.number_end = p;
  const char stop = p != end_ ? *p : '\0';
  g.star = stop == kUnitSeparator;
  g.num.valid = g.num.valid && (g.star || stop == kClose);
  // To the ')': printable characters other than '(' (IEC 62056-21 clause 6.4).
  while (p != end_ && kValueChar[static_cast<std::uint8_t>(*p)]) ++p;
  if (p == end_ || *p != kClose) return nullptr;
  g.size = static_cast<std::size_t>(p - g.data);
  return p + 1;
}

// The groups (...)(...) at `p` to the end of their line: the next line's start, nullptr when the
// line is not that.
inline const char* Scanner::read_groups(const char* p, Object& o) const noexcept {
  for (;;) {
    if (p == end_ || *p != kOpen || o.count == kMaxGroups) return nullptr;
    p = read_group(p, o.groups[o.count++]);
    if (p == nullptr) return nullptr;
    if (p == end_ || *p != kOpen) return line_end(p);
  }
}

// The OBIS code at the front of the `index`th object line, and its name: the '(' after it, nullptr
// when the line does not begin with a code and a '('. `slot`: the line memory's match of the
// line (read_known() asked it), nullptr when it has none.
inline const char* Scanner::read_code(const char* line, std::size_t index,
                                      const LineCodes::Slot* slot, Object& o) const noexcept {
  if (slot != nullptr) {
    o.obis = slot->obis;
    o.name = slot->name;
    o.kind = slot->kind;
    return line + slot->length;
  }
  const char* p = detail::read_obis(line, end_, o.obis);
  if (p == nullptr || p == end_ || *p != kOpen) return nullptr;
  o.name = cosem::obis_name(o.obis);
  o.kind = text_kind(o.obis);
  codes_.learn(index, line, p, o.obis, o.name, o.kind);
  return p;
}

// An object at `line`, the `index`th of its telegram: its OBIS line and the bare-group lines
// after it. Returns where the next line starts; `ok` false when a line of it is not OBIS(...) or
// (...): that line is skipped.
inline const char* Scanner::read_object(const char* line, std::size_t index,
                                        const LineCodes::Slot* slot, Object& o,
                                        bool& ok) const noexcept {
  o.count = 0;
  ok = false;
  const char* p = read_code(line, index, slot, o);
  if (p == nullptr) return next_line(line);
  p = read_groups(p, o);
  if (p == nullptr) return next_line(line);
  while (p != end_ && *p == kOpen) {
    const char* const more = p;
    p = read_groups(more, o);
    if (p == nullptr) return next_line(more);
  }
  ok = true;
  return p;
}

// The unit at `u` (after the number's '*') of the line at `index`, to its ')': the one the slot
// learnt, compared as one word, or else scanned and found as read_group() and number_or_text()
// do (and learnt). Past the ')', nullptr when there is none or the unit is unknown.
inline const char* Scanner::read_unit(const char* u, std::size_t index, const LineCodes::Slot& s,
                                      detail::Units& units, detail::BaseUnit& unit) const noexcept {
  constexpr std::size_t kWord = sizeof(std::uint64_t);
  const bool readable = static_cast<std::size_t>(end_ - u) >= kWord;
  if (readable && s.unit_mask != 0) {
    std::uint64_t w;
    std::memcpy(&w, u, kWord);
    if ((w & s.unit_mask) == s.unit) {
      unit = s.base;
      return u + s.unit_length + 1;
    }
  }
  const char* p = u;
  while (p != end_ && kValueChar[static_cast<std::uint8_t>(*p)]) ++p;
  if (p == end_ || *p != kClose) return nullptr;
  const auto n = static_cast<std::size_t>(p - u);
  const auto base = units.find({u, n});
  if (!base) return nullptr;
  unit = *base;
  if (readable && n < kWord) codes_.learn_unit(index, u, n, *base);
  return p + 1;
}

// One group of a known line at `p` (after its '('), as read_group() and Builder::value() make
// of it by the same rules: a number in its unit (Shape::number), a timestamp parse_timestamp()
// reads (Shape::stamp), or text with no '*' (Shape::text). Past the ')', nullptr when the group
// is none of those (a bad stamp, a '*' after anything but a number, an unknown unit).
inline const char* Scanner::read_known_value(const char* p, std::size_t index, detail::Units& units,
                                             const Zone& zone, Known& k) const noexcept {
  const LineCodes::Slot& s = *k.slot;
  detail::NumberText num;
  const char* q = detail::read_number(p, end_, num);
  const auto n_read = static_cast<std::size_t>(q - p);
  if (num.valid && q != end_ && *q == kUnitSeparator) {  // never a stamp: 12 digits, then S/W
    detail::BaseUnit unit;
    k.number_at = p;
    k.number_end = q;
    q = read_unit(q + 1, index, s, units, unit);
    k.shape = Known::Shape::number;
    k.number = detail::to_number(num, unit);
    k.unit = unit;
    return q;
  }
  if (num.valid && q != end_ && *q == kClose && s.kind == TextKind::number &&
      !detail::stamp_length(n_read, false)) {
    k.shape = Known::Shape::number;
    k.number = detail::to_number(num, {});
    k.number_at = p;
    k.number_end = q;
    k.unit = {};
    return q + 1;
  }
  while (q != end_ && kValueChar[static_cast<std::uint8_t>(*q)] && *q != kUnitSeparator) ++q;
  if (q == end_ || *q != kClose) return nullptr;
  const std::string_view text(p, static_cast<std::size_t>(q - p));
  if (detail::stamp_length(text.size(), false)) {
    k.shape = Known::Shape::stamp;
    k.stamp_at = p;
    const bool ok = detail::parse_timestamp(text, false, zone, k.when) == Stamp::ok;
    return ok ? q + 1 : nullptr;  // not a stamp (a number then) or a bad one: the general way
  }
  k.shape = Known::Shape::text;
  k.text = text;
  return q + 1;
}

// The line at `line`, the `index`th object line, when the line memory knows its code and it is
// of a shape Known names: what read_object() and Builder::object() make of it (a reading, no
// problem) by the same rules without the groups' bookkeeping. The next line's start, nullptr
// when the line is not that (read_object() reads it then, with k.slot). The differential check
// of bench/README.md holds the two paths equal.
inline const char* Scanner::read_known(const char* line, std::size_t index, detail::Units& units,
                                       const Zone& zone, Known& k) const noexcept {
  const LineCodes::Slot* const s = k.slot = codes_.match(index, line, end_);
  k.captured = false;
  k.number_at = k.stamp_at = nullptr;
  if (s == nullptr) return nullptr;
  const char* p = read_known_value(line + s->length + 1, index, units, zone, k);
  if (p == nullptr) return nullptr;
  if (k.shape == Known::Shape::stamp && p != end_ && *p == kOpen) {  // a capture time
    const DateTime when = k.when;
    p = read_known_value(p + 1, index, units, zone, k);
    if (p == nullptr || k.shape != Known::Shape::number) return nullptr;
    k.when = when;
    k.captured = true;
  }
  const char* const next = line_end(p);
  if (next == nullptr || (next != end_ && *next == kOpen)) return nullptr;  // more groups
  return next;
}

}  // namespace meterlab::p1::detail
