// Profile JSON -> Profile. The format is documented in simulator/README.md; every error names the
// profile and the JSON path of the bad value.
#include "meterlab/sim/profile.hpp"

#include <algorithm>
#include <array>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <utility>

#include "meterlab/core/hex.hpp"
#include "meterlab/sim/p1.hpp"

namespace meterlab::sim {
namespace {

using nlohmann::json;

constexpr std::array<std::pair<std::string_view, Source>, 37> kSources{{
    {"meter_id", Source::meter_id},
    {"meter_type", Source::meter_type},
    {"clock", Source::clock},
    {"clock_time", Source::clock_time},
    {"clock_date", Source::clock_date},
    {"p_import", Source::p_import},
    {"p_export", Source::p_export},
    {"q_import", Source::q_import},
    {"q_export", Source::q_export},
    {"p_import_l1", Source::p_import_l1},
    {"p_import_l2", Source::p_import_l2},
    {"p_import_l3", Source::p_import_l3},
    {"p_export_l1", Source::p_export_l1},
    {"p_export_l2", Source::p_export_l2},
    {"p_export_l3", Source::p_export_l3},
    {"q_import_l1", Source::q_import_l1},
    {"q_import_l2", Source::q_import_l2},
    {"q_import_l3", Source::q_import_l3},
    {"q_export_l1", Source::q_export_l1},
    {"q_export_l2", Source::q_export_l2},
    {"q_export_l3", Source::q_export_l3},
    {"voltage_l1", Source::voltage_l1},
    {"voltage_l2", Source::voltage_l2},
    {"voltage_l3", Source::voltage_l3},
    {"current_l1", Source::current_l1},
    {"current_l2", Source::current_l2},
    {"current_l3", Source::current_l3},
    {"power_factor", Source::power_factor},
    {"power_factor_l1", Source::power_factor_l1},
    {"power_factor_l2", Source::power_factor_l2},
    {"power_factor_l3", Source::power_factor_l3},
    {"frequency", Source::frequency},
    {"energy_import", Source::energy_import},
    {"energy_export", Source::energy_export},
    {"energy_reactive_import", Source::energy_reactive_import},
    {"energy_reactive_export", Source::energy_reactive_export},
    {"constant", Source::constant},
}};

// Template keys: the A-XDR type of a leaf and whether its constant is a number or text.
struct TypeName {
  std::string_view key;
  NodeType type;
  bool text;
};
constexpr std::array<TypeName, 20> kTypes{{
    {"null", NodeType::null_data, false},
    {"bool", NodeType::boolean, false},
    {"i8", NodeType::int8, false},
    {"i16", NodeType::int16, false},
    {"i32", NodeType::int32, false},
    {"i64", NodeType::int64, false},
    {"u8", NodeType::uint8, false},
    {"u16", NodeType::uint16, false},
    {"u32", NodeType::uint32, false},
    {"u64", NodeType::uint64, false},
    {"enum", NodeType::enumeration, false},
    {"f32", NodeType::float32, false},
    {"f64", NodeType::float64, false},
    {"os", NodeType::octet_string, true},
    {"os_hex", NodeType::octet_string, true},
    {"vs", NodeType::visible_string, true},
    {"utf8", NodeType::utf8_string, true},
    {"dt_os", NodeType::date_time_octets, true},
    {"dt", NodeType::date_time, true},
    {"obis_os", NodeType::octet_string, true},
}};

// DLMS unit enumeration (Blue Book 4.3.2) for the units the profiles use.
constexpr std::array<std::pair<std::string_view, std::int64_t>, 11> kUnitCodes{{
    {"W", 27},
    {"VA", 28},
    {"var", 29},
    {"Wh", 30},
    {"VAh", 31},
    {"varh", 32},
    {"A", 33},
    {"V", 35},
    {"Hz", 44},
    {"", 255},
    {"%", 56},
}};

class Parser {
 public:
  explicit Parser(std::string name) : name_(std::move(name)) {}

  [[noreturn]] void fail(const std::string& path, const std::string& what) const {
    throw std::invalid_argument(name_ + ": " + path + ": " + what);
  }

  const json& need(const json& obj, const char* key, const std::string& path) const {
    if (!obj.is_object() || !obj.contains(key)) fail(path, std::string("missing \"") + key + "\"");
    return obj.at(key);
  }

  std::string str(const json& v, const std::string& path) const {
    if (!v.is_string()) fail(path, "expected a string");
    return v.get<std::string>();
  }

  std::int64_t integer(const json& v, const std::string& path) const {
    if (!v.is_number_integer()) fail(path, "expected an integer");
    return v.get<std::int64_t>();
  }

  Buffer hex(const json& v, const std::string& path, std::size_t want = 0) const {
    auto bytes = parse_hex(str(v, path));
    if (!bytes) fail(path, "not a hex string");
    if (want != 0 && bytes->size() != want)
      fail(path, "expected " + std::to_string(want) + " bytes");
    return *bytes;
  }

  Duration duration(const json& v, const std::string& path) const {
    auto d = parse_duration(str(v, path));
    if (!d) fail(path, "not a duration (\"2s\", \"10s\", \"1h\", \"2500ms\")");
    return *d;
  }

  std::vector<Node> nodes(const json& v, const std::string& path) const;
  Node leaf(const json& v, const std::string& path) const;
  std::vector<Node> sugar(const json& v, const std::string& path) const;

 private:
  std::string name_;
};

std::int64_t unit_code(const Parser& p, const std::string& unit, const std::string& path) {
  for (const auto& [symbol, code] : kUnitCodes)
    if (symbol == unit) return code;
  p.fail(path, "no DLMS unit code known for \"" + unit + "\"");
}

Buffer obis_bytes(const Parser& p, const std::string& text, const std::string& path) {
  // "A-B:C.D.E.F"
  std::array<unsigned, 6> v{};
  char c1 = 0, c2 = 0, c3 = 0, c4 = 0, c5 = 0;
  int n = std::sscanf(text.c_str(), "%u%c%u%c%u%c%u%c%u%c%u", &v[0], &c1, &v[1], &c2, &v[2], &c3,
                      &v[3], &c4, &v[4], &c5, &v[5]);
  if (n != 11 || c1 != '-' || c2 != ':' || c3 != '.' || c4 != '.' || c5 != '.' ||
      std::any_of(v.begin(), v.end(), [](unsigned x) { return x > 255; }))
    p.fail(path, "not an OBIS code \"A-B:C.D.E.F\": \"" + text + "\"");
  Buffer out;
  for (unsigned x : v) out.push_back(static_cast<std::uint8_t>(x));
  return out;
}

// One leaf: {"<type>": constant | "$source", "scale": n, "obis": "...", "unit": "..."}.
Node Parser::leaf(const json& v, const std::string& path) const {
  const TypeName* found = nullptr;
  for (const auto& t : kTypes)
    if (v.contains(std::string(t.key))) {
      if (found) fail(path, "two types in one element");
      found = &t;
    }
  if (!found) fail(path, "no type key (u32, os, vs, struct, register, ...)");
  Node n;
  n.type = found->type;
  const json& value = v.at(std::string(found->key));
  if (value.is_string() && value.get<std::string>().starts_with("$")) {
    auto src = parse_source(value.get<std::string>().substr(1));
    if (!src) fail(path, "unknown source \"" + value.get<std::string>() + "\"");
    n.source = *src;
  } else if (found->key == "obis_os") {
    n.text = [&] {
      auto b = obis_bytes(*this, str(value, path), path);
      return std::string(b.begin(), b.end());
    }();
  } else if (found->key == "os_hex") {
    auto b = hex(value, path);
    n.text.assign(b.begin(), b.end());
  } else if (found->text) {
    n.text = str(value, path);
  } else if (n.type == NodeType::boolean && value.is_boolean()) {
    n.number = value.get<bool>() ? 0xFF : 0x00;  // the byte most meters send for it
  } else if (n.type != NodeType::null_data) {
    n.number = value.is_boolean() ? value.get<bool>() : integer(value, path);
  }
  if (v.contains("scale")) n.scale = static_cast<int>(integer(v.at("scale"), path + ".scale"));
  if (v.contains("obis")) n.obis = str(v.at("obis"), path + ".obis");
  if (v.contains("unit")) n.unit = str(v.at("unit"), path + ".unit");
  if (v.contains("position")) n.position = str(v.at("position"), path + ".position");
  if (!n.obis.empty()) (void)obis_bytes(*this, n.obis, path + ".obis");
  return n;
}

// Shorthands for the COSEM shapes meters use (the README lists them):
//   {"register": OBIS, <type>: ..., "scale", "unit"}  -> structure{obis, value, structure{scaler,
//   unit}}
//   {"object": OBIS, <type>: ...}                     -> structure{obis, value}
//   {"flat_register": ...} / {"flat_object": ...}     -> the same elements without the structure
std::vector<Node> Parser::sugar(const json& v, const std::string& path) const {
  for (const char* key : {"register", "object", "flat_register", "flat_object"}) {
    if (!v.contains(key)) continue;
    std::string k = key;
    std::string obis = str(v.at(key), path + "." + k);
    json value = v;
    value.erase(key);
    value["obis"] = obis;
    Node item = leaf(value, path);
    Node code;
    code.type = NodeType::octet_string;
    auto b = obis_bytes(*this, obis, path + "." + k);
    code.text.assign(b.begin(), b.end());
    std::vector<Node> parts{code, item};
    if (k.ends_with("register")) {
      Node su;
      su.type = NodeType::structure;
      Node scaler, unit;
      scaler.type = NodeType::int8;
      scaler.number = item.scale;
      unit.type = NodeType::enumeration;
      unit.number = unit_code(*this, item.unit, path + ".unit");
      su.items = {scaler, unit};
      parts.push_back(su);
    }
    if (k.starts_with("flat_")) return parts;
    Node s;
    s.type = NodeType::structure;
    s.items = std::move(parts);
    return {s};
  }
  return {leaf(v, path)};
}

std::vector<Node> Parser::nodes(const json& v, const std::string& path) const {
  if (!v.is_object()) fail(path, "expected an object");
  for (const char* key : {"struct", "array"}) {
    if (!v.contains(key)) continue;
    const json& items = v.at(key);
    if (!items.is_array()) fail(path + "." + key, "expected a list of elements");
    Node n;
    n.type = std::string_view(key) == "struct" ? NodeType::structure : NodeType::array;
    for (std::size_t i = 0; i < items.size(); ++i) {
      auto sub = nodes(items[i], path + "." + key + "[" + std::to_string(i) + "]");
      n.items.insert(n.items.end(), sub.begin(), sub.end());
    }
    return {n};
  }
  return sugar(v, path);
}

template <std::size_t N>
std::array<std::uint8_t, N> fixed(const Buffer& b) {
  std::array<std::uint8_t, N> out{};
  std::copy_n(b.begin(), N, out.begin());
  return out;
}

ClockForm parse_clock(const Parser& p, const json& v) {
  ClockForm c;
  if (v.contains("hundredths"))
    c.hundredths = static_cast<std::uint8_t>(p.integer(v.at("hundredths"), "clock.hundredths"));
  if (v.contains("deviation")) {
    const json& d = v.at("deviation");
    if (d.is_number_integer()) {
      c.deviation = ClockForm::Deviation::fixed;
      c.fixed_deviation = static_cast<std::int16_t>(d.get<int>());
    } else if (p.str(d, "clock.deviation") == "local") {
      c.deviation = ClockForm::Deviation::local;
    } else if (d.get<std::string>() != "unspecified") {
      p.fail("clock.deviation", "expected \"unspecified\", \"local\" or minutes");
    }
  }
  if (v.contains("status")) {
    const json& s = v.at("status");
    if (s.is_string() && s.get<std::string>() == "dst")
      c.status_dst = true;
    else
      c.status = static_cast<std::uint8_t>(p.integer(s, "clock.status"));
  }
  return c;
}

Security parse_security(const Parser& p, const json& v) {
  Security s;
  s.security_control =
      static_cast<std::uint8_t>(p.hex(p.need(v, "sc", "security"), "security.sc", 1)[0]);
  s.system_title =
      fixed<8>(p.hex(p.need(v, "system_title", "security"), "security.system_title", 8));
  s.invocation_counter = static_cast<std::uint32_t>(
      p.integer(p.need(v, "invocation_counter", "security"), "security.invocation_counter"));
  if (v.contains("invocation_step"))
    s.invocation_step =
        static_cast<std::uint32_t>(p.integer(v.at("invocation_step"), "security.invocation_step"));
  s.ek = fixed<16>(p.hex(p.need(v, "ek", "security"), "security.ek", 16));
  if (v.contains("ak") && !v.at("ak").is_null())
    s.ak = fixed<16>(p.hex(v.at("ak"), "security.ak", 16));
  if ((s.security_control & 0x10) != 0 && !s.ak)
    p.fail("security.ak", "SC with authentication needs an \"ak\"");
  return s;
}

void parse_framing(const Parser& p, const json& v, Profile& out) {
  std::string kind = p.str(p.need(v, "kind", "framing"), "framing.kind");
  if (kind == "hdlc") {
    out.framing = Framing::hdlc;
    out.hdlc.dest = p.hex(p.need(v, "dest", "framing"), "framing.dest");
    out.hdlc.src = p.hex(p.need(v, "src", "framing"), "framing.src");
    if (v.contains("control")) out.hdlc.control = p.hex(v.at("control"), "framing.control", 1)[0];
    if (v.contains("llc")) out.hdlc.llc = v.at("llc").get<bool>();
    if (v.contains("max_info"))
      out.hdlc.max_info = static_cast<std::size_t>(p.integer(v.at("max_info"), "framing.max_info"));
  } else if (kind == "mbus") {
    out.framing = Framing::mbus;
    if (v.contains("c")) out.mbus.c = p.hex(v.at("c"), "framing.c", 1)[0];
    if (v.contains("a")) out.mbus.a = p.hex(v.at("a"), "framing.a", 1)[0];
    if (v.contains("stsap")) out.mbus.stsap = p.hex(v.at("stsap"), "framing.stsap", 1)[0];
    if (v.contains("dtsap")) out.mbus.dtsap = p.hex(v.at("dtsap"), "framing.dtsap", 1)[0];
    if (v.contains("max_data"))
      out.mbus.max_data = static_cast<std::size_t>(p.integer(v.at("max_data"), "framing.max_data"));
  } else if (kind == "p1") {
    out.framing = Framing::p1;
  } else {
    p.fail("framing.kind", "expected \"hdlc\", \"mbus\" or \"p1\"");
  }
  if (v.contains("segment_gap"))
    out.segment_gap = p.duration(v.at("segment_gap"), "framing.segment_gap");
}

// "gbt": {"blocks": [112, 108], "control": "40", "first_block": 1, "ack": 0}: the data bytes of
// each block but the last (which takes the rest), block-control, first number, ack as sent.
GbtParams parse_gbt(const Parser& p, const json& v) {
  GbtParams g;
  const json& blocks = p.need(v, "blocks", "apdu.gbt");
  if (!blocks.is_array()) p.fail("apdu.gbt.blocks", "expected a list of block sizes");
  for (std::size_t i = 0; i < blocks.size(); ++i) {
    const std::string path = "apdu.gbt.blocks[" + std::to_string(i) + "]";
    const std::int64_t n = p.integer(blocks[i], path);
    if (n <= 0) p.fail(path, "a block holds at least one byte");
    g.sizes.push_back(static_cast<std::size_t>(n));
  }
  if (v.contains("control")) g.control = p.hex(v.at("control"), "apdu.gbt.control", 1)[0];
  if (v.contains("first_block"))
    g.first_block =
        static_cast<std::uint16_t>(p.integer(v.at("first_block"), "apdu.gbt.first_block"));
  if (v.contains("llc_every_block")) g.llc_every_block = v.at("llc_every_block").get<bool>();
  if (v.contains("ack")) g.ack = static_cast<std::uint16_t>(p.integer(v.at("ack"), "apdu.gbt.ack"));
  return g;
}

DateTimeForm parse_time_form(const Parser& p, const json& v) {
  std::string f = p.str(v, "apdu.date_time");
  if (f == "absent") return DateTimeForm::absent;
  if (f == "octet_string") return DateTimeForm::octet_string;
  if (f == "bare") return DateTimeForm::bare;
  p.fail("apdu.date_time", "expected \"absent\", \"octet_string\" or \"bare\"");
}

void parse_household(const Parser& p, const json& v, HouseholdConfig& h) {
  if (v.contains("phases"))
    h.phases = static_cast<int>(p.integer(v.at("phases"), "household.phases"));
  if (h.phases != 1 && h.phases != 3) p.fail("household.phases", "1 or 3");
  if (v.contains("solar")) h.solar = v.at("solar").get<bool>();
  if (v.contains("solar_peak_w")) h.solar_peak_w = v.at("solar_peak_w").get<double>();
  if (v.contains("heat_pump")) h.heat_pump = v.at("heat_pump").get<bool>();
  if (v.contains("ev")) h.ev = v.at("ev").get<bool>();
  if (v.contains("cooker")) h.cooker = v.at("cooker").get<bool>();
  if (v.contains("base_load_w")) h.base_load_w = v.at("base_load_w").get<double>();
  if (v.contains("start_import_wh"))
    h.start_import_wh = p.integer(v.at("start_import_wh"), "household.start_import_wh");
  if (v.contains("start_export_wh"))
    h.start_export_wh = p.integer(v.at("start_export_wh"), "household.start_export_wh");
}

void parse_schedule(const Parser& p, const json& v, Profile& out) {
  if (!v.is_array() || v.empty()) p.fail("schedule", "expected a non-empty list");
  for (std::size_t i = 0; i < v.size(); ++i) {
    std::string path = "schedule[" + std::to_string(i) + "]";
    ScheduleEntry e;
    e.list = p.str(p.need(v[i], "list", path), path + ".list");
    e.every = p.duration(p.need(v[i], "every", path), path + ".every");
    if (v[i].contains("at")) e.at = p.duration(v[i].at("at"), path + ".at");
    if (e.every <= 0) p.fail(path + ".every", "must be positive");
    if (!out.lists.contains(e.list)) p.fail(path + ".list", "no list \"" + e.list + "\"");
    out.schedule.push_back(e);
  }
}

}  // namespace

std::optional<Source> parse_source(std::string_view name) {
  for (const auto& [n, s] : kSources)
    if (n == name) return s;
  return std::nullopt;
}

std::string_view source_name(Source s) {
  for (const auto& [n, v] : kSources)
    if (v == s) return n;
  return "?";
}

Profile parse_profile(std::string_view json_text) {
  json doc = json::parse(json_text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object())
    throw std::invalid_argument("profile: not a JSON object");
  Parser p(doc.value("name", std::string("profile")));
  Profile out;
  out.name = p.str(p.need(doc, "name", "$"), "name");
  out.description = doc.value("description", "");
  const json& vectors = p.need(doc, "vectors", "$");
  for (std::size_t i = 0; i < vectors.size(); ++i) {
    std::string path = "vectors[" + std::to_string(i) + "]";
    VectorRef ref{p.str(p.need(vectors[i], "list", path), path + ".list"),
                  p.str(p.need(vectors[i], "vector", path), path + ".vector"), true};
    if (vectors[i].contains("match")) {
      const std::string match = p.str(vectors[i].at("match"), path + ".match");
      if (match != "full" && match != "header" && match != "framing")
        p.fail(path + ".match", "expected \"full\", \"header\" or \"framing\"");
      ref.full = match == "full";
      ref.sizes = match != "framing";
    }
    out.vectors.push_back(ref);
  }
  const json& meter = p.need(doc, "meter", "$");
  out.meter_id = p.str(p.need(meter, "id", "meter"), "meter.id");
  out.meter_type = p.str(p.need(meter, "type", "meter"), "meter.type");
  auto zone = parse_zone(p.str(p.need(meter, "zone", "meter"), "meter.zone"));
  if (!zone) p.fail("meter.zone", "expected \"Europe/Oslo\", \"Europe/Vienna\" or \"UTC\"");
  out.zone = *zone;
  auto serial = SerialSettings::parse(p.str(p.need(doc, "serial", "$"), "serial"));
  if (!serial) p.fail("serial", "expected e.g. \"2400 8E1\"");
  out.serial = *serial;
  parse_framing(p, p.need(doc, "framing", "$"), out);
  // A P1 meter sends text, no APDU: the DLMS fields keep their defaults.
  static const json kNoApdu = {{"invoke_id", "00000000"}, {"date_time", "absent"}};
  const json& apdu = out.framing == Framing::p1 ? kNoApdu : p.need(doc, "apdu", "$");
  Buffer invoke = p.hex(p.need(apdu, "invoke_id", "apdu"), "apdu.invoke_id", 4);  // "40000000"
  out.invoke_id = (std::uint32_t{invoke[0]} << 24) | (std::uint32_t{invoke[1]} << 16) |
                  (std::uint32_t{invoke[2]} << 8) | invoke[3];
  if (apdu.contains("invoke_id_step"))
    out.invoke_id_step =
        static_cast<std::uint32_t>(p.integer(apdu.at("invoke_id_step"), "apdu.invoke_id_step"));
  out.apdu_time = parse_time_form(p, p.need(apdu, "date_time", "apdu"));
  if (apdu.contains("gbt")) out.gbt = parse_gbt(p, apdu.at("gbt"));
  if (doc.contains("clock")) out.clock = parse_clock(p, doc.at("clock"));
  if (doc.contains("security") && !doc.at("security").is_null())
    out.security = parse_security(p, doc.at("security"));
  if (doc.contains("household")) parse_household(p, doc.at("household"), out.household);
  out.step = p.duration(p.need(doc, "step", "$"), "step");
  if (out.framing == Framing::p1) {  // one telegram of text lines (run/p1_profile.cpp)
    out.p1 = parse_p1_spec(p.need(doc, "p1", "$"), out.name);
    out.lists["telegram"] = ListDef{"telegram", Node{}};
  }
  static const json kNoLists = json::object();
  const json& lists = out.p1 ? kNoLists : p.need(doc, "lists", "$");
  for (const auto& [name, body] : lists.items()) {
    auto n = p.nodes(body, "lists." + name);
    if (n.size() != 1) p.fail("lists." + name, "a list is one element (a struct or array)");
    out.lists[name] = ListDef{name, n.front()};
  }
  parse_schedule(p, p.need(doc, "schedule", "$"), out);
  for (const VectorRef& ref : out.vectors)
    if (!out.lists.contains(ref.list)) p.fail("vectors", "no list \"" + ref.list + "\"");
  return out;
}

}  // namespace meterlab::sim
