// P1 telegram text -> cosem::Telegram (telegram.hpp): lines, objects, and the three shapes of
// an object's value groups.
#include <algorithm>
#include <array>
#include <cstring>
#include <string_view>

#include "line_memory.hpp"
#include "meterlab/p1/framer.hpp"
#include "meterlab/p1/telegram.hpp"
#include "value.hpp"

namespace meterlab::p1 {
namespace {

using cosem::DateTime;
using cosem::ObisCode;
using cosem::Reading;
using detail::Stamp;

using detail::kClose;
using detail::kOpen;
using detail::LineCodes;
using detail::text_kind;
using detail::TextKind;
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

// A line of the commonest shape, OBIS(number) or OBIS(number*unit) alone, whose code the line
// memory knew: its slot (code, name, unit) and its number in base units. The slot is set for
// any line the memory knew, of that shape or not.
struct Known {
  const LineCodes::Slot* slot;
  detail::Number number;
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
                         Known& k) const noexcept;

 private:
  const char* read_group(const char* p, Group& g) const noexcept;
  const char* read_groups(const char* p, Object& o) const noexcept;
  const char* read_code(const char* line, std::size_t index, const LineCodes::Slot* slot,
                        Object& o) const noexcept;
  const char* read_unit(const char* u, std::size_t index, const LineCodes::Slot& s,
                        detail::Units& units, detail::BaseUnit& unit) const noexcept;

  const char* begin_;
  const char* end_;
  std::size_t base_;
  static thread_local LineCodes codes_;
};

thread_local LineCodes Scanner::codes_;

// The group at `p` (a '('): past its ')', nullptr when it is not one.
const char* Scanner::read_group(const char* p, Group& g) const noexcept {
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
const char* Scanner::read_groups(const char* p, Object& o) const noexcept {
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
const char* Scanner::read_code(const char* line, std::size_t index, const LineCodes::Slot* slot,
                               Object& o) const noexcept {
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
const char* Scanner::read_object(const char* line, std::size_t index, const LineCodes::Slot* slot,
                                 Object& o, bool& ok) const noexcept {
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
const char* Scanner::read_unit(const char* u, std::size_t index, const LineCodes::Slot& s,
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

// The line at `line`, the `index`th object line, when the line memory knows its code and it is
// OBIS(number) or OBIS(number*unit) and nothing more: what read_object() and Builder::object()
// make of it (one group, no timestamp, a number in its unit), by the same rules without the
// groups' bookkeeping. The next line's start, nullptr when the line is not that (read_object()
// reads it then, with k.slot). The differential check of bench/README.md holds the two paths
// equal.
const char* Scanner::read_known(const char* line, std::size_t index, detail::Units& units,
                                Known& k) const noexcept {
  const LineCodes::Slot* const s = k.slot = codes_.match(index, line, end_);
  if (s == nullptr) return nullptr;
  const char* const value = line + s->length + 1;
  detail::NumberText num;
  const char* p = detail::read_number(value, end_, num);
  if (!num.valid || p == end_) return nullptr;
  detail::BaseUnit unit;
  if (*p == kUnitSeparator) {
    p = read_unit(p + 1, index, *s, units, unit);
    if (p == nullptr) return nullptr;
  } else if (*p == kClose && s->kind == TextKind::number &&
             !detail::stamp_length(static_cast<std::size_t>(p - value), false)) {
    ++p;
  } else {
    return nullptr;
  }
  const char* const next = line_end(p);
  if (next == nullptr || (next != end_ && *next == kOpen)) return nullptr;  // more groups
  k.number = detail::to_number(num, unit);
  return next;
}

// The number the scan read at the front of `g`, in `unit`: when it is the whole group (no unit)
// or the part before the '*' (with one).
std::optional<detail::Number> number(const Group& g, bool with_unit, detail::BaseUnit unit = {}) {
  if (!g.num.valid || g.star != with_unit) return std::nullopt;
  return detail::to_number(g.num, unit);
}

void set_number(Reading& r, const detail::Number& n) noexcept {
  r.kind = cosem::ValueKind::integer;
  r.raw = n.raw;
  r.scaler = n.scaler;
  r.unit = n.unit;
}

class Builder {
 public:
  Builder(cosem::Telegram& out, Problems& problems, const Zone& zone)
      : out_(out), problems_(problems), zone_(zone) {}

  void object(const Object& o);
  void known(const Known& k) { set_number(add(k.slot->obis, k.slot->name), k.number); }
  static detail::Units& units() noexcept { return units_; }

 private:
  bool buffer(const Object& o);
  bool gas_dsmr22(const Object& o);
  void plain(const Object& o);
  Reading& add(const ObisCode& obis, std::string_view name);
  Reading& add(const ObisCode& obis) { return add(obis, cosem::obis_name(obis)); }
  void value(Reading& r, const Group& g, TextKind kind);
  void number_or_text(Reading& r, const Group& g, TextKind kind);
  Stamp stamp(const Group& g, bool flag_optional, DateTime& out);
  Stamp capture(const Group& g, DateTime& captured);

  cosem::Telegram& out_;
  Problems& problems_;
  const Zone& zone_;
  // The units seen, kept from telegram to telegram (keys, not views: see value.hpp).
  static thread_local detail::Units units_;
};

thread_local detail::Units Builder::units_;

Reading& Builder::add(const ObisCode& obis, std::string_view name) {
  Reading& r = out_.readings.emplace_back();
  r.obis = obis;
  r.name = name;
  return r;
}

// A timestamp group: parsed into `out`; a bad one is reported (p1_bad_timestamp at its '(').
Stamp Builder::stamp(const Group& g, bool flag_optional, DateTime& out) {
  if (!detail::stamp_length(g.size, flag_optional)) return Stamp::not_a_stamp;
  const Stamp s = detail::parse_timestamp(g.text(), flag_optional, zone_, out);
  if (s == Stamp::bad) problems_.add(Error{Errc::p1_bad_timestamp, g.offset});
  return s;
}

// A timestamp group as the capture time of the values after it (none when it is bad);
// `captured` is left alone when the group is not a timestamp.
Stamp Builder::capture(const Group& g, DateTime& captured) {
  DateTime when;
  const Stamp s = stamp(g, false, when);
  if (s != Stamp::not_a_stamp) captured = s == Stamp::ok ? when : DateTime{};
  return s;
}

// One group as a reading's value: a timestamp, a number (with its unit), or text.
void Builder::value(Reading& r, const Group& g, TextKind kind) {
  if (!detail::stamp_length(g.size, false)) return number_or_text(r, g, kind);
  DateTime when;
  const Stamp s = stamp(g, false, when);
  if (s == Stamp::ok) {
    r.kind = cosem::ValueKind::date_time;
    r.date_time = when;
  } else if (s == Stamp::not_a_stamp) {
    number_or_text(r, g, kind);
  }  // Stamp::bad: the value stays null (ValueKind::none)
}

void Builder::number_or_text(Reading& r, const Group& g, TextKind kind) {
  // A '*' after anything but a number makes text whatever the unit: only the number's '*' counts.
  if (g.star || kind == TextKind::number) {
    std::optional<detail::Number> n;
    if (!g.star) {
      n = number(g, false);
    } else if (g.num.valid) {
      if (const auto unit = units_.find(g.unit())) n = number(g, true, *unit);
    }
    if (n) {
      set_number(r, *n);
      return;
    }
  }
  r.kind = cosem::ValueKind::text;
  r.text = kind == TextKind::hex ? detail::store_hex_text(out_, g.text()) : out_.store(g.text());
}

// (N)(ref 1)...(ref k) then N entries of (timestamp)(value of ref 1)...(value of ref k): the
// power-failure log 1-0:99.97.0 (k = 1, DSMR 5.0.2) and the Belgian monthly maxima 0-0:98.1.0
// (k = 2: the peak's time, the peak). A reading for N, then one per value that is not a
// timestamp, with its ref's OBIS and the entry's latest timestamp as its capture time.
bool Builder::buffer(const Object& o) {
  if (o.count < 2 || !detail::parse_obis(o.groups[1].text())) return false;
  const auto n = number(o.groups[0], false);
  if (!n || n->scaler != 0 || n->raw < 0) return false;
  std::size_t k = 1;
  while (1 + k < o.count && detail::parse_obis(o.groups[1 + k].text())) ++k;
  const auto entries = static_cast<std::size_t>(n->raw);
  if (entries > kMaxGroups || o.count != 1 + k + entries * (k + 1)) return false;
  value(add(o.obis, o.name), o.groups[0], TextKind::number);
  for (std::size_t e = 0; e < entries; ++e) {
    const Group* entry = &o.groups[1 + k + e * (k + 1)];
    DateTime captured;
    capture(entry[0], captured);
    for (std::size_t j = 1; j <= k; ++j) {
      if (capture(entry[j], captured) != Stamp::not_a_stamp) continue;
      Reading& r = add(*detail::parse_obis(o.groups[j].text()));
      number_or_text(r, entry[j], TextKind::number);
      r.date_time = captured;
    }
  }
  return true;
}

// DSMR 2.2 gas, 0-n:24.3.0(YYMMDDhhmmss)(08)(60)(1)(0-n:24.2.1)(m3) and the value on the next
// line: one reading with the OBIS of the reference (as DSMR 4/5 send gas) and its capture time.
bool Builder::gas_dsmr22(const Object& o) {
  constexpr std::size_t kGroups = 7, kRef = 4, kUnit = 5, kValue = 6;
  if (o.obis.v[2] != 24 || o.obis.v[3] != 3 || o.count != kGroups) return false;
  const auto ref = detail::parse_obis(o.groups[kRef].text());
  const auto unit = units_.find(o.groups[kUnit].text());
  const auto n = unit ? number(o.groups[kValue], false, *unit) : std::nullopt;
  if (!ref || !n) return false;
  Reading& r = add(*ref);
  set_number(r, *n);
  DateTime captured;
  if (stamp(o.groups[0], true, captured) == Stamp::ok) r.date_time = captured;
  return true;
}

// Any other object: a reading per group; a timestamp before a value is that value's capture
// time (0-n:24.2.1, 1-0:1.6.0), a timestamp with no value after it a reading of its own.
void Builder::plain(const Object& o) {
  if (o.count == 1) {  // nothing before it: no capture time (the new reading's is null)
    value(add(o.obis, o.name), o.groups[0], o.kind);
    return;
  }
  std::size_t last_value = o.count;
  DateTime probe;
  for (std::size_t i = 0; i < o.count; ++i) {
    const Group& g = o.groups[i];
    if (!detail::stamp_length(g.size, false) ||
        detail::parse_timestamp(g.text(), false, zone_, probe) == Stamp::not_a_stamp) {
      last_value = i;
    }
  }
  DateTime captured;
  for (std::size_t i = 0; i < o.count; ++i) {
    if (last_value != o.count && i < last_value &&
        capture(o.groups[i], captured) != Stamp::not_a_stamp) {
      continue;
    }
    Reading& r = add(o.obis, o.name);
    value(r, o.groups[i], o.kind);
    if (r.kind != cosem::ValueKind::date_time) r.date_time = captured;
  }
}

void Builder::object(const Object& o) {
  if (buffer(o) || gas_dsmr22(o)) return;
  plain(o);
}

bool is(const ObisCode& o, std::array<std::uint8_t, 5> abcde) noexcept {
  return std::equal(abcde.begin(), abcde.end(), o.v.begin());
}

// The telegram's own fields, from the readings that carry them (the first of each).
void header_fields(cosem::Telegram& t) noexcept {
  for (const Reading& r : t.readings) {
    const ObisCode& o = r.obis;
    const bool text = r.kind == cosem::ValueKind::text;
    if (text && t.meter_id.empty() && (is(o, {0, 0, 96, 1, 1}) || is(o, {0, 0, 96, 1, 0}))) {
      t.meter_id = r.text;
    } else if (text && t.list_id.empty() && (is(o, {1, 3, 0, 2, 8}) || is(o, {0, 0, 96, 1, 4}))) {
      t.list_id = r.text;
    } else if (r.kind == cosem::ValueKind::date_time && !t.timestamp && is(o, {0, 0, 1, 0, 0})) {
      t.timestamp = r.date_time;
    }
  }
}

}  // namespace

void parse_telegram(Bytes text, std::size_t stream_offset, cosem::Telegram& out, Problems& problems,
                    const Zone& zone) {
  out.clear();
  problems.clear();
  out.transport = cosem::Transport::p1;
  out.stream_offset = stream_offset;
  out.length = text.size();
  out.segments = 1;
  const char* p = reinterpret_cast<const char*>(text.data());
  const char* const end = p + text.size();
  const Scanner scan(p, end, stream_offset);
  // The identification after '/' (the header line, without its line end).
  const char* const after_header = scan.next_line(p);
  std::string_view header(p, static_cast<std::size_t>(after_header - p));
  if (!header.empty() && header.back() == '\n') header.remove_suffix(1);
  if (!header.empty() && header.back() == '\r') header.remove_suffix(1);
  if (!header.empty() && header.front() == static_cast<char>(kStart)) header.remove_prefix(1);
  out.meter_type = out.store(header);
  Builder builder(out, problems, zone);
  Object o;
  std::size_t index = 0;  // of the object line
  p = after_header;
  while (p != end && *p != static_cast<char>(kEnd)) {
    if (const char* const next = scan.line_end(p)) {  // an empty line
      p = next;
      continue;
    }
    const char* const line = p;
    Known k;
    if (const char* const next = scan.read_known(line, index, Builder::units(), k)) {
      builder.known(k);
      p = next;
      ++index;
      continue;
    }
    bool ok = false;
    p = scan.read_object(line, index++, k.slot, o, ok);
    if (ok) {
      builder.object(o);
    } else {
      problems.add(Error{Errc::p1_bad_line, scan.offset(line)});
    }
  }
  header_fields(out);
}

}  // namespace meterlab::p1
