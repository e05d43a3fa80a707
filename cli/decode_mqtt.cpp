// Placeholder until the MQTT flags land.
#include "decode_outputs.hpp"

namespace meterlab::cli {
void add_mqtt_flags(CLI::App&, nlohmann::json&) {}
}  // namespace meterlab::cli
