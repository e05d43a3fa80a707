// Placeholder until the influx output lands.
#include <nlohmann/json.hpp>

#include "meterlab/reader/outputs.hpp"

namespace meterlab::reader {
SinkOrError make_influx_sink(const nlohmann::json&) { return {nullptr, "outputs.influx: not built in yet"}; }
}  // namespace meterlab::reader
