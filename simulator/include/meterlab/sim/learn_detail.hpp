// Inside the learner (simulator/run/learn*.cpp): one list's template from one captured
// data-notification. Not for other callers: learn.hpp is the interface.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "meterlab/core/bytes.hpp"

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

}  // namespace meterlab::sim::learn_detail
