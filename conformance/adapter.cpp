#include "adapter.hpp"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>

#include "meterlab/cosem/obis.hpp"

namespace meterlab::conformance {
namespace detail {
std::string_view builtin_adapter(std::size_t i);
std::size_t builtin_adapter_count();
std::string_view builtin_adapter_name(std::size_t i);
}  // namespace detail

namespace {

using nlohmann::json;

[[noreturn]] void bad(const std::string& where, const std::string& what) {
  throw std::runtime_error("adapter " + where + ": " + what);
}

void only_keys(const json& obj, const std::set<std::string>& allowed, const std::string& where,
               const std::string& path) {
  if (!obj.is_object()) bad(where, path + " must be an object");
  for (const auto& [key, v] : obj.items()) {
    if (!allowed.count(key)) bad(where, "unknown key " + path + "." + key);
  }
}

std::string text(const json& obj, const char* key, const std::string& where,
                 const std::string& path, std::string fallback = "") {
  if (!obj.contains(key)) return fallback;
  if (!obj.at(key).is_string()) bad(where, path + "." + key + " must be a string");
  return obj.at(key).get<std::string>();
}

// A JSON pointer as nlohmann checks it ("" or "/a/b").
std::string pointer(const json& obj, const char* key, const std::string& where,
                    const std::string& path, std::string fallback = "") {
  std::string p = text(obj, key, where, path, std::move(fallback));
  if (!p.empty() && p.front() != '/')
    bad(where, path + "." + key + " must be a JSON pointer (\"/name\")");
  return p;
}

double number(const json& obj, const char* key, const std::string& where, const std::string& path,
              double fallback) {
  if (!obj.contains(key)) return fallback;
  if (!obj.at(key).is_number()) bad(where, path + "." + key + " must be a number");
  return obj.at(key).get<double>();
}

void parse_fields(const json& obj, const std::string& where, Adapter& a) {
  if (!obj.is_object())
    bad(where, "telegram.fields must be an object {pointer: {obis, unit, scale}}");
  for (const auto& [ptr, spec] : obj.items()) {
    const std::string path = "telegram.fields." + ptr;
    if (ptr.empty() || ptr.front() != '/') bad(where, path + ": the key must be a JSON pointer");
    only_keys(spec, {"obis", "unit", "scale"}, where, path);
    Adapter::Field f{ptr, text(spec, "obis", where, path), text(spec, "unit", where, path),
                     number(spec, "scale", where, path, 1)};
    if (!cosem::ObisCode::parse(f.obis)) bad(where, path + ".obis: not an OBIS code");
    f.obis = cosem::ObisCode::parse(f.obis)->to_string();
    a.fields.push_back(std::move(f));
  }
}

void parse_telegram(const json& t, const std::string& where, Adapter& a) {
  only_keys(t, {"when", "readings", "fields", "telegram_fields"}, where, "telegram");
  a.telegram_when = pointer(t, "when", where, "telegram");
  if (t.contains("readings")) {
    const json& r = t.at("readings");
    only_keys(r, {"array", "obis", "value", "unit"}, where, "telegram.readings");
    a.readings = Adapter::ReadingArray{pointer(r, "array", where, "telegram.readings"),
                                       pointer(r, "obis", where, "telegram.readings", "/obis"),
                                       pointer(r, "value", where, "telegram.readings", "/value"),
                                       pointer(r, "unit", where, "telegram.readings", "/unit")};
  }
  if (t.contains("fields")) parse_fields(t.at("fields"), where, a);
  if (!a.readings && a.fields.empty()) bad(where, "telegram needs \"readings\" or \"fields\"");
  if (t.contains("telegram_fields")) {
    const json& tf = t.at("telegram_fields");
    only_keys(tf,
              {"meter_id", "timestamp", "security", "system_title", "invocation_counter",
               "meter_type", "list_id"},
              where, "telegram.telegram_fields");
    for (const auto& [key, v] : tf.items())
      a.telegram_fields[key] = pointer(tf, key.c_str(), where, "telegram.telegram_fields");
  }
}

void parse_rejection(const json& r, const std::string& where, Adapter& a) {
  only_keys(r, {"when", "layer", "code"}, where, "rejection");
  a.rejection_when = pointer(r, "when", where, "rejection");
  a.rejection_layer = pointer(r, "layer", where, "rejection");
  a.rejection_code = pointer(r, "code", where, "rejection");
  if (a.rejection_when.empty() || a.rejection_code.empty())
    bad(where, "rejection needs \"when\" and \"code\"");
}

bool has(const json& line, const std::string& ptr) {
  return ptr.empty() || line.contains(json::json_pointer(ptr));
}

// A number, or a string holding one (some readers print "5.034").
std::optional<double> as_number(const json& v) {
  if (v.is_number()) return v.get<double>();
  if (!v.is_string()) return std::nullopt;
  const std::string& s = v.get_ref<const std::string&>();
  double d = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return d;
}

json reading_from_array(const Adapter::ReadingArray& ra, const json& item, std::string& error) {
  if (!has(item, ra.obis) || !has(item, ra.value)) {
    error = "a reading without " + ra.obis + " or " + ra.value;
    return json();
  }
  const json& o = item.at(json::json_pointer(ra.obis));
  json unit = has(item, ra.unit) ? item.at(json::json_pointer(ra.unit)) : json("");
  if (unit.is_null()) unit = "";
  // A reading no layout names (meterlab's own output, issue 16): obis null and its position.
  const auto position = item.find("position");
  if (o.is_null() && position != item.end() && position->is_string()) {
    return json{{"obis", nullptr},
                {"position", *position},
                {"value", item.at(json::json_pointer(ra.value))},
                {"unit", unit}};
  }
  auto code = o.is_string() ? cosem::ObisCode::parse(o.get<std::string>()) : std::nullopt;
  if (!code) {
    error = "not an OBIS code: " + o.dump();
    return json();
  }
  return json{{"obis", code->to_string()},
              {"value", item.at(json::json_pointer(ra.value))},
              {"unit", unit}};
}

bool map_readings(const Adapter& a, const json& line, json& out, std::string& error) {
  json readings = json::array();
  if (a.readings) {
    const json::json_pointer at(a.readings->array);
    if (!line.contains(at) || !line.at(at).is_array()) {
      error = a.readings->array + " is not a list of readings";
      return false;
    }
    for (const json& item : line.at(at)) {
      json r = reading_from_array(*a.readings, item, error);
      if (r.is_null()) return false;
      readings.push_back(std::move(r));
    }
  }
  for (const Adapter::Field& f : a.fields) {
    if (!has(line, f.pointer)) continue;  // a field the program prints only in some lists
    auto v = as_number(line.at(json::json_pointer(f.pointer)));
    if (!v) {
      error = f.pointer + " is not a number";
      return false;
    }
    readings.push_back({{"obis", f.obis}, {"value", *v * f.scale}, {"unit", f.unit}});
  }
  out["readings"] = std::move(readings);
  return true;
}

}  // namespace

Adapter parse_adapter(const json& doc, const std::string& where) {
  only_keys(doc,
            {"name", "description", "command", "env", "telegram", "rejection", "ignore", "partial",
             "tolerance"},
            where, "(top)");
  Adapter a;
  a.name = text(doc, "name", where, "(top)", where);
  a.command = text(doc, "command", where, "(top)");
  if (doc.contains("env") && !doc.at("env").is_object()) bad(where, "env must be an object");
  const json env = doc.value("env", json::object());
  for (const auto& [name, v] : env.items()) {
    if (!v.is_string()) bad(where, "env." + name + " must be a string");
    a.env[name] = v.get<std::string>();
  }
  if (!doc.contains("telegram")) bad(where, "missing \"telegram\"");
  parse_telegram(doc.at("telegram"), where, a);
  if (doc.contains("rejection")) parse_rejection(doc.at("rejection"), where, a);
  const json ignore = doc.value("ignore", json::array());
  for (const json& p : ignore) {
    if (!p.is_string() || p.get<std::string>().empty() || p.get<std::string>().front() != '/')
      bad(where, "ignore must be a list of JSON pointers");
    a.ignore_when.push_back(p.get<std::string>());
  }
  if (doc.contains("partial") && !doc.at("partial").is_boolean())
    bad(where, "partial must be true or false");
  a.partial = doc.value("partial", false);
  if (doc.contains("tolerance")) {
    only_keys(doc.at("tolerance"), {"relative", "absolute"}, where, "tolerance");
    a.relative = number(doc.at("tolerance"), "relative", where, "tolerance", a.relative);
    a.absolute = number(doc.at("tolerance"), "absolute", where, "tolerance", a.absolute);
  }
  return a;
}

Adapter load_adapter(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) throw std::runtime_error("adapter " + file.string() + ": cannot open");
  std::stringstream ss;
  ss << in.rdbuf();
  json doc = json::parse(ss.str(), nullptr, false);
  if (doc.is_discarded()) throw std::runtime_error("adapter " + file.string() + ": not JSON");
  return parse_adapter(doc, file.string());
}

std::vector<std::string> builtin_adapter_names() {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < detail::builtin_adapter_count(); ++i)
    out.push_back(std::filesystem::path(std::string(detail::builtin_adapter_name(i))).stem());
  return out;
}

Adapter find_adapter(const std::string& name_or_file) {
  if (std::filesystem::is_regular_file(name_or_file)) return load_adapter(name_or_file);
  const std::vector<std::string> names = builtin_adapter_names();
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (names[i] == name_or_file)
      return parse_adapter(json::parse(detail::builtin_adapter(i)), names[i] + " (built in)");
  }
  std::string known;
  for (const std::string& n : names) known += " " + n;
  throw std::runtime_error("adapter " + name_or_file +
                           ": no such file, and not a built-in adapter (" + "built in:" + known +
                           ")");
}

MappedLine map_line(const Adapter& a, std::string_view text_line) {
  MappedLine m;
  json line = json::parse(text_line, nullptr, false);
  if (line.is_discarded() || !line.is_object()) {
    m.error = "not a JSON object";
    return m;
  }
  for (const std::string& p : a.ignore_when) {
    if (has(line, p)) {
      m.kind = MappedLine::Kind::ignored;
      return m;
    }
  }
  if (!a.rejection_when.empty() && has(line, a.rejection_when)) {
    json e{{"code", has(line, a.rejection_code) ? line.at(json::json_pointer(a.rejection_code))
                                                : json("?")}};
    e["layer"] = !a.rejection_layer.empty() && has(line, a.rejection_layer)
                     ? line.at(json::json_pointer(a.rejection_layer))
                     : json("?");
    if (line.contains("error") && line["error"].is_object()) e.update(line["error"]);
    m.kind = MappedLine::Kind::rejection;
    m.value = json{{"error", std::move(e)}};
    return m;
  }
  if (!a.telegram_when.empty() && !has(line, a.telegram_when)) {
    m.error = "neither a telegram (" + a.telegram_when + ") nor a rejection nor ignored";
    return m;
  }
  json t = json::object();
  for (const auto& [key, ptr] : a.telegram_fields)
    t[key] = has(line, ptr) ? line.at(json::json_pointer(ptr)) : json();
  if (!map_readings(a, line, t, m.error)) return m;
  m.kind = MappedLine::Kind::telegram;
  m.value = std::move(t);
  return m;
}

std::vector<std::string> mapped_telegram_fields(const Adapter& a) {
  std::vector<std::string> out;
  for (const auto& [key, ptr] : a.telegram_fields) out.push_back(key);
  return out;
}

CompareOptions compare_options(const Adapter& a) {
  CompareOptions o;
  o.telegram_keys.clear();
  for (const std::string& key : mapped_telegram_fields(a)) {
    // Only the keys the truth log has are compared with it.
    if (key != "meter_type" && key != "list_id") o.telegram_keys.push_back(key);
  }
  o.partial = a.partial;
  o.relative = a.relative;
  o.absolute = a.absolute;
  return o;
}

std::string expand(std::string_view text_in, const std::map<std::string, std::string>& values,
                   bool quote) {
  // Only {name} with a lower-case identifier is a placeholder: a command's own braces (awk
  // programs, shell groups) stay as they are.
  auto is_name = [](std::string_view n) {
    return !n.empty() && std::all_of(n.begin(), n.end(),
                                     [](char c) { return (c >= 'a' && c <= 'z') || c == '_'; });
  };
  std::string out;
  std::size_t i = 0;
  while (i < text_in.size()) {
    const std::size_t open = text_in.find('{', i);
    const std::size_t close = open == std::string_view::npos ? open : text_in.find('}', open);
    if (close == std::string_view::npos) break;
    const std::string_view name = text_in.substr(open + 1, close - open - 1);
    out.append(text_in.substr(i, open - i));
    i = open + 1;
    if (!is_name(name)) {
      out += '{';
      continue;
    }
    auto it = values.find(std::string(name));
    if (it == values.end()) throw std::runtime_error("no value for {" + std::string(name) + "}");
    if (!quote) {
      out += it->second;
    } else {  // single quotes, each ' as '\''
      out += '\'';
      for (char c : it->second) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
      out += '\'';
    }
    i = close + 1;
  }
  out.append(text_in.substr(std::min(i, text_in.size())));
  return out;
}

}  // namespace meterlab::conformance
