// Civil dates as day numbers (proleptic Gregorian, days since 1970-01-01), H. Hinnant's
// days_from_civil / civil_from_days: the one conversion the clocks (date_time.cpp) and the time
// zones (time_zone.cpp) use. Internal to the cosem layer.
#pragma once

namespace meterlab::cosem::detail {

inline long days_from_civil(long y, long m, long d) noexcept {
  y -= m <= 2 ? 1 : 0;
  const long era = (y >= 0 ? y : y - 399) / 400;
  const long yoe = y - era * 400;
  const long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

inline void civil_from_days(long z, long& y, long& m, long& d) noexcept {
  z += 719468;
  const long era = (z >= 0 ? z : z - 146096) / 146097;
  const long doe = z - era * 146097;
  const long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const long mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y = yoe + era * 400 + (m <= 2 ? 1 : 0);
}

// Floor division of minutes into days (negative minutes round down).
inline long floor_days(long minutes) noexcept {
  return minutes >= 0 ? minutes / 1440 : -((-minutes + 1439) / 1440);
}

}  // namespace meterlab::cosem::detail
