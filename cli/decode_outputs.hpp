// The flags of each output of `meterlab decode`. A flag that is given writes its value into
// `overrides`, a JSON object in the config file's schema ({"outputs": {"mqtt": {"host": ..}}}),
// which is merged over the config file: flags and file say the same things.
#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

namespace meterlab::cli {

void add_mqtt_flags(CLI::App& cmd, nlohmann::json& overrides);       // decode_mqtt.cpp
void add_influx_flags(CLI::App& cmd, nlohmann::json& overrides);     // decode_db.cpp
void add_postgres_flags(CLI::App& cmd, nlohmann::json& overrides);   // decode_db.cpp
void add_solarview_flags(CLI::App& cmd, nlohmann::json& overrides);  // decode_db.cpp

}  // namespace meterlab::cli
