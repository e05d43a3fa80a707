// COSEM date-time, date and time (DLMS Blue Book 4.1.6.1 "Date and time formats"): 0xFF / 0xFFFF
// mean "not specified"; deviation 0x8000 means "not specified"; clock status bit 7 = DST.
#include <algorithm>
#include <cstdio>

#include "calendar.hpp"
#include "meterlab/cosem/obis.hpp"

namespace meterlab::cosem {

namespace {

constexpr std::uint8_t kNotSpecified = 0xFF;
constexpr std::uint16_t kYearNotSpecified = 0xFFFF;
constexpr std::uint16_t kDeviationNotSpecified = 0x8000;
constexpr int kMaxDeviation = 720;  // Blue Book: -720..720 minutes
// Month 0xFD = DST end, 0xFE = DST begin; day 0xFD = second last, 0xFE = last day of the month.
constexpr std::uint8_t kSpecialLow = 0xFD;

// The parts of a COSEM date-time: the date (5 bytes), the time (4), deviation and status (3).
enum Part : unsigned { kDate = 1, kTime = 2, kDeviationStatus = 4 };
constexpr std::size_t kDateSize = 5, kTimeSize = 4, kDeviationStatusSize = 3;

// A field in [lo, hi] or "not specified" (0xFF, or 0xFD/0xFE where `specials` allows them), as
// -1. False when out of range. Inline and without a Result per field: a clock is parsed on every
// telegram, often twice (the APDU's and the list's).
inline bool field(std::uint8_t raw, int lo, int hi, bool specials, int& out) noexcept {
  if (raw == kNotSpecified || (specials && raw >= kSpecialLow)) {
    out = -1;
    return true;
  }
  out = raw;
  return raw >= lo && raw <= hi;
}

// Year (2), month, day, weekday.
Result<void> read_date(ByteReader& r, DateTime& dt) {
  const std::size_t at = r.offset();
  MLAB_ASSIGN(const Bytes b, r.read_bytes(kDateSize));
  const auto year = static_cast<std::uint16_t>((b[0] << 8) | b[1]);
  dt.year = (year == kYearNotSpecified) ? -1 : int{year};
  if (!field(b[2], 1, 12, true, dt.month)) return fail(Errc::cosem_bad_date_time, at + 2);
  if (!field(b[3], 1, 31, true, dt.day)) return fail(Errc::cosem_bad_date_time, at + 3);
  // The day of the week does not change the instant: out of range (some meters send 0 on
  // Sundays) it is ignored, as if not specified (issue 16).
  if (!field(b[4], 1, 7, false, dt.weekday)) dt.weekday = -1;
  return {};
}

// Hour, minute, second, hundredths.
Result<void> read_time(ByteReader& r, DateTime& dt) {
  const std::size_t at = r.offset();
  MLAB_ASSIGN(const Bytes b, r.read_bytes(kTimeSize));
  if (!field(b[0], 0, 23, false, dt.hour)) return fail(Errc::cosem_bad_date_time, at);
  if (!field(b[1], 0, 59, false, dt.minute)) return fail(Errc::cosem_bad_date_time, at + 1);
  if (!field(b[2], 0, 59, false, dt.second)) return fail(Errc::cosem_bad_date_time, at + 2);
  // Hundredths out of range are ignored like the day of the week (read_date).
  if (!field(b[3], 0, 99, false, dt.hundredths)) dt.hundredths = -1;
  return {};
}

Result<void> read_deviation_and_status(ByteReader& r, DateTime& dt) {
  const std::size_t at = r.offset();
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

// `dt` back to "nothing specified", field by field: `dt = DateTime{}` builds a temporary on the
// stack and copies it with loads that straddle its narrower stores, which stalls store-to-load
// forwarding (measured: most of the time of this parser).
void reset_fields(DateTime& dt) noexcept {
  dt.year = dt.month = dt.day = dt.weekday = -1;
  dt.hour = dt.minute = dt.second = dt.hundredths = -1;
  dt.deviation.reset();
  dt.status = 0xFF;
  dt.status_known = false;
}

// The one parser behind the three forms: `parts`, in that order, filling `b` exactly. The fields
// are written straight into `dt` (the caller's reading or telegram), not into a local that is
// copied afterwards: a DateTime written field by field and then copied whole stalls the
// store-to-load forwarding of the CPU on every telegram.
[[gnu::always_inline]] inline Result<void> parse_parts(Bytes b, std::size_t offset, DateTime& dt,
                                                       unsigned parts) {
  const std::size_t size = ((parts & kDate) ? kDateSize : 0) + ((parts & kTime) ? kTimeSize : 0) +
                           ((parts & kDeviationStatus) ? kDeviationStatusSize : 0);
  MLAB_TRY(expect_size(b, size, offset));
  ByteReader r(b, offset);
  reset_fields(dt);
  if (parts & kDate) {
    MLAB_TRY(read_date(r, dt));
  }
  if (parts & kTime) {
    MLAB_TRY(read_time(r, dt));
  }
  if (parts & kDeviationStatus) {
    MLAB_TRY(read_deviation_and_status(r, dt));
  }
  return {};
}

// The value-returning forms (tests, tools), derived from the in-place ones.
template <Result<void> (*Parse)(Bytes, std::size_t, DateTime&)>
Result<DateTime> parsed(Bytes b, std::size_t offset) {
  DateTime dt;
  MLAB_TRY(Parse(b, offset, dt));
  return dt;
}

}  // namespace

Result<void> parse_date_time(Bytes twelve, std::size_t offset, DateTime& dt) {
  return parse_parts(twelve, offset, dt, kDate | kTime | kDeviationStatus);
}
Result<void> parse_date(Bytes five, std::size_t offset, DateTime& dt) {
  return parse_parts(five, offset, dt, kDate);
}
Result<void> parse_time(Bytes four, std::size_t offset, DateTime& dt) {
  return parse_parts(four, offset, dt, kTime);
}

Result<DateTime> parse_date_time(Bytes twelve, std::size_t offset) {
  return parsed<parse_date_time>(twelve, offset);
}
Result<DateTime> parse_date(Bytes five, std::size_t offset) {
  return parsed<parse_date>(five, offset);
}
Result<DateTime> parse_time(Bytes four, std::size_t offset) {
  return parsed<parse_time>(four, offset);
}

namespace {

// Two and four decimal digits, for fields already known to be in range.
char* put2(char* p, long v) noexcept {
  *p++ = static_cast<char>('0' + v / 10);
  *p++ = static_cast<char>('0' + v % 10);
  return p;
}
char* put4(char* p, long v) noexcept { return put2(put2(p, v / 100), v % 100); }

bool two_digits(int v) noexcept { return v >= 0 && v <= 99; }

// The same text as below, through snprintf: for fields out of the printable ranges (a DateTime
// is a plain struct; only the parser guarantees its ranges).
std::size_t iso8601_printf(const DateTime& t, char* out) {
  int n = 0;
  auto put = [&](const char* fmt, auto... args) {
    const int room = static_cast<int>(DateTime::kTextMax) - n;
    if (room <= 1) return;
    n += std::min(room - 1, std::snprintf(out + n, static_cast<std::size_t>(room), fmt, args...));
  };
  if (t.has_date()) put("%04d-%02d-%02d", t.year, t.month, t.day);
  if (t.has_time()) {
    if (t.has_date()) put("%s", "T");
    put("%02d:%02d", t.hour, t.minute);
    if (t.second >= 0) put(":%02d", t.second);
    if (t.second >= 0 && t.hundredths > 0) put(".%02d", t.hundredths);
  }
  if (t.deviation && t.has_time()) {
    int offset = -*t.deviation;  // DLMS: deviation = UTC - local; ISO offset = local - UTC
    char sign = offset < 0 ? '-' : '+';
    int abs = offset < 0 ? -offset : offset;
    put("%c%02d:%02d", sign, abs / 60, abs % 60);
  }
  return static_cast<std::size_t>(n);
}

}  // namespace

// "YYYY-MM-DDTHH:MM:SS[.hh][+HH:MM]", fields not specified left out (see obis.hpp). Written digit
// by digit: a telegram's JSON line has one or two of these, and snprintf cost more than the rest.
std::size_t DateTime::write_iso8601(char* out) const noexcept {
  const bool date = has_date(), time = has_time();
  const bool plain =
      (!date || (year <= 9999 && two_digits(month) && two_digits(day))) &&
      (!time || (two_digits(hour) && two_digits(minute) && second <= 99 && hundredths <= 99)) &&
      (!deviation || (*deviation >= -5999 && *deviation <= 5999));
  if (!plain) return iso8601_printf(*this, out);
  char* p = out;
  if (date) {
    p = put4(p, year);
    *p++ = '-';
    p = put2(p, month);
    *p++ = '-';
    p = put2(p, day);
  }
  if (time) {
    if (date) *p++ = 'T';
    p = put2(p, hour);
    *p++ = ':';
    p = put2(p, minute);
    if (second >= 0) {
      *p++ = ':';
      p = put2(p, second);
      if (hundredths > 0) {
        *p++ = '.';
        p = put2(p, hundredths);
      }
    }
  }
  if (deviation && time) {
    const int offset = -*deviation;  // DLMS: deviation = UTC - local; ISO offset = local - UTC
    const int abs = offset < 0 ? -offset : offset;
    *p++ = offset < 0 ? '-' : '+';
    p = put2(p, abs / 60);
    *p++ = ':';
    p = put2(p, abs % 60);
  }
  return static_cast<std::size_t>(p - out);
}

std::size_t DateTime::write_utc(char* out) const noexcept {
  if (!has_date() || !has_time() || !deviation) return 0;
  long minutes =
      detail::days_from_civil(year, month, day) * 1440L + hour * 60L + minute + *deviation;
  long days = detail::floor_days(minutes);
  long in_day = minutes - days * 1440;
  long y = 0, m = 0, d = 0;
  detail::civil_from_days(days, y, m, d);
  const int s = second < 0 ? 0 : second;
  if (y < 0 || y > 9999 || s > 99) {
    const int n = std::snprintf(out, kTextMax, "%04ld-%02ld-%02ldT%02ld:%02ld:%02dZ", y, m, d,
                                in_day / 60, in_day % 60, s);
    return static_cast<std::size_t>(std::min(n, static_cast<int>(kTextMax) - 1));
  }
  char* p = put4(out, y);
  *p++ = '-';
  p = put2(p, m);
  *p++ = '-';
  p = put2(p, d);
  *p++ = 'T';
  p = put2(p, in_day / 60);
  *p++ = ':';
  p = put2(p, in_day % 60);
  *p++ = ':';
  p = put2(p, s);
  *p++ = 'Z';
  return static_cast<std::size_t>(p - out);
}

std::string DateTime::to_iso8601() const {
  char buf[kTextMax];
  return std::string(buf, write_iso8601(buf));
}

std::optional<std::string> DateTime::to_utc() const {
  char buf[kTextMax];
  const std::size_t n = write_utc(buf);
  if (n == 0) return std::nullopt;
  return std::string(buf, n);
}

}  // namespace meterlab::cosem
