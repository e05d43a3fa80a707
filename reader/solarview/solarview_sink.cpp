// Placeholder until the solarview output lands.
#include <nlohmann/json.hpp>

#include "meterlab/reader/outputs.hpp"

namespace meterlab::reader {
SinkOrError make_solarview_sink(const nlohmann::json&) { return {nullptr, "outputs.solarview: not built in yet"}; }
}  // namespace meterlab::reader
