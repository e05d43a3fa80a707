// Test helper of the reader outputs: a DSMR 5 P1 telegram with a meter on M-Bus channel 1 (its
// device type, id and register with its own capture time), parsed by the engine's P1 parser as
// the decoder does once the framer has found it. The lines are those of the Iskra AM550 vector
// (vectors/p1/dsmr5-iskra-am550-nl.json) with a text message and a voltage sag count.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "meterlab/cosem/telegram.hpp"
#include "meterlab/cosem/time_zone.hpp"
#include "meterlab/p1/telegram.hpp"

namespace meterlab::reader::test {

// `device_type`: the channel's 0-1:24.1.0 ("003" gas, "007" water); `gas_stamp` its capture time;
// `extra`: more lines (each ending in CR LF) before the '!' line.
inline std::string p1_text(std::string_view device_type = "003",
                           std::string_view gas_stamp = "170102161005W",
                           std::string_view extra = "") {
  std::string s =
      "/ISk5\\2MT382-1000\r\n\r\n"
      "1-3:0.2.8(50)\r\n"
      "0-0:1.0.0(170102192002W)\r\n"
      "0-0:96.1.1(4B384547303034303436333935353037)\r\n"
      "1-0:1.8.1(000004.426*kWh)\r\n"
      "1-0:1.8.2(000002.399*kWh)\r\n"
      "1-0:2.8.1(000002.444*kWh)\r\n"
      "1-0:2.8.2(000000.000*kWh)\r\n"
      "0-0:96.14.0(0002)\r\n"
      "1-0:1.7.0(00.244*kW)\r\n"
      "1-0:2.7.0(00.000*kW)\r\n"
      "0-0:96.7.21(00013)\r\n"
      "0-0:96.7.9(00000)\r\n"
      "1-0:32.32.0(00000)\r\n"
      "1-0:32.7.0(0230.0*V)\r\n"
      "1-0:31.7.0(0.48*A)\r\n"
      "0-0:96.13.0(48656C6C6F)\r\n"
      "0-1:24.1.0(";
  s += device_type;
  s += ")\r\n0-1:96.1.0(3232323241424344313233343536373839)\r\n0-1:24.2.1(";
  s += gas_stamp;
  s += ")(00000.107*m3)\r\n";
  s += extra;
  s += "!";
  return s;
}

inline cosem::Telegram p1_telegram(const std::string& text) {
  cosem::Telegram t;
  p1::Problems problems;
  p1::parse_telegram(Bytes(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()), 0, t,
                     problems);
  cosem::resolve_clock(t, nullptr);  // as the Decoder does: the UTC time from the S/W flag
  return t;
}

// The Belgian current-month peak 1-0:1.6.0 and the monthly maxima buffer 0-0:98.1.0 whose
// entries repeat its code, each with its own time (vectors/p1/p1-belgian-peak.json).
inline constexpr std::string_view kP1PeakLines =
    "1-0:1.6.0(200509134558S)(02.589*kW)\r\n"
    "0-0:98.1.0(2)(1-0:1.6.0)(1-0:1.6.0)(200501000000S)(200423192538S)(03.695*kW)"
    "(200401000000S)(200305122139W)(05.980*kW)\r\n";

inline const cosem::Reading* find_reading(const cosem::Telegram& t, std::string_view obis) {
  for (const cosem::Reading& r : t.readings) {
    if (!r.positional() && r.obis.to_string() == obis) return &r;
  }
  return nullptr;
}

}  // namespace meterlab::reader::test
