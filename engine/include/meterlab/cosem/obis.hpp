// OBIS codes (IEC 62056-61), the DLMS unit table (Blue Book, class 3 scaler_unit), and the COSEM
// date-time (12 bytes: year hi lo, month, day, weekday, hour, minute, second, hundredths,
// deviation hi lo, clock status).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "meterlab/core/bytes.hpp"

namespace meterlab::cosem {

struct ObisCode {
  std::array<std::uint8_t, 6> v{};
  bool operator==(const ObisCode&) const = default;
  auto operator<=>(const ObisCode&) const = default;
  std::string to_string() const;                           // "1-0:1.7.0.255"
  static std::optional<ObisCode> parse(std::string_view);  // "1-0:1.7.0.255", also "1.0.1.7.0.255"
  static Result<ObisCode> from_bytes(Bytes six, std::size_t offset);
};

// Symbol of a DLMS unit code ("W", "Wh", "var", "V", "A", "Hz", ...); "" for 255 (count) and
// unknown codes.
std::string_view unit_symbol(std::uint8_t code) noexcept;
// The code of a unit symbol as unit_symbol() spells it (first code when two share a symbol).
std::optional<std::uint8_t> unit_code(std::string_view symbol) noexcept;

// A name for well-known OBIS codes ("active_power_import", "voltage_l1", "meter_id", ...) and the
// unit such a quantity has when the list does not say; empty when not known.
std::string_view obis_name(const ObisCode& obis) noexcept;
std::string_view default_unit(const ObisCode& obis) noexcept;

struct DateTime {
  // 0xFFFF / 0xFF fields are "not specified": kept as -1 here.
  int year = -1, month = -1, day = -1, weekday = -1;
  int hour = -1, minute = -1, second = -1, hundredths = -1;
  std::optional<int> deviation;  // minutes, DLMS sign: UTC = local + deviation (AT summer: -120)
  std::uint8_t status = 0xFF;    // clock status; bit 7 = daylight saving active
  bool status_known = false;

  bool dst() const noexcept { return status_known && (status & 0x80) != 0; }
  bool has_date() const noexcept { return year >= 0 && month >= 0 && day >= 0; }
  bool has_time() const noexcept { return hour >= 0 && minute >= 0; }
  // "2021-09-27T09:47:15+02:00" when the deviation is known, else without offset; fields not
  // specified are left out from the end (a date alone gives "2021-09-27").
  std::string to_iso8601() const;
  // "2021-09-27T07:47:15Z" when date, time and deviation are known.
  std::optional<std::string> to_utc() const;
  // The same texts written into `out` (room for kTextMax chars) without allocating; they return
  // the length (write_utc: 0 when to_utc() gives none).
  static constexpr std::size_t kTextMax = 48;
  std::size_t write_iso8601(char* out) const noexcept;
  std::size_t write_utc(char* out) const noexcept;
};

// Parses a 12-byte COSEM date-time (octet-string form or the date-time type's content), a 5-byte
// date or a 4-byte time (type 26 / 27 contents, or the octet-strings some meters send) into `out`
// in place (the decoder's hot path: no DateTime is copied). On an error `out` holds what was read
// so far.
Result<void> parse_date_time(Bytes twelve, std::size_t offset, DateTime& out);
Result<void> parse_date(Bytes five, std::size_t offset, DateTime& out);
Result<void> parse_time(Bytes four, std::size_t offset, DateTime& out);
// The same, returning the value (tests and tools): derived from the forms above.
Result<DateTime> parse_date_time(Bytes twelve, std::size_t offset);
Result<DateTime> parse_date(Bytes five, std::size_t offset);
Result<DateTime> parse_time(Bytes four, std::size_t offset);

}  // namespace meterlab::cosem
