// The P1 parser's memory of the telegrams before (parser.cpp), and the text kind of a line's
// code that it keeps. Internal to the p1 layer.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "meterlab/cosem/obis.hpp"
#include "value.hpp"

namespace meterlab::p1::detail {

using cosem::ObisCode;

constexpr char kOpen = '(';   // IEC 62056-21 clause 6.4: front boundary of a data set's value
constexpr char kClose = ')';  // rear boundary

// DSMR 5.0.2 objects whose value is text: equipment identifiers and text messages are
// hex-coded (0-n:96.1.0, 0-0:96.1.1, 0-0:96.13.0, Smarty 0-0:42.0.0); versions are not, nor is
// the IEC 62056-21 device address (an identifier: its leading zeros are part of it).
enum class TextKind : std::uint8_t { number, hex, plain };

inline TextKind text_kind(const ObisCode& o) noexcept {
  const std::uint8_t c = o.v[2], d = o.v[3], e = o.v[4];
  if (c == 0 && d == 0 && e == 0) return TextKind::plain;   // 1-0:0.0.0 device address
  if (c == 0 && d == 2 && e == 8) return TextKind::plain;   // 1-3:0.2.8 P1 version
  if (c == 96 && d == 1 && e == 4) return TextKind::plain;  // 0-0:96.1.4 (Belgian) version
  if ((c == 96 && (d == 1 || d == 13)) || (c == 42 && d == 0)) return TextKind::hex;
  return TextKind::number;
}

// The OBIS codes of the lines of the telegrams before, by the line's place: a meter sends the
// same lines in the same order every time, so a line that begins with the text of the code at its
// place last time (up to the '(') has that code, name and text kind, found by comparing two 8-byte
// words instead of reading the code (10 instructions a character) and looking its name up again.
// A slot also keeps the unit of the line's number, once a line of one number with a unit was
// read there (learn_unit()). Kept per thread across telegrams, like the units (parser.cpp).
class LineCodes {
 public:
  struct Slot {
    std::uint64_t lo = 0, hi = 0, mask_lo = 0, mask_hi = 0;  // the text, and which bytes it has
    std::uint8_t length = 0;                                 // 0: nothing learnt
    ObisCode obis;
    std::string_view name;
    TextKind kind = TextKind::number;
    // The unit's characters and the ')' after them as the text has them, and which bytes they
    // are (unit_mask 0: none learnt): `unit_length` characters, then the ')'.
    std::uint64_t unit = 0, unit_mask = 0;
    std::uint8_t unit_length = 0;
    BaseUnit base;
  };
  // The slot of the object line at `line`, the `index`th of its telegram, if the line begins
  // with the code at that place last time and a '(' (at line + length), else nullptr.
  const Slot* match(std::size_t index, const char* line, const char* end) const noexcept {
    const Slot& s = slots_[index % kSlots];
    if (s.length == 0 || end - line <= static_cast<std::ptrdiff_t>(kText)) return nullptr;
    std::uint64_t lo, hi;
    std::memcpy(&lo, line, sizeof lo);
    std::memcpy(&hi, line + sizeof lo, sizeof hi);
    if ((lo & s.mask_lo) != s.lo || (hi & s.mask_hi) != s.hi || line[s.length] != kOpen) {
      return nullptr;
    }
    return &s;
  }
  // The unit at `unit` (n < 8 characters, then the ')'; eight characters readable there) of
  // the line at `index`, found as `base`.
  void learn_unit(std::size_t index, const char* unit, std::size_t n, BaseUnit base) noexcept {
    Slot& s = slots_[index % kSlots];
    std::memcpy(&s.unit, unit, sizeof s.unit);
    s.unit_mask =
        n + 1 == sizeof s.unit ? ~std::uint64_t{0} : (std::uint64_t{1} << (8 * (n + 1))) - 1;
    s.unit &= s.unit_mask;
    s.unit_length = static_cast<std::uint8_t>(n);
    s.base = base;
  }
  // The code read_obis() read at `line` (`length` characters, then the '(').
  void learn(std::size_t index, const char* line, const char* end, ObisCode obis,
             std::string_view name, TextKind kind) noexcept {
    const auto length = static_cast<std::size_t>(end - line);
    if (length >= kText) return;
    std::array<unsigned char, kText> text{}, mask{};
    std::memcpy(text.data(), line, length);
    std::memset(mask.data(), 0xFF, length);
    Slot& s = slots_[index % kSlots];
    std::memcpy(&s.lo, text.data(), sizeof s.lo);
    std::memcpy(&s.hi, text.data() + sizeof s.lo, sizeof s.hi);
    std::memcpy(&s.mask_lo, mask.data(), sizeof s.mask_lo);
    std::memcpy(&s.mask_hi, mask.data() + sizeof s.mask_lo, sizeof s.mask_hi);
    s.length = static_cast<std::uint8_t>(length);
    s.obis = obis;
    s.name = name;
    s.kind = kind;
    s.unit_mask = 0;
  }

 private:
  static constexpr std::size_t kSlots = 64;
  static constexpr std::size_t kText = 16;  // the two words; a code's text is shorter
  std::array<Slot, kSlots> slots_{};
};

}  // namespace meterlab::p1::detail
