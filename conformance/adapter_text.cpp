// Text output read by regular expressions: named groups compiled for std::regex, and lines
// assembled into telegrams in the schema of `meterlab decode`.
#include <set>
#include <stdexcept>

#include "adapter.hpp"
#include "meterlab/cosem/obis.hpp"

namespace meterlab::conformance {
namespace {

using nlohmann::json;

// `position` names a reading no layout names (obis null, issue 16) by its index path.
constexpr std::string_view kReadingGroups[] = {"obis", "position", "value", "unit"};

bool is_reading_group(const std::string& name) {
  for (std::string_view g : kReadingGroups)
    if (name == g) return true;
  return false;
}

// The name of a `(?<name>` group starting at `i` (just after "(?<"), and where it ends.
std::string group_name(const std::string& p, std::size_t& i) {
  const std::size_t close = p.find('>', i);
  if (close == std::string::npos) throw std::invalid_argument("a group name without '>'");
  std::string name = p.substr(i, close - i);
  if (name.empty() || name.find_first_not_of("abcdefghijklmnopqrstuvwxyz_") != std::string::npos)
    throw std::invalid_argument("bad group name \"" + name + "\"");
  i = close + 1;
  return name;
}

}  // namespace

NamedRegex compile_named(const std::string& pattern) {
  NamedRegex r;
  r.pattern = pattern;
  std::string plain;
  std::size_t groups = 0;
  bool in_class = false;
  for (std::size_t i = 0; i < pattern.size();) {
    const char c = pattern[i];
    if (c == '\\' && i + 1 < pattern.size()) {  // an escaped character, copied as it is
      plain += pattern.substr(i, 2);
      i += 2;
      continue;
    }
    if (in_class || c != '(') {
      in_class = c == '[' ? true : (c == ']' ? false : in_class);
      plain += c;
      ++i;
      continue;
    }
    ++i;
    plain += '(';
    const bool named = pattern.compare(i, 2, "?<") == 0 && i + 2 < pattern.size() &&
                       pattern[i + 2] != '=' && pattern[i + 2] != '!';
    if (named) {
      i += 2;
      const std::string name = group_name(pattern, i);
      if (!r.groups.emplace(name, ++groups).second)
        throw std::invalid_argument("group (?<" + name + ">) named twice");
    } else if (pattern.compare(i, 1, "?") != 0) {
      ++groups;  // a plain capturing group
    }
  }
  r.re = std::regex(plain, std::regex::ECMAScript);
  return r;
}

void TextMapper::open_telegram(double at) {
  if (open_.is_null()) {
    open_ = json{{"readings", json::array()}};
    for (const std::string& key : mapped_telegram_fields(a_)) open_[key] = nullptr;
  }
  open_at_ = at;
}

void TextMapper::flush(std::vector<MappedLine>& out) {
  if (open_.is_null()) return;
  MappedLine m;
  m.kind = MappedLine::Kind::telegram;
  m.value = std::move(open_);
  m.at = open_at_;
  open_ = json();
  out.push_back(std::move(m));
}

bool TextMapper::apply(const NamedRegex& r, const std::smatch& m, const TextRule* rule,
                       std::string& error) {
  json reading = json::object();
  for (const auto& [name, n] : r.groups) {
    if (!m[n].matched) continue;
    const std::string got = m[n].str();
    if (!is_reading_group(name)) {
      auto v = telegram_field_value(a_, name, json(got));
      if (!v) return error = "not a " + name + ": \"" + got + "\"", false;
      open_[name] = std::move(*v);
    } else if (name == "obis") {
      auto code = cosem::ObisCode::parse(got);
      if (!code) return error = "not an OBIS code: \"" + got + "\"", false;
      reading["obis"] = code->to_string();
    } else if (name == "position") {
      reading["obis"] = nullptr;
      reading["position"] = got;
    } else if (name == "value") {
      auto v = convert_value(rule->value, json(got));
      if (!v) return error = "not a value: \"" + got + "\"", false;
      reading["value"] = std::move(*v);
    } else {
      reading["unit"] = got;
    }
  }
  if (!reading.contains("value")) return true;
  if (!reading.contains("obis")) reading["obis"] = rule->obis;
  if (!reading.contains("unit")) reading["unit"] = rule->unit;
  open_["readings"].push_back(std::move(reading));
  return true;
}

// Every rule that matches the line maps its part (one line may hold several readings).
bool TextMapper::apply_rules(const std::string& line, bool& matched, std::string& error) {
  std::smatch m;
  for (const TextRule& rule : spec_.lines) {
    if (!std::regex_search(line, m, rule.regex.re)) continue;
    matched = true;
    if (!apply(rule.regex, m, &rule, error)) return false;
  }
  return true;
}

std::vector<MappedLine> TextMapper::add(const std::string& line, double at) {
  std::vector<MappedLine> out;
  std::smatch m;
  for (const NamedRegex& r : spec_.ignore) {
    if (std::regex_search(line, m, r.re))
      return {MappedLine{MappedLine::Kind::ignored, {}, {}, at}};
  }
  if (spec_.rejection && std::regex_search(line, m, spec_.rejection->re)) {
    json e{{"layer", "?"}, {"code", "?"}};
    for (const auto& [name, n] : spec_.rejection->groups)
      if (m[n].matched) e[name] = m[n].str();
    return {MappedLine{MappedLine::Kind::rejection, json{{"error", std::move(e)}}, {}, at}};
  }
  const bool starts = spec_.start && std::regex_search(line, m, spec_.start->re);
  if (starts) flush(out);
  const bool was_open = !open_.is_null();
  const double before_at = open_at_;
  open_telegram(at);
  std::string error;
  bool matched = starts;
  if (starts && !apply(*spec_.start, m, nullptr, error)) matched = false;
  const bool ends = spec_.end && std::regex_search(line, m, spec_.end->re);
  if (ends && error.empty() && !apply(*spec_.end, m, nullptr, error)) matched = false;
  matched = matched || ends;
  if (error.empty()) apply_rules(line, matched, error);
  if (!error.empty() || !matched) {
    if (!was_open && !starts) open_ = json();  // a garbage line opens no telegram
    open_at_ = before_at;
    MappedLine g;
    g.error = error.empty() ? "no text rule matches" : error;
    out.push_back(std::move(g));
  }
  // Without boundary lines, a line is a telegram (a rewritten file: the whole file is one).
  const bool line_is_telegram = !spec_.start && !spec_.end && !a_.output.rewrite;
  if (ends || (line_is_telegram && matched)) flush(out);
  return out;
}

std::vector<MappedLine> TextMapper::boundary() {
  std::vector<MappedLine> out;
  flush(out);
  return out;
}

}  // namespace meterlab::conformance
