// The P1 meter: the household's powers and registers, the tariff registers, the channel meters
// and the quarter-hour demand written as DSMR lines, with the readings a decoder must report.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <optional>

#include "meterlab/core/hex.hpp"
#include "meterlab/sim/p1.hpp"

namespace meterlab::sim {
namespace {

constexpr Duration kQuarter = 15 * kMinuteMs;
constexpr std::int64_t kPow10[] = {1, 10, 100, 1000, 10000, 100000, 1000000};

// Gas for heating follows the season (Dutch degree-day shares by month, January = 1); water and
// cooking do not. Shares of the day's use by hour: low at night, morning and evening peaks.
constexpr std::array<double, 12> kHeatingSeason = {1.0,  0.95, 0.8,  0.55, 0.35, 0.2,
                                                   0.15, 0.15, 0.25, 0.45, 0.75, 0.95};
constexpr std::array<double, 24> kHourShape = {0.3, 0.3, 0.3, 0.3, 0.4, 0.6, 1.6, 2.0,
                                               1.6, 1.0, 0.8, 0.8, 0.9, 0.8, 0.7, 0.8,
                                               1.0, 1.4, 1.8, 1.7, 1.5, 1.3, 0.8, 0.4};

// The decoder's base unit of a unit as written (kWh -> Wh, ...) and the power of ten between.
std::pair<std::string, int> base_unit(const std::string& unit) {
  for (const char* k : {"kWh", "kW", "kvarh", "kvar"})
    if (unit == k) return {unit.substr(1), 3};
  return {unit, 0};
}

std::string iso(const LocalTime& lt, bool offset) {
  char buf[40];
  int n = std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d", lt.year, lt.month, lt.day,
                        lt.hour, lt.minute, lt.second);
  std::string out(buf, static_cast<std::size_t>(n));
  if (offset) {
    std::snprintf(buf, sizeof buf, "+%02d:00", lt.utc_offset_min / 60);
    out += buf;
  }
  return out;
}

// The clock shows the local time at `t` twice (the hour repeated when summer time ends): a stamp
// without the S/W flag cannot say which of the two it is, so it is read without an offset.
bool shown_twice(SimTime t, Zone z) {
  const LocalTime lt = to_local(t, z);
  for (const SimTime other : {t - kHourMs, t + kHourMs}) {
    const LocalTime o = to_local(other, z);
    if (o.day == lt.day && o.hour == lt.hour && o.minute == lt.minute && o.second == lt.second)
      return true;
  }
  return false;
}

std::string stamp(const LocalTime& lt, bool flag) {
  return p1_timestamp(lt.year, lt.month, lt.day, lt.hour, lt.minute, lt.second,
                      flag ? (lt.dst ? 'S' : 'W') : 0);
}

// Equipment ids and messages as the meters send them: upper-case hex of the ASCII.
std::string hex_text(const std::string& text) {
  std::string hex = to_hex(Bytes(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
  std::transform(hex.begin(), hex.end(), hex.begin(), [](char c) { return c >= 'a' ? c - 32 : c; });
  return hex;
}

// The power of ten of a line's digits in its base unit (a unitless kilo line: factor 1000).
int scale_of(const P1Line& line) {
  return base_unit(line.unit).second - line.frac_digits + (line.factor == 1000 ? 3 : 0);
}

// "0-1:24.3.0" -> "0-1:24.2.1": the register a DSMR 2.2 gas object reports.
std::string channel_register(const std::string& obis) { return obis.substr(0, 4) + "24.2.1.255"; }

// The household's energy register of quantity q (Source::energy_import + q).
std::int64_t& energy_of(MeterState& s, std::size_t q) {
  switch (q) {
    case 0:
      return s.import_wms;
    case 1:
      return s.export_wms;
    case 2:
      return s.reactive_import_varms;
    default:
      return s.reactive_export_varms;
  }
}

}  // namespace

FlowMeter::FlowMeter(double m3_per_day, bool seasonal, Zone zone, SimTime start, std::uint64_t seed)
    : m3_per_day_(m3_per_day),
      seasonal_(seasonal),
      zone_(zone),
      rng_(seed),
      t_(start / kMinuteMs * kMinuteMs),
      ml_(static_cast<std::int64_t>(m3_per_day * 700) * 1'000'000) {}

std::int64_t FlowMeter::register_at(SimTime t) {
  for (; t_ < t; t_ += kMinuteMs) {
    LocalTime lt = to_local(t_, zone_);
    double season = seasonal_ ? kHeatingSeason[static_cast<std::size_t>(lt.month - 1)] : 0.5;
    double mean_l =
        m3_per_day_ * 1000.0 / 1440.0 * season * kHourShape[static_cast<std::size_t>(lt.hour)];
    double noise = std::max(0.0, rng_.normal(1.0, 0.6));
    if (rng_.chance(0.02)) noise += rng_.uniform(2.0, 6.0);  // a shower, the dishes
    ml_ += std::llround(mean_l * noise * 1000.0);
  }
  return ml_;
}

struct P1Meter::Registers {
  bool started = false;
  SimTime last_t = 0;
  // The energy registers (import, export, reactive import, reactive export; W*ms and var*ms)
  // by tariff (index 0: tariff 1), and the household's totals at last_t.
  std::array<std::array<std::int64_t, 2>, 4> by_tariff{};
  std::array<std::int64_t, 4> last{};
  int tariff = 1;
  std::optional<FlowMeter> gas, water;
  SimTime gas_at = 0;  // the last capture
  std::int64_t gas_ml = 0, water_ml = 0;
  std::int64_t quarter = -1, quarter_wms = 0, demand_w = 0;
  std::int64_t max_w = 0;
  SimTime max_t = 0;
  int month = 0;
  std::vector<P1MonthMax> maxima;  // 0-0:98.1.0, newest first
  std::int64_t failures = 0, long_failures = 0;
  std::vector<P1Failure> failure_log;  // 99.97.0, in the order sent
  SimTime outages_seen = 0;            // outages that ended up to here are counted
};

P1Meter::P1Meter(const Profile& p, std::uint64_t seed, SimTime start)
    : profile_(p), spec_(*p.p1), reg_(std::make_shared<Registers>()) {
  Rng root(seed ^ 0x5031000000000000ULL);  // "P1": the channel meters' own streams
  SimTime first = start / spec_.gas_capture * spec_.gas_capture - spec_.gas_capture;
  if (spec_.gas_m3_per_day > 0)
    reg_->gas.emplace(spec_.gas_m3_per_day, true, p.zone, first, root.fork(1).next());
  if (spec_.water_m3_per_day > 0)
    reg_->water.emplace(spec_.water_m3_per_day, false, p.zone, first, root.fork(2).next());
  reg_->maxima = spec_.maxima;
  reg_->failures = spec_.power_failures.count;
  reg_->long_failures = spec_.power_failures.long_count;
  reg_->failure_log = spec_.power_failures.log;
  reg_->outages_seen = start;
}

// The tariff registers take each step's energy in the tariff in force when the step began.
void P1Meter::advance(const MeterState& s, SimTime t) {
  Registers& r = *reg_;
  auto tariff_at = [&](SimTime at) {
    LocalTime lt = to_local(at, profile_.zone);
    bool low = lt.weekday >= 6 || lt.hour >= spec_.low_from_hour || lt.hour < spec_.low_to_hour;
    return low ? spec_.tariff_low : 3 - spec_.tariff_low;
  };
  MeterState now = s;
  std::int64_t import_step = now.import_wms - r.last[0];
  for (std::size_t q = 0; q < 4; ++q) {  // start: 55 % of each register in tariff 1
    std::int64_t total = energy_of(now, q);
    auto k = static_cast<std::size_t>(tariff_at(r.last_t) - 1);
    if (!r.started)
      r.by_tariff[q] = {total / 20 * 11, total - total / 20 * 11};
    else
      r.by_tariff[q][k] += total - r.last[q];
    r.last[q] = total;
  }
  advance_demand(import_step, t);
  r.tariff = tariff_at(t);
  r.last_t = t;
  SimTime capture = t / spec_.gas_capture * spec_.gas_capture;
  r.gas_at = capture;
  if (r.gas) r.gas_ml = r.gas->register_at(capture);
  if (r.water) r.water_ml = r.water->register_at(capture);
}

// DSMR-BE (e-MUCS): 1.4.0 the running quarter-hour average, 1.6.0 the month's largest finished
// quarter hour (its end as its time). When the running quarter is in a new month, the finished
// month's maximum goes to the front of the 0-0:98.1.0 buffer and 1.6.0 starts over.
void P1Meter::advance_demand(std::int64_t import_wms, SimTime t) {
  Registers& r = *reg_;
  if (!r.started) {
    r.started = true;
    r.max_t = t;
    r.month = to_local(t, profile_.zone).month;
    return;
  }
  const std::int64_t q = (t - 1) / kQuarter;  // the quarter this step's energy belongs to
  if (q != r.quarter && r.quarter >= 0 && r.quarter_wms / kQuarter > r.max_w) {
    r.max_w = r.quarter_wms / kQuarter;
    r.max_t = (r.quarter + 1) * kQuarter;
  }
  if (q != r.quarter) r.quarter_wms = 0;
  r.quarter = q;
  r.quarter_wms += import_wms;
  r.demand_w = r.quarter_wms / std::max<Duration>(1, t - q * kQuarter);
  const LocalTime lt = to_local(q * kQuarter, profile_.zone);
  if (lt.month == r.month) return;
  const SimTime month = from_local(lt.year, lt.month, 1, 0, 0, 0, 0, profile_.zone);
  r.maxima.insert(r.maxima.begin(), P1MonthMax{month, r.max_t, r.max_w});
  if (r.maxima.size() > spec_.maxima_max) r.maxima.resize(spec_.maxima_max);
  r.max_w = 0, r.max_t = month, r.month = lt.month;
}

// Every outage that ended since the last telegram is a power failure; one of kLongPowerFailure
// or more is also long and logged (its end on the meter's clock), the log keeping its last ones.
void P1Meter::count_outages(SimTime t, Duration clock) {
  Registers& r = *reg_;
  for (const Outage& o : outages_) {
    if (o.to <= r.outages_seen || o.to > t || o.to <= o.from) continue;
    ++r.failures;
    if (o.to - o.from < kLongPowerFailure) continue;
    ++r.long_failures;
    const P1Failure f{o.to + clock, (o.to - o.from) / kSecondMs};
    const bool first = spec_.power_failures.newest_first;
    r.failure_log.insert(first ? r.failure_log.begin() : r.failure_log.end(), f);
    const auto over = static_cast<std::ptrdiff_t>(r.failure_log.size()) -
                      static_cast<std::ptrdiff_t>(spec_.power_failures.log_max);
    if (over > 0 && first) r.failure_log.resize(spec_.power_failures.log_max);
    if (over > 0 && !first)
      r.failure_log.erase(r.failure_log.begin(), r.failure_log.begin() + over);
  }
  r.outages_seen = std::max(r.outages_seen, t);
}

// The line's digits: the source at 10^(unit exponent - decimals) of its base unit.
std::int64_t P1Meter::value(const P1Line& line, const MeterState& s) const {
  const Registers& r = *reg_;
  const int scale = scale_of(line);
  MeterState tmp = s;  // the P1 registers read through the household's one rule (raw_value)
  Node n;
  n.scale = scale;
  n.source = Source::energy_import;
  switch (line.from) {
    case P1Source::constant:
      return scale >= 0 ? line.number / kPow10[scale] : line.number * kPow10[-scale];
    case P1Source::household:
      n.source = line.source;
      return raw_value(n, s);
    case P1Source::by_tariff: {
      auto q =
          static_cast<std::size_t>(line.source) - static_cast<std::size_t>(Source::energy_import);
      n.source = line.source;
      energy_of(tmp, q) = r.by_tariff[q][static_cast<std::size_t>(line.tariff - 1)];
      return raw_value(n, tmp);
    }
    case P1Source::tariff:
      return r.tariff;
    case P1Source::gas:
    case P1Source::water: {
      std::int64_t ml = line.from == P1Source::gas ? r.gas_ml : r.water_ml;
      return ml / kPow10[std::clamp(6 - line.frac_digits, 0, 6)];  // m3 = 10^6 ml
    }
    case P1Source::demand:
    case P1Source::demand_max:
      return power_digits(line, line.from == P1Source::demand ? r.demand_w : r.max_w);
    case P1Source::power_failures:
      return r.failures;
    case P1Source::long_power_failures:
      return r.long_failures;
  }
  return 0;
}

// A power in W as the line's digits, through the household's one rule (raw_value).
std::int64_t P1Meter::power_digits(const P1Line& line, std::int64_t w) const {
  Node n;
  n.scale = scale_of(line);
  n.source = Source::p_import;
  MeterState s;
  s.p_import_w = w;
  return raw_value(n, s);
}

void P1Meter::write_number(const P1Line& line, std::int64_t digits, std::string& out,
                           MeterTelegram& m, const std::string& captured,
                           const std::string& obis) const {
  out += p1_number(digits, line.int_digits, line.frac_digits);
  if (!line.unit.empty() && line.kind != P1Kind::gas22) out += "*" + line.unit;
  out += ")";
  auto [unit, exp] = base_unit(line.unit);
  TruthReading t{obis + ".255",          unit, false, {}, std::max<std::int64_t>(digits, 0),
                 exp - line.frac_digits, {}};
  if (line.kind == P1Kind::gas22) t.obis = channel_register(line.obis);
  t.captured = captured;
  m.readings.push_back(std::move(t));
}

void P1Meter::write_line(const P1Line& line, const MeterState& s, SimTime clock, std::string& out,
                         MeterTelegram& m) {
  if (line.kind == P1Kind::literal) {
    out += line.text + spec_.eol;
    m.readings.insert(m.readings.end(), line.truth.begin(), line.truth.end());
    return;
  }
  out += line.obis + "(";
  auto text_reading = [&](const std::string& text) {
    m.readings.push_back(TruthReading{line.obis + ".255", "", true, text, 0, 0, {}});
  };
  std::string text = line.meter_id ? profile_.meter_id : line.text;
  if (line.meter_id) m.carries_meter_id = true;
  LocalTime lt = to_local(clock, profile_.zone);
  switch (line.kind) {
    case P1Kind::text:
      out += text + ")";
      text_reading(text);
      break;
    case P1Kind::hex:
      out += hex_text(text) + ")";
      text_reading(text);
      break;
    case P1Kind::time:
      out += stamp(lt, true) + ")";
      text_reading(iso(lt, true));
      m.timestamp = iso(lt, true);
      break;
    case P1Kind::capture: {
      SimTime at = line.from == P1Source::demand_max ? reg_->max_t : reg_->gas_at;
      LocalTime c = to_local(at, profile_.zone);
      out += stamp(c, true) + ")(";
      write_number(line, value(line, s), out, m, iso(c, true), line.obis);
      break;
    }
    case P1Kind::gas22: {  // the register on a line of its own
      LocalTime c = to_local(reg_->gas_at, profile_.zone);
      out += stamp(c, false) + ")(00)(60)(1)(" + channel_register(line.obis).substr(0, 10) +
             ")(m3)" + spec_.eol + "(";
      const bool placed = !shown_twice(reg_->gas_at, profile_.zone);
      write_number(line, value(line, s), out, m, iso(c, placed), line.obis);
      break;
    }
    case P1Kind::failure_log:
    case P1Kind::maxima:
      write_buffer(line, out, m);
      break;
    default:
      write_number(line, value(line, s), out, m, {}, line.obis);
  }
  out += spec_.eol;
}

// A buffer's count and object codes, then its entries: (end)(duration*s) of each long power
// failure (99.97.0), or (month)(time)(value*kW) of each month's maximum (98.1.0).
void P1Meter::write_buffer(const P1Line& line, std::string& out, MeterTelegram& m) const {
  const Registers& r = *reg_;
  const bool log = line.kind == P1Kind::failure_log;
  const std::size_t n = log ? r.failure_log.size() : r.maxima.size();
  out += std::to_string(n) + ")(" + line.text + (log ? ")" : ")(" + line.text + ")");
  m.readings.push_back(
      TruthReading{line.obis + ".255", "", false, {}, static_cast<std::int64_t>(n), 0, {}});
  auto when = [&](SimTime t) { return to_local(t, profile_.zone); };
  for (std::size_t i = 0; i < n; ++i) {
    out += "(";
    if (!log) out += stamp(when(r.maxima[i].month), true) + ")(";
    const LocalTime at = when(log ? r.failure_log[i].end : r.maxima[i].at);
    out += stamp(at, true) + ")(";
    const std::int64_t digits = log ? r.failure_log[i].seconds : power_digits(line, r.maxima[i].w);
    write_number(line, digits, out, m, iso(at, true), line.text);
  }
}

MeterTelegram P1Meter::build(const MeterState& s, SimTime t, const BuildTweaks& tweaks,
                             std::uint64_t seq, std::uint32_t& next_ic) {
  count_outages(t, tweaks.clock_offset);
  advance(s, t);
  MeterTelegram m;
  m.seq = seq;
  m.t = t;
  m.list = "telegram";
  std::string text = "/" + spec_.header + spec_.eol + spec_.eol;
  for (const P1Line& line : spec_.lines) write_line(line, s, t + tweaks.clock_offset, text, m);
  p1_close(text, spec_.crc, spec_.eol);
  m.apdu.assign(text.begin(), text.end());
  Buffer wire = m.apdu;
  if (const auto& sec = profile_.security) {  // DB 08 title 82 len SC IC ciphertext tag
    std::uint32_t ic = tweaks.invocation_counter.value_or(next_ic);
    next_ic = ic + sec->invocation_step;
    CipherParams params{sec->security_control,       sec->system_title, ic,
                        tweaks.ek.value_or(sec->ek), sec->ak,           12};
    if (auto ciphered = general_glo_ciphering(m.apdu, params)) wire = std::move(*ciphered);
    if (tweaks.corrupt_tag) wire.back() ^= 0x01;
    m.invocation_counter = ic;
  }
  m.frames.push_back(std::move(wire));
  m.frame_times.push_back(t);
  return m;
}

}  // namespace meterlab::sim
