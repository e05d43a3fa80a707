// Test helper of the database outputs: real simulator bytes decoded in-process by the engine,
// each telegram kept (a copy) with the Received a read loop would hand the sinks (its meter
// attributed as the loop does) and the truth record it came from. Used by the influx, postgres
// and solarview tests.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "meterlab/decoder/decoder.hpp"
#include "meterlab/reader/sink.hpp"
#include "meterlab/sim/profile.hpp"
#include "meterlab/sim/simulation.hpp"
#include "meterlab/sim/time.hpp"

namespace meterlab::reader::test {

using nlohmann::json;

struct Fed {
  std::vector<cosem::Telegram> telegrams;
  std::vector<Received> received;
  std::vector<json> truth;  // the truth record of each telegram, same index
};

inline dlms::KeyRing keys_of(const sim::Profile& p) {
  dlms::KeyRing ring;
  if (p.security) ring.add(p.security->system_title, p.security->ek, p.security->ak);
  return ring;
}

// `duration_ms` of profile `name` from `start` (ISO, the profile's zone), decoded. Every
// telegram must decode (no faults): the test fails otherwise.
inline Fed feed(const std::string& name, const char* start, std::int64_t duration_ms) {
  Fed f;
  const sim::Profile* p = sim::find_profile(name);
  EXPECT_NE(p, nullptr) << name;
  if (p == nullptr) return f;
  sim::SimOptions o;
  o.start = *sim::parse_iso(start, p->zone);
  o.duration = duration_ms;
  sim::Simulation s(*p, o);
  sim::Buffer bytes;
  sim::Chunk c;
  while (s.next(c)) bytes.insert(bytes.end(), c.bytes.begin(), c.bytes.end());
  for (const std::string& line : s.take_truth()) {
    json j = json::parse(line);
    if (j.at("type") == "telegram") f.truth.push_back(std::move(j));
  }
  Decoder dec(InputTransport::auto_detect, keys_of(*p));
  MeterAttribution meters;
  dec.push(Bytes(bytes.data(), bytes.size()));
  dec.finish();
  for (auto ev = dec.next(); ev != Decoder::Event::need_more; ev = dec.next()) {
    EXPECT_EQ(ev, Decoder::Event::telegram) << "a rejection in a fault-free run";
    if (ev != Decoder::Event::telegram) continue;
    const json& truth = f.truth.at(f.telegrams.size());
    f.telegrams.push_back(dec.telegram());
    const auto ms = std::chrono::milliseconds(truth.at("t_ms").get<std::int64_t>());
    Received rc{WallClock::time_point(ms), "sim"};
    meters.attribute(f.telegrams.back(), rc);
    f.received.push_back(std::move(rc));
  }
  EXPECT_EQ(f.telegrams.size(), f.truth.size());
  return f;
}

inline std::int64_t ms_of(WallClock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

// Numbers equal to the truth's (which is exact decimal of raw x 10^scale) within rounding.
inline bool same_number(double a, double b) {
  return std::fabs(a - b) <= 1e-9 * std::max(1.0, std::fabs(a));
}

}  // namespace meterlab::reader::test
