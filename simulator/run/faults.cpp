// Fault specs: the CLI spelling and the scenario-file JSON.
#include "meterlab/sim/faults.hpp"

#include <array>
#include <charconv>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <utility>

namespace meterlab::sim {
namespace {

constexpr std::array<std::pair<std::string_view, FaultKind>, 15> kNames{{
    {"ber", FaultKind::ber},
    {"drop", FaultKind::drop_bytes},
    {"insert", FaultKind::insert_bytes},
    {"duplicate", FaultKind::duplicate_bytes},
    {"truncate", FaultKind::truncate},
    {"noise", FaultKind::noise},
    {"segment-lost", FaultKind::segment_lost},
    {"segment-dup", FaultKind::segment_duplicate},
    {"segment-reorder", FaultKind::segment_reorder},
    {"wrong-key", FaultKind::wrong_key},
    {"tag-fail", FaultKind::tag_fail},
    {"counter-back", FaultKind::counter_back},
    {"clock-jump", FaultKind::clock_jump},
    {"restart", FaultKind::restart},
    {"drop-end", FaultKind::drop_end},
}};

[[noreturn]] void bad(std::string_view spec, const std::string& why) {
  throw std::invalid_argument("fault \"" + std::string(spec) + "\": " + why);
}

double number(std::string_view spec, std::string_view v) {
  double out = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (ec != std::errc() || end != v.data() + v.size() || out < 0)
    bad(spec, "\"" + std::string(v) + "\" is not a number >= 0");
  return out;
}

std::int64_t whole(std::string_view spec, std::string_view v) {
  std::int64_t out = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (ec != std::errc() || end != v.data() + v.size())
    bad(spec, "\"" + std::string(v) + "\" is not an integer");
  return out;
}

Duration signed_duration(std::string_view spec, std::string_view v) {
  bool negative = !v.empty() && v.front() == '-';
  if (negative || (!v.empty() && v.front() == '+')) v.remove_prefix(1);
  auto d = parse_duration(v);
  if (!d) bad(spec, "\"" + std::string(v) + "\" is not a duration (30s, 10m, 1h)");
  return negative ? -*d : *d;
}

FaultKind kind_of(std::string_view spec, std::string_view name) {
  for (const auto& [n, k] : kNames)
    if (n == name) return k;
  std::string known;
  for (const auto& [n, k] : kNames) known += (known.empty() ? "" : ", ") + std::string(n);
  bad(spec, "unknown kind \"" + std::string(name) + "\" (known: " + known + ")");
}

void set(FaultSpec& f, std::string_view spec, std::string_view key, std::string_view value) {
  if (key == "p" || key == "rate")
    f.rate = number(spec, value);
  else if (key == "at")
    f.at = signed_duration(spec, value);
  else if (key == "for")
    f.span = signed_duration(spec, value);
  else if (key == "count" || key == "max")
    f.count = whole(spec, value);
  else if (key == "by")
    f.by = f.kind == FaultKind::clock_jump ? signed_duration(spec, value) : whole(spec, value);
  else if (key == "list")
    f.list = std::string(value);
  else
    bad(spec, "unknown parameter \"" + std::string(key) + "\"");
}

void check(const FaultSpec& f, std::string_view spec) {
  if (f.kind == FaultKind::ber ? f.rate > 0.01 : f.rate > 1) bad(spec, "rate out of range");
  bool one_shot = f.kind == FaultKind::counter_back || f.kind == FaultKind::clock_jump ||
                  f.kind == FaultKind::restart;
  if (one_shot && !f.at) bad(spec, "needs at=<time from start>");
  if (!one_shot && !f.at && f.rate <= 0) bad(spec, "needs p=<probability> (or at=...)");
  if ((f.kind == FaultKind::restart || (f.kind == FaultKind::wrong_key && f.at)) && f.span <= 0)
    bad(spec, "needs for=<duration>");
  if ((f.kind == FaultKind::counter_back || f.kind == FaultKind::clock_jump) && f.by == 0)
    bad(spec, "needs by=<amount>");
  if (f.count < 1 || f.count > 4096) bad(spec, "count/max must be 1..4096");
}

}  // namespace

std::string_view fault_name(FaultKind k) {
  for (const auto& [n, v] : kNames)
    if (v == k) return n;
  return "?";
}

std::optional<Outage> outage_of(const FaultSpec& f, SimTime start) {
  if (f.kind != FaultKind::restart || !f.at) return std::nullopt;
  return Outage{start + *f.at, start + *f.at + f.span};
}

FaultSpec parse_fault(std::string_view text) {
  FaultSpec f;
  auto colon = text.find(':');
  f.kind = kind_of(text, text.substr(0, colon));
  if (f.kind == FaultKind::noise) f.count = 32;
  std::string_view rest =
      colon == std::string_view::npos ? std::string_view{} : text.substr(colon + 1);
  while (!rest.empty()) {
    auto comma = rest.find(',');
    std::string_view item = rest.substr(0, comma);
    auto eq = item.find('=');
    if (eq == std::string_view::npos)
      bad(text, "expected key=value, got \"" + std::string(item) + "\"");
    set(f, text, item.substr(0, eq), item.substr(eq + 1));
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
  }
  check(f, text);
  return f;
}

FaultSpec fault_from_json(const std::string& json_text) {
  auto j = nlohmann::json::parse(json_text, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("kind") || !j.at("kind").is_string())
    bad(json_text, "expected an object with a \"kind\"");
  // The JSON form is the CLI form spelled as an object: {"kind": "noise", "p": 0.05, "max": 40}.
  std::string spec = j.at("kind").get<std::string>();
  char sep = ':';
  for (const auto& [key, value] : j.items()) {
    if (key == "kind") continue;
    spec += sep;
    spec += key + "=" + (value.is_string() ? value.get<std::string>() : value.dump());
    sep = ',';
  }
  return parse_fault(spec);
}

}  // namespace meterlab::sim
