// P1 meters (DSMR / IEC 62056-21 text telegrams): a profile's "p1" section, the meter's state
// behind the lines (tariff registers, the gas and water meters on their M-Bus channels, the
// Belgian quarter-hour demand), and the telegram builder. The text writer is in encode/p1_writer.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "meterlab/sim/meter.hpp"
#include "meterlab/sim/rng.hpp"

namespace meterlab::sim {

// How a line writes its value groups.
enum class P1Kind : std::uint8_t {
  number,       // OBIS(digits[*unit]) from a source or a constant in base units
  text,         // OBIS(text) as given (version lines: "50")
  hex,          // OBIS(hex of ASCII): equipment ids, messages; the decoder reports the text
  time,         // OBIS(YYMMDDhhmmssX): the meter's clock
  capture,      // OBIS(YYMMDDhhmmssX)(digits*unit): a value with its own capture time
  gas22,        // DSMR 2.2: OBIS(YYMMDDhhmmss)(00)(60)(1)(0-n:24.2.1)(m3) CRLF (digits)
  failure_log,  // 1-0:99.97.0(n)(0-0:96.7.19)(end)(duration*s)...: the long power failures
  maxima,       // 0-0:98.1.0(n)(1-0:1.6.0)(1-0:1.6.0)(month)(time)(value*kW)...: monthly maxima
  literal,      // a line written as given, with the readings the profile says it means
};

// Where a number comes from: the household (a Source), or the P1 meter's own state.
enum class P1Source : std::uint8_t {
  constant,
  household,  // `source` below
  by_tariff,  // an energy `source` counted in `tariff` only ("$energy_import_t1": 1.8.1)
  tariff,     // the tariff in force (96.14.0)
  gas,        // channel registers at their last capture, in litres
  water,
  demand,               // the running quarter-hour average of the import power (1.4.0), W
  demand_max,           // the month's largest quarter-hour average (1.6.0), W, with its time
  power_failures,       // the number of power failures (96.7.21)
  long_power_failures,  // of those lasting kLongPowerFailure or more (96.7.9)
};

// DSMR 5.0.2 (P1 companion standard, 96.7.9): a power failure of 3 minutes or more is long.
inline constexpr Duration kLongPowerFailure = 180 * kSecondMs;

// A long power failure in the 99.97.0 log: when it ended (the meter's clock) and its length.
struct P1Failure {
  SimTime end = 0;
  std::int64_t seconds = 0;
};

// The meter's power failures before the simulation ("power_failures"); it counts its own after.
struct P1PowerFailures {
  std::int64_t count = 0, long_count = 0;
  std::vector<P1Failure> log;  // in the order sent
  std::size_t log_max = 10;    // DSMR 5.0.2: the last 10 long power failures
  bool newest_first = false;   // "log_order": newest "last" (default) or "first" (DSMR's example)
};

// One month's maximum demand in the 0-0:98.1.0 buffer: when the month closed (the 1st of the
// next, 00:00 local), when the largest quarter hour ended, and its average in W.
struct P1MonthMax {
  SimTime month = 0, at = 0;
  std::int64_t w = 0;
};

struct P1Line {
  P1Kind kind = P1Kind::number;
  std::string obis;  // as written: "1-0:1.8.1"
  P1Source from = P1Source::constant;
  Source source = Source::constant;  // when `from` is household or by_tariff
  int tariff = 0;                    // by_tariff: 1 or 2
  std::int64_t number = 0;           // a constant in base units (Wh, W, V, s, ...)
  std::string text;       // text / hex constant, the literal line, or the buffer's object OBIS code
  bool meter_id = false;  // text/hex is the meter's id (the decoder's meter_id)
  int int_digits = 0, frac_digits = 0;
  std::string unit;                 // as written ("kWh", "m3", "" for none)
  std::int64_t factor = 1;          // unitless lines that are kilo-units: written = base / factor
  std::vector<TruthReading> truth;  // literal lines
};

struct P1Spec {
  std::string header;        // the identification line without '/': "ISk5\\2MT382-1000"
  bool crc = true;           // DSMR 4 and 5; DSMR 2.2 has none
  std::string eol = "\r\n";  // every line's end: CR LF, or LF alone ("eol": "lf") as some send
  std::vector<P1Line> lines;
  Duration gas_capture = 5 * kMinuteMs;  // DSMR 5: every 5 minutes; DSMR 4 and 2.2: hourly
  double gas_m3_per_day = 0;             // mean winter use; 0: no gas meter
  double water_m3_per_day = 0;
  int tariff_low = 1;  // the tariff number in force at night and at weekends (NL 1, BE 2)
  int low_from_hour = 23, low_to_hour = 7;
  P1PowerFailures power_failures;
  std::vector<P1MonthMax> maxima;  // before the simulation ("monthly_maxima"), newest first
  std::size_t maxima_max = 13;     // e-MUCS: the last 13 months
};

// The "p1" section of a profile; errors throw std::invalid_argument naming `name` and the path.
std::shared_ptr<const P1Spec> parse_p1_spec(const nlohmann::json& v, const std::string& name);

// A channel meter (gas, water): a flow that follows the hour of day (and for heating gas the
// season), integrated minute by minute into a register of whole millilitres. Its own seeded stream.
class FlowMeter {
 public:
  FlowMeter(double m3_per_day, bool seasonal, Zone zone, SimTime start, std::uint64_t seed);
  // The register (ml) at `t`, a whole minute not before the last call.
  std::int64_t register_at(SimTime t);

 private:
  double m3_per_day_;
  bool seasonal_;
  Zone zone_;
  Rng rng_;
  SimTime t_;
  std::int64_t ml_;
};

// The P1 meter's state between telegrams (one per Meter).
class P1Meter {
 public:
  P1Meter(const Profile& p, std::uint64_t seed, SimTime start);
  // The meter's power failures in the run (Meter::set_outages()), counted as each ends.
  void set_outages(std::vector<Outage> outages) { outages_ = std::move(outages); }
  // Builds the telegram sent at `t` from the household's state at `t`.
  MeterTelegram build(const MeterState& s, SimTime t, const BuildTweaks& tweaks, std::uint64_t seq,
                      std::uint32_t& next_ic);

 private:
  struct Registers;
  void advance(const MeterState& s, SimTime t);
  void advance_demand(std::int64_t import_wms, SimTime t);
  void count_outages(SimTime t, Duration clock);
  std::int64_t value(const P1Line& line, const MeterState& s) const;
  std::int64_t power_digits(const P1Line& line, std::int64_t w) const;
  void write_line(const P1Line& line, const MeterState& s, SimTime clock, std::string& out,
                  MeterTelegram& m);
  void write_number(const P1Line& line, std::int64_t base, std::string& out, MeterTelegram& m,
                    const std::string& captured, const std::string& obis) const;
  void write_buffer(const P1Line& line, std::string& out, MeterTelegram& m) const;

  const Profile& profile_;
  const P1Spec& spec_;
  std::vector<Outage> outages_;
  std::shared_ptr<Registers> reg_;
};

}  // namespace meterlab::sim
