// Loading layouts from JSON (engine/cosem/layouts/README.md describes the format). Not a decode
// path: errors are for the person who wrote the file and name the layout.
//
// The loading itself uses no exceptions, so that the engine also builds with -fno-exceptions:
// nlohmann parses with allow_exceptions = false (its parse error text is kept through the SAX
// interface), every field is read through a checked accessor, and the first problem stops the
// load. Only parse_layouts() reports it: thrown as std::runtime_error where exceptions exist (the
// documented LayoutSet::load_json contract), printed and aborted without them (like nlohmann's
// own JSON_THROW under JSON_NOEXCEPTION).
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "layout_model.hpp"
#include "meterlab/cosem/time_zone.hpp"

namespace meterlab::cosem::detail {

namespace {

using nlohmann::json;

// The first problem met while loading; everything after it is skipped.
class Problem {
 public:
  // Records "layout 'NAME': WHAT" (the first one only) and returns false, for `return bad(...)`.
  bool bad(const std::string& layout, const std::string& what) {
    return fail("layout '" + layout + "': " + what);
  }
  bool fail(std::string text) {
    if (text_.empty()) text_ = std::move(text);
    return false;
  }
  bool ok() const noexcept { return text_.empty(); }
  const std::string& text() const noexcept { return text_; }

 private:
  std::string text_;
};

// nlohmann's DOM builder with exceptions off; the parse error's text is kept for the message.
// json::sax_parse calls parse_error on this (static) type, so this one hides the base's.
class Dom : public nlohmann::detail::json_sax_dom_parser<json> {
 public:
  explicit Dom(json& doc) : json_sax_dom_parser(doc, false) {}
  template <class Exception>
  bool parse_error(std::size_t, const std::string&, const Exception& ex) {
    message = ex.what();
    return false;
  }
  std::string message;
};

// The member `key` of an object, or nullptr (absent, or `j` is no object).
const json* member(const json& j, const char* key) {
  if (!j.is_object()) return nullptr;
  auto it = j.find(key);
  return it == j.end() ? nullptr : &*it;
}

bool text_of(Problem& p, const std::string& layout, const json& j, const char* what,
             std::string& out) {
  if (!j.is_string()) return p.bad(layout, std::string("'") + what + "' must be a string");
  out = j.get_ref<const std::string&>();
  return true;
}

bool int_of(Problem& p, const std::string& layout, const json& j, const char* what,
            std::int64_t& out) {
  if (j.is_number_unsigned() && j.get<std::uint64_t>() > INT64_MAX) {
    return p.bad(layout, std::string("'") + what + "' out of range");
  }
  if (!j.is_number_integer())
    return p.bad(layout, std::string("'") + what + "' must be an integer");
  out = j.get<std::int64_t>();
  return true;
}

bool count_of(Problem& p, const std::string& layout, const json& j, std::uint32_t& out) {
  std::int64_t v = 0;
  if (!int_of(p, layout, j, "count", v)) return false;
  if (v < 0 || v > INT32_MAX) return p.bad(layout, "count out of range");
  out = static_cast<std::uint32_t>(v);
  return true;
}

bool parse_obis(Problem& p, const std::string& layout, const json& j,
                std::optional<ObisCode>& out) {
  std::string text;
  if (!text_of(p, layout, j, "obis", text)) return false;
  out = ObisCode::parse(text);
  if (!out) return p.bad(layout, "bad OBIS code '" + text + "'");
  return true;
}

// "1-*:31.7.0.*": like an OBIS code, '*' for any value of a group.
bool parse_pattern(Problem& p, const std::string& layout, const std::string& text,
                   ObisPattern& out) {
  std::string probe = text;
  for (char& ch : probe) {
    if (ch == '*') ch = '0';
  }
  auto code = ObisCode::parse(probe);
  if (!code) return p.bad(layout, "bad OBIS pattern '" + text + "'");
  // Find which groups were '*': walk the text group by group.
  std::size_t group = 0;
  bool star = false;
  for (std::size_t i = 0; i <= text.size() && group < out.g.size(); ++i) {
    if (i == text.size() || text[i] == '-' || text[i] == ':' || text[i] == '.') {
      out.g[group] = star ? std::int16_t{-1} : std::int16_t{code->v[group]};
      ++group;
      star = false;
    } else if (text[i] == '*') {
      star = true;
    }
  }
  return true;
}

bool parse_unit(Problem& p, const std::string& layout, const json& j, std::string_view& out) {
  std::string symbol;
  if (!text_of(p, layout, j, "unit", symbol)) return false;
  out = {};
  if (symbol.empty()) return true;
  auto code = unit_code(symbol);
  if (!code) return p.bad(layout, "unknown unit '" + symbol + "'");
  out = unit_symbol(*code);
  return true;
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

bool parse_type(Problem& p, const std::string& layout, const json& j, TypeSpec& out) {
  std::string text;
  if (!text_of(p, layout, j, "type", text)) return false;
  for (const auto& t : kTypeNames) {
    if (t.name == text) {
      out = t.spec;
      return true;
    }
  }
  return p.bad(layout, "unknown type '" + text + "'");
}

bool parse_role(Problem& p, const std::string& layout, const json& j, Role& out) {
  static const std::pair<std::string_view, Role> kRoles[] = {
      {"value", Role::value},
      {"meter_id", Role::meter_id},
      {"meter_type", Role::meter_type},
      {"list_id", Role::list_id},
      {"clock", Role::clock},
      {"date", Role::date},
      {"time", Role::time},
      {"unnamed", Role::unnamed},
      {"skip", Role::unnamed},  // its name before issue 16, when such values were dropped
  };
  std::string text;
  if (!text_of(p, layout, j, "role", text)) return false;
  for (const auto& [name, role] : kRoles) {
    if (name == text) {
      out = role;
      return true;
    }
  }
  return p.bad(layout, "unknown role '" + text + "'");
}

bool parse_scaler(Problem& p, const std::string& layout, const json& j, std::int8_t& out) {
  std::int64_t s = 0;
  if (!int_of(p, layout, j, "scaler", s)) return false;
  if (s < -128 || s > 127) return p.bad(layout, "scaler out of range");
  out = static_cast<std::int8_t>(s);
  return true;
}

// The fields an element has in the file, each checked; the derived ones follow in finish().
bool read_element(Problem& p, const std::string& layout, const json& j,
                  std::deque<std::string>& names, ElementSpec& e) {
  if (!j.is_object()) return p.bad(layout, "an element must be an object");
  if (const json* v = member(j, "obis"); v && !parse_obis(p, layout, *v, e.obis)) return false;
  if (const json* v = member(j, "name")) {
    std::string name;
    if (!text_of(p, layout, *v, "name", name)) return false;
    e.name = names.emplace_back(std::move(name));
  }
  if (const json* v = member(j, "unit")) {
    if (!parse_unit(p, layout, *v, e.unit)) return false;
    e.has_unit = true;
  }
  if (const json* v = member(j, "scaler"); v && !parse_scaler(p, layout, *v, e.scaler))
    return false;
  if (const json* v = member(j, "role"); v && !parse_role(p, layout, *v, e.role)) return false;
  if (const json* v = member(j, "type"); v && !parse_type(p, layout, *v, e.type)) return false;
  return true;
}

bool parse_element(Problem& p, const std::string& layout, const json& j,
                   std::deque<std::string>& names, ElementSpec& e) {
  if (!read_element(p, layout, j, names, e)) return false;
  e.check = type_check(e.type);
  bool needs_obis = e.role == Role::value;
  if (needs_obis && !e.obis) return p.bad(layout, "an element with role 'value' needs an 'obis'");
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
  return true;
}

bool parse_elements(Problem& p, const std::string& layout, const json& j, const char* key,
                    std::deque<std::string>& names, std::vector<ElementSpec>& out) {
  const json* list = member(j, key);
  if (list == nullptr) return true;
  if (!list->is_array()) return p.bad(layout, std::string("'") + key + "' must be an array");
  for (const auto& e : *list) {
    if (!parse_element(p, layout, e, names, out.emplace_back())) return false;
  }
  return true;
}

bool parse_count(Problem& p, Layout& l, const json& c) {
  if (!c.is_array()) {
    if (!count_of(p, l.name, c, l.min_count)) return false;
    l.max_count = l.min_count;
    return true;
  }
  if (c.size() != 2) return p.bad(l.name, "count must be n or [min, max]");
  return count_of(p, l.name, c[0], l.min_count) && count_of(p, l.name, c[1], l.max_count);
}

bool parse_match(Problem& p, Layout& l, const json& m) {
  if (!m.is_object()) return p.bad(l.name, "'match' must be an object");
  if (const json* v = member(m, "root")) {
    std::string root;
    if (!text_of(p, l.name, *v, "root", root)) return false;
    if (root == "structure")
      l.root = RootKind::structure;
    else if (root == "array")
      l.root = RootKind::array;
    else if (root != "any")
      return p.bad(l.name, "root must be structure, array or any");
  }
  if (const json* v = member(m, "count"); v && !parse_count(p, l, *v)) return false;
  if (const json* v = member(m, "list_id")) {
    std::string id;
    if (!text_of(p, l.name, *v, "list_id", id)) return false;
    l.list_id = std::move(id);
  }
  if (const json* v = member(m, "first_obis"); v && !parse_obis(p, l.name, *v, l.first_obis)) {
    return false;
  }
  return true;
}

bool parse_mode(Problem& p, Layout& l, const json* j) {
  std::string text;
  if (j == nullptr) return p.bad(l.name, "mode must be obis, positional or capture");
  if (!text_of(p, l.name, *j, "mode", text)) return false;
  if (text == "obis") {
    l.mode = Mode::obis;
  } else if (text == "positional") {
    l.mode = Mode::positional;
  } else if (text == "capture") {
    l.mode = Mode::capture;
  } else {
    return p.bad(l.name, "mode must be obis, positional or capture");
  }
  return true;
}

bool parse_scalers(Problem& p, Layout& l, const json& list) {
  if (!list.is_array()) return p.bad(l.name, "'scalers' must be an array");
  for (const auto& s : list) {
    ScalerRule rule;
    const json* obis = member(s, "obis");
    const json* scaler = member(s, "scaler");
    const json* unit = member(s, "unit");
    if (!obis || !scaler || !unit)
      return p.bad(l.name, "a scaler rule needs obis, scaler and unit");
    std::string pattern;
    if (!text_of(p, l.name, *obis, "obis", pattern) ||
        !parse_pattern(p, l.name, pattern, rule.pattern) ||
        !parse_scaler(p, l.name, *scaler, rule.scaler) ||
        !parse_unit(p, l.name, *unit, rule.unit)) {
      return false;
    }
    l.scalers.push_back(rule);
  }
  return true;
}

// "clock": [{"list_id": "...", "zone": "Europe/Oslo", "deviation": "unreliable"}, ...]: the
// meter family's default time zone and whether its deviation field is wrong (layouts/README.md).
bool parse_clock_rule(Problem& p, Layout& l, const json& j) {
  ClockRule rule;
  std::string text;
  if (const json* v = member(j, "list_id")) {
    if (!text_of(p, l.name, *v, "list_id", text)) return false;
    rule.list_id = text;
  }
  if (const json* v = member(j, "zone")) {
    if (!text_of(p, l.name, *v, "zone", text)) return false;
    const TimeZone* zone = find_time_zone(text);
    if (!zone)
      return p.bad(l.name, "unknown zone '" + text + "' (known: " + time_zone_names() + ")");
    rule.zone = zone->name;
  }
  if (const json* v = member(j, "deviation")) {
    if (!text_of(p, l.name, *v, "deviation", text)) return false;
    if (text != "reliable" && text != "unreliable") {
      return p.bad(l.name, "'deviation' must be reliable or unreliable");
    }
    rule.deviation_unreliable = text == "unreliable";
  }
  l.clock_rules.push_back(std::move(rule));
  return true;
}

bool parse_clock_rules(Problem& p, Layout& l, const json& list) {
  if (!list.is_array()) return p.bad(l.name, "'clock' must be an array");
  for (const auto& rule : list) {
    if (!parse_clock_rule(p, l, rule)) return false;
  }
  return true;
}

bool parse_body(Problem& p, const json& j, std::deque<std::string>& names, Layout& l) {
  if (!parse_mode(p, l, member(j, "mode"))) return false;
  const json* match = member(j, "match");
  if (match && !parse_match(p, l, *match)) return false;
  if (!parse_elements(p, l.name, j, "prefix", names, l.prefix) ||
      !parse_elements(p, l.name, j, "suffix", names, l.suffix) ||
      !parse_elements(p, l.name, j, "elements", names, l.elements)) {
    return false;
  }
  if (const json* v = member(j, "require_scaler_unit")) {
    if (!v->is_boolean()) return p.bad(l.name, "'require_scaler_unit' must be true or false");
    l.require_scaler_unit = v->get<bool>();
  }
  if (const json* v = member(j, "scalers"); v && !parse_scalers(p, l, *v)) return false;
  if (const json* v = member(j, "clock"); v && !parse_clock_rules(p, l, *v)) return false;
  if (l.mode == Mode::positional && l.elements.empty()) {
    return p.bad(l.name, "positional without elements");
  }
  bool has_count = match && member(*match, "count");
  if (l.mode == Mode::positional && !has_count) {
    l.min_count = l.max_count = static_cast<std::uint32_t>(l.elements.size());
  }
  return true;
}

bool parse_layout(Problem& p, const json& j, std::deque<std::string>& names, Layout& l) {
  const json* name = member(j, "name");
  if (name == nullptr || !name->is_string()) {
    return p.fail("layout JSON: a layout must be an object with a 'name' (a string)");
  }
  l.name = name->get<std::string>();
  return parse_body(p, j, names, l);
}

// Parses the document; the layouts before the first bad one are kept in `out`.
std::string load(std::string_view json_text, std::deque<Layout>& out,
                 std::deque<std::string>& names) {
  json doc;
  Dom dom(doc);
  if (!json::sax_parse(json_text, &dom) || !dom.message.empty()) {
    return "layout JSON: " + (dom.message.empty() ? std::string("not valid JSON") : dom.message);
  }
  Problem p;
  Layout l;
  if (!doc.is_array()) {
    if (parse_layout(p, doc, names, l)) out.push_back(std::move(l));
    return p.text();
  }
  for (const auto& j : doc) {
    l = Layout{};
    if (!parse_layout(p, j, names, l)) break;
    out.push_back(std::move(l));
  }
  return p.text();
}

}  // namespace

void parse_layouts(std::string_view json_text, std::deque<Layout>& out,
                   std::deque<std::string>& names) {
  const std::string problem = load(json_text, out, names);
  if (problem.empty()) return;
#if defined(__cpp_exceptions)
  throw std::runtime_error(problem);
#else
  std::fprintf(stderr, "meterlab: %s\n", problem.c_str());
  std::abort();
#endif
}

}  // namespace meterlab::cosem::detail
