// Telegram: what one notification says, after every layer. Readings {OBIS, name, value, unit}.
// Strings live in the telegram's own text storage (reused from telegram to telegram), so a
// steady stream of telegrams allocates nothing.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "meterlab/core/error.hpp"
#include "meterlab/cosem/obis.hpp"

namespace meterlab::cosem {

struct TextRef {
  std::uint32_t offset = 0;
  std::uint32_t length = 0;
  bool empty() const noexcept { return length == 0; }
};

enum class ValueKind : std::uint8_t {
  none,     // null-data (a placeholder the meter sends)
  integer,  // raw integer x 10^scaler (any width, enum)
  boolean,
  real,       // float32 / float64
  text,       // visible / utf8 string, or an octet-string that is printable text
  octets,     // an octet-string that is not text: printed as hex
  date_time,  // COSEM date-time, date or time
};

struct Reading {
  ObisCode obis;
  std::string_view name;  // static storage: OBIS name table or a built-in layout
  std::string_view unit;  // static storage: unit table
  ValueKind kind = ValueKind::none;
  std::int64_t raw = 0;       // integer, boolean
  bool raw_unsigned = false;  // raw holds a uint64 beyond INT64_MAX bit pattern
  std::int8_t scaler = 0;     // value = raw x 10^scaler
  // A reading no layout names (the generic mapping, or a position a layout leaves undocumented):
  // its place in the body as 1-based indices from the root, 0 after the last ("2.1": {2, 1, 0..}).
  // Such a reading has no OBIS code (`obis` is all zero, printed as null) and an empty name. It
  // sits in the padding after `scaler`: Reading stays 128 bytes on x86-64 (measured), with
  // kMaxDepth levels of at most kMaxIndex elements.
  std::array<std::uint8_t, 6> position{};
  static constexpr std::size_t kMaxDepth = 6;
  static constexpr std::size_t kMaxIndex = 255;
  bool positional() const noexcept { return position[0] != 0; }
  // "2.1" into `out` (room for kPositionMax chars); returns the length, 0 when not positional.
  static constexpr std::size_t kPositionMax = 6 * 4;
  std::size_t write_position(char* out) const noexcept;
  std::string position_text() const;
  double real = 0;  // real
  TextRef text;     // text, octets (raw bytes)
  // date_time; for a number with a capture time of its own (a P1 M-Bus channel value
  // 0-n:24.2.1, a peak demand, a power failure's duration), that time.
  DateTime date_time;

  // Its value lives in the telegram's text storage (`text`): kind text or octets.
  bool has_text() const noexcept { return kind == ValueKind::text || kind == ValueKind::octets; }
  double number() const noexcept;  // integer scaled, or real; 0 for other kinds
  // An integer reading whose value is a whole number: scaler >= 0 and raw x 10^scaler within 64
  // bits (`is_unsigned`: the value is a uint64 beyond INT64_MAX, its bit pattern in `value`).
  // The outputs print it as an integer; anything else is a decimal fraction (number()).
  struct Whole {
    std::int64_t value = 0;
    bool is_unsigned = false;
  };
  std::optional<Whole> whole() const noexcept;
};

enum class Transport : std::uint8_t { hdlc, mbus, apdu, p1 };

// Where a telegram's UTC time came from: the meter's own deviation field, the meter's time zone
// (given, or its family's default: cosem/time_zone.hpp), or nowhere (no UTC time is given).
enum class ClockSource : std::uint8_t { none, meter, zone };
std::string_view clock_source_name(ClockSource s) noexcept;  // "meter", "zone"; "" for none

struct Telegram {
  TextRef meter_id;
  TextRef meter_type;
  TextRef list_id;
  std::string_view layout;            // name of the layout that mapped the body
  std::optional<DateTime> timestamp;  // APDU date-time, else the list's clock reading
  // The clock rule of the meter's family, from its layout (layouts/README.md "clock"): its
  // default time zone, and whether its deviation field is known to be wrong.
  std::string_view family_zone;
  bool deviation_unreliable = false;
  // The UTC time of `timestamp`: `utc_deviation` (minutes, DLMS sign: UTC = local + deviation)
  // from `timestamp_source`; none: no UTC time (resolve_clock() in cosem/time_zone.hpp sets them).
  ClockSource timestamp_source = ClockSource::none;
  std::int16_t utc_deviation = 0;
  // "2019-06-12T16:00:00Z" (write_utc: into room for DateTime::kTextMax chars, 0 when none).
  std::size_t write_utc(char* out) const noexcept;
  std::optional<std::string> utc() const;
  // Clocks with an impossible date or time (cosem_bad_date_time at the byte): their readings
  // are null (or the timestamp absent) and the telegram comes out with everything else.
  std::vector<Error> clock_warnings;

  std::uint8_t security = 0;  // dlms::SecurityState
  std::optional<std::array<std::uint8_t, 8>> system_title;
  std::optional<std::uint32_t> invocation_counter;
  std::uint32_t invoke_id = 0;  // long-invoke-id-and-priority

  std::vector<Reading> readings;

  Transport transport = Transport::apdu;
  std::size_t stream_offset = 0;
  std::size_t length = 0;
  std::uint32_t segments = 0;
  // Transport p1: how the telegram's integrity was checked (p1::Check), and an inner CRC that
  // did not match under a verified tag (Errc::ok when none).
  std::uint8_t check = 0;
  Error warning{};

  std::string text_storage;

  std::string_view text(TextRef r) const noexcept {
    return {text_storage.data() + r.offset, r.length};
  }
  TextRef store(std::string_view s);
  void clear() noexcept;  // keeps capacity
};

}  // namespace meterlab::cosem
