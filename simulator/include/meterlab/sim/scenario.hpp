// A scenario file (JSON, data): which meter, which seed, when and for how long, how fast, which
// faults, and (for `meterlab conform`) what counts as passing. `meterlab simulate --scenario F`
// runs one; its flags override the file.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "meterlab/sim/faults.hpp"
#include "meterlab/sim/time.hpp"

namespace meterlab::sim {

struct Scenario {
  std::string name;
  std::string description;
  std::string profile;
  // Several meters at once, each on its own line ("all": every built-in profile); only
  // `meterlab conform` runs these (a soak). Faults then apply to each meter they fit.
  std::vector<std::string> profiles;
  std::optional<std::uint64_t> seed;
  std::optional<std::string> start;  // ISO text, read in the profile's zone
  std::optional<Duration> duration;
  std::optional<std::string> speed;  // "realtime", "max", or a factor
  std::vector<FaultSpec> faults;
  std::string pass_json = "{}";  // the pass criteria, read by the conformance harness
  // How `meterlab conform` runs it: "in-process" (the default) and/or "pty" (the simulator
  // writing to a pseudo-terminal at `speed`, a decoder program reading it like a serial port).
  std::vector<std::string> modes = {"in-process"};
};

// Throws std::invalid_argument naming the file's field at fault.
Scenario parse_scenario(const std::string& json_text);

}  // namespace meterlab::sim
