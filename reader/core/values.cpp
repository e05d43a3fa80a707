// Values as every sink needs them: a meter name, numbers, text and the telegram's time.
#include <algorithm>
#include <array>
#include <charconv>
#include <ctime>

#include "meterlab/core/hex.hpp"
#include "meterlab/dlms/security.hpp"
#include "meterlab/reader/sink.hpp"

namespace meterlab::reader {
namespace {

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's civil-days algorithm).
std::int64_t days_from_civil(int y, int m, int d) noexcept {
  y -= m <= 2 ? 1 : 0;
  const int era = (y >= 0 ? y : y - 399) / 400;
  const int yoe = y - era * 400;
  const int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return static_cast<std::int64_t>(era) * 146097 + doe - 719468;
}

}  // namespace

std::string meter_key(const cosem::Telegram& t) {
  if (!t.meter_id.empty()) return std::string(t.text(t.meter_id));
  if (t.system_title) return to_hex(Bytes(t.system_title->data(), t.system_title->size()));
  return std::string(kUnnamedMeter);
}

void MeterAttribution::attribute(const cosem::Telegram& t, Received& rc) {
  if (!t.meter_id.empty() || t.system_title) last_ = meter_key(t);
  rc.meter_named = !last_.empty();
  rc.meter = rc.meter_named ? last_ : std::string(kUnnamedMeter);
}

std::string reading_code(const cosem::Reading& r) {
  return r.positional() ? "position-" + r.position_text() : r.obis.to_string();
}

bool repeats_code(const cosem::Telegram& t, std::size_t i) noexcept {
  const cosem::Reading& r = t.readings[i];
  for (std::size_t k = 0; k < i; ++k) {
    const cosem::Reading& e = t.readings[k];
    if (e.obis == r.obis && e.position == r.position) return true;
  }
  return false;
}

std::optional<double> number(const cosem::Reading& r) noexcept {
  switch (r.kind) {
    case cosem::ValueKind::integer:
    case cosem::ValueKind::boolean:
    case cosem::ValueKind::real:
      return r.number();
    default:
      return std::nullopt;
  }
}

std::string value_text(const cosem::Telegram& t, const cosem::Reading& r) {
  switch (r.kind) {
    case cosem::ValueKind::none:
      return "";
    case cosem::ValueKind::boolean:
      return r.raw != 0 ? "true" : "false";
    case cosem::ValueKind::integer:
      if (auto whole = r.whole()) {
        return whole->is_unsigned ? std::to_string(static_cast<std::uint64_t>(whole->value))
                                  : std::to_string(whole->value);
      }
      [[fallthrough]];
    case cosem::ValueKind::real: {
      std::array<char, 32> buf{};
      const auto res = std::to_chars(buf.data(), buf.data() + buf.size(), r.number());
      return std::string(buf.data(), res.ptr);
    }
    case cosem::ValueKind::text:
      return std::string(t.text(r.text));
    case cosem::ValueKind::octets: {
      std::string_view raw = t.text(r.text);
      return to_hex(Bytes(reinterpret_cast<const std::uint8_t*>(raw.data()), raw.size()));
    }
    case cosem::ValueKind::date_time:
      return r.date_time.to_iso8601();
  }
  return "";
}

namespace {

// The deviation (minutes, DLMS sign: UTC = local + deviation) that gives this meter time's UTC,
// and where it came from. The telegram's own time: as the engine resolved it (timestamp_source:
// the meter's deviation, or the meter's zone where its family's deviation is known to be wrong
// or absent). A reading's own capture time (P1): its S/W flag.
struct Deviation {
  int minutes = 0;
  TimeSource source = TimeSource::meter;
};
std::optional<Deviation> deviation_of(const cosem::Telegram& t,
                                      const cosem::DateTime& dt) noexcept {
  if (t.timestamp && &dt == &*t.timestamp) {
    if (t.timestamp_source == cosem::ClockSource::none) return std::nullopt;
    return Deviation{t.utc_deviation, t.timestamp_source == cosem::ClockSource::zone
                                          ? TimeSource::zone
                                          : TimeSource::meter};
  }
  if (!dt.has_date() || !dt.has_time() || !dt.deviation) return std::nullopt;
  return Deviation{*dt.deviation, TimeSource::meter};
}

std::optional<StoredTime> meter_time(const cosem::Telegram& t, const cosem::DateTime& dt) noexcept {
  const std::optional<Deviation> d = deviation_of(t, dt);
  if (!d) return std::nullopt;
  const std::int64_t seconds = days_from_civil(dt.year, dt.month, dt.day) * 86400 + dt.hour * 3600 +
                               dt.minute * 60 + std::max(dt.second, 0) +
                               static_cast<std::int64_t>(d->minutes) * 60;
  const std::int64_t ms = seconds * 1000 + std::max(dt.hundredths, 0) * 10;
  return StoredTime{WallClock::time_point(std::chrono::milliseconds(ms)), d->source};
}

}  // namespace

bool utc_known(const cosem::Telegram& t, const cosem::DateTime& dt) noexcept {
  return deviation_of(t, dt).has_value();
}

std::optional<WallClock::time_point> meter_utc(const cosem::Telegram& t,
                                               const cosem::DateTime& dt) noexcept {
  const std::optional<StoredTime> m = meter_time(t, dt);
  return m ? std::optional(m->time) : std::nullopt;
}

const cosem::DateTime* capture_time(const cosem::Telegram& t, const cosem::Reading& r) noexcept {
  // As the engine's JSON output decides "captured" (engine/decoder/json.cpp): only P1 readings
  // carry a time of their own beside a value.
  const bool own = t.transport == cosem::Transport::p1 && r.kind != cosem::ValueKind::date_time &&
                   r.date_time.has_date();
  return own ? &r.date_time : nullptr;
}

std::string_view time_source_name(TimeSource s) noexcept {
  return s == TimeSource::meter ? "meter" : s == TimeSource::zone ? "zone" : "received";
}

StoredTime stored_time(const cosem::Telegram& t, const Received& r) {
  if (t.timestamp) {
    if (auto m = meter_time(t, *t.timestamp)) return *m;
  }
  return {r.wall, TimeSource::received};
}

StoredTime stored_time(const cosem::Telegram& t, const cosem::Reading& reading, const Received& r) {
  // A number with a capture time of its own (a P1 M-Bus channel's gas or water register, a peak
  // demand, a power failure's duration) is stored at that time, not at the telegram's.
  if (const cosem::DateTime* at = capture_time(t, reading)) {
    if (auto m = meter_time(t, *at)) return *m;
  }
  return stored_time(t, r);
}

WallClock::time_point telegram_time(const cosem::Telegram& t, const Received& r) {
  return stored_time(t, r).time;
}

std::string_view security_text(const cosem::Telegram& t) noexcept {
  return dlms::state_name(static_cast<dlms::SecurityState>(t.security));
}

}  // namespace meterlab::reader
