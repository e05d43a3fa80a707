// Test helpers shared by the simulator's run tests: drive a simulation to its end, decode its
// bytes with the engine, and compare a decoded telegram with its truth record.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "meterlab/decoder/decoder.hpp"
#include "meterlab/decoder/json.hpp"
#include "meterlab/sim/profile.hpp"
#include "meterlab/sim/simulation.hpp"

namespace meterlab::sim::test {

using nlohmann::json;

struct Run {
  Buffer bytes;
  std::vector<json> truth;      // every truth line, summary last
  std::vector<json> telegrams;  // truth lines of type "telegram"
};

inline Run run(const Profile& profile, SimOptions options) {
  Run r;
  Simulation sim(profile, std::move(options));
  Chunk c;
  while (sim.next(c)) r.bytes.insert(r.bytes.end(), c.bytes.begin(), c.bytes.end());
  for (auto& line : sim.take_truth()) r.truth.push_back(json::parse(line));
  r.truth.push_back(json::parse(sim.summary_line()));
  for (const json& t : r.truth)
    if (t.at("type") == "telegram") r.telegrams.push_back(t);
  return r;
}

inline dlms::KeyRing keys_of(const Profile& p) {
  dlms::KeyRing ring;
  if (p.security) ring.add(p.security->system_title, p.security->ek, p.security->ak);
  return ring;
}

struct Decoded {
  std::vector<json> telegrams;
  std::vector<json> rejections;
  DecoderStats stats;
};

inline Decoded decode(const Profile& p, const Buffer& bytes) {
  Decoded d;
  Decoder dec(auto_detectable(p) ? InputTransport::auto_detect : InputTransport::p1, keys_of(p));
  auto drain = [&] {
    for (;;) {
      auto ev = dec.next();
      if (ev == Decoder::Event::need_more) return;
      std::string line;
      if (ev == Decoder::Event::telegram) {
        append_json(dec.telegram(), line);
        d.telegrams.push_back(json::parse(line));
      } else {
        append_json(dec.rejection(), line);
        d.rejections.push_back(json::parse(line));
      }
    }
  };
  dec.push(Bytes(bytes.data(), bytes.size()));
  drain();
  dec.finish();
  drain();
  d.stats = dec.stats();
  return d;
}

inline bool same_value(const json& a, const json& b) {
  if (a.is_number() && b.is_number()) {
    double x = a.get<double>(), y = b.get<double>();
    return std::fabs(x - y) <= 1e-9 * std::max(1.0, std::fabs(x));
  }
  return a == b;
}

// "" when the decoded telegram says what the truth says, else what differs.
inline std::string compare(const json& truth, const json& decoded) {
  std::string out;
  auto field = [&](const char* key) {
    if (truth.at(key) != decoded.at(key))
      out += std::string(key) + ": truth " + truth.at(key).dump() + ", decoded " +
             decoded.at(key).dump() + "; ";
  };
  // A duplicated segment belongs to the telegram's bytes but not (or not first) to the decoded
  // message: the stream place is compared for untouched telegrams only.
  if (truth.at("faults").empty()) {
    if (truth.at("offset") != decoded.at("frame").at("offset")) out += "frame offset differs; ";
    if (truth.at("length") != decoded.at("frame").at("length")) out += "frame length differs; ";
  }
  field("security");
  field("timestamp");
  field("invocation_counter");
  field("system_title");
  field("meter_id");
  // A reading no layout names has no OBIS code: its position names it (issue 16).
  auto key = [](const json& r) {
    return r.at("obis").is_null() ? "@" + r.at("position").get<std::string>()
                                  : r.at("obis").get<std::string>();
  };
  std::multimap<std::string, json> got;
  for (const json& r : decoded.at("readings")) got.emplace(key(r), r);
  if (decoded.at("readings").size() != truth.at("readings").size())
    out += "readings: truth " + std::to_string(truth.at("readings").size()) + ", decoded " +
           std::to_string(decoded.at("readings").size()) + "; ";
  for (const json& r : truth.at("readings")) {
    auto it = got.find(key(r));
    if (it == got.end()) {
      out += key(r) + " missing; ";
      continue;
    }
    if (!same_value(r.at("value"), it->second.at("value")) || r.at("unit") != it->second.at("unit"))
      out += key(r) + ": truth " + r.dump() + ", decoded " + it->second.dump() + "; ";
    got.erase(it);
  }
  return out;
}

// Every built-in profile's name, and a test-name form of it (gtest allows no '-').
inline std::vector<std::string> profile_names() {
  std::vector<std::string> out;
  for (const Profile& p : builtin_profiles()) out.push_back(p.name);
  return out;
}

inline std::string param_name(const ::testing::TestParamInfo<std::string>& param) {
  std::string n = param.param;
  for (char& ch : n)
    if (ch == '-') ch = '_';
  return n;
}

}  // namespace meterlab::sim::test
