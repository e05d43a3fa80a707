// Loading layouts from JSON (engine/cosem/layouts/README.md describes the format). Not a decode
// path: errors are exceptions with the layout's name, for the person who wrote the file.
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "layout_model.hpp"

namespace meterlab::cosem::detail {

namespace {

using nlohmann::json;

[[noreturn]] void bad(const std::string& layout, const std::string& what) {
  throw std::runtime_error("layout '" + layout + "': " + what);
}

ObisCode parse_obis(const std::string& layout, const json& j) {
  auto code = ObisCode::parse(j.get<std::string>());
  if (!code) bad(layout, "bad OBIS code '" + j.get<std::string>() + "'");
  return *code;
}

// "1-*:31.7.0.*": like an OBIS code, '*' for any value of a group.
ObisPattern parse_pattern(const std::string& layout, const std::string& text) {
  std::string probe = text;
  ObisPattern p;
  for (char& ch : probe) {
    if (ch == '*') ch = '0';
  }
  auto code = ObisCode::parse(probe);
  if (!code) bad(layout, "bad OBIS pattern '" + text + "'");
  // Find which groups were '*': walk the text group by group.
  std::size_t group = 0;
  bool star = false;
  for (std::size_t i = 0; i <= text.size(); ++i) {
    if (i == text.size() || text[i] == '-' || text[i] == ':' || text[i] == '.') {
      p.g[group] = star ? std::int16_t{-1} : std::int16_t{code->v[group]};
      ++group;
      star = false;
    } else if (text[i] == '*') {
      star = true;
    }
  }
  return p;
}

std::string_view parse_unit(const std::string& layout, const json& j) {
  std::string symbol = j.get<std::string>();
  if (symbol.empty()) return {};
  auto code = unit_code(symbol);
  if (!code) bad(layout, "unknown unit '" + symbol + "'");
  return unit_symbol(*code);
}

struct TypeName {
  std::string_view name;
  TypeSpec spec;
};
const TypeName kTypeNames[] = {
    {"any", {TypeClass::any}},
    {"number", {TypeClass::number}},
    {"string", {TypeClass::string}},
    {"date-time", {TypeClass::date_time}},
    {"date", {TypeClass::date}},
    {"time", {TypeClass::time}},
    {"null-data", {TypeClass::exact, axdr::Tag::null_data}},
    {"boolean", {TypeClass::exact, axdr::Tag::boolean}},
    {"octet-string", {TypeClass::exact, axdr::Tag::octet_string}},
    {"visible-string", {TypeClass::exact, axdr::Tag::visible_string}},
    {"utf8-string", {TypeClass::exact, axdr::Tag::utf8_string}},
    {"double-long", {TypeClass::exact, axdr::Tag::double_long}},
    {"double-long-unsigned", {TypeClass::exact, axdr::Tag::double_long_unsigned}},
    {"integer", {TypeClass::exact, axdr::Tag::integer}},
    {"long", {TypeClass::exact, axdr::Tag::long_}},
    {"unsigned", {TypeClass::exact, axdr::Tag::unsigned_}},
    {"long-unsigned", {TypeClass::exact, axdr::Tag::long_unsigned}},
    {"long64", {TypeClass::exact, axdr::Tag::long64}},
    {"long64-unsigned", {TypeClass::exact, axdr::Tag::long64_unsigned}},
    {"enum", {TypeClass::exact, axdr::Tag::enum_}},
    {"float32", {TypeClass::exact, axdr::Tag::float32}},
    {"float64", {TypeClass::exact, axdr::Tag::float64}},
};

TypeSpec parse_type(const std::string& layout, const std::string& text) {
  for (const auto& t : kTypeNames) {
    if (t.name == text) return t.spec;
  }
  bad(layout, "unknown type '" + text + "'");
}

Role parse_role(const std::string& layout, const std::string& text) {
  static const std::pair<std::string_view, Role> kRoles[] = {
      {"value", Role::value},     {"meter_id", Role::meter_id}, {"meter_type", Role::meter_type},
      {"list_id", Role::list_id}, {"clock", Role::clock},       {"date", Role::date},
      {"time", Role::time},       {"skip", Role::skip},
  };
  for (const auto& [name, role] : kRoles) {
    if (name == text) return role;
  }
  bad(layout, "unknown role '" + text + "'");
}

std::int8_t parse_scaler(const std::string& layout, const json& j) {
  int s = j.get<int>();
  if (s < -128 || s > 127) bad(layout, "scaler out of range");
  return static_cast<std::int8_t>(s);
}

ElementSpec parse_element(const std::string& layout, const json& j,
                          std::deque<std::string>& names) {
  ElementSpec e;
  if (j.contains("obis")) e.obis = parse_obis(layout, j["obis"]);
  if (j.contains("name")) e.name = names.emplace_back(j["name"].get<std::string>());
  if (j.contains("unit")) {
    e.unit = parse_unit(layout, j["unit"]);
    e.has_unit = true;
  }
  if (j.contains("scaler")) e.scaler = parse_scaler(layout, j["scaler"]);
  if (j.contains("role")) e.role = parse_role(layout, j["role"].get<std::string>());
  if (j.contains("type")) e.type = parse_type(layout, j["type"].get<std::string>());
  e.check = type_check(e.type);
  bool needs_obis = e.role == Role::value;
  if (needs_obis && !e.obis) bad(layout, "an element with role 'value' needs an 'obis'");
  if (e.name.empty()) e.name = obis_name(e.obis ? *e.obis : kClockObis);
  if (!e.has_unit && e.role == Role::value) e.unit = default_unit(*e.obis);
  if (e.obis) {
    e.text_reading.obis = *e.obis;
    e.text_reading.name = e.name;
  }
  if (e.role == Role::value) {
    e.integer_reading.obis = *e.obis;
    e.integer_reading.name = e.name;
    e.integer_reading.unit = e.unit;
    e.integer_reading.kind = ValueKind::integer;
    e.integer_reading.scaler = e.scaler;
  }
  return e;
}

std::vector<ElementSpec> parse_elements(const std::string& layout, const json& j, const char* key,
                                        std::deque<std::string>& names) {
  std::vector<ElementSpec> out;
  if (!j.contains(key)) return out;
  for (const auto& e : j[key]) out.push_back(parse_element(layout, e, names));
  return out;
}

void parse_match(Layout& l, const json& m) {
  if (m.contains("root")) {
    std::string root = m["root"].get<std::string>();
    if (root == "structure")
      l.root = RootKind::structure;
    else if (root == "array")
      l.root = RootKind::array;
    else if (root != "any")
      bad(l.name, "root must be structure, array or any");
  }
  if (m.contains("count")) {
    const json& c = m["count"];
    l.min_count = c.is_array() ? c.at(0).get<std::uint32_t>() : c.get<std::uint32_t>();
    l.max_count = c.is_array() ? c.at(1).get<std::uint32_t>() : l.min_count;
  }
  if (m.contains("list_id")) l.list_id = m["list_id"].get<std::string>();
  if (m.contains("first_obis")) l.first_obis = parse_obis(l.name, m["first_obis"]);
}

Mode parse_mode(const std::string& layout, const std::string& text) {
  if (text == "obis") return Mode::obis;
  if (text == "positional") return Mode::positional;
  if (text == "capture") return Mode::capture;
  bad(layout, "mode must be obis, positional or capture");
}

Layout parse_layout(const json& j, std::deque<std::string>& names) {
  Layout l;
  l.name = j.at("name").get<std::string>();
  l.mode = parse_mode(l.name, j.at("mode").get<std::string>());
  if (j.contains("match")) parse_match(l, j["match"]);
  l.prefix = parse_elements(l.name, j, "prefix", names);
  l.suffix = parse_elements(l.name, j, "suffix", names);
  l.elements = parse_elements(l.name, j, "elements", names);
  l.require_scaler_unit = j.value("require_scaler_unit", false);
  if (j.contains("scalers")) {
    for (const auto& s : j["scalers"]) {
      ScalerRule rule;
      rule.pattern = parse_pattern(l.name, s.at("obis").get<std::string>());
      rule.scaler = parse_scaler(l.name, s.at("scaler"));
      rule.unit = parse_unit(l.name, s.at("unit"));
      l.scalers.push_back(rule);
    }
  }
  if (l.mode == Mode::positional && l.elements.empty()) bad(l.name, "positional without elements");
  bool has_count = j.contains("match") && j["match"].contains("count");
  if (l.mode == Mode::positional && !has_count) {
    l.min_count = l.max_count = static_cast<std::uint32_t>(l.elements.size());
  }
  return l;
}

}  // namespace

void parse_layouts(std::string_view json_text, std::deque<Layout>& out,
                   std::deque<std::string>& names) {
  json doc;
  try {
    doc = json::parse(json_text);
  } catch (const json::exception& e) {
    throw std::runtime_error(std::string("layout JSON: ") + e.what());
  }
  try {
    if (doc.is_array()) {
      for (const auto& j : doc) out.push_back(parse_layout(j, names));
    } else {
      out.push_back(parse_layout(doc, names));
    }
  } catch (const json::exception& e) {
    throw std::runtime_error(std::string("layout JSON: ") + e.what());
  }
}

}  // namespace meterlab::cosem::detail
