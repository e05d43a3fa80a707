// Time zones by the EU summer-time rule (time_zone.hpp says why a rule and not a tz database).
#include "meterlab/cosem/time_zone.hpp"

#include <algorithm>
#include <array>

#include "calendar.hpp"

namespace meterlab::cosem {

namespace {

// European zones that have kept the EU rule since the year given (IANA tzdata: Riga kept
// standard time in 2000, Tallinn in 2000-2001, Vilnius in 2000-2002; Bucharest and Sofia took
// the EU dates in 1997). Sorted by name.
constexpr std::array<TimeZone, 29> kZones{{
    {"Europe/Amsterdam", 60, 1996},  {"Europe/Athens", 120, 1996},
    {"Europe/Belgrade", 60, 1996},   {"Europe/Berlin", 60, 1996},
    {"Europe/Bratislava", 60, 1996}, {"Europe/Brussels", 60, 1996},
    {"Europe/Bucharest", 120, 1997}, {"Europe/Budapest", 60, 1996},
    {"Europe/Copenhagen", 60, 1996}, {"Europe/Dublin", 0, 1996},
    {"Europe/Helsinki", 120, 1996},  {"Europe/Lisbon", 0, 1997},
    {"Europe/Ljubljana", 60, 1996},  {"Europe/London", 0, 1996},
    {"Europe/Luxembourg", 60, 1996}, {"Europe/Madrid", 60, 1996},
    {"Europe/Oslo", 60, 1996},       {"Europe/Paris", 60, 1996},
    {"Europe/Prague", 60, 1996},     {"Europe/Riga", 120, 2001},
    {"Europe/Rome", 60, 1996},       {"Europe/Sofia", 120, 1997},
    {"Europe/Stockholm", 60, 1996},  {"Europe/Tallinn", 120, 2002},
    {"Europe/Vienna", 60, 1996},     {"Europe/Vilnius", 120, 2003},
    {"Europe/Warsaw", 60, 1996},     {"Europe/Zagreb", 60, 1996},
    {"Europe/Zurich", 60, 1996},
}};

static_assert(std::is_sorted(kZones.begin(), kZones.end(),
                             [](const TimeZone& a, const TimeZone& b) { return a.name < b.name; }),
              "find_time_zone searches kZones by name");

constexpr long kMinutesPerDay = 1440;
constexpr long kSummerShift = 60;   // summer time is one hour ahead
constexpr long kChangeMinute = 60;  // both changes at 01:00 UTC

// Minutes since 1970-01-01 00:00 UTC of 01:00 UTC on the last Sunday of month `m` (March,
// October: 31 days) of year `y`. 1970-01-01 was a Thursday: day z is weekday (z + 4) % 7, 0 =
// Sunday.
long last_sunday_change(long y, long m) noexcept {
  const long last = detail::days_from_civil(y, m, 31);
  return (last - (last + 4) % 7) * kMinutesPerDay + kChangeMinute;
}

}  // namespace

const TimeZone* find_time_zone(std::string_view name) noexcept {
  // kZones is sorted by name: a family's zone is found on every telegram, so a binary search.
  const auto* z =
      std::lower_bound(kZones.begin(), kZones.end(), name,
                       [](const TimeZone& a, std::string_view b) { return a.name < b; });
  return z != kZones.end() && z->name == name ? z : nullptr;
}

std::string time_zone_names() {
  std::string out;
  for (const TimeZone& z : kZones) {
    if (!out.empty()) out += ", ";
    out += z.name;
  }
  return out;
}

// Each of the two offsets the zone has is tried: the local time is that offset's when the UTC
// instant it gives is in that offset's season. Exactly one fits, except in the two changes.
std::optional<int> utc_offset(const TimeZone& zone, const DateTime& local) noexcept {
  if (!local.has_date() || !local.has_time() || local.year < zone.since) return std::nullopt;
  const long minutes =
      detail::days_from_civil(local.year, local.month, local.day) * kMinutesPerDay +
      local.hour * 60L + local.minute;
  // The year of the local date stands for the UTC instant's: no change is near New Year.
  const long spring = last_sunday_change(local.year, 3),
             autumn = last_sunday_change(local.year, 10);
  std::optional<int> found;
  int fits = 0;
  for (const bool summer : {false, true}) {
    const long offset = zone.standard_offset + (summer ? kSummerShift : 0);
    const long utc = minutes - offset;
    if ((utc >= spring && utc < autumn) != summer) continue;
    found = static_cast<int>(offset);
    ++fits;
  }
  if (fits != 1) return std::nullopt;
  return found;
}

void resolve_clock(Telegram& t, const TimeZone* given) noexcept {
  resolve_clock(t, given ? given : find_time_zone(t.family_zone), nullptr);
}

void resolve_clock(Telegram& t, const TimeZone* given, FamilyZoneCache* cache) noexcept {
  t.timestamp_source = ClockSource::none;
  t.utc_deviation = 0;
  if (!t.timestamp || !t.timestamp->has_date() || !t.timestamp->has_time()) return;
  if (t.timestamp->deviation && !t.deviation_unreliable) {
    t.timestamp_source = ClockSource::meter;
    t.utc_deviation = static_cast<std::int16_t>(*t.timestamp->deviation);
    return;
  }
  const TimeZone* zone = given;
  if (!zone && cache) {
    // The family's zone name is the layout's static text: the same pointer, the same zone.
    if (cache->name.data() != t.family_zone.data() || cache->name.size() != t.family_zone.size())
      *cache = {t.family_zone, find_time_zone(t.family_zone)};
    zone = cache->zone;
  }
  if (!zone) return;
  const std::optional<int> offset = utc_offset(*zone, *t.timestamp);
  if (!offset) return;
  t.timestamp_source = ClockSource::zone;
  t.utc_deviation = static_cast<std::int16_t>(-*offset);  // DLMS sign: UTC = local + deviation
}

}  // namespace meterlab::cosem
