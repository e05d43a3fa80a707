// InfluxDB line protocol for meter readings (private to reader/influx; the tests use it).
//
// One point per reading:
//   <measurement>,meter=<id>,name=<name>,obis=<obis>,unit=<unit>[,<user tags>]
//     value=<float>,time_source="meter"|"received" <ms>
// The time is the reading's stored_time(): its own capture time (P1 gas), else the meter's clock
// when its UTC is known, else the receive time; `time_source` says which.
// Numbers go to the float field `value` (always float: a series never changes type, and every
// integer register below 2^53 is exact in a double); text, octets (hex) and dates (ISO 8601) go
// to the string field `text`. Tags are sorted by key; empty tag values are left out (the
// protocol has none). Escaping (InfluxDB line protocol reference): measurement: comma and space;
// tag keys, tag values, field keys: comma, equals sign and space; string field values: double
// quote and backslash. The protocol has no newline escape: CR and LF become spaces.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "meterlab/reader/sink.hpp"

namespace meterlab::reader::influx {

using Tags = std::vector<std::pair<std::string, std::string>>;

void append_measurement(std::string_view s, std::string& out);
void append_key(std::string_view s, std::string& out);           // tag key, tag value, field key
void append_string_field(std::string_view s, std::string& out);  // with its quotes

// The point of one reading, without a newline; "" when the reading has no value to store
// (null-data, a non-finite real). `tags` are the user's extra tags; `meter` the meter's name
// (Received::meter).
std::string point(std::string_view measurement, const Tags& tags, std::string_view meter,
                  const cosem::Telegram& t, const cosem::Reading& r, const Received& rc);

}  // namespace meterlab::reader::influx
