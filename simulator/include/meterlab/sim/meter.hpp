// A simulated meter: the household model read through a profile's list templates, encoded with the
// simulator's own writer (A-XDR, APDU, GCM, HDLC / M-Bus), together with what it means: the
// readings as `meterlab decode` reports them (OBIS code, scaled value, unit), for the truth log.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "meterlab/sim/faults.hpp"
#include "meterlab/sim/household.hpp"
#include "meterlab/sim/profile.hpp"

namespace meterlab::sim {

// One reading as the decoder reports it: number = raw x 10^scale, or text.
struct TruthReading {
  std::string obis;
  std::string unit;
  bool is_text = false;
  std::string text;
  std::int64_t raw = 0;
  int scale = 0;
  std::string position;       // a reading no layout names: obis empty, its place in the body
  std::string captured = {};  // P1: the value's own capture time, as the decoder prints it
  bool boolean = false;       // an A-XDR boolean: raw 0 or 1, printed false / true
};

// What a fault may change while a telegram is built (the byte faults come after).
struct BuildTweaks {
  Duration clock_offset = 0;  // the meter's clock runs this far from true time
  std::optional<Key> ek;      // encrypt with this key instead (wrong key)
  std::optional<std::uint32_t> invocation_counter;  // send this counter instead
  bool corrupt_tag = false;                         // flip a bit of the GCM tag after ciphering
};

struct MeterTelegram {
  std::uint64_t seq = 0;  // 0, 1, 2, ... per meter
  SimTime t = 0;          // when its first byte leaves the meter
  std::string list;
  Buffer apdu;                       // the plain APDU
  std::vector<Buffer> frames;        // link frames, in order
  std::vector<SimTime> frame_times;  // when each frame starts on the line
  std::optional<std::uint32_t> invocation_counter;
  std::string timestamp;          // as the decoder prints it; "" when the telegram has none
  bool carries_meter_id = false;  // the list holds the meter id (list 1 does not)
  std::vector<TruthReading> readings;
};

// The wire integer of a numeric leaf: the source read at 10^scale of its unit (energy registers
// floored, instantaneous values rounded). P1 lines write their digits through it too.
std::int64_t raw_value(const Node& n, const MeterState& s);

class P1Meter;

class Meter {
 public:
  Meter(const Profile& profile, std::uint64_t seed, SimTime start);

  // The next scheduled send time strictly after `after`, and its list.
  std::pair<SimTime, const ListDef*> next_slot(SimTime after) const;
  // The meter's power failures in the run, given once before the first build(): the household
  // draws nothing during them, and a P1 meter counts and logs them.
  void set_outages(const std::vector<Outage>& outages);
  // Builds the telegram sent at `t` (t never goes backwards from one call to the next).
  MeterTelegram build(SimTime t, const ListDef& list, const BuildTweaks& tweaks = {});

  const Profile& profile() const noexcept { return profile_; }
  const MeterState& state() const noexcept { return household_.state(); }
  // The counter the next telegram will carry (advances by the profile's step per telegram).
  std::uint32_t next_invocation_counter() const noexcept { return next_ic_; }

 private:
  const Profile& profile_;
  Household household_;
  std::uint64_t seq_ = 0;
  std::uint32_t next_ic_ = 0;
  std::uint32_t invoke_id_ = 0;
  std::shared_ptr<P1Meter> p1_;  // a P1 profile's meter state (sim/p1.hpp)
};

// COSEM date-time of local time `t` in `zone` written as `form` says.
CosemDateTime cosem_time(SimTime t, Zone zone, const ClockForm& form);
// The decoder's text for a date-time: "2026-01-01T00:00:10" (+ ".hh" when hundredths are set and
// non-zero, + "+01:00" when the deviation is specified: offset = -deviation, the DLMS sign rule).
std::string date_time_text(const CosemDateTime& dt);

}  // namespace meterlab::sim
