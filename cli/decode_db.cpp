// Placeholder until the InfluxDB, PostgreSQL and Solarview flags land.
#include "decode_outputs.hpp"

namespace meterlab::cli {
void add_influx_flags(CLI::App&, nlohmann::json&) {}
void add_postgres_flags(CLI::App&, nlohmann::json&) {}
void add_solarview_flags(CLI::App&, nlohmann::json&) {}
}  // namespace meterlab::cli
