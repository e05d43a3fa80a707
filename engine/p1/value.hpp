// The value groups of a P1 line, one rule each: decimal numbers with units, timestamps, OBIS
// references, hex-coded text. Internal to the p1 layer.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

#include "meterlab/cosem/obis.hpp"
#include "meterlab/cosem/telegram.hpp"
#include "meterlab/p1/telegram.hpp"

namespace meterlab::p1::detail {

struct Number {
  std::int64_t raw = 0;
  std::int8_t scaler = 0;
  std::string_view unit;  // static storage (the DLMS unit table), "" without a unit
};

// A unit as the DLMS unit table spells it, and the power of ten that takes a value there.
struct BaseUnit {
  std::string_view symbol;  // static storage
  std::int8_t scale = 0;
};

// The units of one telegram, each looked up in the DLMS unit table once (a linear scan of
// strings; a telegram names a handful of units on dozens of lines), then found again by a key of
// its length and characters packed in one integer. It keeps no view of a telegram: one Units may
// serve every telegram a thread parses.
class Units {
 public:
  // A unit the DLMS unit table knows, or that with a 'k' (x 1000) in front; "" is no unit.
  std::optional<BaseUnit> find(std::string_view unit) noexcept;

 private:
  static constexpr std::size_t kRemembered = 8;
  struct Seen {
    std::uint64_t key = 0;  // the length, then each character, a byte each (find())
    std::optional<BaseUnit> base;
  };
  std::array<Seen, kRemembered> seen_{};
  std::size_t count_ = 0;  // entries in use
  std::size_t next_ = 0;   // the one replaced next once all are in use
};

// The P1 number rule, [-]digits[.digits] (the decimal point only between two digits, 1 to 18
// digits), read where a value starts: read_number() stops at the first character that is not
// part of it and says what it read. "012345.678" in unit {"Wh", 3} is 12345678, scaler 0, "Wh".
// Trivial: read_number() sets every field, so a NumberText a line is not zeroed first.
struct NumberText {
  std::uint64_t magnitude;  // the digits without the point
  std::uint8_t decimals;    // digits after the point
  bool negative;
  bool valid;  // the rule holds for the characters read
};
const char* read_number(const char* p, const char* end, NumberText& out) noexcept;
// A valid NumberText in `unit`: the digits as the integer, the scaler from the point and the unit.
Number to_number(const NumberText& n, BaseUnit unit) noexcept;

// YYMMDDhhmmssX (DSMR 5.0.2 clause 6.12, X = S summer / W winter), or, when `flag_optional`, the
// 12 digits alone (DSMR 2.2, no DST flag: the offset by the EU summer-time rule, none in the hour
// repeated in autumn, which the 12 digits cannot place).
enum class Stamp : std::uint8_t { not_a_stamp, ok, bad };
constexpr std::size_t kStampDigits = 12;
// The length rule of parse_timestamp(), inline: a text of another length is not a stamp (most
// groups are not: the parser asks this before the call).
constexpr bool stamp_length(std::size_t n, bool flag_optional) noexcept {
  return n == kStampDigits + 1 || (flag_optional && n == kStampDigits);
}
Stamp parse_timestamp(std::string_view s, bool flag_optional, const Zone& zone,
                      cosem::DateTime& out) noexcept;

// The OBIS code of a P1 line or reference: the reduced form A-B:C.D.E (F = 255) of DSMR, or the
// full form A-B:C.D.E*F of IEC 62056-21 meters. read_obis() reads it at `p` and returns where it
// stopped (nullptr when the text there is not that); parse_obis() wants the whole of `s`.
const char* read_obis(const char* p, const char* end, cosem::ObisCode& code) noexcept;
std::optional<cosem::ObisCode> parse_obis(std::string_view s) noexcept;

// Stores `s` in the telegram's text storage, decoded when it is hex-coded ASCII (DSMR 5.0.2
// equipment identifiers and text messages: an even number of hex digits whose bytes are all
// printable), as sent otherwise.
cosem::TextRef store_hex_text(cosem::Telegram& t, std::string_view s);

}  // namespace meterlab::p1::detail
