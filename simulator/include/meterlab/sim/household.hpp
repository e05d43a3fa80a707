// The meter's view of a household: per phase voltage, current, active and reactive power in both
// directions, and the energy registers that integrate them. Driven by a virtual clock and a seed.
//
// Energy consistency: powers are held constant over each step (the profile's fastest cadence), are
// whole watts / vars, and the energy registers are the exact integral of those powers. A frame sent
// at time t reports the powers of the step that ended at t, so the energy between two register
// readings equals the sum of the powers reported in between times the step.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "meterlab/sim/rng.hpp"
#include "meterlab/sim/time.hpp"

namespace meterlab::sim {

struct HouseholdConfig {
  int phases = 3;  // 1 or 3 (anything but 1 is taken as 3)
  double nominal_voltage = 230.0;
  bool solar = false;  // PV export around midday
  double solar_peak_w = 4500.0;
  bool heat_pump = true;
  bool ev = true;           // EV charging in the evening
  int ev_phases = 0;        // 0: the seed chooses (1-phase meters: always 1); 1: 3.7 kW on
                            // one phase (16 A); 3: 11 kW over L1-L3 (3 x 16 A)
  double cloud_cover = -1;  // < 0: the seed picks each day's sky; 0 clear .. 1 overcast
  bool cooker = true;
  double base_load_w = 180.0;
  // Meter's energy registers at the start (Wh / varh), e.g. a few years of use.
  std::int64_t start_import_wh = 12'345'678;
  std::int64_t start_export_wh = 0;
  std::int64_t start_reactive_import_varh = 1'234'567;
  std::int64_t start_reactive_export_varh = 234'567;
};

struct PhaseState {
  double voltage_v = 0;                         // RMS, near nominal with slow drift and noise
  double current_a = 0;                         // RMS
  double power_factor = 1;                      // 0..1
  std::int64_t p_import_w = 0, p_export_w = 0;  // whole watts, one of the two is 0
  std::int64_t q_import_var = 0, q_export_var = 0;
};

// What each load drew over the step (W, before rounding; solar_w is generation, >= 0) and the
// outdoor temperature the heat pump saw. Not part of what a meter sends: for tests and the truth.
struct LoadBreakdown {
  double base_w = 0, fridge_w = 0, cooker_w = 0, heat_pump_w = 0, ev_w = 0, solar_w = 0;
  double outdoor_c = 0;
};

struct MeterState {
  SimTime t = 0;  // end of the step these powers belong to
  int phases = 3;
  std::array<PhaseState, 3> phase{};  // phases beyond `phases` are all zero (power_factor too)
  std::int64_t p_import_w = 0, p_export_w = 0;  // totals = sums of the phases
  std::int64_t q_import_var = 0, q_export_var = 0;
  double power_factor = 1;  // total
  double frequency_hz = 50.0;
  // Energy registers: exact integrals of the whole-watt powers, in W*ms (1 Wh = 3'600'000 W*ms).
  std::int64_t import_wms = 0, export_wms = 0;
  std::int64_t reactive_import_varms = 0, reactive_export_varms = 0;

  static constexpr std::int64_t kWmsPerWh = 3'600'000;
};

class Household {
 public:
  // `start` is aligned down to a multiple of `step_ms` (since the epoch); the first state is the
  // step ending at the aligned start, its energy registers the config's start values. `seed`
  // drives every random choice. step_ms must be > 0 (smaller values are taken as 1 ms).
  Household(const HouseholdConfig& config, Zone zone, SimTime start, Duration step_ms,
            std::uint64_t seed);
  ~Household();
  Household(const Household& other);
  Household& operator=(const Household& other);
  Household(Household&&) noexcept;
  Household& operator=(Household&&) noexcept;

  // Advances in whole steps (never backwards) to the largest step boundary <= t and returns that
  // state: the powers of the step that ended there and the energy integrated up to it.
  const MeterState& advance_to(SimTime t);
  const MeterState& state() const noexcept { return state_; }
  Duration step() const noexcept { return step_ms_; }
  // The supply is off over these outages (power failures): a step that begins in one
  // draws nothing, so the energy registers stand still there. The loads and the weather go on
  // as before (the same random draws), so a run with outages equals one without outside them.
  void set_supply_off(std::vector<Outage> outages) { off_ = std::move(outages); }
  // The loads behind state(): what each drew over the step that ended at state().t.
  const LoadBreakdown& loads() const noexcept;

 private:
  struct Model;  // the loads, the weather and the grid (household.cpp)

  void step_once();
  void no_supply() noexcept;         // the step's powers are zero: the supply is off
  void compute_step(SimTime begin);  // fills the powers of [begin, begin + step)
  HouseholdConfig config_;
  Zone zone_;
  Duration step_ms_;
  Rng rng_;
  MeterState state_;
  std::unique_ptr<Model> model_;
  std::vector<Outage> off_;
};

}  // namespace meterlab::sim
