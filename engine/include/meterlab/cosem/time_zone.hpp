// The meter's time zone, for the UTC time of a telegram whose meter sends no deviation (0x8000)
// or one known to be wrong (a family's clock rule: layouts/README.md "clock").
//
// No tz database: GCC 12's libstdc++ has no std::chrono::locate_zone, and the C library's (TZ +
// localtime_r/mktime) is process-wide state, depends on the host's tzdata and is not safe from
// threads. The meters this engine reads are European, and every European zone has followed one
// rule since 1996 (Directive 2000/84/EC, and its 1996 predecessor): summer time from the last
// Sunday of March 01:00 UTC to the last Sunday of October 01:00 UTC, one hour ahead of the zone's
// standard offset. So a zone is its standard offset and the year it has followed that rule since;
// a local time before that year, in the hour skipped in spring or the hour repeated in autumn is
// not given a UTC time at all (never a guess).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "meterlab/cosem/obis.hpp"
#include "meterlab/cosem/telegram.hpp"

namespace meterlab::cosem {

struct TimeZone {
  std::string_view name;             // IANA name: "Europe/Oslo"
  std::int16_t standard_offset = 0;  // minutes east of Greenwich in winter: Oslo 60
  std::int16_t since = 1996;         // first year of the EU rule in this zone
};

// The zone of that IANA name; null when it is not one of the table's.
const TimeZone* find_time_zone(std::string_view name) noexcept;
// "Europe/Amsterdam, Europe/Athens, ..." (for error messages).
std::string time_zone_names();

// Local time minus UTC in minutes at the local time `local` (its date and time; its deviation
// and status are not read) in `zone`; none when the date or time is not specified, the year is
// before the zone's rule, or the local time does not exist or exists twice (the summer time
// changes).
std::optional<int> utc_offset(const TimeZone& zone, const DateTime& local) noexcept;

// The telegram's UTC time (timestamp_source, utc_deviation): the meter's deviation when it sends
// one and its family's is not known to be wrong, else from `given` (the user's zone) or, without
// one, the family's default zone; else none.
void resolve_clock(Telegram& t, const TimeZone* given) noexcept;
// The same for a stream of telegrams: the family zone found by name once per layout (`cache`
// holds the last name and its zone; the Decoder keeps one).
struct FamilyZoneCache {
  std::string_view name;
  const TimeZone* zone = nullptr;
};
void resolve_clock(Telegram& t, const TimeZone* given, FamilyZoneCache* cache) noexcept;

}  // namespace meterlab::cosem
