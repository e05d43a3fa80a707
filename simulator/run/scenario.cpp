#include "meterlab/sim/scenario.hpp"

#include <nlohmann/json.hpp>
#include <stdexcept>

namespace meterlab::sim {
namespace {

void parse_modes(const nlohmann::json& v, Scenario& s) {
  const char* what = "scenario: \"modes\" must be a non-empty list of \"in-process\", \"pty\"";
  if (!v.is_array() || v.empty()) throw std::invalid_argument(what);
  s.modes.clear();
  for (const auto& m : v) {
    if (!m.is_string() || (m != "in-process" && m != "pty")) throw std::invalid_argument(what);
    s.modes.push_back(m.get<std::string>());
  }
}

void parse_profiles(const nlohmann::json& v, Scenario& s) {
  const char* what = "scenario: \"profiles\" must be a non-empty list of profile names or \"all\"";
  if (!v.is_array() || v.empty()) throw std::invalid_argument(what);
  for (const auto& p : v) {
    if (!p.is_string()) throw std::invalid_argument(what);
    s.profiles.push_back(p.get<std::string>());
  }
}

}  // namespace

Scenario parse_scenario(const std::string& json_text) {
  auto doc = nlohmann::json::parse(json_text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object())
    throw std::invalid_argument("scenario: not a JSON object");
  auto text = [&](const char* key) -> std::optional<std::string> {
    if (!doc.contains(key)) return std::nullopt;
    if (!doc.at(key).is_string())
      throw std::invalid_argument(std::string("scenario: \"") + key + "\" must be a string");
    return doc.at(key).get<std::string>();
  };
  Scenario s;
  s.name = text("name").value_or("");
  s.description = text("description").value_or("");
  auto profile = text("profile");
  if (doc.contains("profiles")) parse_profiles(doc.at("profiles"), s);
  if (!profile && s.profiles.empty()) throw std::invalid_argument("scenario: missing \"profile\"");
  if (profile && !s.profiles.empty())
    throw std::invalid_argument("scenario: \"profile\" or \"profiles\", not both");
  s.profile = profile.value_or("");
  if (doc.contains("seed")) {
    if (!doc.at("seed").is_number_unsigned())
      throw std::invalid_argument("scenario: \"seed\" must be a whole number >= 0");
    s.seed = doc.at("seed").get<std::uint64_t>();
  }
  s.start = text("start");
  if (auto d = text("duration")) {
    s.duration = parse_duration(*d);
    if (!s.duration) throw std::invalid_argument("scenario: \"duration\": not a duration: " + *d);
  }
  s.speed = text("speed");
  if (doc.contains("faults")) {
    if (!doc.at("faults").is_array())
      throw std::invalid_argument("scenario: \"faults\" must be a list");
    for (const auto& f : doc.at("faults"))
      s.faults.push_back(f.is_string() ? parse_fault(f.get<std::string>())
                                       : fault_from_json(f.dump()));
  }
  if (doc.contains("pass")) s.pass_json = doc.at("pass").dump();
  if (doc.contains("modes")) parse_modes(doc.at("modes"), s);
  return s;
}

}  // namespace meterlab::sim
