// Placeholder until the mqtt output lands.
#include <nlohmann/json.hpp>

#include "meterlab/reader/outputs.hpp"

namespace meterlab::reader {
SinkOrError make_mqtt_sink(const nlohmann::json&) { return {nullptr, "outputs.mqtt: not built in yet"}; }
}  // namespace meterlab::reader
