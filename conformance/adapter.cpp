#include "adapter.hpp"

#include <algorithm>
#include <charconv>
#include <ctime>
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

// The telegram fields a program can print (the truth's keys, and two the truth has not).
const std::set<std::string>& telegram_field_names() {
  static const std::set<std::string> k{"meter_id",     "timestamp",          "security",
                                       "system_title", "invocation_counter", "meter_type",
                                       "list_id"};
  return k;
}

ValueSpec parse_value_spec(const json& spec, const std::string& where, const std::string& path) {
  ValueSpec v;
  v.scale = number(spec, "scale", where, path, 1);
  const std::string type = text(spec, "type", where, path, "number");
  if (type == "string") {
    v.type = ValueSpec::Type::string;
  } else if (type == "clock") {
    v.type = ValueSpec::Type::clock;
  } else if (type != "number") {
    bad(where, path + ".type: number, string or clock, not \"" + type + "\"");
  }
  v.format = text(spec, "format", where, path);
  if (!v.format.empty() && v.type != ValueSpec::Type::clock)
    bad(where, path + ".format: only a clock has a format");
  return v;
}

std::string parse_obis(const json& spec, const std::string& where, const std::string& path,
                       bool required) {
  const std::string given = text(spec, "obis", where, path);
  if (given.empty() && !required) return given;
  auto code = cosem::ObisCode::parse(given);
  if (!code) bad(where, path + ".obis: not an OBIS code");
  return code->to_string();
}

void parse_fields(const json& obj, const std::string& where, Adapter& a) {
  if (!obj.is_object())
    bad(where, "telegram.fields must be an object {pointer: {obis, unit, scale}}");
  for (const auto& [ptr, spec] : obj.items()) {
    const std::string path = "telegram.fields." + ptr;
    if (ptr.empty() || ptr.front() != '/') bad(where, path + ": the key must be a JSON pointer");
    only_keys(spec, {"obis", "unit", "scale", "type", "format"}, where, path);
    a.fields.push_back(Adapter::Field{ptr, parse_obis(spec, where, path, true),
                                      text(spec, "unit", where, path),
                                      parse_value_spec(spec, where, path)});
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
    only_keys(tf, telegram_field_names(), where, "telegram.telegram_fields");
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

// "2026-01-05T06:59:50" from a clock read with `format`; an offset after it ("+01:00", "+0100",
// "Z") is kept in the truth's form.
std::optional<std::string> clock_text(const std::string& printed, const std::string& format) {
  std::tm tm{};
  const char* end =
      ::strptime(printed.c_str(), format.empty() ? "%Y-%m-%dT%H:%M:%S" : format.c_str(), &tm);
  if (!end) return std::nullopt;
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::string rest(end);
  rest.erase(0, rest.find_first_not_of(' '));
  if (rest.size() == 5 && (rest[0] == '+' || rest[0] == '-')) rest.insert(3, ":");
  const bool offset = rest.size() == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':';
  if (!rest.empty() && !offset && rest != "Z") return std::nullopt;
  return std::string(buf) + rest;
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
    auto v = convert_value(f.value, line.at(json::json_pointer(f.pointer)));
    if (!v) {
      error = f.pointer +
              (f.value.type == ValueSpec::Type::clock ? " is not a clock" : " is not a number");
      return false;
    }
    readings.push_back({{"obis", f.obis}, {"value", std::move(*v)}, {"unit", f.unit}});
  }
  out["readings"] = std::move(readings);
  return true;
}

// Calls `on_text` for the literal pieces and `on_name` for each {name} placeholder. Only {name}
// with a lower-case identifier is one: a command's own braces (awk programs, shell groups) stay.
template <class Text, class Name>
void scan_template(std::string_view t, Text on_text, Name on_name) {
  auto is_name = [](std::string_view n) {
    return !n.empty() && std::all_of(n.begin(), n.end(),
                                     [](char c) { return (c >= 'a' && c <= 'z') || c == '_'; });
  };
  std::size_t i = 0;
  while (i < t.size()) {
    const std::size_t open = t.find('{', i);
    const std::size_t close = open == std::string_view::npos ? open : t.find('}', open);
    if (close == std::string_view::npos) break;
    const std::string_view name = t.substr(open + 1, close - open - 1);
    on_text(t.substr(i, open - i));
    if (!is_name(name)) {
      on_text("{");
      i = open + 1;
      continue;
    }
    on_name(name);
    i = close + 1;
  }
  on_text(t.substr(std::min(i, t.size())));
}

void check_template(const std::string& t, const std::string& where, const std::string& path) {
  const auto& known = known_placeholders();
  scan_template(
      t, [](std::string_view) {},
      [&](std::string_view name) {
        if (std::find(known.begin(), known.end(), name) == known.end())
          bad(where, path + ": unknown placeholder {" + std::string(name) + "}");
      });
}

// A path the adapter names: inside the run directory unless `absolute: true` says otherwise.
std::string run_path(const json& obj, const std::string& where, const std::string& path,
                     bool absolute) {
  const std::string p = text(obj, "path", where, path);
  if (p.empty()) bad(where, path + ".path: missing");
  const std::filesystem::path fp = std::filesystem::path(p).lexically_normal();
  const bool inside = fp.is_relative() && !fp.empty() && *fp.begin() != "..";
  if (absolute ? !fp.is_absolute() : !inside) {
    bad(where, path + ".path: " + p +
                   (absolute ? " is not an absolute path"
                             : " is outside the run directory (set \"absolute\": true)"));
  }
  return fp.string();
}

bool flag(const json& obj, const char* key, const std::string& where, const std::string& path) {
  if (!obj.contains(key)) return false;
  if (!obj.at(key).is_boolean()) bad(where, path + "." + key + " must be true or false");
  return obj.at(key).get<bool>();
}

void parse_files(const json& files, const std::string& where, Adapter& a) {
  if (!files.is_array()) bad(where, "files must be a list of {path, contents, absolute}");
  for (std::size_t i = 0; i < files.size(); ++i) {
    const std::string path = "files[" + std::to_string(i) + "]";
    only_keys(files[i], {"path", "contents", "absolute"}, where, path);
    FileSpec f;
    f.absolute = flag(files[i], "absolute", where, path);
    f.path = run_path(files[i], where, path, f.absolute);
    f.contents = text(files[i], "contents", where, path);
    check_template(f.contents, where, path + ".contents");
    a.files.push_back(std::move(f));
  }
}

void parse_output(const json& o, const std::string& where, Adapter& a) {
  only_keys(o, {"from", "path", "absolute", "rewrite", "format"}, where, "output");
  const std::string from = text(o, "from", where, "output", "stdout");
  const std::string format = text(o, "format", where, "output", "json");
  if (format != "json" && format != "text") bad(where, "output.format: json or text");
  a.output.text = format == "text";
  a.output.rewrite = flag(o, "rewrite", where, "output");
  if (from == "stdout" || from == "stderr") {
    a.output.from = from == "stdout" ? OutputSpec::From::stdout_ : OutputSpec::From::stderr_;
    if (o.contains("path") || a.output.rewrite)
      bad(where, "output.path: only for \"from\": \"file\"");
  } else if (from == "file") {
    a.output.from = OutputSpec::From::file;
    a.output.absolute = flag(o, "absolute", where, "output");
    a.output.path = run_path(o, where, "output", a.output.absolute);
  } else {
    bad(where, "output.from: stdout, stderr or file, not \"" + from + "\"");
  }
}

NamedRegex regex_at(const json& obj, const char* key, const std::string& where,
                    const std::string& path, const std::set<std::string>& names) {
  if (!obj.contains(key) || !obj.at(key).is_string())
    bad(where, path + "." + key + " must be a regular expression (a string)");
  try {
    NamedRegex r = compile_named(obj.at(key).get<std::string>());
    for (const auto& [name, n] : r.groups) {
      if (!names.count(name))
        bad(where, path + "." + key + ": group (?<" + name + ">) names no field");
    }
    return r;
  } catch (const std::regex_error& e) {
    bad(where, path + "." + key + ": does not compile: " + e.what());
  } catch (const std::invalid_argument& e) {
    bad(where, path + "." + key + ": " + e.what());
  }
}

void parse_text_rule(const json& r, const std::string& where, const std::string& path,
                     TextSpec& t) {
  only_keys(r, {"regex", "obis", "unit", "scale", "type", "format"}, where, path);
  std::set<std::string> names = telegram_field_names();
  names.insert({"obis", "position", "value", "unit"});
  TextRule rule{regex_at(r, "regex", where, path, names), parse_obis(r, where, path, false),
                text(r, "unit", where, path), parse_value_spec(r, where, path)};
  const bool value = rule.regex.groups.count("value");
  const bool named = rule.regex.groups.count("obis") || rule.regex.groups.count("position");
  if (value && rule.obis.empty() && !named)
    bad(where, path + ": a (?<value>) needs an \"obis\", an (?<obis>) or a (?<position>) group");
  if (!value && rule.regex.groups.count("obis"))
    bad(where, path + ": (?<obis>) without (?<value>)");
  t.lines.push_back(std::move(rule));
}

void parse_text(const json& t, const std::string& where, Adapter& a) {
  only_keys(t, {"start", "end", "lines", "rejection", "ignore"}, where, "text");
  TextSpec spec;
  if (t.contains("start")) spec.start = regex_at(t, "start", where, "text", telegram_field_names());
  if (t.contains("end")) spec.end = regex_at(t, "end", where, "text", telegram_field_names());
  if (t.contains("rejection"))
    spec.rejection = regex_at(t, "rejection", where, "text", {"layer", "code"});
  const json lines = t.value("lines", json::array());
  if (!lines.is_array() || lines.empty()) bad(where, "text.lines must be a non-empty list");
  for (std::size_t i = 0; i < lines.size(); ++i)
    parse_text_rule(lines[i], where, "text.lines[" + std::to_string(i) + "]", spec);
  const json ignore = t.value("ignore", json::array());
  for (std::size_t i = 0; i < ignore.size(); ++i)
    spec.ignore.push_back(
        regex_at(json{{"i", ignore[i]}}, "i", where, "text.ignore[" + std::to_string(i) + "]", {}));
  a.text = std::move(spec);
}

// A command reading standard input has no tty to name.
void check_stdin_command(const std::string& command, const std::string& where,
                         const std::string& key) {
  if (command.find("{tty}") != std::string::npos)
    bad(where, key + " reads standard input: it names no {tty}");
}

void parse_input(const json& doc, const std::string& where, Adapter& a) {
  const std::string input = text(doc, "input", where, "(top)", "tty");
  if (input != "tty" && input != "stdin") bad(where, "input must be \"tty\" or \"stdin\"");
  a.input = input == "stdin" ? Adapter::Input::stdin_ : Adapter::Input::tty;
  if (a.input == Adapter::Input::stdin_) check_stdin_command(a.command, where, "command");
  a.stdin_command = text(doc, "stdin_command", where, "(top)");
  check_template(a.stdin_command, where, "stdin_command");
  check_stdin_command(a.stdin_command, where, "stdin_command");
}

void parse_templates(const json& doc, const std::string& where, Adapter& a) {
  a.command = text(doc, "command", where, "(top)");
  check_template(a.command, where, "command");
  parse_input(doc, where, a);
  if (doc.contains("env") && !doc.at("env").is_object()) bad(where, "env must be an object");
  const json env = doc.value("env", json::object());
  for (const auto& [name, v] : env.items()) {
    if (!v.is_string()) bad(where, "env." + name + " must be a string");
    check_template(v.get<std::string>(), where, "env." + name);
    a.env[name] = v.get<std::string>();
  }
}

}  // namespace

std::optional<json> convert_value(const ValueSpec& spec, const json& printed) {
  switch (spec.type) {
    case ValueSpec::Type::number: {
      auto v = as_number(printed);
      if (!v) return std::nullopt;
      return json(*v * spec.scale);
    }
    case ValueSpec::Type::string:
      return printed.is_string() ? printed : json(printed.dump());
    case ValueSpec::Type::clock: {
      if (!printed.is_string()) return std::nullopt;
      auto t = clock_text(printed.get<std::string>(), spec.format);
      if (!t) return std::nullopt;
      return json(*t);
    }
  }
  return std::nullopt;
}

std::optional<json> telegram_field_value(const Adapter& a, const std::string& key,
                                         const json& printed) {
  if (printed.is_null()) return printed;
  if (key == "timestamp" && !a.timestamp_format.empty()) {
    return convert_value(ValueSpec{ValueSpec::Type::clock, 1, a.timestamp_format}, printed);
  }
  if (key == "invocation_counter" && printed.is_string()) {
    std::uint64_t n = 0;
    const std::string& s = printed.get_ref<const std::string&>();
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
    return json(n);
  }
  return printed;
}

const std::vector<std::string>& known_placeholders() {
  static const std::vector<std::string> k{
      "tty",    "meterlab", "transport", "key",       "auth_key",  "system_title", "profile",
      "family", "baud",     "parity",    "data_bits", "stop_bits", "run_dir"};
  return k;
}

Adapter parse_adapter(const json& doc, const std::string& where) {
  only_keys(doc,
            {"name", "description", "command", "env", "telegram", "rejection", "ignore", "partial",
             "tolerance", "output", "text", "files", "timestamp_format", "input", "stdin_command"},
            where, "(top)");
  Adapter a;
  a.name = text(doc, "name", where, "(top)", where);
  parse_templates(doc, where, a);
  if (doc.contains("output")) parse_output(doc.at("output"), where, a);
  if (doc.contains("files")) parse_files(doc.at("files"), where, a);
  a.timestamp_format = text(doc, "timestamp_format", where, "(top)");
  if (a.output.text) {
    if (!doc.contains("text")) bad(where, "output.format text needs \"text\"");
    parse_text(doc.at("text"), where, a);
    for (const char* k : {"telegram", "rejection", "ignore"})
      if (doc.contains(k)) bad(where, std::string(k) + ": JSON lines only (output.format is text)");
  } else {
    if (doc.contains("text")) bad(where, "text: only with \"output\": {\"format\": \"text\"}");
    if (!doc.contains("telegram")) bad(where, "missing \"telegram\"");
    parse_telegram(doc.at("telegram"), where, a);
  }
  if (doc.contains("rejection")) parse_rejection(doc.at("rejection"), where, a);
  const json ignore = doc.value("ignore", json::array());
  for (const json& p : ignore) {
    if (!p.is_string() || p.get<std::string>().empty() || p.get<std::string>().front() != '/')
      bad(where, "ignore must be a list of JSON pointers");
    a.ignore_when.push_back(p.get<std::string>());
  }
  a.partial = flag(doc, "partial", where, "(top)");
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
  for (const auto& [key, ptr] : a.telegram_fields) {
    auto v =
        telegram_field_value(a, key, has(line, ptr) ? line.at(json::json_pointer(ptr)) : json());
    if (!v) {
      m.error = ptr + ": not a " + key;
      return m;
    }
    t[key] = std::move(*v);
  }
  if (!map_readings(a, line, t, m.error)) return m;
  m.kind = MappedLine::Kind::telegram;
  m.value = std::move(t);
  return m;
}

std::vector<std::string> mapped_telegram_fields(const Adapter& a) {
  std::set<std::string> keys;
  for (const auto& [key, ptr] : a.telegram_fields) keys.insert(key);
  if (a.text) {  // text: the telegram fields some expression has a group for
    auto add = [&](const NamedRegex& r) {
      for (const auto& [name, n] : r.groups)
        if (telegram_field_names().count(name)) keys.insert(name);
    };
    if (a.text->start) add(*a.text->start);
    if (a.text->end) add(*a.text->end);
    for (const TextRule& rule : a.text->lines) add(rule.regex);
  }
  return {keys.begin(), keys.end()};
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
  std::string out;
  scan_template(
      text_in, [&](std::string_view piece) { out.append(piece); },
      [&](std::string_view name) {
        auto it = values.find(std::string(name));
        if (it == values.end())
          throw std::runtime_error("no value for {" + std::string(name) + "}");
        if (!quote) {
          out += it->second;
          return;
        }
        out += '\'';  // single quotes, each ' as '\''
        for (char c : it->second) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
        out += '\'';
      });
  return out;
}

}  // namespace meterlab::conformance
