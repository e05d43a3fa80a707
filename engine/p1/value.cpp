// P1 value groups (value.hpp).
#include "value.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>

#include "meterlab/core/hex.hpp"
#include "meterlab/cosem/time_zone.hpp"

namespace meterlab::p1::detail {
namespace {

constexpr std::size_t kMaxDigits = 18;  // below 2^63: an int64 holds every such number
constexpr std::int8_t kKilo = 3;        // the 'k' prefix of kWh, kW, kvarh, kvar
constexpr char kSummer = 'S';           // DSMR 5.0.2 clause 6.12: DST active
constexpr char kWinter = 'W';
constexpr std::uint8_t kDstBit = 0x80;     // COSEM clock status: daylight saving active
constexpr std::int16_t kRuleSince = 2000;  // a P1 stamp's year is 20YY: the EU rule held then
constexpr std::uint8_t kFieldF = 255;      // IEC 62056-61: F not used

bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

// hex_nibble() of every byte, as a table: one load a hex digit instead of three range tests.
constexpr std::array<std::int8_t, 256> kNibble = [] {
  std::array<std::int8_t, 256> t{};
  for (std::size_t c = 0; c < t.size(); ++c) {
    t[c] = static_cast<std::int8_t>(hex_nibble(static_cast<char>(c)));
  }
  return t;
}();

// The unit as the DLMS unit table spells it (the one table of units), with a 'k' prefix read as
// x 1000 when the table does not know the whole symbol.
std::optional<BaseUnit> base_unit(std::string_view unit) noexcept {
  if (unit.empty()) return BaseUnit{};
  if (auto code = cosem::unit_code(unit)) return BaseUnit{cosem::unit_symbol(*code), 0};
  if (unit.size() > 1 && unit.front() == 'k') {
    if (auto code = cosem::unit_code(unit.substr(1))) {
      return BaseUnit{cosem::unit_symbol(*code), kKilo};
    }
  }
  return std::nullopt;
}

// Two decimal digits at s[at], as a number.
int two_digits(std::string_view s, std::size_t at) noexcept {
  return (s[at] - '0') * 10 + (s[at + 1] - '0');
}

bool fields_valid(const cosem::DateTime& d) noexcept {
  return d.month >= 1 && d.month <= 12 && d.day >= 1 && d.day <= 31 && d.hour <= 23 &&
         d.minute <= 59 && d.second <= 59;
}

constexpr char kFieldSeparatorF = '*';

// One value group's digits at `p`: past them, nullptr when there are none or they pass 255 (more
// digits never make a group smaller, so it stops there).
const char* read_group(const char* p, const char* end, std::uint8_t& out) noexcept {
  constexpr unsigned kMax = 255;
  const char* const start = p;
  unsigned v = 0;
  for (unsigned d; p != end && (d = static_cast<unsigned char>(*p) - unsigned{'0'}) <= 9; ++p) {
    v = v * 10 + d;
    if (v > kMax) return nullptr;
  }
  if (p == start) return nullptr;
  out = static_cast<std::uint8_t>(v);
  return p;
}

// The decimal digits at `p`, one multiply-add each, appended to `v` (v x 10 + digit, modulo
// 2^64): past them.
const char* read_digits(const char* p, const char* end, std::uint64_t& v) noexcept {
  for (unsigned d; p != end && (d = static_cast<unsigned char>(*p) - unsigned{'0'}) <= 9; ++p) {
    v = v * 10 + d;
  }
  return p;
}

constexpr std::uint64_t kEachByte = 0x0101010101010101;
constexpr std::size_t kWord = sizeof(std::uint64_t);

// Eight digit values (0..9) a byte, the first digit in the lowest byte (a little-endian load
// of the text), as one number: pairs, then fours, then the eight, each step one multiply
// (x (10 x 2^8 + 1) puts 10 a + b in the upper byte of each pair, and so on).
std::uint64_t eight_digits(std::uint64_t x) noexcept {
  x = (x * (10 * 256 + 1)) >> 8;
  x = ((x & 0x00FF00FF00FF00FF) * (100 * 65536 + 1)) >> 16;
  return ((x & 0x0000FFFF0000FFFF) * (10000 * (std::uint64_t{1} << 32) + 1)) >> 32;
}

constexpr std::uint64_t kPow10[] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000};

// The digits at the front of the eight characters at `p`, read with one load: how many (8 when
// all are), and their value. x = c ^ '0' is the digit of a digit c and over 9 for any other
// character (no borrow from byte to byte, as c - '0' would have); a byte stops the run when x
// or x + 0x76 has its top bit. Bytes after the first stop may be wrong (a carry): not used.
struct DigitRun {
  std::size_t count;
  std::uint64_t value;
};
DigitRun digit_run(const char* p) noexcept {
  static_assert(std::endian::native == std::endian::little, "the first character is the low byte");
  std::uint64_t w;
  std::memcpy(&w, p, kWord);
  const std::uint64_t x = w ^ ('0' * kEachByte);
  const std::uint64_t stops = (x | (x + 0x76 * kEachByte)) & (0x80 * kEachByte);
  const std::size_t n = stops == 0 ? kWord : static_cast<std::size_t>(std::countr_zero(stops)) / 8;
  return {n, n == 0 ? 0 : eight_digits(x << (8 * (kWord - n)))};  // leading zeros in front
}

// read_number() by digit runs where the text there is long enough to load them: digits (8 a
// run), then a point and 1 to 7 digits, or not. Past the number, nullptr when the text is not
// that (the loop of read_number() reads it then): read_number() gives the same with or without
// this (p1_test checks).
const char* read_number_by_words(const char* p, const char* end, NumberText& out) noexcept {
  if (static_cast<std::size_t>(end - p) < 2 * kWord) return nullptr;
  DigitRun whole = digit_run(p);
  for (DigitRun more = whole; more.count == kWord; whole.count += more.count) {
    if (static_cast<std::size_t>(end - (p + whole.count)) < kWord) return nullptr;
    more = digit_run(p + whole.count);
    whole.value = whole.value * kPow10[more.count] + more.value;  // modulo 2^64, as the loop
  }
  p += whole.count;
  if (whole.count == 0 || *p != '.') {
    out.magnitude = whole.value;
    out.valid = whole.count > 0 && whole.count <= kMaxDigits;
    return p;
  }
  if (static_cast<std::size_t>(end - ++p) < kWord) return nullptr;
  const DigitRun fraction = digit_run(p);
  if (fraction.count == 0 || fraction.count == kWord) return nullptr;
  out.magnitude = whole.value * kPow10[fraction.count] + fraction.value;
  out.decimals = static_cast<std::uint8_t>(fraction.count);
  out.valid = whole.count + fraction.count <= kMaxDigits;
  return p + fraction.count;
}

}  // namespace

std::optional<BaseUnit> Units::find(std::string_view unit) noexcept {
  if (unit.size() >= sizeof(std::uint64_t)) return base_unit(unit);  // no unit is that long
  std::uint64_t key = unit.size();  // the length, then the characters: one key per text
  for (const char c : unit) key = (key << 8) | static_cast<std::uint8_t>(c);
  for (std::size_t i = 0; i < count_; ++i) {
    if (seen_[i].key == key) return seen_[i].base;
  }
  const std::optional<BaseUnit> base = base_unit(unit);
  seen_[next_] = Seen{key, base};
  next_ = (next_ + 1) % kRemembered;
  count_ = std::min(count_ + 1, kRemembered);
  return base;
}

// A digit count past kMaxDigits only makes the number invalid (the magnitude wraps then,
// unsigned, and is not used).
const char* read_number(const char* p, const char* end, NumberText& out) noexcept {
  out = NumberText{};
  out.negative = p != end && *p == '-';
  p += out.negative ? 1 : 0;
  if (const char* const stop = read_number_by_words(p, end, out)) return stop;
  std::uint64_t v = 0;
  const char* const first = p;
  p = read_digits(p, end, v);
  std::size_t digits = static_cast<std::size_t>(p - first);
  bool point_ok = true;
  if (digits > 0 && p != end && *p == '.') {
    const char* const fraction = ++p;
    p = read_digits(p, end, v);
    const auto decimals = static_cast<std::size_t>(p - fraction);
    point_ok = decimals > 0;
    digits += decimals;
    out.decimals = static_cast<std::uint8_t>(std::min(decimals, kMaxDigits + 1));
  }
  out.magnitude = v;
  out.valid = point_ok && digits >= 1 && digits <= kMaxDigits;
  return p;
}

Number to_number(const NumberText& n, BaseUnit unit) noexcept {
  const auto raw = static_cast<std::int64_t>(n.magnitude);  // below 10^18: no wrap
  Number out;
  out.raw = n.negative ? -raw : raw;
  out.scaler = static_cast<std::int8_t>(unit.scale - static_cast<std::int8_t>(n.decimals));
  out.unit = unit.symbol;
  return out;
}

Stamp parse_timestamp(std::string_view s, bool flag_optional, const Zone& zone,
                      cosem::DateTime& out) noexcept {
  if (!stamp_length(s.size(), flag_optional)) return Stamp::not_a_stamp;
  const bool flagged = s.size() == kStampDigits + 1;
  if (!std::all_of(s.begin(), s.begin() + kStampDigits, is_digit)) return Stamp::not_a_stamp;
  if (flagged && s.back() != kSummer && s.back() != kWinter) return Stamp::not_a_stamp;
  out = cosem::DateTime{};
  out.year = 2000 + two_digits(s, 0);
  out.month = two_digits(s, 2);
  out.day = two_digits(s, 4);
  out.hour = two_digits(s, 6);
  out.minute = two_digits(s, 8);
  out.second = two_digits(s, 10);
  if (!fields_valid(out)) return Stamp::bad;
  bool summer = s.back() == kSummer;
  if (!flagged) {
    // DSMR 2.2 sends no flag: summer or winter by the EU rule of the zone's standard offset
    // (cosem/time_zone.hpp); no offset in the hour that the clock shows twice in autumn.
    const cosem::TimeZone rule{{}, static_cast<std::int16_t>(zone.winter_minutes), kRuleSince};
    const std::optional<int> offset = cosem::utc_offset(rule, out);
    if (!offset) return Stamp::ok;
    summer = *offset != zone.winter_minutes;
  }
  // DLMS sign: UTC = local + deviation, so local time east of Greenwich has a negative one.
  out.deviation = -(summer ? zone.summer_minutes : zone.winter_minutes);
  out.status = summer ? kDstBit : 0;
  out.status_known = true;
  return Stamp::ok;
}

// ObisCode::parse's dash form without F, read in place: this runs once a line and once a buffer
// reference, and the general parse wants a copy with ".255" appended. p1_test checks that the
// two agree. A group is any number of decimal digits 0..255, as ObisCode::parse reads them.
const char* read_obis(const char* p, const char* end, cosem::ObisCode& code) noexcept {
  static constexpr char kSeparators[] = {'-', ':', '.', '.'};
  code.v[5] = kFieldF;
  for (std::size_t i = 0; i < 5; ++i) {
    p = read_group(p, end, code.v[i]);
    if (p == nullptr) return nullptr;
    if (i == 4) break;
    if (p == end || *p != kSeparators[i]) return nullptr;
    ++p;
  }
  // The full form A-B:C.D.E*F (IEC 62056-61), as German IEC 62056-21 meters (EasyMeter) send it.
  if (p == end || *p != kFieldSeparatorF) return p;
  return read_group(p + 1, end, code.v[5]);
}

std::optional<cosem::ObisCode> parse_obis(std::string_view s) noexcept {
  cosem::ObisCode code;
  const char* const end = s.data() + s.size();
  const char* const stop = read_obis(s.data(), end, code);
  if (stop == nullptr || stop != end) return std::nullopt;
  return code;
}

// Decoded as it is checked, in one pass: a text that turns out not to be hex is stored again as
// sent (the storage keeps its capacity either way).
cosem::TextRef store_hex_text(cosem::Telegram& t, std::string_view s) {
  if (s.empty() || s.size() % 2 != 0) return t.store(s);
  const std::size_t at = t.text_storage.size();
  t.text_storage.resize(at + s.size() / 2);
  char* out = t.text_storage.data() + at;
  for (std::size_t i = 0; i < s.size(); i += 2) {
    const int hi = kNibble[static_cast<std::uint8_t>(s[i])];
    const int lo = kNibble[static_cast<std::uint8_t>(s[i + 1])];
    const int c = hi * 16 + lo;
    if (hi < 0 || lo < 0 || c < 0x20 || c > 0x7E) {
      t.text_storage.resize(at);
      return t.store(s);
    }
    *out++ = static_cast<char>(c);
  }
  return cosem::TextRef{static_cast<std::uint32_t>(at), static_cast<std::uint32_t>(s.size() / 2)};
}

}  // namespace meterlab::p1::detail
