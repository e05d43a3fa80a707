// Virtual time for the simulator: milliseconds since the Unix epoch (UTC), civil-time conversion
// and the EU summer-time rule (last Sunday of March 01:00 UTC to last Sunday of October 01:00 UTC,
// Directive 2000/84/EC). Nothing here reads the wall clock.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace meterlab::sim {

using SimTime = std::int64_t;   // ms since 1970-01-01T00:00:00Z
using Duration = std::int64_t;  // ms

// The meter is without power over [from, to) (a power failure).
struct Outage {
  SimTime from = 0, to = 0;
};

// All but UTC are CET/CEST; the P1 countries' zones are named as their meters' clocks are.
enum class Zone : std::uint8_t {
  utc,
  europe_oslo,
  europe_vienna,
  europe_amsterdam,
  europe_brussels,
  europe_luxembourg,
  europe_stockholm,
};

std::optional<Zone> parse_zone(std::string_view name);  // "UTC", "Europe/Oslo", ...
std::string_view zone_name(Zone z);

struct LocalTime {
  int year = 1970, month = 1, day = 1;  // civil date
  int hour = 0, minute = 0, second = 0, millis = 0;
  int weekday = 4;         // ISO: 1 = Monday .. 7 = Sunday (as DLMS sends it)
  int utc_offset_min = 0;  // local - UTC: +60 CET, +120 CEST
  bool dst = false;
};

LocalTime to_local(SimTime t, Zone z);
// true while EU summer time is in force at UTC instant t (only for the CET zones).
bool eu_summer_time(SimTime t);

// "2026-03-29T00:00:00Z", "2026-03-29T00:00:00+01:00", or without an offset: local time in `z`
// (a local time that does not exist or is ambiguous takes the earlier UTC instant of its two
// readings, +02:00 and +01:00: "2026-03-29T02:30" -> 00:30Z, "2026-10-25T02:30" -> 00:30Z).
// Also accepted: a space for 'T', no seconds ("T06:00"), a date alone (local midnight), and
// 1 to 3 digits of fraction. Rejected: anything else, out-of-range fields, 24:00, leap seconds.
std::optional<SimTime> parse_iso(std::string_view text, Zone z);
// "2026-03-29T03:00:00+02:00" (millis shown as ".250" only when non-zero; UTC as "Z" in utc zone).
std::string format_iso(SimTime t, Zone z);

// "6h", "90m", "30s", "1d", "1h30m", "2500ms", "2.5s"; no sign, at least one unit.
std::optional<Duration> parse_duration(std::string_view text);

// Days since epoch <-> civil date (proleptic Gregorian), exact for years 1..9999.
std::int64_t days_from_civil(int year, int month, int day);

struct CivilDate {
  int year = 1970, month = 1, day = 1;
};
CivilDate civil_from_days(std::int64_t days);
int weekday_from_days(std::int64_t days);  // ISO: 1 = Monday .. 7 = Sunday
bool valid_civil_date(int year, int month, int day);

// The UTC instant of a local civil time in `z`, with parse_iso's rule for times that do not
// exist or repeat (the earlier of the +02:00 and +01:00 readings).
SimTime from_local(int year, int month, int day, int hour, int minute, int second, int millis,
                   Zone z);

inline constexpr Duration kSecondMs = 1'000;
inline constexpr Duration kMinuteMs = 60 * kSecondMs;
inline constexpr Duration kHourMs = 60 * kMinuteMs;
inline constexpr Duration kDayMs = 24 * kHourMs;

}  // namespace meterlab::sim
