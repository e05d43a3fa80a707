// Inside the learner (simulator/run/learn*.cpp): one list's template from one captured
// data-notification. Not for other callers: learn.hpp is the interface.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "meterlab/core/bytes.hpp"
#include "meterlab/sim/encode.hpp"
#include "meterlab/sim/learn.hpp"

namespace meterlab::sim::learn_detail {

struct ListTemplate {
  nlohmann::ordered_json body;  // the list as a profile writes it ({"struct": [...]})
  std::string signature;        // types, counts, string lengths, OBIS codes, layout: one per list
  std::map<std::string, double> quantities;           // source -> captured value in its unit
  std::optional<std::array<std::uint8_t, 12>> clock;  // the list's clock as sent
  std::string meter_id;                               // printable meter id the list carries, or ""
  std::string meter_type;
  bool three_phase = false;  // the list has a quantity of L2 or L3
};

// `apdu` is a plain data-notification (0F ...); `where` is its telegram's stream offset, for the
// errors. Throws LearnError.
ListTemplate learn_list(Bytes apdu, std::size_t where);

// The time zone of a learned meter: CET/CEST, the zone the decoder reads P1's S/W flags in.
constexpr std::string_view kZone = "Europe/Vienna";

// Days from 1970-01-01 to a civil date (proleptic Gregorian).
std::int64_t days_from_civil(int y, int m, int d);

// The household source ("p_import", ...) that a reading with this OBIS code ("1-0:1.7.0.255")
// and unit (as the decoder reports it: "W") is filled from, if any (learn_list.cpp's table).
std::optional<std::string_view> household_source(const std::string& obis, const std::string& unit);

// The household behind the meter: its phases, and registers that start where the capture's did
// (quantities: source -> captured value in the source's unit).
nlohmann::ordered_json household_json(const std::map<std::string, double>& quantities,
                                      bool three_phase);

// One P1 telegram of the capture: its text ('/' through the '!' line; the plaintext of an
// encrypted frame), where it was, and its clock.
struct P1Capture {
  std::size_t offset = 0;
  Buffer text;
  std::optional<std::int64_t> time_ms;  // ms since 1970, local
  std::string meter_id;                 // as the decoder reports it
};

// A P1 meter's profile from its telegrams (learn_p1.cpp): meter, serial, household, step,
// schedule and the "p1" section; the caller adds name and security. From the options: the line
// settings and the cadence when the capture does not tell. Throws LearnError.
nlohmann::ordered_json learn_p1(const std::vector<P1Capture>& telegrams, const LearnOptions& o);

}  // namespace meterlab::sim::learn_detail
