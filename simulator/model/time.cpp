// Virtual time: civil-date arithmetic and the EU summer-time rule, computed here rather than
// through <chrono> zones or localtime/mktime, which read the host's TZ database and would make
// the simulator's output depend on the machine it runs on.
#include "meterlab/sim/time.hpp"

#include <array>
#include <cstdio>

namespace meterlab::sim {
namespace {

constexpr int kCetOffsetMin = 60;    // CET = UTC+01:00
constexpr int kCestOffsetMin = 120;  // CEST = UTC+02:00

// Floor division and modulo, so that instants before 1970 land on the right day.
constexpr std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}
constexpr std::int64_t floor_mod(std::int64_t a, std::int64_t b) { return a - floor_div(a, b) * b; }

bool is_leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int days_in_month(int y, int m) {
  static constexpr int kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return (m == 2 && is_leap(y)) ? 29 : kDays[m - 1];
}

// Directive 2000/84/EC: summer time starts and ends at 01:00 UTC on the last Sunday of March
// and of October. Both months have 31 days, so the last Sunday is the 31st stepped back to Sunday.
SimTime last_sunday_0100_utc(int year, int month) {
  std::int64_t d31 = days_from_civil(year, month, 31);
  std::int64_t sunday = d31 - (weekday_from_days(d31) % 7);
  return sunday * kDayMs + kHourMs;
}

// Reads exactly `n` decimal digits at `pos`; advances pos.
std::optional<int> read_digits(std::string_view s, std::size_t& pos, std::size_t n) {
  if (n > s.size() - pos) return std::nullopt;
  int v = 0;
  for (std::size_t i = 0; i < n; ++i) {
    char c = s[pos + i];
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  pos += n;
  return v;
}

bool take(std::string_view s, std::size_t& pos, char c) {
  if (pos < s.size() && s[pos] == c) {
    ++pos;
    return true;
  }
  return false;
}

struct ParsedClock {
  int hour = 0, minute = 0, second = 0, millis = 0;
};

// "HH:MM[:SS[.f{1,3}]]"
std::optional<ParsedClock> parse_clock(std::string_view s, std::size_t& pos) {
  ParsedClock c;
  auto h = read_digits(s, pos, 2);
  if (!h || !take(s, pos, ':')) return std::nullopt;
  auto m = read_digits(s, pos, 2);
  if (!m) return std::nullopt;
  c.hour = *h;
  c.minute = *m;
  if (take(s, pos, ':')) {
    auto sec = read_digits(s, pos, 2);
    if (!sec) return std::nullopt;
    c.second = *sec;
    if (take(s, pos, '.')) {
      int scale = 100, digits = 0;
      while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
        if (++digits > 3) return std::nullopt;
        c.millis += (s[pos++] - '0') * scale;
        scale /= 10;
      }
      if (digits == 0) return std::nullopt;
    }
  }
  if (c.hour > 23 || c.minute > 59 || c.second > 59) return std::nullopt;
  return c;
}

// "Z" -> 0, "+HH:MM" / "-HH:MM" -> minutes east of UTC; nothing -> nullopt with ok = true.
std::optional<int> parse_offset(std::string_view s, std::size_t& pos, bool& ok) {
  ok = true;
  if (take(s, pos, 'Z')) return 0;
  int sign = 0;
  if (take(s, pos, '+'))
    sign = 1;
  else if (take(s, pos, '-'))
    sign = -1;
  else
    return std::nullopt;
  auto hh = read_digits(s, pos, 2);
  std::optional<int> mm;
  if (hh && take(s, pos, ':')) mm = read_digits(s, pos, 2);
  if (!hh || !mm || *hh > 23 || *mm > 59) {
    ok = false;
    return std::nullopt;
  }
  return sign * (*hh * 60 + *mm);
}

SimTime civil_ms(std::int64_t days, const ParsedClock& c) {
  return days * kDayMs + c.hour * kHourMs + c.minute * kMinuteMs + c.second * kSecondMs + c.millis;
}

}  // namespace

constexpr std::array<std::pair<std::string_view, Zone>, 7> kZones{{
    {"UTC", Zone::utc},
    {"Europe/Oslo", Zone::europe_oslo},
    {"Europe/Vienna", Zone::europe_vienna},
    {"Europe/Amsterdam", Zone::europe_amsterdam},
    {"Europe/Brussels", Zone::europe_brussels},
    {"Europe/Luxembourg", Zone::europe_luxembourg},
    {"Europe/Stockholm", Zone::europe_stockholm},
}};

std::optional<Zone> parse_zone(std::string_view name) {
  for (const auto& [n, z] : kZones)
    if (n == name) return z;
  return std::nullopt;
}

std::string_view zone_name(Zone z) {
  for (const auto& [n, v] : kZones)
    if (v == z) return n;
  return "UTC";
}

// Days from 1970-01-01 by counting in 400-year eras (146097 days each) of years that start on
// 1 March, so the leap day is the last day of its year.
std::int64_t days_from_civil(int year, int month, int day) {
  const std::int64_t y = year - (month <= 2 ? 1 : 0);
  const std::int64_t era = floor_div(y, 400);
  const std::int64_t year_of_era = y - era * 400;          // 0..399
  const std::int64_t month_from_march = (month + 9) % 12;  // March = 0
  const std::int64_t day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
  const std::int64_t day_of_era =
      year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146097 + day_of_era - 719468;  // 719468 days from 0000-03-01 to 1970-01-01
}

CivilDate civil_from_days(std::int64_t days) {
  const std::int64_t z = days + 719468;
  const std::int64_t era = floor_div(z, 146097);
  const std::int64_t day_of_era = z - era * 146097;
  const std::int64_t year_of_era =
      (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
  const std::int64_t day_of_year =
      day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  const std::int64_t mp = (5 * day_of_year + 2) / 153;  // March = 0
  CivilDate d;
  d.day = static_cast<int>(day_of_year - (153 * mp + 2) / 5 + 1);
  d.month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  d.year = static_cast<int>(year_of_era + era * 400 + (d.month <= 2 ? 1 : 0));
  return d;
}

int weekday_from_days(std::int64_t days) {
  return static_cast<int>(floor_mod(days + 3, 7)) + 1;  // 1970-01-01 was a Thursday (4)
}

bool valid_civil_date(int year, int month, int day) {
  return year >= 1 && year <= 9999 && month >= 1 && month <= 12 && day >= 1 &&
         day <= days_in_month(year, month);
}

bool eu_summer_time(SimTime t) {
  const int year = civil_from_days(floor_div(t, kDayMs)).year;
  return t >= last_sunday_0100_utc(year, 3) && t < last_sunday_0100_utc(year, 10);
}

LocalTime to_local(SimTime t, Zone z) {
  LocalTime lt;
  if (z != Zone::utc) {
    lt.dst = eu_summer_time(t);
    lt.utc_offset_min = lt.dst ? kCestOffsetMin : kCetOffsetMin;
  }
  const SimTime local = t + lt.utc_offset_min * kMinuteMs;
  const std::int64_t days = floor_div(local, kDayMs);
  const std::int64_t ms = local - days * kDayMs;
  const CivilDate d = civil_from_days(days);
  lt.year = d.year;
  lt.month = d.month;
  lt.day = d.day;
  lt.hour = static_cast<int>(ms / kHourMs);
  lt.minute = static_cast<int>(ms / kMinuteMs % 60);
  lt.second = static_cast<int>(ms / kSecondMs % 60);
  lt.millis = static_cast<int>(ms % kSecondMs);
  lt.weekday = weekday_from_days(days);
  return lt;
}

SimTime from_local(int year, int month, int day, int hour, int minute, int second, int millis,
                   Zone z) {
  const SimTime civil = days_from_civil(year, month, day) * kDayMs + hour * kHourMs +
                        minute * kMinuteMs + second * kSecondMs + millis;
  if (z == Zone::utc) return civil;
  const SimTime as_cest = civil - kCestOffsetMin * kMinuteMs;
  const SimTime as_cet = civil - kCetOffsetMin * kMinuteMs;
  // A reading is valid when the rule gives that offset at that instant. In the October hour both
  // are (the earlier wins), in the March gap neither is (the earlier is taken as well).
  const bool cest_valid = eu_summer_time(as_cest);
  const bool cet_valid = !eu_summer_time(as_cet);
  return (cest_valid || !cet_valid) ? as_cest : as_cet;
}

std::optional<SimTime> parse_iso(std::string_view text, Zone z) {
  std::size_t pos = 0;
  auto year = read_digits(text, pos, 4);
  if (!year || !take(text, pos, '-')) return std::nullopt;
  auto month = read_digits(text, pos, 2);
  if (!month || !take(text, pos, '-')) return std::nullopt;
  auto day = read_digits(text, pos, 2);
  if (!day || !valid_civil_date(*year, *month, *day)) return std::nullopt;
  ParsedClock clock;
  if (take(text, pos, 'T') || take(text, pos, ' ')) {
    auto c = parse_clock(text, pos);
    if (!c) return std::nullopt;
    clock = *c;
  }
  bool offset_ok = true;
  const std::optional<int> offset = parse_offset(text, pos, offset_ok);
  if (!offset_ok || pos != text.size()) return std::nullopt;
  if (offset) return civil_ms(days_from_civil(*year, *month, *day), clock) - *offset * kMinuteMs;
  return from_local(*year, *month, *day, clock.hour, clock.minute, clock.second, clock.millis, z);
}

std::string format_iso(SimTime t, Zone z) {
  const LocalTime lt = to_local(t, z);
  char buf[64];
  int n = std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d", lt.year, lt.month, lt.day,
                        lt.hour, lt.minute, lt.second);
  std::string out(buf, static_cast<std::size_t>(n));
  if (lt.millis != 0) {
    n = std::snprintf(buf, sizeof buf, ".%03d", lt.millis);
    out.append(buf, static_cast<std::size_t>(n));
  }
  if (z == Zone::utc) return out + "Z";
  n = std::snprintf(buf, sizeof buf, "+%02d:%02d", lt.utc_offset_min / 60, lt.utc_offset_min % 60);
  return out.append(buf, static_cast<std::size_t>(n));
}

namespace {

// Units in the order they must appear, largest first.
struct DurationUnit {
  std::string_view name;
  Duration ms;
};
constexpr DurationUnit kUnits[] = {
    {"d", kDayMs}, {"h", kHourMs}, {"m", kMinuteMs}, {"s", kSecondMs}, {"ms", 1}};
constexpr std::size_t kNoUnit = sizeof kUnits / sizeof kUnits[0];

// The unit at `pos` ("ms" before "m"), or kNoUnit.
std::size_t read_unit(std::string_view s, std::size_t& pos) {
  if (s.substr(pos, 2) == "ms") {
    pos += 2;
    return 4;
  }
  for (std::size_t i = 0; i < 4; ++i) {
    if (s.substr(pos, 1) == kUnits[i].name) {
      ++pos;
      return i;
    }
  }
  return kNoUnit;
}

// "123" or "1.25": the digits as one integer and the count of fraction digits.
bool read_number(std::string_view s, std::size_t& pos, std::int64_t& mantissa, int& frac_digits) {
  mantissa = 0;
  frac_digits = 0;
  int int_digits = 0;
  bool in_fraction = false;
  for (; pos < s.size(); ++pos) {
    const char c = s[pos];
    if (c == '.' && !in_fraction && int_digits > 0) {
      in_fraction = true;
      continue;
    }
    if (c < '0' || c > '9') break;
    if (mantissa > (INT64_MAX - 9) / 10) return false;
    mantissa = mantissa * 10 + (c - '0');
    (in_fraction ? frac_digits : int_digits)++;
  }
  if (in_fraction && frac_digits == 0) return false;  // "2.s"
  return int_digits > 0 && frac_digits <= 9;
}

}  // namespace

std::optional<Duration> parse_duration(std::string_view text) {
  std::size_t pos = 0;
  std::size_t last_unit = 0;  // units must strictly decrease: "1h30m", not "30m1h"
  bool any = false;
  Duration total = 0;
  while (pos < text.size()) {
    std::int64_t mantissa = 0;
    int frac_digits = 0;
    if (!read_number(text, pos, mantissa, frac_digits)) return std::nullopt;
    const std::size_t unit = read_unit(text, pos);
    if (unit == kNoUnit || (any && unit <= last_unit)) return std::nullopt;
    std::int64_t scaled = 0, divisor = 1;
    for (int i = 0; i < frac_digits; ++i) divisor *= 10;
    if (__builtin_mul_overflow(mantissa, kUnits[unit].ms, &scaled)) return std::nullopt;
    if (scaled % divisor != 0) return std::nullopt;  // not a whole number of milliseconds
    if (__builtin_add_overflow(total, scaled / divisor, &total)) return std::nullopt;
    last_unit = unit;
    any = true;
  }
  if (!any) return std::nullopt;
  return total;
}

}  // namespace meterlab::sim
