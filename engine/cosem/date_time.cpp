// COSEM date-time, date and time (DLMS Blue Book 4.1.6.1 "Date and time formats"): 0xFF / 0xFFFF
// mean "not specified"; deviation 0x8000 means "not specified"; clock status bit 7 = DST.
#include <cstdio>

#include "meterlab/cosem/obis.hpp"

namespace meterlab::cosem {

namespace {

constexpr std::uint8_t kNotSpecified = 0xFF;
constexpr std::uint16_t kYearNotSpecified = 0xFFFF;
constexpr std::uint16_t kDeviationNotSpecified = 0x8000;
constexpr int kMaxDeviation = 720;  // Blue Book: -720..720 minutes
// Month 0xFD = DST end, 0xFE = DST begin; day 0xFD = second last, 0xFE = last day of the month.
constexpr std::uint8_t kSpecialLow = 0xFD;

// A field in [lo, hi] or "not specified" (0xFF, or 0xFD/0xFE where `specials` allows them).
Result<int> field(std::uint8_t raw, int lo, int hi, bool specials, std::size_t offset) {
  if (raw == kNotSpecified || (specials && raw >= kSpecialLow)) return -1;
  if (raw < lo || raw > hi) return fail(Errc::cosem_bad_date_time, offset);
  return int{raw};
}

Result<void> read_date(ByteReader& r, DateTime& dt) {
  std::size_t at = r.offset();
  MLAB_ASSIGN(std::uint16_t year, r.read_u16be());
  dt.year = (year == kYearNotSpecified) ? -1 : int{year};
  MLAB_ASSIGN(std::uint8_t month, r.read_u8());
  MLAB_ASSIGN(dt.month, field(month, 1, 12, true, at + 2));
  MLAB_ASSIGN(std::uint8_t day, r.read_u8());
  MLAB_ASSIGN(dt.day, field(day, 1, 31, true, at + 3));
  MLAB_ASSIGN(std::uint8_t weekday, r.read_u8());
  MLAB_ASSIGN(dt.weekday, field(weekday, 1, 7, false, at + 4));
  return {};
}

Result<void> read_time(ByteReader& r, DateTime& dt) {
  std::size_t at = r.offset();
  MLAB_ASSIGN(auto b, r.read_bytes(4));
  MLAB_ASSIGN(dt.hour, field(b[0], 0, 23, false, at));
  MLAB_ASSIGN(dt.minute, field(b[1], 0, 59, false, at + 1));
  MLAB_ASSIGN(dt.second, field(b[2], 0, 59, false, at + 2));
  MLAB_ASSIGN(dt.hundredths, field(b[3], 0, 99, false, at + 3));
  return {};
}

Result<void> read_deviation_and_status(ByteReader& r, DateTime& dt) {
  std::size_t at = r.offset();
  MLAB_ASSIGN(std::uint16_t raw, r.read_u16be());
  if (raw != kDeviationNotSpecified) {
    int deviation = static_cast<std::int16_t>(raw);
    if (deviation < -kMaxDeviation || deviation > kMaxDeviation) {
      return fail(Errc::cosem_bad_date_time, at);
    }
    dt.deviation = deviation;
  }
  MLAB_ASSIGN(dt.status, r.read_u8());
  dt.status_known = (dt.status != kNotSpecified);
  return {};
}

Result<void> expect_size(Bytes b, std::size_t n, std::size_t offset) {
  if (b.size() != n) return fail(Errc::cosem_bad_date_time, offset);
  return {};
}

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
long days_from_civil(long y, long m, long d) {
  y -= m <= 2 ? 1 : 0;
  const long era = (y >= 0 ? y : y - 399) / 400;
  const long yoe = y - era * 400;
  const long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

void civil_from_days(long z, long& y, long& m, long& d) {
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

}  // namespace

Result<DateTime> parse_date_time(Bytes twelve, std::size_t offset) {
  MLAB_TRY(expect_size(twelve, 12, offset));
  ByteReader r(twelve, offset);
  DateTime dt;
  MLAB_TRY(read_date(r, dt));
  MLAB_TRY(read_time(r, dt));
  MLAB_TRY(read_deviation_and_status(r, dt));
  return dt;
}

Result<DateTime> parse_date(Bytes five, std::size_t offset) {
  MLAB_TRY(expect_size(five, 5, offset));
  ByteReader r(five, offset);
  DateTime dt;
  MLAB_TRY(read_date(r, dt));
  return dt;
}

Result<DateTime> parse_time(Bytes four, std::size_t offset) {
  MLAB_TRY(expect_size(four, 4, offset));
  ByteReader r(four, offset);
  DateTime dt;
  MLAB_TRY(read_time(r, dt));
  return dt;
}

std::string DateTime::to_iso8601() const {
  char buf[48];
  int n = 0;
  auto put = [&](const char* fmt, auto... args) {
    n += std::snprintf(buf + n, sizeof buf - static_cast<std::size_t>(n), fmt, args...);
  };
  if (has_date()) put("%04d-%02d-%02d", year, month, day);
  if (has_time()) {
    if (has_date()) put("T");
    put("%02d:%02d", hour, minute);
    if (second >= 0) put(":%02d", second);
    if (second >= 0 && hundredths > 0) put(".%02d", hundredths);
  }
  if (deviation && has_time()) {
    int offset = -*deviation;  // DLMS: deviation = UTC - local; ISO offset = local - UTC
    char sign = offset < 0 ? '-' : '+';
    int abs = offset < 0 ? -offset : offset;
    put("%c%02d:%02d", sign, abs / 60, abs % 60);
  }
  return std::string(buf, static_cast<std::size_t>(n));
}

std::optional<std::string> DateTime::to_utc() const {
  if (!has_date() || !has_time() || !deviation) return std::nullopt;
  long minutes = days_from_civil(year, month, day) * 1440L + hour * 60L + minute + *deviation;
  long days = minutes >= 0 ? minutes / 1440 : -((-minutes + 1439) / 1440);
  long in_day = minutes - days * 1440;
  long y = 0, m = 0, d = 0;
  civil_from_days(days, y, m, d);
  char buf[32];
  int n = std::snprintf(buf, sizeof buf, "%04ld-%02ld-%02ldT%02ld:%02ld:%02dZ", y, m, d,
                        in_day / 60, in_day % 60, second < 0 ? 0 : second);
  return std::string(buf, static_cast<std::size_t>(n));
}

}  // namespace meterlab::cosem
