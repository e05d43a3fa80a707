// The household behind a simulated meter: a handful of loads that switch on and off in local
// time, optional PV, and a grid whose voltage drifts and sags under the household's own current.
//
// Determinism: every random choice comes from an Rng forked from the seed with a fixed stream id
// per load (so adding a load leaves the others' numbers alone); loads planned by the day draw
// from a fork per local day, so a day's plan does not depend on when the run started. Floating
// point uses only + - * / and sqrt (exact in IEEE 754), rounded to whole W / var by llround.
#include "meterlab/sim/household.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>
#include <vector>

namespace meterlab::sim {
namespace {

// Oslo's climate and daylight stand for the Nordic zones, Vienna's for the rest of CET.
bool nordic(Zone z) { return z == Zone::europe_oslo || z == Zone::europe_stockholm; }

// Fork ids: fixed forever, one per purpose.
enum Stream : std::uint64_t {
  kBaseStream = 1,
  kFridgeStream = 2,
  kHeatPumpStream = 3,
  kWeatherStream = 4,
  kCookerStream = 5,
  kEvStream = 6,
  kSolarStream = 7,
  kGridStream = 8,
};

constexpr int kAllPhases = -1;      // a load spread evenly over the meter's phases
constexpr double kEvAmps = 16.0;    // IEC 61851 mode 3 at 16 A: 3.7 kW 1-phase, 11 kW 3-phase
constexpr double kGridOhms = 0.25;  // service cable + transformer share seen by one phase

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  const std::int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

Duration minutes(double m) { return std::llround(m * static_cast<double>(kMinuteMs)); }

// Reactive per watt for a power factor: tan(phi) = sqrt(1 - pf^2) / pf; negative = capacitive.
double tan_phi(double pf, bool capacitive = false) {
  const double t = std::sqrt(1.0 - pf * pf) / pf;
  return capacitive ? -t : t;
}

// Piecewise-linear lookup in a table with one value per hour 0..24.
double hourly(const std::array<double, 25>& table, double hour) {
  const int i = std::clamp(static_cast<int>(hour), 0, 23);
  const double f = hour - i;
  return table[static_cast<std::size_t>(i)] * (1.0 - f) +
         table[static_cast<std::size_t>(i) + 1] * f;
}

// Piecewise-linear lookup in a table of mid-month values, wrapping December to January.
double monthly(const std::array<double, 12>& table, int month, int day) {
  int m0 = month - 1;
  double f = (day - 15) / 30.0;
  if (f < 0) {
    m0 = (m0 + 11) % 12;
    f += 1.0;
  }
  const double a = table[static_cast<std::size_t>(m0)];
  const double b = table[static_cast<std::size_t>((m0 + 1) % 12)];
  return a + (b - a) * f;
}

// Lights, electronics and small appliances over the local day, relative to the base load.
constexpr std::array<double, 25> kActivity = {0.85, 0.75, 0.70, 0.70, 0.70, 0.75, 1.00, 1.35, 1.25,
                                              1.00, 1.00, 1.00, 1.05, 1.00, 1.00, 1.05, 1.15, 1.40,
                                              1.60, 1.70, 1.70, 1.60, 1.35, 1.05, 0.85};

struct Clock {
  SimTime t = 0;    // start of the step
  double dt_s = 0;  // step length in seconds
  LocalTime local;
  std::int64_t local_day = 0;
  double hour = 0;  // local hour of day, fractional
};

Clock make_clock(SimTime t, Duration step, Zone zone) {
  Clock c;
  c.t = t;
  c.dt_s = static_cast<double>(step) / 1000.0;
  c.local = to_local(t, zone);
  c.local_day = days_from_civil(c.local.year, c.local.month, c.local.day);
  c.hour =
      c.local.hour + c.local.minute / 60.0 + c.local.second / 3600.0 + c.local.millis / 3'600'000.0;
  return c;
}

struct Demand {
  std::array<double, 3> p{}, q{};  // signed W / var per phase: + import (inductive), - export
  void add(int phase, int phases, double watts, double tanphi) {
    if (phase == kAllPhases) {
      for (int i = 0; i < phases; ++i) add(i, phases, watts / phases, tanphi);
      return;
    }
    p[static_cast<std::size_t>(phase)] += watts;
    q[static_cast<std::size_t>(phase)] += watts * tanphi;
  }
};

// Mean-reverting random walk (Ornstein-Uhlenbeck, exact discrete form for its variance): relaxes
// to 0 with time constant tau and keeps a stationary standard deviation sd for any step length.
struct Drift {
  double x = 0;
  void step(Rng& rng, double dt_s, double tau_s, double sd) {
    const double a = std::min(dt_s / tau_s, 1.0);
    x += -x * a + rng.normal(0.0, sd * std::sqrt(2.0 * a - a * a));
  }
};

// ---- loads planned by the local day: cooker, EV ----

// A stretch of time a load is on, optionally cycling (hot-plate regulator, oven thermostat).
struct Burst {
  SimTime begin = 0, end = 0;
  Duration warmup = 0, period = 0, on = 0;  // period 0: on throughout
  int phase = 0;                            // or kAllPhases
  double watts = 0, tanphi = 0;
  bool constant_current = false;  // power follows the voltage (EV charger)

  bool active(SimTime t) const {
    if (t < begin || t >= end) return false;
    const Duration since = t - begin;
    return period == 0 || since < warmup || (since - warmup) % period < on;
  }
};

struct DayPlan {
  std::int64_t day = std::numeric_limits<std::int64_t>::min();
  std::vector<Burst> bursts;
};

// Today's plan and yesterday's (whose sessions may run past midnight).
class DayPlans {
 public:
  template <class Planner>
  void update(std::int64_t day, Planner&& plan) {
    if (day == today_.day) return;
    if (day == today_.day + 1) {
      yesterday_ = std::move(today_);
    } else {
      yesterday_ = DayPlan{day - 1, plan(day - 1)};
    }
    today_ = DayPlan{day, plan(day)};
  }
  // Adds the active bursts to `d`, returns their total active power.
  double apply(SimTime t, int phases, const std::array<double, 3>& volts, double nominal,
               Demand& d) const {
    double total = 0;
    for (const DayPlan* plan : {&yesterday_, &today_}) {
      for (const Burst& b : plan->bursts) {
        if (!b.active(t)) continue;
        total += add_burst(b, phases, volts, nominal, d);
      }
    }
    return total;
  }

 private:
  static double add_burst(const Burst& b, int phases, const std::array<double, 3>& volts,
                          double nominal, Demand& d) {
    double total = 0;
    const int first = b.phase == kAllPhases ? 0 : b.phase;
    const int last = b.phase == kAllPhases ? phases - 1 : b.phase;
    const double share = b.phase == kAllPhases ? 1.0 / phases : 1.0;
    for (int ph = first; ph <= last; ++ph) {
      double w = b.watts * share;
      if (b.constant_current) w *= volts[static_cast<std::size_t>(ph)] / nominal;
      d.add(ph, phases, w, b.tanphi);
      total += w;
    }
    return total;
  }

  DayPlan yesterday_, today_;
};

// The UTC instant of a local time of day on `day` (DST-aware, so plans follow the clock).
SimTime local_instant(std::int64_t day, double hour, Zone zone) {
  const CivilDate date = civil_from_days(day);
  const Duration ms =
      std::clamp<Duration>(std::llround(hour * static_cast<double>(kHourMs)), 0, kDayMs - 1);
  return from_local(date.year, date.month, date.day, static_cast<int>(ms / kHourMs),
                    static_cast<int>(ms / kMinuteMs % 60), static_cast<int>(ms / kSecondMs % 60),
                    static_cast<int>(ms % kSecondMs), zone);
}

// Cooker: dinner on most days (start ~17:30 local), lunch some days (more at weekends). Each
// session uses 1-3 hot plates of 1.2-2.3 kW (one a phase on 3-phase meters), each full on for
// a few minutes, then cycled by its regulator (30-90 s period, 30-80 % on); at dinner sometimes
// the oven (2.0-2.5 kW, preheated up to 20 min before, thermostat cycles of 4-8 min). Resistive.
class Cooker {
 public:
  Cooker(Rng rng, int phases, Zone zone) : rng_(rng), phases_(phases), zone_(zone) {}

  double apply(const Clock& c, const std::array<double, 3>& volts, double nominal, Demand& d) {
    plans_.update(c.local_day, [this](std::int64_t day) { return plan(day); });
    return plans_.apply(c.t, phases_, volts, nominal, d);
  }

 private:
  std::vector<Burst> plan(std::int64_t day) const {
    Rng r = rng_.fork(static_cast<std::uint64_t>(day));
    std::vector<Burst> out;
    const bool weekend = weekday_from_days(day) >= 6;
    if (r.chance(0.9)) {
      const double start = std::clamp(r.normal(17.5, 0.6), 16.0, 20.0);
      add_session(r, local_instant(day, start, zone_), minutes(r.uniform(25, 70)), true, out);
    }
    if (r.chance(weekend ? 0.5 : 0.15)) {
      const double start = std::clamp(r.normal(12.0, 0.5), 11.0, 13.5);
      add_session(r, local_instant(day, start, zone_), minutes(r.uniform(15, 40)), false, out);
    }
    return out;
  }

  void add_session(Rng& r, SimTime start, Duration length, bool dinner,
                   std::vector<Burst>& out) const {
    const auto plates = r.uniform_int(1, phases_ == 3 ? 3 : 2);
    const auto first_phase = static_cast<int>(r.uniform_int(0, 2));
    for (std::int64_t i = 0; i < plates; ++i) {
      Burst b;
      b.begin = start + minutes(r.uniform(0, 0.3) * static_cast<double>(length) / kMinuteMs);
      b.end = std::max(start + length - minutes(r.uniform(0, 5)), b.begin + minutes(3));
      b.phase = phases_ == 3 ? (first_phase + static_cast<int>(i)) % 3 : 0;
      b.watts = r.uniform(1200, 2300);
      b.warmup = minutes(r.uniform(2, 8));
      b.period = std::llround(r.uniform(30, 90) * 1000.0);
      b.on = std::llround(static_cast<double>(b.period) * r.uniform(0.3, 0.8));
      out.push_back(b);
    }
    if (dinner && r.chance(0.3)) {
      Burst oven;
      oven.begin = start - minutes(r.uniform(0, 20));
      oven.end = start + length;
      oven.phase = phases_ == 3 ? static_cast<int>(r.uniform_int(0, 2)) : 0;
      oven.watts = r.uniform(2000, 2500);
      oven.warmup = minutes(12);
      oven.period = minutes(r.uniform(4, 8));
      oven.on = std::llround(static_cast<double>(oven.period) * r.uniform(0.4, 0.6));
      out.push_back(oven);
    }
  }

  Rng rng_;
  int phases_;
  Zone zone_;
  DayPlans plans_;
};

// EV charging: on 45 % of weekdays and 30 % of weekend days, plugged in at a uniform time
// between 17:00 and 22:00 local; 16 A on one phase (3.7 kW, 1.5-4.5 h) or on three (11 kW,
// 1-3 h); the last 15 min at half current (battery full). Power factor 0.99, inductive or
// capacitive by the seed. The current is constant, so the power follows the voltage.
class EvCharger {
 public:
  EvCharger(Rng rng, const HouseholdConfig& config, int phases, Zone zone)
      : rng_(rng), phases_(phases), zone_(zone) {
    Rng setup = rng_.fork(0xE5E7);  // household constants, apart from the per-day forks
    const bool three =
        phases == 3 && (config.ev_phases == 3 || (config.ev_phases == 0 && setup.chance(0.5)));
    phase_ = three ? kAllPhases : (phases == 3 ? static_cast<int>(setup.uniform_int(0, 2)) : 0);
    watts_ = kEvAmps * config.nominal_voltage * (three ? 3 : 1);
    tanphi_ = tan_phi(0.99, setup.chance(0.5));
  }

  double apply(const Clock& c, const std::array<double, 3>& volts, double nominal, Demand& d) {
    plans_.update(c.local_day, [this](std::int64_t day) { return plan(day); });
    return plans_.apply(c.t, phases_, volts, nominal, d);
  }

 private:
  std::vector<Burst> plan(std::int64_t day) const {
    Rng r = rng_.fork(static_cast<std::uint64_t>(day));
    const bool weekend = weekday_from_days(day) >= 6;
    if (!r.chance(weekend ? 0.30 : 0.45)) return {};
    const SimTime start = local_instant(day, r.uniform(17.0, 22.0), zone_);
    const double hours = phase_ == kAllPhases ? r.uniform(1.0, 3.0) : r.uniform(1.5, 4.5);
    const SimTime end = start + minutes(hours * 60);
    const SimTime taper = end - minutes(15);
    Burst full{start, taper, 0, 0, 0, phase_, watts_, tanphi_, true};
    Burst tail{taper, end, 0, 0, 0, phase_, watts_ / 2, tanphi_, true};
    return {full, tail};
  }

  Rng rng_;
  int phases_;
  Zone zone_;
  int phase_ = 0;
  double watts_ = 0, tanphi_ = 0;
  DayPlans plans_;
};

// ---- loads with their own cycle: fridge, heat pump ----

// Fridge compressor: 80-140 W on one phase, power factor 0.80-0.85 (induction motor), on for
// 12-25 min, off for 25-50 min, each cycle drawn afresh.
class Fridge {
 public:
  Fridge(Rng rng, int phases, SimTime t0) : rng_(rng) {
    phase_ = phases == 3 ? static_cast<int>(rng_.uniform_int(0, 2)) : 0;
    watts_ = rng_.uniform(80, 140);
    tanphi_ = tan_phi(rng_.uniform(0.80, 0.85));
    on_ = rng_.chance(0.35);
    next_switch_ = t0 + minutes(rng_.uniform(0, on_ ? 25 : 50));
  }

  double apply(const Clock& c, int phases, Demand& d) {
    while (c.t >= next_switch_) {
      on_ = !on_;
      next_switch_ += minutes(on_ ? rng_.uniform(12, 25) : rng_.uniform(25, 50));
    }
    if (!on_) return 0;
    d.add(phase_, phases, watts_, tanphi_);
    return watts_;
  }

 private:
  Rng rng_;
  int phase_ = 0;
  double watts_ = 0, tanphi_ = 0;
  bool on_ = false;
  SimTime next_switch_ = 0;
};

// Outdoor temperature: mid-month means for the zone, a daily swing (coldest 05:00, warmest
// 15:00 local, +-4 K) and a per-day offset (normal, sd 3 K) blended into the next day's.
class Weather {
 public:
  Weather(Rng rng, Zone zone) : rng_(rng), zone_(zone) {}

  double temperature(const Clock& c) {
    static constexpr std::array<double, 12> kOslo = {-4, -4, 0, 5, 11, 15, 17, 16, 11, 6, 1, -3};
    static constexpr std::array<double, 12> kVienna = {0, 2, 6, 11, 16, 19, 21, 21, 16, 11, 5, 1};
    const double mean = monthly(nordic(zone_) ? kOslo : kVienna, c.local.month, c.local.day);
    const double h = c.hour;
    double swing = 0;  // -1 at 05:00, +1 at 15:00, linear in between
    if (h >= 5 && h < 15)
      swing = -1 + 2 * (h - 5) / 10;
    else if (h >= 15)
      swing = 1 - 2 * (h - 15) / 14;
    else
      swing = 1 - 2 * (h + 9) / 14;
    const double today = offset(c.local_day), tomorrow = offset(c.local_day + 1);
    return mean + 4.0 * swing + today + (tomorrow - today) * (h / 24.0);
  }

 private:
  // Two days are asked for at a time (today and tomorrow): keep both.
  double offset(std::int64_t day) {
    for (const auto& [d, v] : cache_) {
      if (d == day) return v;
    }
    const double v = rng_.fork(static_cast<std::uint64_t>(day)).normal(0, 3);
    cache_[next_slot_] = {day, v};
    next_slot_ ^= 1;
    return v;
  }

  Rng rng_;
  Zone zone_;
  std::array<std::pair<std::int64_t, double>, 2> cache_{
      {{std::numeric_limits<std::int64_t>::min(), 0.0},
       {std::numeric_limits<std::int64_t>::min(), 0.0}}};
  std::size_t next_slot_ = 0;
};

// Heat pump (air to air or air to water): 0.9-2.2 kW rated, on one phase or (half the 3-phase
// households) on three, power factor 0.85-0.90. Demand = (16 C - outdoor) / 24 K, capped at
// 0.95; none above ~15 C. Runs 15-40 min, then rests so that on / (on + off) = demand (rest 5
// min..3 h); while on it draws 50-100 % of rated, more the colder it is, +-1 % ripple.
class HeatPump {
 public:
  HeatPump(Rng rng, int phases, SimTime t0) : rng_(rng) {
    phase_ = (phases == 3 && rng_.chance(0.5))
                 ? kAllPhases
                 : (phases == 3 ? static_cast<int>(rng_.uniform_int(0, 2)) : 0);
    rated_w_ = rng_.uniform(900, 2200);
    tanphi_ = tan_phi(rng_.uniform(0.85, 0.90));
    next_switch_ = t0 + minutes(rng_.uniform(0, 30));
  }

  double apply(const Clock& c, double outdoor_c, int phases, Demand& d) {
    const double demand = std::clamp((16.0 - outdoor_c) / 24.0, 0.0, 0.95);
    while (c.t >= next_switch_) switch_at(demand);
    if (!on_) return 0;
    const double w = rated_w_ * level_ * (1.0 + rng_.normal(0, 0.01));
    d.add(phase_, phases, w, tanphi_);
    return w;
  }

 private:
  void switch_at(double demand) {
    if (on_) {
      on_ = false;
      const double rest = static_cast<double>(run_) * (1.0 - demand) / std::max(demand, 0.01);
      next_switch_ += std::clamp<Duration>(std::llround(rest), minutes(5), minutes(180));
    } else if (demand < 0.04) {
      next_switch_ += minutes(30);  // warm: look again later
    } else {
      on_ = true;
      run_ = minutes(rng_.uniform(15, 40));
      level_ = 0.5 + 0.5 * demand / 0.95;
      next_switch_ += run_;
    }
  }

  Rng rng_;
  int phase_ = 0;
  double rated_w_ = 0, tanphi_ = 0, level_ = 0;
  bool on_ = false;
  Duration run_ = 0;
  SimTime next_switch_ = 0;
};

// ---- always on: base load ----

// Base load: config.base_load_w split unevenly over the phases, times the hour-of-day activity
// (0.7 at night .. 1.7 at 19-20 h), a slow wander (sd 15 %, 40 min) and a flicker (sd 1 % a
// step), power factor 0.92-0.99 inductive; plus 5-45 var capacitive per phase from the EMI
// filters of electronics, which shows as reactive export when nothing inductive runs.
class BaseLoad {
 public:
  BaseLoad(Rng rng, int phases, double base_w) : rng_(rng), base_w_(base_w) {
    double sum = 0;
    for (int i = 0; i < phases; ++i) sum += share_[idx(i)] = rng_.uniform(0.6, 1.4);
    for (int i = 0; i < phases; ++i) {
      share_[idx(i)] /= sum;
      tanphi_[idx(i)] = tan_phi(rng_.uniform(0.92, 0.99));
      cap_var_[idx(i)] = -rng_.uniform(5, 45);
    }
  }

  double apply(const Clock& c, int phases, Demand& d) {
    wander_.step(rng_, c.dt_s, 40 * 60, 0.15);
    const double level = hourly(kActivity, c.hour) * std::max(0.4, 1.0 + wander_.x);
    double total = 0;
    for (int i = 0; i < phases; ++i) {
      const double w = base_w_ * share_[idx(i)] * level * (1.0 + rng_.normal(0, 0.01));
      d.add(i, phases, w, tanphi_[idx(i)]);
      d.q[idx(i)] += cap_var_[idx(i)];
      total += w;
    }
    return total;
  }

 private:
  static std::size_t idx(int i) { return static_cast<std::size_t>(i); }
  Rng rng_;
  double base_w_;
  std::array<double, 3> share_{}, tanphi_{}, cap_var_{};
  Drift wander_;
};

// ---- generation: PV ----

// PV: the parabola 4x(1-x) over the day from sunrise to sunset (day length and solar noon by
// zone and date, ignoring the equation of time), squared because a panel sees little of a low
// sun (a clear June day then yields ~7 kWh per kWp, not 12), scaled by a clear-noon fraction of
// the peak (0.78 in June, 0.08-0.28 in December), times a cloud factor. Each day is clear (35 %:
// 0.95, small flicker), broken (40 %: 0.45-0.75, strong fast noise) or overcast (25 %: 0.12-0.30),
// unless config.cloud_cover fixes it. 3-phase inverter on 3-phase meters, unity power factor.
class Solar {
 public:
  Solar(Rng rng, const HouseholdConfig& config, Zone zone)
      : rng_(rng),
        noise_(rng.fork(0xC10D)),
        zone_(zone),
        peak_w_(config.solar_peak_w),
        cloud_cover_(config.cloud_cover) {}

  double apply(const Clock& c, int phases, Demand& d) {
    update_sky(c);
    const double shape = sun_shape(c);
    if (shape <= 0) return 0;
    const double w = peak_w_ * clear_noon(c) * shape * std::clamp(sky_mean_ + sky_.x, 0.03, 1.0);
    d.add(phases == 3 ? kAllPhases : 0, phases, -w, 0.0);
    return w;
  }

 private:
  struct Site {
    std::array<double, 12> day_hours, clear_noon;
    double noon_utc_h;  // solar noon: 12:00 local mean solar time at the site's longitude
  };
  // Oslo 59.9 N 10.75 E; Vienna 48.2 N 16.4 E (also used for UTC, with noon at 12:00 UTC).
  static constexpr Site kOslo = {
      {6.5, 9.0, 11.8, 14.5, 17.0, 18.8, 18.0, 15.5, 12.8, 10.0, 7.5, 6.0},
      {0.12, 0.28, 0.48, 0.64, 0.74, 0.78, 0.76, 0.68, 0.54, 0.36, 0.18, 0.08},
      12.0 - 10.75 / 15.0};
  static constexpr Site kVienna = {
      {8.8, 10.2, 11.9, 13.6, 15.1, 16.0, 15.6, 14.2, 12.5, 10.8, 9.2, 8.4},
      {0.32, 0.44, 0.58, 0.68, 0.74, 0.78, 0.77, 0.72, 0.62, 0.48, 0.34, 0.28},
      12.0 - 16.4 / 15.0};

  const Site& site() const { return nordic(zone_) ? kOslo : kVienna; }
  double clear_noon(const Clock& c) const {
    return monthly(site().clear_noon, c.local.month, c.local.day);
  }

  double sun_shape(const Clock& c) const {
    const double noon = zone_ == Zone::utc ? 12.0 : site().noon_utc_h;
    const double half = monthly(site().day_hours, c.local.month, c.local.day) / 2;
    const std::int64_t utc_ms = c.t - floor_div(c.t, kDayMs) * kDayMs;
    const double x = (static_cast<double>(utc_ms) / kHourMs - (noon - half)) / (2 * half);
    const double parabola = 4 * x * (1 - x);
    return (x > 0 && x < 1) ? parabola * parabola : 0;
  }

  void update_sky(const Clock& c) {
    if (c.local_day != sky_day_) {
      sky_day_ = c.local_day;
      Rng r = rng_.fork(static_cast<std::uint64_t>(c.local_day));
      const double u = r.uniform();
      if (cloud_cover_ >= 0)
        set_sky(1.0 - 0.85 * std::min(cloud_cover_, 1.0), 0.03, 600);
      else if (u < 0.35)
        set_sky(0.95, 0.03, 600);
      else if (u < 0.75)
        set_sky(r.uniform(0.45, 0.75), 0.25, 180);
      else
        set_sky(r.uniform(0.12, 0.30), 0.06, 900);
    }
    sky_.step(noise_, c.dt_s, sky_tau_s_, sky_sd_);
  }
  void set_sky(double mean, double sd, double tau_s) {
    sky_mean_ = mean;
    sky_sd_ = sd;
    sky_tau_s_ = tau_s;
  }

  Rng rng_, noise_;
  Zone zone_;
  double peak_w_, cloud_cover_;
  std::int64_t sky_day_ = std::numeric_limits<std::int64_t>::min();
  double sky_mean_ = 1, sky_sd_ = 0, sky_tau_s_ = 600;
  Drift sky_;
};

// ---- the grid at the meter ----

// Voltage per phase: nominal + a feeder drift common to all phases (sd 2 V, 1 h) + a drift per
// phase (sd 1.5 V, 20 min) - a sag when the neighbourhood is busy (up to 1.75 V in the evening)
// - the household's own current through kGridOhms (export raises it) + noise (sd 0.3 V);
// kept within nominal +-10 % (EN 50160). Frequency 50 Hz with a drift of sd 20 mHz.
class Grid {
 public:
  Grid(Rng rng, double nominal) : rng_(rng), nominal_(nominal) {}

  void update(const Clock& c, const Demand& d, int phases, std::array<double, 3>& volts) {
    common_.step(rng_, c.dt_s, 3600, 2.0);
    freq_.step(rng_, c.dt_s, 120, 0.02);
    const double sag = 2.5 * (hourly(kActivity, c.hour) - 1.0);
    for (int i = 0; i < phases; ++i) {
      const auto k = static_cast<std::size_t>(i);
      phase_[k].step(rng_, c.dt_s, 1200, 1.5);
      const double own = kGridOhms * d.p[k] / nominal_;
      const double v = nominal_ + common_.x + phase_[k].x - sag - own + rng_.normal(0, 0.3);
      volts[k] = std::clamp(v, nominal_ * 0.9, nominal_ * 1.1);
    }
  }
  double frequency() const { return 50.0 + freq_.x; }

 private:
  Rng rng_;
  double nominal_;
  Drift common_, freq_;
  std::array<Drift, 3> phase_;
};

}  // namespace

struct Household::Model {
  Model(const HouseholdConfig& config, Zone zone, const Rng& root, SimTime t0)
      : phases(config.phases),
        nominal(config.nominal_voltage),
        base(root.fork(kBaseStream), config.phases, config.base_load_w),
        fridge(root.fork(kFridgeStream), config.phases, t0),
        heat_pump(root.fork(kHeatPumpStream), config.phases, t0),
        weather(root.fork(kWeatherStream), zone),
        cooker(root.fork(kCookerStream), config.phases, zone),
        ev(root.fork(kEvStream), config, config.phases, zone),
        solar(root.fork(kSolarStream), config, zone),
        grid(root.fork(kGridStream), config.nominal_voltage) {
    volts.fill(config.nominal_voltage);
  }

  Demand demand(const Clock& c, const HouseholdConfig& config) {
    Demand d;
    LoadBreakdown& b = breakdown;
    b = LoadBreakdown{};
    b.outdoor_c = weather.temperature(c);
    b.base_w = base.apply(c, phases, d);
    b.fridge_w = fridge.apply(c, phases, d);
    if (config.heat_pump) b.heat_pump_w = heat_pump.apply(c, b.outdoor_c, phases, d);
    if (config.cooker) b.cooker_w = cooker.apply(c, volts, nominal, d);
    if (config.ev) b.ev_w = ev.apply(c, volts, nominal, d);
    if (config.solar) b.solar_w = solar.apply(c, phases, d);
    return d;
  }

  int phases;
  double nominal;
  BaseLoad base;
  Fridge fridge;
  HeatPump heat_pump;
  Weather weather;
  Cooker cooker;
  EvCharger ev;
  Solar solar;
  Grid grid;
  std::array<double, 3> volts{};
  LoadBreakdown breakdown;
};

namespace {

HouseholdConfig normalized(HouseholdConfig c) {
  c.phases = c.phases == 1 ? 1 : 3;
  return c;
}

// Whole watts / vars for one phase, split into the import and export registers' directions.
PhaseState phase_state(double p, double q, double volts) {
  PhaseState s;
  const std::int64_t pw = std::llround(p), qv = std::llround(q);
  s.voltage_v = volts;
  s.p_import_w = pw > 0 ? pw : 0;
  s.p_export_w = pw < 0 ? -pw : 0;
  s.q_import_var = qv > 0 ? qv : 0;
  s.q_export_var = qv < 0 ? -qv : 0;
  const double pd = static_cast<double>(pw), qd = static_cast<double>(qv);
  const double apparent = std::sqrt(pd * pd + qd * qd);
  s.current_a = apparent / volts;
  s.power_factor = apparent > 0 ? std::abs(pd) / apparent : 1.0;
  return s;
}

}  // namespace

Household::Household(const HouseholdConfig& config, Zone zone, SimTime start, Duration step_ms,
                     std::uint64_t seed)
    : config_(normalized(config)),
      zone_(zone),
      step_ms_(std::max<Duration>(step_ms, 1)),
      rng_(seed) {
  const SimTime t0 = floor_div(start, step_ms_) * step_ms_;
  model_ = std::make_unique<Model>(config_, zone_, rng_, t0 - step_ms_);
  state_.phases = config_.phases;
  compute_step(t0 - step_ms_);
  state_.t = t0;
  state_.import_wms = config_.start_import_wh * MeterState::kWmsPerWh;
  state_.export_wms = config_.start_export_wh * MeterState::kWmsPerWh;
  state_.reactive_import_varms = config_.start_reactive_import_varh * MeterState::kWmsPerWh;
  state_.reactive_export_varms = config_.start_reactive_export_varh * MeterState::kWmsPerWh;
}

Household::~Household() = default;
Household::Household(Household&&) noexcept = default;
Household& Household::operator=(Household&&) noexcept = default;

Household::Household(const Household& other)
    : config_(other.config_),
      zone_(other.zone_),
      step_ms_(other.step_ms_),
      rng_(other.rng_),
      state_(other.state_),
      model_(std::make_unique<Model>(*other.model_)),
      off_(other.off_) {}

Household& Household::operator=(const Household& other) {
  if (this != &other) *this = Household(other);
  return *this;
}

const LoadBreakdown& Household::loads() const noexcept { return model_->breakdown; }

const MeterState& Household::advance_to(SimTime t) {
  while (t >= state_.t + step_ms_) step_once();  // t - state_.t could overflow for early t
  return state_;
}

void Household::step_once() {
  compute_step(state_.t);
  for (const auto& [from, to] : off_) {
    if (state_.t >= from && state_.t < to) no_supply();
  }
  state_.t += step_ms_;
  // The exact integral of powers held constant over the step (household.hpp).
  state_.import_wms += state_.p_import_w * step_ms_;
  state_.export_wms += state_.p_export_w * step_ms_;
  state_.reactive_import_varms += state_.q_import_var * step_ms_;
  state_.reactive_export_varms += state_.q_export_var * step_ms_;
}

void Household::no_supply() noexcept {
  for (std::size_t i = 0; i < 3; ++i) {
    PhaseState& ph = state_.phase[i];
    ph.p_import_w = ph.p_export_w = ph.q_import_var = ph.q_export_var = 0;
    ph.current_a = 0;
  }
  state_.p_import_w = state_.p_export_w = state_.q_import_var = state_.q_export_var = 0;
}

void Household::compute_step(SimTime begin) {
  const Clock clock = make_clock(begin, step_ms_, zone_);
  const Demand d = model_->demand(clock, config_);
  model_->grid.update(clock, d, config_.phases, model_->volts);
  state_.frequency_hz = model_->grid.frequency();
  state_.p_import_w = state_.p_export_w = state_.q_import_var = state_.q_export_var = 0;
  std::int64_t p_net = 0, q_net = 0;
  for (std::size_t i = 0; i < 3; ++i) {
    PhaseState& ph = state_.phase[i];
    if (static_cast<int>(i) >= config_.phases) {
      ph = PhaseState{};
      ph.power_factor = 0;
      continue;
    }
    ph = phase_state(d.p[i], d.q[i], model_->volts[i]);
    state_.p_import_w += ph.p_import_w;
    state_.p_export_w += ph.p_export_w;
    state_.q_import_var += ph.q_import_var;
    state_.q_export_var += ph.q_export_var;
    p_net += ph.p_import_w - ph.p_export_w;
    q_net += ph.q_import_var - ph.q_export_var;
  }
  const double pd = static_cast<double>(p_net), qd = static_cast<double>(q_net);
  const double apparent = std::sqrt(pd * pd + qd * qd);
  state_.power_factor = apparent > 0 ? std::abs(pd) / apparent : 1.0;
}

}  // namespace meterlab::sim
