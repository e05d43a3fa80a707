// One list's template from one captured data-notification. The engine is the oracle of what each
// value means: the APDU is decoded as captured, then once per simple value with that value
// changed; the one reading that changes (and only in its value) is the reading the value feeds.
// A value no reading follows, or that changes the layout, a scaler, a unit or an OBIS code, is
// part of the skeleton and held as captured.
#include <algorithm>
#include <array>
#include <cmath>
#include <string_view>
#include <utility>
#include <vector>

#include "meterlab/axdr/axdr.hpp"
#include "meterlab/axdr/value.hpp"
#include "meterlab/core/hex.hpp"
#include "meterlab/decoder/decoder.hpp"
#include "meterlab/dlms/apdu.hpp"
#include "meterlab/sim/learn.hpp"
#include "meterlab/sim/learn_detail.hpp"

namespace meterlab::sim::learn_detail {
namespace {

using json = nlohmann::ordered_json;
using axdr::Tag;

// The profile format's key of each A-XDR type it can hold (simulator/README.md).
constexpr std::array<std::pair<Tag, std::string_view>, 17> kLeafKeys{{
    {Tag::null_data, "null"},
    {Tag::boolean, "bool"},
    {Tag::integer, "i8"},
    {Tag::long_, "i16"},
    {Tag::double_long, "i32"},
    {Tag::long64, "i64"},
    {Tag::unsigned_, "u8"},
    {Tag::long_unsigned, "u16"},
    {Tag::double_long_unsigned, "u32"},
    {Tag::long64_unsigned, "u64"},
    {Tag::enum_, "enum"},
    {Tag::float32, "f32"},
    {Tag::float64, "f64"},
    {Tag::octet_string, "os_hex"},
    {Tag::visible_string, "vs"},
    {Tag::utf8_string, "utf8"},
    {Tag::date_time, "dt"},
}};

// Electricity quantities the household model gives, by OBIS C.D.E (A = 1), with the unit the
// model gives them in: a reading with another unit is held as captured.
struct Quantity {
  std::string_view cde;
  std::string_view source;
  std::string_view unit;
};
constexpr std::array<Quantity, 31> kQuantities{{
    {"1.7.0", "p_import", "W"},
    {"2.7.0", "p_export", "W"},
    {"3.7.0", "q_import", "var"},
    {"4.7.0", "q_export", "var"},
    {"21.7.0", "p_import_l1", "W"},
    {"41.7.0", "p_import_l2", "W"},
    {"61.7.0", "p_import_l3", "W"},
    {"22.7.0", "p_export_l1", "W"},
    {"42.7.0", "p_export_l2", "W"},
    {"62.7.0", "p_export_l3", "W"},
    {"23.7.0", "q_import_l1", "var"},
    {"43.7.0", "q_import_l2", "var"},
    {"63.7.0", "q_import_l3", "var"},
    {"24.7.0", "q_export_l1", "var"},
    {"44.7.0", "q_export_l2", "var"},
    {"64.7.0", "q_export_l3", "var"},
    {"32.7.0", "voltage_l1", "V"},
    {"52.7.0", "voltage_l2", "V"},
    {"72.7.0", "voltage_l3", "V"},
    {"31.7.0", "current_l1", "A"},
    {"51.7.0", "current_l2", "A"},
    {"71.7.0", "current_l3", "A"},
    {"13.7.0", "power_factor", ""},
    {"33.7.0", "power_factor_l1", ""},
    {"53.7.0", "power_factor_l2", ""},
    {"73.7.0", "power_factor_l3", ""},
    {"14.7.0", "frequency", "Hz"},
    {"1.8.0", "energy_import", "Wh"},
    {"2.8.0", "energy_export", "Wh"},
    {"3.8.0", "energy_reactive_import", "varh"},
    {"4.8.0", "energy_reactive_export", "varh"},
}};

const Quantity* quantity_of(const std::string& obis, const std::string& unit) {
  // "1-0:32.7.0.255": electricity (A = 1), C.D.E between ':' and the last '.'
  auto colon = obis.find(':');
  auto dot = obis.rfind('.');
  if (!obis.starts_with("1-") || colon == std::string::npos || dot <= colon) return nullptr;
  std::string cde = obis.substr(colon + 1, dot - colon - 1);
  for (const Quantity& q : kQuantities)
    if (q.cde == cde && q.unit == unit) return &q;
  return nullptr;
}

// One reading as the decoder reports it, reduced to what tells two decodes apart.
struct ReadingInfo {
  std::string key;  // OBIS code, or "@2.1" for a reading only its position names
  std::string unit;
  cosem::ValueKind kind = cosem::ValueKind::none;
  std::int64_t raw = 0;
  int scaler = 0;
  std::string value;  // text, octets, date-time (ISO), real
  double number = 0;
  bool operator==(const ReadingInfo&) const = default;
};

struct Probe {
  std::string layout, meter_id, meter_type;
  std::vector<ReadingInfo> readings;
  std::string timestamp = {};  // the telegram's clock (ISO), "" when none
};

ReadingInfo info_of(const cosem::Telegram& t, const cosem::Reading& r) {
  ReadingInfo i;
  i.key = r.positional() ? "@" + r.position_text() : r.obis.to_string();
  i.unit = std::string(r.unit);
  i.kind = r.kind;
  i.raw = r.raw;
  i.scaler = r.scaler;
  i.number = r.number();
  if (r.has_text())
    i.value = std::string(t.text(r.text));
  else if (r.kind == cosem::ValueKind::date_time)
    i.value = r.date_time.to_iso8601();
  else if (r.kind == cosem::ValueKind::real)
    i.value = std::to_string(r.real);
  return i;
}

std::optional<Probe> probe(Bytes apdu) {
  Decoder dec(InputTransport::apdu);
  dec.push(apdu);
  dec.finish();
  for (auto ev = dec.next(); ev != Decoder::Event::need_more; ev = dec.next()) {
    if (ev != Decoder::Event::telegram) continue;
    const cosem::Telegram& t = dec.telegram();
    Probe p{std::string(t.layout),
            std::string(t.text(t.meter_id)),
            std::string(t.text(t.meter_type)),
            {}};
    for (const cosem::Reading& r : t.readings) p.readings.push_back(info_of(t, r));
    if (t.timestamp) p.timestamp = t.timestamp->to_iso8601();
    return p;
  }
  return std::nullopt;
}

// What a simple value is to the decoder.
struct Role {
  const ReadingInfo* reading = nullptr;  // the reading it is the value of
  bool meter_id = false;
  bool meter_type = false;
};

bool printable(std::string_view s) {
  return !s.empty() &&
         std::all_of(s.begin(), s.end(), [](char c) { return c >= 0x20 && c < 0x7F; });
}

class ListLearner {
 public:
  ListLearner(Bytes apdu, std::size_t body_offset, const axdr::Document& doc, const Probe& base,
              std::size_t where)
      : apdu_(apdu.begin(), apdu.end()),
        body_offset_(body_offset),
        doc_(doc),
        base_(base),
        where_(where) {}

  // `path`: the value's place in the body as the decoder names an unnamed reading ("2.1").
  json node(std::uint32_t index, ListTemplate& out, const std::string& path = "");

 private:
  Role role_of(std::uint32_t index) const;
  Role role_by_text(const axdr::Node& n) const;
  std::optional<std::size_t> probe_byte(const axdr::Node& n) const;
  json leaf(std::uint32_t index, ListTemplate& out, const std::string& path);
  Role role_by_position(const std::string& path) const;
  json value_of(const axdr::Node& n, const Role& role, std::string_view key, ListTemplate& out);
  json clock_leaf(const axdr::Node& n, ListTemplate& out);
  json constant(const axdr::Node& n) const;
  void check_positional_clock(const axdr::Node& n, const ReadingInfo& r) const;
  [[noreturn]] void fail(const axdr::Node& n, const std::string& what) const {
    throw LearnError("A-XDR " + std::string(axdr::tag_name(n.tag)) + " at APDU byte " +
                     std::to_string(body_offset_ + n.offset) + " of the telegram at stream byte " +
                     std::to_string(where_) + ": " + what);
  }

  std::vector<std::uint8_t> apdu_;
  std::size_t body_offset_;
  const axdr::Document& doc_;
  const Probe& base_;
  std::size_t where_;
};

// The byte of the APDU to change to see what a value feeds: a date-time's year (a string's last
// byte would be its status or hundredths, which a decoder may not print), else the last byte.
std::optional<std::size_t> ListLearner::probe_byte(const axdr::Node& n) const {
  std::size_t at = body_offset_;
  if (n.tag == Tag::null_data) return std::nullopt;
  if (n.is_string() || n.tag == Tag::date_time) {
    std::size_t len = n.tag == Tag::date_time ? 12 : n.count;
    if (len == 0) return std::nullopt;
    bool clock_like = len == 12 || len == 5 || len == 4;
    return at + n.data + (clock_like ? 1 : len - 1);
  }
  if (n.tag == Tag::float32 || n.tag == Tag::float64) return at + n.offset + 3;
  return at + n.offset + axdr::detail::fixed_size(n.tag);  // its last byte
}

Role ListLearner::role_of(std::uint32_t index) const {
  const axdr::Node& n = doc_.nodes()[index];
  auto at = probe_byte(n);
  if (!at || *at >= apdu_.size()) return {};
  std::vector<std::uint8_t> changed = apdu_;
  if (n.tag == Tag::boolean)
    changed[*at] = changed[*at] == 0 ? 0xFF : 0x00;
  else
    changed[*at] ^= n.tag == Tag::float32 || n.tag == Tag::float64 ? 0x10 : 0x01;
  auto p = probe(changed);
  if (!p || p->layout != base_.layout || p->readings.size() != base_.readings.size())
    return role_by_text(n);
  Role role;
  role.meter_id = p->meter_id != base_.meter_id;
  role.meter_type = p->meter_type != base_.meter_type;
  std::size_t differing = 0, at_reading = 0;
  for (std::size_t i = 0; i < p->readings.size(); ++i)
    if (!(p->readings[i] == base_.readings[i])) ++differing, at_reading = i;
  if (differing != 1) return role;
  const ReadingInfo& was = base_.readings[at_reading];
  const ReadingInfo& now = p->readings[at_reading];
  if (was.key == now.key && was.unit == now.unit && was.scaler == now.scaler &&
      was.kind == now.kind)
    role.reading = &was;
  return role;
}

// A string the layout itself matches on (a list id): changed, the layout no longer matches, so
// the reading it is the value of is the one reading that holds its text.
Role ListLearner::role_by_text(const axdr::Node& n) const {
  if (!n.is_string()) return {};
  Bytes b = doc_.bytes(n);
  const std::string text(b.begin(), b.end());
  Role role;
  for (const ReadingInfo& r : base_.readings) {
    bool same = (r.kind == cosem::ValueKind::text && r.value == text) ||
                (r.kind == cosem::ValueKind::octets && r.value == text);
    if (!same) continue;
    if (role.reading) return {};
    role.reading = &r;
  }
  return role;
}

json ListLearner::constant(const axdr::Node& n) const {
  if (n.is_string()) {
    Bytes b = doc_.bytes(n);
    if (n.tag == Tag::octet_string) return to_hex(b);
    return std::string(b.begin(), b.end());
  }
  if (n.tag == Tag::date_time) fail(n, "a date-time no reading follows");
  if (n.tag == Tag::float32 || n.tag == Tag::float64) {
    if (n.f != std::floor(n.f) || std::fabs(n.f) > 1e15)
      fail(n, "a float of unknown meaning that is not a whole number");
    return static_cast<std::int64_t>(n.f);
  }
  if (n.tag == Tag::boolean) {  // true as FF (most meters) or as the byte this one sent
    const std::uint8_t b = doc_.source()[n.offset + 1];
    return b == 0x00 || b == 0xFF ? json(b != 0) : json(b);
  }
  if (n.tag == Tag::long64_unsigned && n.u > static_cast<std::uint64_t>(INT64_MAX))
    fail(n, "a constant above the profile format's range");
  return n.i;
}

// A clock only its position names advances with the simulation; the simulator's truth makes it
// the telegram's clock when no OBIS code names one (the generic mapping's rule, meter.cpp), so it
// is kept only where the decoder makes it so too, or where the APDU's own date-time is the clock.
void ListLearner::check_positional_clock(const axdr::Node& n, const ReadingInfo& r) const {
  constexpr std::size_t kUnstampedBody = 6;  // 0F, invoke id (4), 00: no date-time
  if (r.value == base_.timestamp || body_offset_ != kUnstampedBody) return;
  fail(n, "a clock only its position names that is not the telegram's clock (the telegram's is " +
              (base_.timestamp.empty() ? std::string("none") : base_.timestamp) + ")");
}

json ListLearner::clock_leaf(const axdr::Node& n, ListTemplate& out) {
  std::size_t len = n.tag == Tag::date_time ? 12 : n.count;
  Bytes b = n.tag == Tag::date_time ? Bytes(doc_.source().subspan(n.data, 12)) : doc_.bytes(n);
  if (len == 12) {
    std::array<std::uint8_t, 12> c{};
    std::copy(b.begin(), b.end(), c.begin());
    out.clock = c;
  }
  json leaf;
  if (n.tag == Tag::date_time)
    leaf["dt"] = "$clock";
  else if (len == 12)
    leaf["dt_os"] = "$clock";
  else if (len == 4)
    leaf["os"] = "$clock_time";
  else if (len == 5)
    leaf["os"] = "$clock_date";
  else
    fail(n, "a date-time of " + std::to_string(len) + " bytes");
  return leaf;
}

json ListLearner::value_of(const axdr::Node& n, const Role& role, std::string_view key,
                           ListTemplate& out) {
  const ReadingInfo* r = role.reading;
  std::string text = n.is_string() ? std::string(doc_.bytes(n).begin(), doc_.bytes(n).end()) : "";
  if (role.meter_id && n.is_string() && printable(text)) {
    out.meter_id = text;
    return json{{key, "$meter_id"}};
  }
  if (role.meter_type && n.is_string() && printable(text)) {
    out.meter_type = text;
    return json{{key, "$meter_type"}};
  }
  if (r && r->kind == cosem::ValueKind::date_time) return clock_leaf(n, out);
  const Quantity* q =
      r && !n.is_string() && r->key[0] != '@' ? quantity_of(r->key, r->unit) : nullptr;
  if (!q) return json{{key, constant(n)}};
  out.quantities[std::string(q->source)] = r->number;
  if (q->source.ends_with("_l2") || q->source.ends_with("_l3")) out.three_phase = true;
  return json{{key, "$" + std::string(q->source)}};
}

// A value whose change shows nothing (an empty string) feeds the unnamed reading at its place.
Role ListLearner::role_by_position(const std::string& path) const {
  Role role;
  for (const ReadingInfo& r : base_.readings)
    if (r.key == "@" + path) role.reading = &r;
  return role;
}

json ListLearner::leaf(std::uint32_t index, ListTemplate& out, const std::string& path) {
  const axdr::Node& n = doc_.nodes()[index];
  auto it = std::find_if(kLeafKeys.begin(), kLeafKeys.end(),
                         [&](const auto& k) { return k.first == n.tag; });
  if (it == kLeafKeys.end()) fail(n, "the profile format has no such value");
  Role role = role_of(index);
  if (!role.reading && !role.meter_id && !role.meter_type) role = role_by_position(path);
  if (role.reading && role.reading->kind == cosem::ValueKind::date_time &&
      role.reading->key[0] == '@')
    check_positional_clock(n, *role.reading);
  json leaf = value_of(n, role, it->second, out);
  if (const ReadingInfo* r = role.reading) {
    if (r->key[0] == '@')
      leaf["position"] = r->key.substr(1);
    else
      leaf["obis"] = r->key;
    if (!r->unit.empty()) leaf["unit"] = r->unit;
    if (!n.is_string() && n.tag != Tag::date_time) leaf["scale"] = r->scaler;
  }
  out.signature += ' ' + std::string(it->second);
  if (n.is_string()) {
    Bytes b = doc_.bytes(n);
    out.signature += '[' + std::to_string(n.count) + ']';
    if (n.count == 6 && b[5] == 0xFF) out.signature += '=' + to_hex(b);  // an OBIS code
  }
  return leaf;
}

json ListLearner::node(std::uint32_t index, ListTemplate& out, const std::string& path) {
  const axdr::Node& n = doc_.nodes()[index];
  if (n.tag != Tag::structure && n.tag != Tag::array) return leaf(index, out, path);
  const char* key = n.tag == Tag::structure ? "struct" : "array";
  out.signature += std::string(" ") + key + '[' + std::to_string(n.count) + ']';
  json items = json::array();
  std::uint32_t child = axdr::Document::first_child(index);
  for (std::uint32_t i = 0; i < n.count; ++i, child = doc_.next_sibling(child))
    items.push_back(node(child, out, (path.empty() ? "" : path + ".") + std::to_string(i + 1)));
  return json{{key, items}};
}

// Every reading the decoder reports must come from one value of the template (a split date and
// time may feed one clock reading twice), else the simulated truth would not be what it decodes.
void check_covered(const Probe& base, const json& body, std::size_t where) {
  std::vector<std::string> keys;
  auto walk = [&](auto&& self, const json& j) -> void {
    if (j.is_array()) {
      for (const json& e : j) self(self, e);
      return;
    }
    if (!j.is_object()) return;
    if (j.contains("obis")) keys.push_back(j.at("obis").get<std::string>());
    if (j.contains("position")) keys.push_back("@" + j.at("position").get<std::string>());
    for (const char* c : {"struct", "array"})
      if (j.contains(c)) self(self, j.at(c));
  };
  walk(walk, body);
  for (const ReadingInfo& r : base.readings)
    if (std::find(keys.begin(), keys.end(), r.key) == keys.end())
      throw LearnError("the reading " + r.key + " of the telegram at stream byte " +
                       std::to_string(where) + " comes from no single value of the body");
}

}  // namespace

// The household source of a reading: its OBIS code and the unit the decoder reports it in.
std::optional<std::string_view> household_source(const std::string& obis, const std::string& unit) {
  const Quantity* q = quantity_of(obis, unit);
  if (!q) return std::nullopt;
  return q->source;
}

ListTemplate learn_list(Bytes apdu, std::size_t where) {
  auto n = dlms::parsed(dlms::parse_data_notification, apdu);
  if (!n)
    throw LearnError("the telegram at stream byte " + std::to_string(where) +
                     " is not a data-notification (APDU byte " + std::to_string(n.error().offset) +
                     ")");
  axdr::Document doc;
  if (auto parsed = axdr::parse(n->body, doc); !parsed)
    throw LearnError("the body of the telegram at stream byte " + std::to_string(where) +
                     " is not A-XDR (APDU byte " +
                     std::to_string(n->body_offset + parsed.error().offset) + ")");
  auto base = probe(apdu);
  if (!base)
    throw LearnError("the telegram at stream byte " + std::to_string(where) +
                     " does not decode on its own");
  ListTemplate out;
  out.body = ListLearner(apdu, n->body_offset, doc, *base, where).node(0, out);
  out.signature += " layout:" + base->layout;
  check_covered(*base, out.body, where);
  return out;
}

}  // namespace meterlab::sim::learn_detail
