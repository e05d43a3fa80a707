// P1 telegram text -> cosem::Telegram (telegram.hpp): lines, objects, and the three shapes of
// an object's value groups.
#include <algorithm>
#include <array>
#include <cstring>
#include <string_view>

#include "meterlab/p1/framer.hpp"
#include "meterlab/p1/parser_memory.hpp"
#include "meterlab/p1/telegram.hpp"
#include "scanner.hpp"
#include "shape_memory.hpp"
#include "value.hpp"

namespace meterlab::p1 {
namespace {

using cosem::DateTime;
using cosem::ObisCode;
using cosem::Reading;
using detail::Stamp;

using detail::Group;
using detail::Known;
using detail::Object;
using detail::Scanner;
using detail::ShapeAccess;
using detail::ShapeLine;
using detail::TextKind;

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
  void known(const Known& k);
  static detail::Units& units() noexcept { return units_; }

 private:
  bool buffer(const Object& o);
  bool gas_dsmr22(const Object& o);
  void plain(const Object& o);
  Reading& add(const ObisCode& obis, std::string_view name);
  Reading& add(const ObisCode& obis) { return add(obis, cosem::obis_name(obis)); }
  void value(Reading& r, const Group& g, TextKind kind);
  void number_or_text(Reading& r, const Group& g, TextKind kind);
  void set_text(Reading& r, std::string_view text, TextKind kind);
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
  set_text(r, g.text(), kind);
}

void Builder::set_text(Reading& r, std::string_view text, TextKind kind) {
  r.kind = cosem::ValueKind::text;
  r.text = kind == TextKind::hex ? detail::store_hex_text(out_, text) : out_.store(text);
}

// A known line's reading, as value() and plain() make it of the same groups.
void Builder::known(const Known& k) {
  Reading& r = add(k.slot->obis, k.slot->name);
  switch (k.shape) {
    case Known::Shape::number:
      set_number(r, k.number);
      if (k.captured) r.date_time = k.when;
      return;
    case Known::Shape::text:
      return set_text(r, k.text, k.slot->kind);
    case Known::Shape::stamp:
      r.kind = cosem::ValueKind::date_time;
      r.date_time = k.when;
      return;
  }
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

// The readings that carry the telegram's own fields (the first of each).
detail::FieldReadings field_readings(const cosem::Telegram& t) noexcept {
  detail::FieldReadings f;
  // Taken while none or an empty text was (an empty meter id gives way to a later one).
  const auto open = [&t](std::uint32_t at) {
    return at == detail::FieldReadings::kNone || t.readings[at].text.empty();
  };
  for (std::size_t i = 0; i < t.readings.size(); ++i) {
    const Reading& r = t.readings[i];
    const ObisCode& o = r.obis;
    const bool text = r.kind == cosem::ValueKind::text;
    const auto at = static_cast<std::uint32_t>(i);
    if (text && open(f.meter_id) && (is(o, {0, 0, 96, 1, 1}) || is(o, {0, 0, 96, 1, 0}))) {
      f.meter_id = at;
    } else if (text && open(f.list_id) && (is(o, {1, 3, 0, 2, 8}) || is(o, {0, 0, 96, 1, 4}))) {
      f.list_id = at;
    } else if (r.kind == cosem::ValueKind::date_time && f.timestamp == f.kNone &&
               is(o, {0, 0, 1, 0, 0})) {
      f.timestamp = at;
    }
  }
  return f;
}

// The telegram's own fields from those readings: from the memory's when it gave the telegram
// whole (the same readings), else as found.
void header_fields(cosem::Telegram& t, ParserMemory& memory) noexcept {
  const detail::FieldReadings* known = ShapeAccess::fields(memory);
  const detail::FieldReadings f = known != nullptr ? *known : field_readings(t);
  if (known == nullptr) ShapeAccess::learn_fields(memory, f);
  if (f.meter_id != f.kNone) t.meter_id = t.readings[f.meter_id].text;
  if (f.list_id != f.kNone) t.list_id = t.readings[f.list_id].text;
  if (f.timestamp != f.kNone) t.timestamp = t.readings[f.timestamp].date_time;
}

// One telegram's lines after the header, each from the shape memory when it has it, else the
// general way (read_known() or read_object(), and the Builder), recorded for the memory.
class Pass {
 public:
  Pass(const char* begin, const char* end, std::size_t base, cosem::Telegram& out,
       Problems& problems, ParserMemory& memory, const Zone& zone)
      : begin_(begin),
        end_(end),
        scan_(begin, end, base),
        out_(out),
        problems_(problems),
        builder_(out, problems, zone),
        memory_(memory),
        zone_(zone) {}
  const Scanner& scan() const noexcept { return scan_; }
  void lines(const char* p);

 private:
  const char* general(const char* line);
  const char* object(const char* line, std::size_t first);
  void known_values(const char* line, const char* next, std::size_t first);
  void note_values(const char* line, const Known& k, ShapeLine& s) const noexcept;

  const char* begin_;
  const char* end_;
  Scanner scan_;
  cosem::Telegram& out_;
  Problems& problems_;
  Builder builder_;
  ParserMemory& memory_;
  const Zone& zone_;
  Object o_;
  Known k_;                        // one for every line: its DateTime is not set up again a line
  Known probe_;                    // known_values()
  const Known* values_ = nullptr;  // the line's values, as read_known() found them
  std::size_t index_ = 0;          // of the object line
};

// Drops the readings after the first `written` (the last telegram's).
void cut(std::vector<Reading>& readings, std::size_t written) noexcept {
  readings.erase(readings.begin() + static_cast<std::ptrdiff_t>(written), readings.end());
}

// The readings `out_` holds on entry are the last telegram's: the memory writes its runs over
// them; they are cut to this telegram's before the first line read the general way, and at the
// end (cleared at once when the memory gives no line).
void Pass::lines(const char* p) {
  const bool remembered = ShapeAccess::start(memory_, zone_, out_);
  auto& readings = out_.readings;
  if (!remembered) readings.clear();
  std::size_t written = 0;  // this telegram's readings, at the front of `readings`
  bool stale = remembered;  // the last telegram's may follow them (never after the first cut)
  bool all_hit = true;
  std::size_t i = 0;  // the line's place, as the memory counts them
  while (p != end_ && *p != static_cast<char>(kEnd)) {
    if (remembered) {
      const char* next = ShapeAccess::give(memory_, i, begin_, p, end_, out_, written, index_);
      if (next != p) {
        p = next;
        continue;
      }
      if (stale) cut(readings, written);
      stale = false;
    }
    all_hit = false;
    p = general(p);
    if (remembered) written = readings.size();
    ++i;
  }
  if (stale) cut(readings, written);
  const std::string_view text(begin_, static_cast<std::size_t>(end_ - begin_));
  ShapeAccess::finish(memory_, text, out_, problems_, all_hit, zone_);
}

// The line at `line` the general way, recorded for the memory when it is on: the next line's
// start.
const char* Pass::general(const char* line) {
  const std::size_t first = out_.readings.size();
  const char* p = scan_.line_end(line);  // an empty line
  const bool object = p == nullptr;
  values_ = nullptr;
  if (object) p = this->object(line, first);
  if (!memory_.enabled()) return p;
  ShapeLine s;
  s.at = static_cast<std::uint32_t>(line - begin_);
  s.length = static_cast<std::uint32_t>(p - line);
  s.first = static_cast<std::uint32_t>(first);
  s.count = static_cast<std::uint32_t>(out_.readings.size() - first);
  s.object = object;
  if (values_ != nullptr) note_values(line, *values_, s);
  ShapeAccess::record(memory_, s);
  return p;
}

// An object line (`first`: its first reading's index): by read_known() when it can, else by
// read_object() and the Builder. values_: where its number and timestamp are, if read_known()
// can say.
const char* Pass::object(const char* line, std::size_t first) {
  if (const char* const next = scan_.read_known(line, index_, Builder::units(), zone_, k_)) {
    builder_.known(k_);
    ++index_;
    values_ = &k_;
    return next;
  }
  const bool first_seen = k_.slot == nullptr;  // read_object() learns the line's code
  bool ok = false;
  const char* const next = scan_.read_object(line, index_++, k_.slot, o_, ok);
  if (ok) {
    builder_.object(o_);
    if (first_seen && memory_.enabled()) known_values(line, next, first);
  } else {
    problems_.add(Error{Errc::p1_bad_line, scan_.offset(line)});
  }
  return next;
}

// A line read the general way when its code was new: where its number and timestamp are, as
// read_known() finds them now that the line memory knows the code (it gives the reading the
// Builder gave, the check of bench/README.md), so that the memory takes its digits at once.
// Not inlined: the read_known() of a line of every telegram (object()) is, as one call site.
[[gnu::noinline]] void Pass::known_values(const char* line, const char* next, std::size_t first) {
  const std::size_t readings = out_.readings.size() - first;
  if (readings == 1 &&
      scan_.read_known(line, index_ - 1, Builder::units(), zone_, probe_) == next) {
    values_ = &probe_;
  }
}

// Where a known line's number and timestamp were: the memory's variable digits. A line too
// long for the offsets keeps none (all its bytes are compared then).
void Pass::note_values(const char* line, const Known& k, ShapeLine& s) const noexcept {
  const auto at = [line](const char* v) { return static_cast<std::size_t>(v - line); };
  constexpr std::size_t kFar = ShapeLine::kNone - kMaxGroups;
  if (k.stamp_at != nullptr && at(k.stamp_at) < kFar) {
    s.stamp_at = static_cast<std::uint16_t>(at(k.stamp_at));
  }
  if (k.number_at != nullptr && at(k.number_end) < kFar) {
    s.number_at = static_cast<std::uint16_t>(at(k.number_at));
    s.number_length = static_cast<std::uint16_t>(k.number_end - k.number_at);
    s.unit_symbol = k.unit.symbol;
    s.unit_scale = k.unit.scale;
  }
}

}  // namespace

void parse_telegram(Bytes text, std::size_t stream_offset, cosem::Telegram& out, Problems& problems,
                    ParserMemory& memory, const Zone& zone) {
  // Every field is cleared but the readings: the memory writes over the last telegram's
  // (Pass::lines()).
  std::vector<Reading> last = std::move(out.readings);
  out.clear();
  out.readings = std::move(last);
  problems.clear();
  out.transport = cosem::Transport::p1;
  out.stream_offset = stream_offset;
  out.length = text.size();
  out.segments = 1;
  const char* p = reinterpret_cast<const char*>(text.data());
  const char* const end = p + text.size();
  Pass pass(p, end, stream_offset, out, problems, memory, zone);
  // The identification after '/' (the header line, without its line end).
  const char* const after_header = pass.scan().next_line(p);
  std::string_view header(p, static_cast<std::size_t>(after_header - p));
  if (!header.empty() && header.back() == '\n') header.remove_suffix(1);
  if (!header.empty() && header.back() == '\r') header.remove_suffix(1);
  if (!header.empty() && header.front() == static_cast<char>(kStart)) header.remove_prefix(1);
  out.meter_type = out.store(header);
  pass.lines(after_header);
  header_fields(out, memory);
}

void parse_telegram(Bytes text, std::size_t stream_offset, cosem::Telegram& out, Problems& problems,
                    const Zone& zone) {
  static thread_local ParserMemory memory;
  out.readings.clear();  // a caller's Telegram: its readings may have changed since
  parse_telegram(text, stream_offset, out, problems, memory, zone);
}

}  // namespace meterlab::p1
