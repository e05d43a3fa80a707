// The outputs `meterlab decode` can write to, any combination at once. Each factory takes its
// object of the config file's "outputs" (see reader/README.md for the schema), checks it, and
// returns the sink or an error naming the JSON path. The command-line flags are shorthand that
// write into the same objects, so a flag and a config file mean exactly the same thing.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include "meterlab/reader/sink.hpp"

namespace meterlab::reader {

// outputs.json: JSON lines (the documented schema) to a file or stdout ("-"). reader/core
SinkOrError make_json_sink(const nlohmann::json& cfg);
// outputs.table: a live table of the latest readings on a terminal. reader/core
SinkOrError make_table_sink(const nlohmann::json& cfg);
// outputs.mqtt: libmosquitto; state topic per meter, topic per reading, HA discovery. reader/mqtt
SinkOrError make_mqtt_sink(const nlohmann::json& cfg);
// outputs.influxdb: line protocol over HTTP (libcurl), v1 /write or v2 /api/v2/write. reader/influx
SinkOrError make_influx_sink(const nlohmann::json& cfg);
// outputs.postgres: libpq; one row per reading, table created if missing. reader/postgres
SinkOrError make_postgres_sink(const nlohmann::json& cfg);
// outputs.solarview: the Solarview text file, rewritten atomically. reader/solarview
SinkOrError make_solarview_sink(const nlohmann::json& cfg);

}  // namespace meterlab::reader
