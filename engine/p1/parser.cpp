// P1 telegram text -> cosem::Telegram (telegram.hpp): lines, objects, and the three shapes of
// an object's value groups.
#include <algorithm>
#include <array>
#include <cstring>
#include <string_view>

#include "meterlab/p1/framer.hpp"
#include "meterlab/p1/telegram.hpp"
#include "value.hpp"

namespace meterlab::p1 {
namespace {

using cosem::DateTime;
using cosem::ObisCode;
using cosem::Reading;
using detail::Stamp;

constexpr char kOpen = '(';   // IEC 62056-21 clause 6.4: front boundary of a data set's value
constexpr char kClose = ')';  // rear boundary
constexpr char kUnitSeparator = '*';
constexpr char kPrintableFirst = 0x20;
constexpr char kPrintableLast = 0x7E;

// Trivial, so that the groups of an Object are not zeroed for every telegram (3 KB).
struct Group {
  const char* data;  // between the brackets
  std::size_t size;
  std::size_t offset;  // stream offset of the '('
  std::string_view text() const noexcept { return {data, size}; }
};

// One data object: an OBIS line and any lines of bare groups that continue it (DSMR 2.2 gas).
struct Object {
  ObisCode obis;
  std::size_t offset = 0;
  std::array<Group, kMaxGroups> groups;
  std::size_t count = 0;
};

// Lines of the telegram text, CR LF (or LF) separated; offsets are stream offsets. Each line's
// end is searched for once, when the cursor reaches it.
class Lines {
 public:
  Lines(std::string_view text, std::size_t base) : text_(text), base_(base) { find_line(); }
  bool done() const noexcept { return pos_ >= text_.size(); }
  std::size_t offset() const noexcept { return base_ + pos_; }
  std::string_view peek() const noexcept { return line_; }
  void skip() noexcept {
    pos_ = next_;
    find_line();
  }

 private:
  void find_line() noexcept {  // pos_ <= text_.size() always
    const std::size_t rest = text_.size() - pos_;
    const auto* lf =
        rest > 0 ? static_cast<const char*>(std::memchr(&text_[pos_], '\n', rest)) : nullptr;
    const std::size_t end =
        lf != nullptr ? static_cast<std::size_t>(lf - text_.data()) : text_.size();
    line_ = text_.substr(pos_, end - pos_);
    if (!line_.empty() && line_.back() == '\r') line_.remove_suffix(1);
    next_ = lf != nullptr ? end + 1 : text_.size();
  }

  std::string_view text_;
  std::size_t base_;
  std::size_t pos_ = 0;
  std::string_view line_;  // at pos_, without its CR LF
  std::size_t next_ = 0;   // the start of the line after it
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

// The groups (...)(...) of `line` from `at` on, appended to `o`; false when the line is not that.
bool read_groups(std::string_view line, std::size_t at, std::size_t base, Object& o) noexcept {
  if (at >= line.size()) return false;
  while (at < line.size()) {
    if (line[at] != kOpen || o.count == kMaxGroups) return false;
    // To the ')': printable characters other than '(' (IEC 62056-21 clause 6.4).
    std::size_t close = at + 1;
    while (close < line.size() && kValueChar[static_cast<std::uint8_t>(line[close])]) ++close;
    if (close == line.size() || line[close] != kClose) return false;
    o.groups[o.count++] = Group{line.data() + at + 1, close - at - 1, base + at};
    at = close + 1;
  }
  return true;
}

// An object at the cursor: its OBIS line and the bare-group lines after it.
bool read_object(Lines& lines, Object& o) noexcept {
  const std::size_t base = lines.offset();
  const std::string_view line = lines.peek();
  lines.skip();
  const std::size_t open = line.find(kOpen);
  const auto obis = detail::parse_obis(line.substr(0, open));
  o.count = 0;
  o.offset = base;
  if (open == std::string_view::npos || !obis) return false;
  o.obis = *obis;
  if (!read_groups(line, open, base, o)) return false;
  while (!lines.done() && lines.peek().starts_with(kOpen)) {
    const std::size_t at = lines.offset();
    const std::string_view more = lines.peek();
    lines.skip();
    if (!read_groups(more, 0, at, o)) return false;
  }
  return true;
}

// DSMR 5.0.2 objects whose value is text: equipment identifiers and text messages are
// hex-coded (0-n:96.1.0, 0-0:96.1.1, 0-0:96.13.0, Smarty 0-0:42.0.0); versions are not.
enum class TextKind : std::uint8_t { number, hex, plain };

TextKind text_kind(const ObisCode& o) noexcept {
  const std::uint8_t c = o.v[2], d = o.v[3], e = o.v[4];
  if (c == 0 && d == 2 && e == 8) return TextKind::plain;   // 1-3:0.2.8 P1 version
  if (c == 96 && d == 1 && e == 4) return TextKind::plain;  // 0-0:96.1.4 (Belgian) version
  if ((c == 96 && (d == 1 || d == 13)) || (c == 42 && d == 0)) return TextKind::hex;
  return TextKind::number;
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

 private:
  bool buffer(const Object& o);
  bool gas_dsmr22(const Object& o);
  void plain(const Object& o);
  Reading& add(const ObisCode& obis);
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

Reading& Builder::add(const ObisCode& obis) {
  Reading& r = out_.readings.emplace_back();
  r.obis = obis;
  r.name = cosem::obis_name(obis);
  return r;
}

// A timestamp group: parsed into `out`; a bad one is reported (p1_bad_timestamp at its '(').
Stamp Builder::stamp(const Group& g, bool flag_optional, DateTime& out) {
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
  // A short search in place: a call of memchr costs more than the few characters of a value.
  const std::size_t star =
      static_cast<std::size_t>(std::find(g.data, g.data + g.size, kUnitSeparator) - g.data);
  const bool with_unit = star != g.size;
  if (with_unit || kind == TextKind::number) {
    std::optional<detail::Number> n;
    if (!with_unit) {
      n = detail::parse_number(g.text());
    } else if (const auto unit = units_.find(g.text().substr(star + 1))) {
      n = detail::parse_number(g.text().substr(0, star), *unit);
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
  const auto n = detail::parse_number(o.groups[0].text());
  if (!n || n->scaler != 0 || n->raw < 0) return false;
  std::size_t k = 1;
  while (1 + k < o.count && detail::parse_obis(o.groups[1 + k].text())) ++k;
  const auto entries = static_cast<std::size_t>(n->raw);
  if (entries > kMaxGroups || o.count != 1 + k + entries * (k + 1)) return false;
  value(add(o.obis), o.groups[0], TextKind::number);
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
  const auto n = unit ? detail::parse_number(o.groups[kValue].text(), *unit) : std::nullopt;
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
  std::size_t last_value = o.count;
  DateTime probe;
  for (std::size_t i = 0; o.count > 1 && i < o.count; ++i) {  // one group: nothing before it
    if (detail::parse_timestamp(o.groups[i].text(), false, zone_, probe) == Stamp::not_a_stamp) {
      last_value = i;
    }
  }
  DateTime captured;
  const TextKind kind = text_kind(o.obis);
  for (std::size_t i = 0; i < o.count; ++i) {
    if (last_value != o.count && i < last_value &&
        capture(o.groups[i], captured) != Stamp::not_a_stamp) {
      continue;
    }
    Reading& r = add(o.obis);
    value(r, o.groups[i], kind);
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
  const std::string_view s(reinterpret_cast<const char*>(text.data()), text.size());
  Lines lines(s, stream_offset);
  std::string_view header = lines.peek();
  if (!header.empty() && header.front() == static_cast<char>(kStart)) header.remove_prefix(1);
  out.meter_type = out.store(header);  // the identification after '/'
  lines.skip();
  Builder builder(out, problems, zone);
  Object o;
  while (!lines.done() && !lines.peek().starts_with(static_cast<char>(kEnd))) {
    if (lines.peek().empty()) {
      lines.skip();
      continue;
    }
    const std::size_t at = lines.offset();
    if (read_object(lines, o)) {
      builder.object(o);
    } else {
      problems.add(Error{Errc::p1_bad_line, at});
    }
  }
  header_fields(out);
}

}  // namespace meterlab::p1
